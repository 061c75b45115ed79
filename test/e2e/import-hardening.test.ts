import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runImport } from '../../src/importers/run.js';
import { silentProgress, type Progress } from '../../src/importers/types.js';
import { nuccImporter } from '../../src/importers/nucc/import.js';
import { loincImporter } from '../../src/importers/loinc/import.js';
import { rxnormImporter } from '../../src/importers/rxnorm/import.js';
import { cptImporter } from '../../src/importers/cpt/import.js';
import { gemsImporter } from '../../src/importers/gems/import.js';
import { MedCodesError } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';
import { DATA_DIR } from '../../src/manifest.js';

/**
 * Issue 13, imports, written as the attacks: an import without files must keep the licensed sets
 * imported earlier; empty, damaged, cut and much smaller release files are refused naming file, line
 * and reason, and the database being served does not change; files left by killed imports go.
 * The importers are the real ones; the bundled import is restricted to NUCC (the smallest set) to
 * keep the test short: the rule under test is run.ts's, whatever the importers.
 */
const F = fileURLToPath(new URL('../fixtures/', import.meta.url));
const LOINC_DIR = join(F, 'loinc', 'Loinc_2.80');
const RXNORM_DIR = join(F, 'rxnorm', 'RxNorm_full_11042024');
const CPT_DIR = join(F, 'cpt', 'CPT 2026 data files');
const GEM_I9PCS = join(DATA_DIR, 'gems', 'gem_i9pcs.txt');

const dir = mkdtempSync(join(tmpdir(), 'medcodes-harden-import-'));
const db = join(dir, 'medcodes.db');
const logs: string[] = [];
const progress: Progress = { ...silentProgress, log: (m) => logs.push(m) };
const IMPORTERS = [nuccImporter, cptImporter, loincImporter, rxnormImporter, gemsImporter];
/** The bundled import of these tests: NUCC only (the GEMs are imported from one file, below). */
const BUNDLED = [nuccImporter, cptImporter, loincImporter, rxnormImporter];

/** What a database holds, to show that a refused import changed nothing. */
function snapshot(): { ino: number; releases: string[]; codes: number; mappings: number } {
  const d = new Database(db, { readonly: true });
  try {
    return {
      ino: statSync(db).ino,
      releases: (d.prepare("SELECT system || ' ' || version AS r FROM releases ORDER BY system").pluck().all() as string[]).sort(),
      codes: d.prepare('SELECT count(*) FROM codes').pluck().get() as number,
      mappings: d.prepare('SELECT count(*) FROM mappings').pluck().get() as number,
    };
  } finally {
    d.close();
  }
}

async function refused(inputs: string[], code: string, ...expected: (string | RegExp)[]): Promise<MedCodesError> {
  const before = snapshot();
  const err = await runImport({ db, inputs, progress, importers: IMPORTERS }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MedCodesError);
  const e = err as MedCodesError;
  expect(e.code).toBe(code);
  for (const x of expected) {
    if (typeof x === 'string') expect(e.message).toContain(x);
    else expect(e.message).toMatch(x);
  }
  expect(snapshot()).toEqual(before);
  return e;
}

/** A copy of a fixture release folder with one file rewritten. */
function damagedCopy(src: string, rel: string, change: (b: Buffer) => Buffer): string {
  const to = mkdtempSync(join(dir, 'release-'));
  const root = join(to, src.split('/').pop()!);
  cpSync(src, root, { recursive: true });
  const f = join(root, rel);
  writeFileSync(f, change(readFileSync(f)));
  return root;
}

beforeAll(async () => {
  // The bundled NUCC set, then the licensed fixtures and a real GEM file on top of it.
  await runImport({ db, progress, importers: BUNDLED });
  await runImport({ db, inputs: [LOINC_DIR, RXNORM_DIR, CPT_DIR, GEM_I9PCS], progress, importers: IMPORTERS });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an import without files (the bundled data)', () => {
  it('keeps the licensed sets imported earlier, and says what it keeps and replaces', async () => {
    const before = snapshot();
    expect(before.releases.map((r) => r.split(' ')[0])).toEqual(expect.arrayContaining(['cpt', 'loinc', 'nucc', 'rxnorm']));
    logs.length = 0;
    await runImport({ db, progress, importers: BUNDLED });
    const after = snapshot();
    expect(after.releases).toEqual(before.releases);
    expect(after.codes).toBe(before.codes);
    expect(logs.find((l) => l.startsWith('Keeping:'))).toMatch(/cpt .*loinc .*rxnorm /);
    expect(logs.find((l) => l.startsWith('Replacing:'))).toMatch(/^Replacing: nucc /);
  });

  it('--replace starts from an empty database and says what it does not keep', async () => {
    const other = join(dir, 'replace.db');
    cpSync(db, other);
    logs.length = 0;
    await runImport({ db: other, progress, importers: BUNDLED, replace: true });
    const d = new Database(other, { readonly: true });
    expect(d.prepare('SELECT system FROM releases').pluck().all()).toEqual(['nucc']);
    d.close();
    expect(logs.find((l) => l.startsWith('--replace: not keeping'))).toMatch(/loinc/);
  });
});

