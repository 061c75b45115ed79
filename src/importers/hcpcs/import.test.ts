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
import { readHcpcsXlsx } from './xlsx.js';
import { hcpcsHistory, hcpcsImporter, hcpcsProperties, MODIFIERS_KEY } from './import.js';

/**
 * The fixtures are the parser's: 14 records of the real October 2025 file (3 modifiers, AA GD K2, GD
 * terminated 2019-12-31; 11 procedure codes of which C9088 and C9248 terminated 2025-09-30 and G0464
 * 2015-12-31), as the spreadsheet and as the same rows in the text edition's layout.
 */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hcpcs/', import.meta.url));
const XLSX = join(FIXTURES, 'HCPC2025_OCT_ANWEB-slice.xlsx');
const TXT = join(FIXTURES, 'HCPC2025_OCT_ANWEB-slice.txt');
const DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'medcodes-hcpcs-'));
const importInto = (db: string, inputs: string[]) =>
  runImport({ db, inputs, progress: silentProgress, importers: [hcpcsImporter], incremental: false });
let store: Store;

beforeAll(async () => {
  const [s] = await importInto(join(dir, 'x.db'), [XLSX]);
  expect(s).toMatchObject({
    system: 'hcpcs',
    version: '2025-10',
    imported: { codes: 11, active: 8, deleted: 3, modifiers: 3, activeModifiers: 2, groups: 7 },
  });
  store = new Store(join(dir, 'x.db'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every stored row of the system, without the row id, for comparing two imports. */
function dump(s: Store) {
  return {
    codes: s.db
      .prepare(
        "SELECT system, key, code, display, short_display, kind, billable, status, parent_key, sort, version, properties FROM codes WHERE system = 'hcpcs' ORDER BY key",
      )
      .all(),
    history: s.db.prepare("SELECT * FROM history WHERE system = 'hcpcs' ORDER BY key, version, action").all(),
    releases: s.db.prepare('SELECT system, version, effective, notice, counts FROM releases').all(),
  };
}

describe('HCPCS import of the spreadsheet', () => {
  it('writes procedure codes under their letter and modifiers under one group', () => {
    const doc = lookup(store, 'hcpcs', 'e0210');
    expect(doc).toMatchObject({
      code: 'E0210',
      display: 'Electric heat pad, standard',
      shortDisplay: 'Electric heat pad standard',
      kind: 'code',
      billable: true,
      status: 'active',
      version: '2025-10',
    });
    expect(doc.parents).toEqual([
      { system: 'hcpcs', code: 'E', display: 'HCPCS Level II codes beginning with E', kind: 'group', billable: false, status: 'active' },
    ]);
    const mod = lookup(store, 'hcpcs', 'K2');
    expect(mod).toMatchObject({ kind: 'modifier', billable: false, status: 'active' });
    expect(mod.display).toMatch(/^Lower extremity prosthesis functional level 2 - has the ability or potential for ambulation/);
    expect(mod.parents.map((p) => p.code)).toEqual(['Modifiers']);
    expect(store.roots('hcpcs').map((r) => r.key)).toEqual([MODIFIERS_KEY, 'A', 'C', 'E', 'G', 'J', 'L']);
    expect(lookup(store, 'hcpcs', 'modifiers').children.map((c) => c.code)).toEqual(['AA', 'K2']);
    expect(lookup(store, 'hcpcs', 'C').properties).toEqual({ first: 'C1742', last: 'C9248', count: 3 });
  });

  it('keeps terminated codes as deleted, with the date they stopped and their cross-references', () => {
    const c9088 = lookup(store, 'hcpcs', 'C9088');
    expect(c9088).toMatchObject({ status: 'deleted', billable: false });
    expect(c9088.history).toEqual([
      { version: '2022-01-01', action: 'added' },
      { version: '2025-10-01', action: 'deleted', display: 'Instillation, bupivacaine and meloxicam, 1 mg/0.03 mg' },
    ]);
    // Crosswalked to a CPT code, which MedCodes does not hold: the key is kept, with no title.
    expect(lookup(store, 'hcpcs', 'G0464').history.at(-1)).toMatchObject({
      version: '2016-01-01',
      action: 'deleted',
      replacedBy: [{ code: '81528' }],
    });
    expect(lookup(store, 'hcpcs', 'GD')).toMatchObject({ kind: 'modifier', status: 'deleted' });
    // A deleted code is not offered among its group's children.
    expect(lookup(store, 'hcpcs', 'C').children.map((c) => c.code)).toEqual(['C1742']);
  });

  it('dates additions and reactivations, with a title only where the file proves it', () => {
    expect(lookup(store, 'hcpcs', 'L6034').history).toEqual([
      { version: '2025-10-01', action: 'added', display: expect.stringMatching(/^Partial hand, finger, and thumb prosthesis/) },
    ]);
    expect(lookup(store, 'hcpcs', 'J0570').history).toEqual([
      { version: '2017-01-01', action: 'added' },
      { version: '2025-10-01', action: 'reactivated', display: 'Buprenorphine implant, 74.2 mg' },
    ]);
  });

  it('stores every field, coded ones decoded', () => {
    const a6515 = lookup(store, 'hcpcs', 'A6515').properties!;
    // Pricing indicator 40 and BETOS O1L postdate the 2019 layout: kept, without a meaning.
    expect(a6515.pricingIndicators).toEqual([{ code: '40' }]);
    expect(a6515.betos).toEqual({ code: 'O1L' });
    const g0103 = lookup(store, 'hcpcs', 'G0103').properties!;
    expect(g0103).toMatchObject({
      recordType: { code: '3', meaning: 'Procedure code' },
      coverageIssuesManual: expect.any(Array),
      labCertifications: expect.arrayContaining([
        expect.objectContaining({ code: expect.stringMatching(/^\d{3}$/), meaning: expect.any(String) }),
      ]),
      processingNote: expect.stringMatching(/^\d{4}$/),
      addedDate: '2000-01-01',
      actionCode: { code: 'N', meaning: 'No maintenance for this code' },
    });
    expect(lookup(store, 'hcpcs', 'A0021').properties!.crossReferences).toEqual(['A0030']);
    expect(lookup(store, 'hcpcs', 'AA').properties).not.toHaveProperty('ascPaymentGroup');
    expect(store.releases()).toEqual([expect.objectContaining({ system: 'hcpcs', version: '2025-10', effective: '2025-10-01' })]);
  });
});

describe('the text edition and the choice between files', () => {
  it('gives exactly what the spreadsheet gives', async () => {
    await importInto(join(dir, 't.db'), [TXT]);
    const t = new Store(join(dir, 't.db'));
    const fromText = dump(t);
    t.close();
    expect(fromText.codes).toHaveLength(14 + 7);
    expect(fromText).toEqual(dump(store));
  });

  it('imports one edition of a release: the spreadsheet', async () => {
    const [s] = await importInto(join(dir, 'both.db'), [TXT, XLSX]);
    expect(s.skipped).toEqual({ 'older or duplicate release files': 1 });
    expect(s.imported.codes).toBe(11);
  });

  it('claims official names, renamed files by their content, and the record layout', async () => {
    const d = mkdtempSync(join(dir, 'hcpcs-claim-'));
    copyFileSync(XLSX, join(d, 'codes.xlsx'));
    copyFileSync(TXT, join(d, 'codes.txt'));
    expect(await hcpcsImporter.claim(XLSX)).toBe(true);
    expect(await hcpcsImporter.claim(TXT)).toBe(true);
    expect(await hcpcsImporter.claim(join(d, 'codes.xlsx'))).toBe(true);
    expect(await hcpcsImporter.claim(join(d, 'codes.txt'))).toBe(true);
    expect(await hcpcsImporter.claim(join(DATA, 'hcpcs/2025-10/2019-HCPCS-Record-Layout.zip'))).toBe(true);
    expect(await hcpcsImporter.claim(join(DATA, 'icd10cm/2026-extras/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx'))).toBe(false);
    expect(await hcpcsImporter.claim(join(FIXTURES, '../gems/2018_I9gem.txt'))).toBe(false);
    // Without a date in the name the release is dated by the newest action date in it (2025-10-01).
    const [s] = await importInto(join(d, 'r.db'), [join(d, 'codes.xlsx'), join(DATA, 'hcpcs/2025-10/2019-HCPCS-Record-Layout.zip')]);
    expect(s).toMatchObject({ version: '2025-10', skipped: { 'record layout documents': 1 } });
    rmSync(d, { recursive: true, force: true });
  });
});

describe('broken HCPCS input', () => {
  async function expectRefused(name: string, content: Buffer | string, message: RegExp) {
    const d = mkdtempSync(join(dir, 'hcpcs-bad-'));
    const db = join(d, 'h.db');
    await importInto(db, [XLSX]);
    const before = readFileSync(db);
    writeFileSync(join(d, name), content);
    const err = await importInto(db, [join(d, name)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as Error).message).toMatch(message);
    expect(readFileSync(db).equals(before)).toBe(true);
    rmSync(d, { recursive: true, force: true });
  }

  it('a truncated spreadsheet', async () => {
    await expectRefused(
      'HCPC2025_OCT_ANWEB.xlsx',
      readFileSync(XLSX).subarray(0, 4000),
      /HCPC2025_OCT_ANWEB\.xlsx: truncated or corrupt xlsx workbook/,
    );
  });

  it('a text record of the wrong length, naming file and line', async () => {
    const lines = readFileSync(TXT, 'latin1').split('\r\n');
    lines[5] = lines[5].slice(0, 300);
    await expectRefused(
      'HCPC2025_OCT_ANWEB.txt',
      lines.join('\r\n'),
      /HCPC2025_OCT_ANWEB\.txt, line 6: the line is 300 characters long; the HCPCS record layout has 320/,
    );
  });
});

describe('hcpcsHistory and hcpcsProperties', () => {
  it('writes a revision for a changed description (action codes B, C, S)', async () => {
    const [j7518] = (await readHcpcsXlsx(readFileSync(XLSX), { effective: '2025-10-01' })).filter((r) => r.code === 'J7518');
    const revised = { ...j7518, actionCode: 'C', actionEffectiveDate: '2025-10-01' };
    expect(hcpcsHistory(revised, 'J7518', 'active')).toEqual([
      { system: 'hcpcs', key: 'J7518', version: '2005-01-01', action: 'added' },
      { system: 'hcpcs', key: 'J7518', version: '2025-10-01', action: 'revised', display: j7518.longDescription },
    ]);
    // As filed (action N, added and last changed 2005-01-01): the added event carries the title.
    expect(hcpcsHistory(j7518, 'J7518', 'active')).toEqual([
      { system: 'hcpcs', key: 'J7518', version: '2005-01-01', action: 'added', display: j7518.longDescription },
    ]);
    expect(hcpcsProperties(j7518).carriersManual).toHaveLength(3);
  });
});
