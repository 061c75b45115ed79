import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli.js';
import { silentProgress } from '../importers/types.js';

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => out.push(s), err: (s) => err.push(s), progress: silentProgress });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('medcodes update (CLI)', () => {
  it('--check --from an empty folder, on a database without releases: says what to do first', async () => {
    // Its own folder: a check records what it found beside the database (releases/status.json).
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-empty-mirror-'));
    try {
      const r = await cli('--db', join(dir, 'none.db'), 'update', '--check', '--from', dir);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^icd10cm\s+loaded nothing: not loaded \(medcodes import first\)$/m);
      expect(r.out.split('\n')).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown system and a --from that is neither a URL nor a folder', async () => {
    expect((await cli('--db', join(tmpdir(), 'medcodes-none.db'), 'update', '--system', 'loinc')).err).toMatch(
      /updatable systems are icd10cm, icd10pcs, hcpcs, nucc/,
    );
    const r = await cli('--db', join(tmpdir(), 'medcodes-none.db'), 'update', '--from', '/no/such/folder');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--from \/no\/such\/folder: neither an http\(s\) URL nor a folder/);
  });
});