describe('release files that are empty, damaged or cut are refused; nothing changes', () => {
  it('an empty GEM file (2018_I10gem.txt, gem_i9pcs.txt)', async () => {
    for (const name of ['2018_I10gem.txt', 'gem_i9pcs.txt']) {
      const f = join(mkdtempSync(join(dir, 'gem-')), name);
      writeFileSync(f, '');
      await refused([f], 'parse_error', name, 'empty file');
    }
  });

  it('an empty RXNREL.RRF and a MapTo.csv with only its header', async () => {
    await refused([damagedCopy(RXNORM_DIR, 'rrf/RXNREL.RRF', () => Buffer.alloc(0))], 'parse_error', 'RXNREL.RRF', 'empty file');
    await refused(
      [damagedCopy(LOINC_DIR, 'LoincTable/MapTo.csv', (b) => Buffer.from(`${b.toString('utf8').split('\n')[0]}\n`))],
      'parse_error',
      'MapTo.csv',
      'no records after the header',
    );
  });

  it('a NUL byte or invalid UTF-8 in the middle of a file, naming file and line', async () => {
    const cptNul = damagedCopy(CPT_DIR, 'LONGULT.txt', (b) => {
      const lines = b.toString('latin1').split('\n');
      lines[4] = `${lines[4].slice(0, 8)}\u0000${lines[4].slice(8)}`;
      return Buffer.from(lines.join('\n'), 'latin1');
    });
    await refused([cptNul], 'parse_error', 'LONGULT.txt, line 5', 'NUL byte');
    const loincBad = damagedCopy(LOINC_DIR, 'LoincTable/Loinc.csv', (b) => {
      const i = b.indexOf('\n', b.length >> 1) + 5;
      return Buffer.concat([b.subarray(0, i), Buffer.from([0xc3, 0x28, 0xff]), b.subarray(i)]);
    });
    await refused([loincBad], 'parse_error', 'Loinc.csv, line', 'invalid UTF-8');
  });

  it('a last record cut mid-line (RXNREL.RRF, MapTo.csv, a GEM file)', async () => {
    const cut = (b: Buffer) => b.subarray(0, b.length - 9);
    await refused([damagedCopy(RXNORM_DIR, 'rrf/RXNREL.RRF', cut)], 'parse_error', 'RXNREL.RRF, line');
    await refused([damagedCopy(LOINC_DIR, 'LoincTable/MapTo.csv', cut)], 'parse_error', 'MapTo.csv, line');
    const gem = join(mkdtempSync(join(dir, 'gem-')), 'gem_i9pcs.txt');
    writeFileSync(gem, cut(readFileSync(GEM_I9PCS)));
    await refused([gem], 'parse_error', 'gem_i9pcs.txt, line 73593', 'cut short');
  });

  it('a release far smaller than the one served, unless --allow-shrink', async () => {
    const gem = join(mkdtempSync(join(dir, 'gem-')), 'gem_i9pcs.txt');
    writeFileSync(gem, `${readFileSync(GEM_I9PCS, 'latin1').split('\n').slice(0, 1000).join('\n')}\n`, 'latin1');
    await refused([gem], 'release_shrank', 'gem_i9pcs.txt', 'icd9pcs -> icd10pcs would fall from 73,593 to 1,000', '--allow-shrink');
    const other = join(dir, 'shrink.db');
    cpSync(db, other);
    await runImport({ db: other, inputs: [gem], progress, importers: IMPORTERS, allowShrink: true });
    const d = new Database(other, { readonly: true });
    expect(d.prepare("SELECT count(*) FROM mappings WHERE source = 'gems'").pluck().get()).toBe(1000);
    d.close();
  });
});

describe('left-over files of killed imports', () => {
  it('are removed at the next import when their process is gone, and kept while it runs', async () => {
    // A pid that certainly ended: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = [`${db}.building-${dead}`, `${db}.building-${dead}-journal`];
    for (const f of stale) writeFileSync(f, 'left over');
    const live = `${db}.building-${process.ppid}`;
    writeFileSync(live, 'an import running in another process');
    logs.length = 0;
    await runImport({ db, inputs: [LOINC_DIR], progress, importers: IMPORTERS });
    for (const f of stale) expect(existsSync(f)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(logs.filter((l) => l.startsWith('Removed '))).toHaveLength(2);
    rmSync(live);
  });
});

describe('a database that cannot be read', () => {
  it('is a corrupt_database or unreadable_database error naming the file and what to do', () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 7));
    const e1 = (() => {
      try {
        new Store(garbage);
      } catch (e) {
        return e as MedCodesError;
      }
    })();
    expect(e1).toBeInstanceOf(MedCodesError);
    expect(e1!.code).toBe('corrupt_database');
    expect(e1!.message).toContain(garbage);
    expect(e1!.message).toContain('medcodes import');

    const other = join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE t (x)');
    expect(() => new Store(other)).toThrow(expect.objectContaining({ code: 'corrupt_database' }));

    const folder = join(dir, 'a-folder.db');
    mkdirSync(folder);
    expect(() => new Store(folder)).toThrow(expect.objectContaining({ code: 'unreadable_database' }));
  });
});
