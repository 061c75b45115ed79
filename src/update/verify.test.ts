import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { checkFetched } from './verify.js';
import { makeZip } from '../../test/fixtures/update/zip.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('checks of a fetched release file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medcodes-verify-'));
  const zip = makeZip([{ name: 'Code Descriptions/icd10cm_order_2027.txt', data: Buffer.from('x'.repeat(5000)) }]);
  const file = join(dir, '2027-code-descriptions-tabular-order.zip');
  writeFileSync(file, zip);
  const url = 'https://www.cms.gov/files/zip/2027-code-descriptions-tabular-order.zip';

  it('accepts a complete archive with the expected members and the recorded SHA-256', async () => {
    const r = await checkFetched(file, { url, sha256: sha(zip), actualSha256: sha(zip), members: ['icd10cm[_-]order[_-]2027\\.txt$'] });
    expect(r.members).toEqual(['Code Descriptions/icd10cm_order_2027.txt']);
  });

  it('refuses a SHA-256 other than the catalogue’s, an archive without the expected member, a truncated or damaged one', async () => {
    await expect(checkFetched(file, { url, sha256: 'ab'.repeat(32), actualSha256: sha(zip), members: [] })).rejects.toMatchObject({
      code: 'checksum_mismatch',
    });
    await expect(checkFetched(file, { url, actualSha256: sha(zip), members: ['icd10cm_tabular_2027\\.xml$'] })).rejects.toThrow(
      /no member matching .*icd10cm_tabular_2027.* \(it holds icd10cm_order_2027\.txt\); the publisher may have changed/,
    );
    const cut = join(dir, 'cut.zip');
    writeFileSync(cut, zip.subarray(0, zip.length - 30));
    await expect(checkFetched(cut, { url, actualSha256: '', members: [] })).rejects.toMatchObject({ code: 'corrupt_file' });
    const bad = Buffer.from(zip);
    bad[30 + 39 + 3] ^= 0xff; // inside the deflated data, after the local header and name
    const damaged = join(dir, 'damaged.zip');
    writeFileSync(damaged, bad);
    await expect(checkFetched(damaged, { url, actualSha256: '', members: [] })).rejects.toMatchObject({ code: 'corrupt_file' });
    rmSync(dir, { recursive: true, force: true });
  });
});
