import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runImport } from '../../src/importers/run.js';
import { silentProgress } from '../../src/importers/types.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../../src/cli.js';
import { verifyFile } from '../../src/manifest.js';
import { MedCodesError } from '../../src/errors.js';

const RELEASE = 'test/fixtures/icd10cm/release';
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'medcodes-import-'));
const db = join(dir, 'm.db');

/** A copy of the fixture release with one file replaced by broken bytes. */
function brokenRelease(name: string, content: Buffer | string): string {
  const d = mkdtempSync(join(tmpdir(), 'medcodes-broken-'));
  for (const f of readdirSync(RELEASE)) copyFileSync(join(RELEASE, f), join(d, f));
  writeFileSync(join(d, name), content);
  return d;
}

async function expectRefusedAndKept(inputs: string[], message: RegExp) {
  const before = sha(db);
  await expect(runImport({ db, inputs, progress: silentProgress, incremental: false })).rejects.toThrow(message);
  // The database in service is the same file, byte for byte, and no temporary file is left behind.
  expect(sha(db)).toBe(before);
  expect(readdirSync(dir)).toEqual(['m.db']);
  const store = new Store(db);
  expect(store.get('icd10cm', 'I214')?.display).toBe('Non-ST elevation (NSTEMI) myocardial infarction');
  store.close();
}

beforeAll(async () => {
  const [s] = await runImport({ db, inputs: [RELEASE], progress: silentProgress, incremental: false });
  expect(s.system).toBe('icd10cm');
});

describe('importing a slice of the official ICD-10-CM files', () => {
  it('builds codes, notes, index terms and history', () => {
    const store = new Store(db);
    const c = store.counts().icd10cm;
    // 38 codes in the FY2026 slice; chapters and blocks come from the Tabular slice (chapters 1, 2, 4, 7, 9, 19).
    expect(c.byKind.category + c.byKind.code - c.deleted).toBe(38);
    expect(c.byKind.chapter).toBe(6);
    expect(store.get('icd10cm', 'I214')!.parentKey).toBe('I21');
    expect(store.get('icd10cm', 'I21')!.parentKey).toBe('I20-I25');
    expect(store.notes('icd10cm', 'I214').map((n) => n.text)).toContain('Non-Q wave myocardial infarction NOS');
    expect(store.history('icd10cm', 'B8801')).toEqual([{ version: 'FY2026', action: 'added', display: 'Infestation by Demodex mites' }]);
    store.close();
  });
});

describe('bad input never replaces the database in service', () => {
  it('a truncated zip', async () => {
    const d = mkdtempSync(join(tmpdir(), 'medcodes-zip-'));
    const zip = join(d, 'cms_2026_dx.zip');
    writeFileSync(zip, readFileSync('data/icd10cm/order/cms_2026_dx.zip').subarray(0, 500_000));
    await expectRefusedAndKept([zip], /cms_2026_dx\.zip: not a readable zip archive/);
  });

  it('a malformed XML file, naming file and line', async () => {
    const xml = readFileSync(join(RELEASE, 'icd10cm_tabular_2017.xml'), 'utf8');
    const cut = xml.slice(0, Math.floor(xml.length / 2));
    await expectRefusedAndKept([brokenRelease('icd10cm_tabular_2017.xml', cut)], /icd10cm_tabular_2017\.xml.*line \d+/);
  });

  it('a row with a broken code, naming the line', async () => {
    const lines = readFileSync(join(RELEASE, 'icd10cm_order_2026.txt'), 'latin1').split('\n');
    lines[4] = lines[4].slice(0, 6) + 'A0?1   ' + lines[4].slice(13);
    await expectRefusedAndKept(
      [brokenRelease('icd10cm_order_2026.txt', lines.join('\n'))],
      /icd10cm_order_2026\.txt, line 5: code "A0\?1"/,
    );
  });

  it('a file of another format', async () => {
    const d = mkdtempSync(join(tmpdir(), 'medcodes-other-'));
    writeFileSync(join(d, 'notes.txt'), 'hello');
    await expectRefusedAndKept([join(d, 'notes.txt')], /not a format MedCodes imports: notes\.txt/);
    await expectRefusedAndKept([join(d, 'missing.zip')], /missing\.zip: no such file or folder/);
  });

  it('the CLI says what failed and exits non-zero', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--db', db, 'import', 'package.json'], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      progress: silentProgress,
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toBe('error [unknown_format]: not a format MedCodes imports: package.json');
  });

  it('a bundled file that does not match the manifest', async () => {
    const d = mkdtempSync(join(tmpdir(), 'medcodes-sum-'));
    const f = join(d, 'x.zip');
    writeFileSync(f, 'abc');
    const entry = {
      path: 'x.zip',
      sha256: '0'.repeat(64),
      bytes: 3,
      systems: [],
      version: '',
      publisher: '',
      license: '',
      source: '',
      description: '',
    };
    await expect(verifyFile(f, entry)).rejects.toThrow(/x\.zip: SHA-256 ba7816bf.* does not match the manifest/);
    await expect(verifyFile(f, { ...entry, bytes: 4 })).rejects.toBeInstanceOf(MedCodesError);
  });
});

describe('incremental import', () => {
  it('adds to a copy and swaps it in, so a reader of the old file keeps working', async () => {
    const reader = new Store(db);
    const ino = statSync(db).ino;
    await runImport({ db, inputs: [join(RELEASE, 'icd10cm_order_2026.txt')], progress: silentProgress });
    expect(statSync(db).ino).not.toBe(ino);
    expect(reader.get('icd10cm', 'I214')).toBeTruthy();
    expect(reader.reopenIfReplaced()).toBe(true);
    // Only the newest order file was given this time: no Tabular, so no notes, and no history before FY2026.
    expect(reader.notes('icd10cm', 'I214')).toEqual([]);
    reader.close();
  });
});
