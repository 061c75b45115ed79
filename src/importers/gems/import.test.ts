import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runImport } from '../run.js';
import { silentProgress } from '../types.js';
import { Store } from '../../store/store.js';
import { lookup } from '../../lookup.js';
import { MedCodesError } from '../../errors.js';
import { icd10cmImporter } from '../icd10cm/import.js';
import { icd9cmImporter } from '../icd9cm/import.js';
import { gemsImporter, gemVersion, GEM_SOURCE } from './import.js';

/**
 * Fixtures: the GEM parser's slices of the four 2018 files (16 + 15 + 48 + 7 rows), with the ICD-10-CM
 * importer's release slice (A00.0, E11.9, ...) and the ICD-9-CM slice (001.0, ...) for the codes at
 * either end.
 */
const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const GEMS = root('test/fixtures/gems');
const ICD10CM = root('test/fixtures/icd10cm/release');
const ICD9 = root('test/fixtures/icd9cm');
const DATA = root('data');

const dir = mkdtempSync(join(tmpdir(), 'medcodes-gems-'));
const db = join(dir, 'g.db');
let store: Store;

beforeAll(async () => {
  // GEMs last: each importer first clears its own systems, mappings to and from them included.
  const summaries = await runImport({
    db,
    inputs: [ICD10CM, ICD9, GEMS],
    progress: silentProgress,
    importers: [icd10cmImporter, icd9cmImporter, gemsImporter],
    incremental: false,
  });
  expect(summaries.filter((s) => s.version.startsWith('GEMs')).map((s) => [s.system, s.version, s.imported])).toEqual([
    ['icd10cm', 'GEMs 2018', { 'mappings to icd9cm': 15, 'no-map rows': 1 }],
    ['icd9cm', 'GEMs 2018', { 'mappings to icd10cm': 14, 'no-map rows': 1 }],
    ['icd9pcs', 'GEMs undated', { 'mappings to icd10pcs': 47, 'no-map rows': 1 }],
    ['icd10pcs', 'GEMs undated', { 'mappings to icd9pcs': 5, 'no-map rows': 2 }],
  ]);
  store = new Store(db);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const flags = (approximate: boolean, noMap = false, combination = false, scenario = 0, choiceList = 0) => ({
  approximate,
  noMap,
  combination,
  scenario,
  choiceList,
});

describe('GEMs import', () => {
  it('shows a mapping on the code pages of both ends, in both directions', () => {
    const a000 = lookup(store, 'icd10cm', 'A00.0').mappings;
    expect(a000).toEqual([
      {
        direction: 'to',
        system: 'icd9cm',
        code: '001.0',
        display: 'Cholera due to vibrio cholerae',
        flags: flags(false),
        source: 'gems',
        version: '2018',
      },
      {
        direction: 'from',
        system: 'icd9cm',
        code: '001.0',
        display: 'Cholera due to vibrio cholerae',
        flags: flags(false),
        source: 'gems',
        version: '2018',
      },
    ]);
    expect(lookup(store, 'icd9cm', '001.0').mappings.map((m) => [m.direction, m.code, m.display])).toEqual([
      ['to', 'A00.0', 'Cholera due to Vibrio cholerae 01, biovar cholerae'],
      ['from', 'A00.0', 'Cholera due to Vibrio cholerae 01, biovar cholerae'],
    ]);
    // 250.00 is not in the ICD-9-CM slice: the code is shown in its dotted form, with no title.
    expect(lookup(store, 'icd10cm', 'E11.9').mappings.map((m) => [m.direction, m.system, m.code, m.display, m.flags])).toEqual([
      ['to', 'icd9cm', '250.00', undefined, flags(true)],
      ['from', 'icd9cm', '250.00', undefined, flags(true)],
    ]);
  });

  it('keeps combination flags as filed', () => {
    expect(store.mappings('icd9cm', '80022').map((m) => [m.key, m.flags])).toEqual([
      ['S020XXA', flags(true, false, true, 1, 1)],
      ...['S064X1A', 'S064X2A', 'S065X1A', 'S065X2A', 'S066X1A', 'S066X2A'].map((k) => [k, flags(true, false, true, 1, 2)]),
    ]);
    // The lower-case v5889 of the 2018 file is read as V5889.
    expect(store.mappings('icd10cm', 'T8853XD')[0]).toMatchObject({ direction: 'to', system: 'icd9cm', key: 'V5889' });
  });

  it('writes no-map rows with an empty target, so a page can say there is no equivalent', () => {
    expect(store.mappings('icd9cm', '7796')).toEqual([
      { direction: 'to', system: 'icd10cm', key: '', flags: flags(true, true), source: 'gems', version: '2018' },
    ]);
    expect(store.mappings('icd10cm', 'R29700')).toEqual([
      { direction: 'to', system: 'icd9cm', key: '', flags: flags(true, true), source: 'gems', version: '2018' },
    ]);
    expect(store.mappings('icd9pcs', '9051')[0]).toMatchObject({ key: '', flags: flags(true, true) });
    // gem_pcsi9.txt: NoI9 filed with no-map flag 0; a no-map row all the same, the filed flags kept.
    expect(store.mappings('icd10pcs', '02H40NZ')).toEqual([
      {
        direction: 'to',
        system: 'icd9pcs',
        key: '',
        flags: { ...flags(true, true), filedFlags: '10000' },
        source: 'gems',
        version: 'undated',
      },
    ]);
    expect(store.mappings('icd10pcs', 'XR2G021')[0].flags).toEqual(flags(true, true));
    // No code is ever the target of a no-map row.
    expect(store.db.prepare("SELECT count(*) AS n FROM mappings WHERE to_key = ''").get()).toEqual({ n: 5 });
  });

  it('replaces its mappings when imported again, and leaves other sources alone', async () => {
    const count = () => (store.db.prepare('SELECT count(*) AS n FROM mappings WHERE source = ?').get(GEM_SOURCE) as { n: number }).n;
    expect(count()).toBe(86);
    await runImport({
      db,
      inputs: [join(GEMS, '2018_I9gem.txt'), join(GEMS, 'gem_pcsi9.txt')],
      progress: silentProgress,
      importers: [gemsImporter],
      incremental: true,
    });
    const again = new Store(db);
    expect((again.db.prepare('SELECT count(*) AS n FROM mappings').get() as { n: number }).n).toBe(15 + 7);
    expect(again.get('icd10cm', 'E119')?.display).toBe('Type 2 diabetes mellitus without complications');
    again.close();
  });
});

describe('GEM files', () => {
  it('claims the four GEMs, bare or zipped, and nothing else', async () => {
    expect(await gemsImporter.claim(join(DATA, 'gems/Dxgem_2018.zip'))).toBe(true);
    expect(await gemsImporter.claim(join(DATA, 'gems/gem_i9pcs.txt'))).toBe(true);
    expect(await gemsImporter.claim(join(GEMS, '2018_I10gem.txt'))).toBe(true);
    expect(await gemsImporter.claim(join(DATA, 'icd9cm/ICD-9-CM-v32-master-descriptions.zip'))).toBe(false);
    expect(await gemsImporter.claim(join(ICD9, 'CMS32_DESC_LONG_DX.txt'))).toBe(false);
  });

  it('dates a GEM by its name, else by the data manifest', () => {
    expect(gemVersion({ file: '/x/Dxgem_2018.zip', member: '2018_I10gem.txt' })).toBe('2018');
    expect(gemVersion({ file: '/x/gems.zip', member: '2017 PCS GEMs/gem_i9pcs.txt' })).toBe('2017');
    expect(gemVersion({ file: join(DATA, 'gems/gem_pcsi9.txt') })).toBe('2018');
    expect(gemVersion({ file: join(GEMS, 'gem_pcsi9.txt') })).toBe('undated');
  });

  it('refuses two GEMs of one direction', async () => {
    const d = mkdtempSync(join(dir, 'gems-two-'));
    copyFileSync(join(GEMS, 'gem_i9pcs.txt'), join(d, '2018_gem_i9pcs.txt'));
    const err = await runImport({
      db: join(d, 'x.db'),
      inputs: [join(GEMS, 'gem_i9pcs.txt'), join(d, '2018_gem_i9pcs.txt')],
      progress: silentProgress,
      importers: [gemsImporter],
      incremental: false,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('two GEM files of the same direction (icd9pcs -> icd10pcs): gem_i9pcs.txt, 2018_gem_i9pcs.txt');
    rmSync(d, { recursive: true, force: true });
  });

  it('refuses a broken row, naming file and line, and keeps the database', async () => {
    const d = mkdtempSync(join(dir, 'gems-bad-'));
    const target = join(d, 'g.db');
    await runImport({ db: target, inputs: [GEMS], progress: silentProgress, importers: [gemsImporter], incremental: false });
    const before = readFileSync(target);
    const rows = readFileSync(join(GEMS, '2018_I9gem.txt'), 'latin1').split('\r\n');
    rows[3] = rows[3].slice(0, 12);
    writeFileSync(join(d, '2018_I9gem.txt'), rows.join('\r\n'));
    const err = await runImport({
      db: target,
      inputs: [join(d, '2018_I9gem.txt')],
      progress: silentProgress,
      importers: [gemsImporter],
      incremental: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as Error).message).toMatch(/^2018_I9gem\.txt, line 4: row is truncated/);
    expect(readFileSync(target).equals(before)).toBe(true);
    rmSync(d, { recursive: true, force: true });
  });
});
