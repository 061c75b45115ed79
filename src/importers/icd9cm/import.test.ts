import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runImport } from '../run.js';
import { silentProgress } from '../types.js';
import { Store } from '../../store/store.js';
import { lookup } from '../../lookup.js';
import { MedCodesError } from '../../errors.js';
import { icd9Category, icd9cmImporter, icd9Effective, icd9Notice } from './import.js';

/** The parser's fixtures: 13 diagnoses and 5 procedures of the real v32 files, long and short. */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/icd9cm/', import.meta.url));
const FILES = ['CMS32_DESC_LONG_DX.txt', 'CMS32_DESC_SHORT_DX.txt', 'CMS32_DESC_LONG_SG.txt', 'CMS32_DESC_SHORT_SG.txt'].map((f) =>
  join(FIXTURES, f),
);

const dir = mkdtempSync(join(tmpdir(), 'medcodes-icd9-'));
const importInto = (db: string, inputs: string[]) =>
  runImport({ db, inputs, progress: silentProgress, importers: [icd9cmImporter], incremental: false });
let store: Store;

beforeAll(async () => {
  const summaries = await importInto(join(dir, 'i.db'), FILES);
  expect(summaries.map((s) => [s.system, s.version, s.imported.codes])).toEqual([
    ['icd9cm', 'v32', 13],
    ['icd9pcs', 'v32', 5],
  ]);
  store = new Store(join(dir, 'i.db'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ICD-9-CM import', () => {
  it('writes dotted codes with undotted keys, long and short titles', () => {
    expect(lookup(store, 'icd9cm', '001.0')).toMatchObject({
      code: '001.0',
      display: 'Cholera due to vibrio cholerae',
      shortDisplay: 'Cholera d/t vib cholerae',
      kind: 'code',
      billable: true,
      status: 'active',
      version: 'v32',
    });
    expect(lookup(store, 'icd9cm', '0010').code).toBe('001.0');
    // ISO-8859-1 text read as such.
    expect(lookup(store, 'icd9cm', '041.3').display).toBe(
      "Friedländer's bacillus infection in conditions classified elsewhere and of unspecified site",
    );
    expect(lookup(store, 'icd9pcs', '00.01')).toMatchObject({
      code: '00.01',
      display: 'Therapeutic ultrasound of vessels of head and neck',
      shortDisplay: 'Ther ult head & neck ves',
    });
    expect(store.get('icd9pcs', '0001')?.system).toBe('icd9pcs');
    expect(store.get('icd9cm', '0001')).toBeUndefined();
  });

  it('invents no headers: a code that is its own category is kind category, all are top-level', () => {
    expect(lookup(store, 'icd9cm', '024')).toMatchObject({ kind: 'category', billable: true, parents: [] });
    expect(store.roots('icd9cm')).toHaveLength(13);
    expect(store.roots('icd9pcs').map((r) => r.code)).toEqual(['00.01', '00.02', '00.03', '01.6', '99.99']);
    // 024, E030 (E codes: 4-character categories) and V08.
    expect(store.counts().icd9cm.byKind).toEqual({ category: 3, code: 10 });
    expect(lookup(store, 'icd9cm', 'E030').kind).toBe('category');
  });

  it('records the release as retired, with its notice on every code', () => {
    const rel = store.releases().find((r) => r.system === 'icd9cm')!;
    expect(rel).toMatchObject({ version: 'v32', effective: '2014-10-01', notice: icd9Notice('v32') });
    expect(rel.notice).toMatch(/^ICD-9-CM is retired: since October 1, 2015 ICD-10-CM \(diagnoses\) and ICD-10-PCS/);
    expect(lookup(store, 'icd9pcs', '99.99').notice).toBe(icd9Notice('v32'));
  });
});

describe('ICD-9-CM rules', () => {
  it('finds the category a code would hang under', () => {
    expect(icd9Category('25000', 'diagnosis')).toBe('250');
    expect(icd9Category('E8490', 'diagnosis')).toBe('E849');
    expect(icd9Category('E849', 'diagnosis')).toBeUndefined();
    expect(icd9Category('V0382', 'diagnosis')).toBe('V03');
    expect(icd9Category('024', 'diagnosis')).toBeUndefined();
    expect(icd9Category('0001', 'procedure')).toBe('00');
  });

  it('dates CMS release numbers', () => {
    expect(icd9Effective(32)).toBe('2014-10-01');
    expect(icd9Effective(23)).toBe('2005-10-01');
    expect(icd9Effective(12)).toBeUndefined();
  });
});

describe('ICD-9-CM input checks', () => {
  it('imports one kind alone', async () => {
    const summaries = await importInto(join(dir, 'dx.db'), FILES.slice(0, 2));
    expect(summaries.map((s) => s.system)).toEqual(['icd9cm']);
  });

  it('needs the long and the short file of a kind', async () => {
    const err = await importInto(join(dir, 'half.db'), [FILES[0]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as Error).message).toBe(
      'ICD-9-CM diagnoses need the long and the short descriptions of release 32: no CMS32_DESC_SHORT_DX.txt, given CMS32_DESC_LONG_DX.txt',
    );
  });

  it('imports the newest release of several', async () => {
    const d = mkdtempSync(join(dir, 'icd9-old-'));
    for (const f of FILES.slice(0, 2)) copyFileSync(f, join(d, f.split('/').pop()!.replace('CMS32', 'CMS31')));
    const [s] = await importInto(join(d, 'o.db'), [...FILES.slice(0, 2), d]);
    expect(s).toMatchObject({ version: 'v32', skipped: { 'files of older releases': 2 } });
    rmSync(d, { recursive: true, force: true });
  });

  it('refuses a broken line, naming file and line, and keeps the database', async () => {
    const d = mkdtempSync(join(dir, 'icd9-bad-'));
    const db = join(d, 'i.db');
    await importInto(db, FILES);
    const before = readFileSync(db);
    const lines = readFileSync(FILES[0], 'latin1').split('\n');
    lines[2] = `0019Cholera, unspecified`;
    writeFileSync(join(d, 'CMS32_DESC_LONG_DX.txt'), lines.join('\n'), 'latin1');
    copyFileSync(FILES[1], join(d, 'CMS32_DESC_SHORT_DX.txt'));
    const err = await importInto(db, [join(d, 'CMS32_DESC_LONG_DX.txt'), join(d, 'CMS32_DESC_SHORT_DX.txt')]).catch((e: unknown) => e);
    expect((err as MedCodesError).code).toBe('parse_error');
    expect((err as Error).message).toMatch(/^CMS32_DESC_LONG_DX\.txt, line 3: /);
    expect(readFileSync(db).equals(before)).toBe(true);
    rmSync(d, { recursive: true, force: true });
  });
});
