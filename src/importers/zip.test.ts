import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listZip, readZipMember } from './zip.js';

describe('zip members', () => {
  const zip = 'data/icd10cm/order/cms_2026_dx.zip';
  it('lists the members of an official release zip', async () => {
    const names = (await listZip(zip)).map((m) => m.name);
    expect(names).toContain('icd10cm_order_2026.txt');
  });
  it('refuses a truncated zip with a message naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-zip-'));
    const bad = join(dir, 'cms_2026_dx.zip');
    writeFileSync(bad, readFileSync(zip).subarray(0, 100_000));
    await expect(listZip(bad)).rejects.toThrow(/cms_2026_dx\.zip: not a readable zip archive/);
  });
  it('refuses a file that is not a zip, and a missing member', async () => {
    await expect(readZipMember('package.json', /x/)).rejects.toThrow(/package\.json: not a readable zip/);
    await expect(readZipMember(zip, 'nope.txt')).rejects.toThrow(/no member matching nope\.txt/);
  });
});
