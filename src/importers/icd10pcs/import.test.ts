import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runImport } from '../run.js';
import { silentProgress, type ImportSummary } from '../types.js';
import { Store } from '../../store/store.js';
import { MedCodesError } from '../../errors.js';
import { icd10pcsImporter, parsePcsOrderFile } from './import.js';
import { isPcsTableStructure, pcsCodeAxes } from './builder.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * Real slices of the official files: the FY2025 and FY2026 order-file rows of tables 001, 0DT, D70,
 * X2A and XNS (X2A lost four codes in FY2026, XNS gained 32), the FY2026 Tables XML of those tables,
 * a slice of the Definitions XML and a few main terms of the FY2025 Index.
 */
const RELEASE = `${root}test/fixtures/icd10pcs/release`;
const tmp = mkdtempSync(join(tmpdir(), 'medcodes-pcs-'));
const db = join(tmp, 'pcs.db');

let summary: ImportSummary;
let store: Store;
beforeAll(async () => {
  [summary] = await runImport({ db, inputs: [RELEASE], progress: silentProgress, importers: [icd10pcsImporter], incremental: false });
  store = new Store(db);
});
afterAll(() => {
  store?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const importInto = (inputs: string[], target = join(tmp, `x${Math.random().toString(36).slice(2)}.db`)) =>
  runImport({ db: target, inputs, progress: silentProgress, importers: [icd10pcsImporter], incremental: false });

/** A copy of the fixture release with one file replaced (or removed, when content is undefined). */
function releaseWith(name: string, content?: string): string {
  const d = mkdtempSync(join(tmp, 'release-'));
  for (const f of readdirSync(RELEASE)) if (f !== name) copyFileSync(join(RELEASE, f), join(d, f));
  if (content !== undefined) writeFileSync(join(d, name), content);
  return d;
}

async function refusal(p: Promise<unknown>): Promise<MedCodesError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MedCodesError);
  return e as MedCodesError;
}

describe('importing slices of the official ICD-10-PCS files', () => {
  it('reports what it wrote', () => {
    expect(summary.system).toBe('icd10pcs');
    expect(summary.version).toBe('FY2026');
    expect(summary.imported).toEqual({
      codes: 377,
      billable: 372,
      tables: 5,
      sections: 3,
      bodySystems: 5,
      deleted: 4,
      decomposed: 372,
      valueDefinitions: 12,
      indexTerms: 10,
      indexTermsOnTables: 9,
      indexTermsFromReferences: 3,
      indexReferences: 7,
      historyEvents: 385,
    });
    expect(summary.skipped).toEqual({
      'index terms without a code (headings)': 6,
      // 10A, 0JH, 0DB and 009 are tables of other slices.
      'index tables not in the current release': 4,
      // 10A07ZX, 10A07ZW, 10A07Z6, and X2A5312 and X2A6325, deleted in FY2026.
      'index codes not in the current release': 5,
    });
    const c = store.counts().icd10pcs;
    expect(c).toMatchObject({ billable: 372, deleted: 4, byKind: { chapter: 3, block: 5, table: 5, code: 376 } });
  });

  it('builds the hierarchy section > body system > table > code', () => {
    const code = store.get('icd10pcs', '0DTJ4ZZ')!;
    expect(code).toMatchObject({
      display: 'Resection of Appendix, Percutaneous Endoscopic Approach',
      kind: 'code',
      billable: true,
      status: 'active',
      version: 'FY2026',
    });
    expect(store.ancestors(code).map((r) => [r.key, r.kind, r.display])).toEqual([
      ['0', 'chapter', 'Medical and Surgical'],
      ['0D', 'block', 'Gastrointestinal System'],
      ['0DT', 'table', 'Gastrointestinal System, Resection'],
    ]);
    expect(store.roots('icd10pcs').map((r) => r.key)).toEqual(['0', 'D', 'X']);
    expect(store.children('icd10pcs', 'X').map((r) => [r.key, r.display])).toEqual([
      ['X2', 'Cardiovascular System'],
      ['XN', 'Bones'],
    ]);
    expect(
      store
        .children('icd10pcs', '0DT')
        .slice(0, 2)
        .map((r) => r.key),
    ).toEqual(['0DT10ZZ', '0DT14ZZ']);
    expect(store.get('icd10pcs', '0')!.properties).toEqual({ axis: 'Section' });
  });

  it('stores each table once with its rows and definitions, and per code only its row and labels', () => {
    const table = store.get('icd10pcs', '0DT')!;
    expect(isPcsTableStructure(table.properties)).toBe(true);
    const t = table.properties as never as Parameters<typeof pcsCodeAxes>[1];
    expect(t.rows).toHaveLength(6);
    expect(t.validCodes).toBe(106);
    expect(t.definitions['3'].Resection.definition).toBe('Cutting out or off, without replacement, all of a body part');
    expect(store.get('icd10pcs', '0DTJ4ZZ')!.properties).toEqual({
      row: 2,
      labels: ['Appendix', 'Percutaneous Endoscopic', 'No Device', 'No Qualifier'],
    });
    const axes = pcsCodeAxes('0DTJ4ZZ', t)!;
    expect(axes[2]).toMatchObject({
      pos: 3,
      axis: 'Operation',
      char: 'T',
      label: 'Resection',
      definition: 'Cutting out or off, without replacement, all of a body part',
    });
    expect(axes[3]).toMatchObject({ label: 'Appendix', includes: ['Appendiceal orifice', 'Vermiform appendix'] });
    // Every active code's stored labels are what its table decomposes it to.
    for (const r of store.db
      .prepare("SELECT key, properties FROM codes WHERE system = 'icd10pcs' AND kind = 'code' AND status = 'active'")
      .all() as { key: string; properties: string }[]) {
      const tbl = store.get('icd10pcs', r.key.slice(0, 3))!.properties as never as Parameters<typeof pcsCodeAxes>[1];
      expect(
        pcsCodeAxes(r.key, tbl)!
          .slice(3)
          .map((a) => a.label),
      ).toEqual(JSON.parse(r.properties).labels);
    }
  });

  it('keeps history and deleted codes', () => {
    expect(store.history('icd10pcs', 'XNS40GA')).toEqual([
      {
        version: 'FY2026',
        action: 'added',
        display:
          'Reposition Right Humeral Shaft with Ring External Fixation Device with Automated Strut Adjustment, Open Approach, New Technology Group 10',
      },
    ]);
    const gone = store.get('icd10pcs', 'X2A5312')!;
    expect(gone).toMatchObject({
      status: 'deleted',
      kind: 'code',
      parentKey: 'X2A',
      version: 'FY2025',
      properties: { deletedIn: 'FY2026' },
    });
    expect(store.history('icd10pcs', 'X2A5312').map((h) => `${h.version} ${h.action}`)).toEqual(['FY2025 added', 'FY2026 deleted']);
    // Deleted codes sort right after the row that preceded them in their last order file and still exists.
    expect(store.children('icd10pcs', 'X2A', true).map((r) => r.key)).toEqual([
      'X2A5312',
      'X2A6325',
      'X2A7358',
      'X2AH336',
      'X2AJ336',
      'X2AH34B',
      'X2AJ34B',
      'X2AK34B',
      'X2AL34B',
    ]);
    expect(store.children('icd10pcs', 'X2A').map((r) => r.key)).toEqual(['X2A7358', 'X2AH34B', 'X2AJ34B', 'X2AK34B', 'X2AL34B']);
  });

  it('puts index terms on the codes and tables they name, and keeps see / use references', () => {
    expect(store.indexTerms('icd10pcs', '0DT').map((t) => t.path)).toEqual([
      'Appendectomy',
      'Hemicolectomy',
      'Resection, Anus',
      'Resection, Appendix',
    ]);
    expect(store.indexTerms('icd10pcs', 'X2A7358')).toEqual([
      { path: 'Intermittent Coronary Sinus Occlusion', source: 'index', version: 'FY2025' },
    ]);
    expect(store.indexTerms('icd10pcs', 'XNS').map((t) => t.path)).toEqual([
      'Magnetically Controlled Growth Rod(s), Cervical',
      'Magnetically Controlled Growth Rod(s), Lumbar',
      'Magnetically Controlled Growth Rod(s), Thoracic',
    ]);
    expect(store.indexTerms('icd10pcs', '001').map((t) => t.path)).toEqual(['Ventriculostomy, Internal shunt']);
    const refs = store.db.prepare("SELECT path, kind, target FROM index_refs WHERE system = 'icd10pcs' ORDER BY rowid").all();
    expect(refs).toContainEqual({ path: 'Abdominal aortic plexus', kind: 'use', target: 'Abdominal Sympathetic Nerve' });
    expect(refs).toContainEqual({ path: 'Appendectomy', kind: 'see', target: 'Resection, Appendix' });
    expect(refs).toHaveLength(7);
  });

  it('records the release', () => {
    expect(store.releases().find((r) => r.system === 'icd10pcs')).toMatchObject({
      version: 'FY2026',
      effective: '2025-10-01',
      uri: 'http://www.cms.gov/Medicare/Coding/ICD10',
    });
  });
});

describe('claiming files', () => {
  it('takes the PCS files by official name and the order files out of the CMS zip', async () => {
    expect(await icd10pcsImporter.claim(`${root}data/icd10pcs/order/cms_2026_pr.zip`)).toBe(true);
    // FY2021's zip keeps its order file in a folder.
    expect(await icd10pcsImporter.claim(`${root}data/icd10pcs/order/cms_2021_pr.zip`)).toBe(true);
    expect(await icd10pcsImporter.claim(`${RELEASE}/icd10pcs_tables_2026.xml`)).toBe(true);
    expect(await icd10pcsImporter.claim(`${root}data/icd10cm/order/cms_2026_dx.zip`)).toBe(false);
    expect(await icd10pcsImporter.claim(`${root}data/gems/gem_i9pcs.txt`)).toBe(false);
    expect(await icd10pcsImporter.claim(`${root}test/fixtures/icd10pcs/icd10pcs_tables_2026-slice.xml`)).toBe(false);
  });
});

describe('an import with fewer files', () => {
  it('without the Tables XML: tables stay top-level and codes are not decomposed', async () => {
    const d = mkdtempSync(join(tmp, 'orders-'));
    copyFileSync(join(RELEASE, 'icd10pcs_order_2026.txt'), join(d, 'icd10pcs_order_2026.txt'));
    const target = join(tmp, 'orders.db');
    const [s] = await importInto([d], target);
    expect(s.imported).toMatchObject({ codes: 377, sections: 0, decomposed: 0, indexTerms: 0, historyEvents: 377 });
    const st = new Store(target);
    expect(st.get('icd10pcs', '0DT')).toMatchObject({ parentKey: null, properties: null });
    expect(st.get('icd10pcs', '0DTJ4ZZ')).toMatchObject({ parentKey: '0DT', properties: null });
    st.close();
  });

  it('refuses XML files without an order file', async () => {
    const e = await refusal(importInto([join(RELEASE, 'icd10pcs_tables_2026.xml')]));
    expect(e.code).toBe('unknown_format');
    expect(e.message).toMatch(/ICD-10-PCS needs at least one order file .*got icd10pcs_tables_2026\.xml/);
  });
});

describe('broken input', () => {
  const order2026 = readFileSync(join(RELEASE, 'icd10pcs_order_2026.txt'), 'latin1');
  const lines = order2026.split('\n');

  it('a code that is not a PCS table or code, naming file and line', async () => {
    const bad = [...lines];
    bad[2] = `${bad[2].slice(0, 6)}00160  ${bad[2].slice(13)}`;
    const e = await refusal(importInto([releaseWith('icd10pcs_order_2026.txt', bad.join('\n'))]));
    expect(e.code).toBe('parse_error');
    expect(e.message).toBe(
      'icd10pcs_order_2026.txt, line 3: "00160" is neither an ICD-10-PCS table (3 characters) nor a code (7 characters) of 0-9 and A-Z without I and O',
    );
  });

  it('a code with the letter O, and a header flagged valid', async () => {
    const withO = [...lines];
    withO[1] = `${withO[1].slice(0, 6)}00160O0${withO[1].slice(13)}`;
    expect((await refusal(importInto([releaseWith('icd10pcs_order_2026.txt', withO.join('\n'))]))).message).toMatch(
      /line 2: "00160O0" is neither/,
    );
    const flagged = [...lines];
    flagged[0] = `${flagged[0].slice(0, 14)}1${flagged[0].slice(15)}`;
    expect((await refusal(importInto([releaseWith('icd10pcs_order_2026.txt', flagged.join('\n'))]))).message).toBe(
      'icd10pcs_order_2026.txt, line 1: table header "001" is flagged valid (1); headers are flagged 0',
    );
  });

  it('a line that is not in the order-file layout', async () => {
    const e = await refusal(importInto([releaseWith('icd10pcs_order_2026.txt', `${order2026}\nnot an order file row\n`)]));
    expect(e.message).toBe('icd10pcs_order_2026.txt, line 379: line is 21 characters, shorter than the order-file layout (78 or more)');
  });

  it('an order file and a Tables XML of the same year that disagree', async () => {
    // Drop 0DTJ4ZZ, and turn the header of X2A into a header of a table the XML does not have.
    const changed = lines
      .filter((l) => !/^\d{5} 0DTJ4ZZ /.test(l))
      .map((l) => (/^\d{5} X2A {5}0/.test(l) ? l.replace(' X2A ', ' X2B ') : l));
    const e = await refusal(importInto([releaseWith('icd10pcs_order_2026.txt', changed.join('\n'))]));
    expect(e.code).toBe('check_failed');
    expect(e.message).toBe(
      'ICD-10-PCS FY2026: icd10pcs_tables_2026.xml and icd10pcs_order_2026.txt disagree: 1 codes of the table rows are not in the order file (0DTJ4ZZ); ' +
        '1 table headers of the order file have no table (X2B); 1 tables have no header row in the order file (X2A)',
    );
  });

  it('a truncated Tables XML, naming file and line', async () => {
    const xml = readFileSync(join(RELEASE, 'icd10pcs_tables_2026.xml'), 'utf8');
    const cut = xml.slice(0, xml.indexOf('<label code="J">Appendix</label>'));
    const e = await refusal(importInto([releaseWith('icd10pcs_tables_2026.xml', cut)]));
    expect(e.code).toBe('parse_error');
    expect(e.message).toMatch(new RegExp(`^icd10pcs_tables_2026\\.xml, line ${cut.split('\n').length}.*truncated`));
  });

  it('a Tables XML that lists a table twice', async () => {
    const xml = readFileSync(join(RELEASE, 'icd10pcs_tables_2026.xml'), 'utf8');
    const x2a = / {2}<pcsTable>(?:(?!<\/pcsTable>)[\s\S])*?<label code="A">Assistance<\/label>[\s\S]*?<\/pcsTable>\n/.exec(xml)![0];
    const twice = xml.replace(x2a, x2a + x2a);
    const e = await refusal(importInto([releaseWith('icd10pcs_tables_2026.xml', twice)]));
    expect(e.message).toBe(
      `icd10pcs_tables_2026.xml, line ${twice.slice(0, twice.lastIndexOf(x2a)).split('\n').length}: table X2A appears twice`,
    );
  });

  it('an Index XML that is another file', async () => {
    const defs = readFileSync(join(RELEASE, 'icd10pcs_definitions_2026.xml'), 'utf8');
    const e = await refusal(importInto([releaseWith('icd10pcs_index_2025.xml', defs)]));
    expect(e.message).toMatch(/^icd10pcs_index_2025\.xml, line 2: root element is <ICD10PCS\.definitions>, expected <ICD10PCS\.index>/);
  });

  it('two order files of one year', async () => {
    const d = mkdtempSync(join(tmp, 'twice-'));
    for (const sub of ['a', 'b']) {
      mkdirSync(join(d, sub));
      copyFileSync(join(RELEASE, 'icd10pcs_order_2026.txt'), join(d, sub, 'icd10pcs_order_2026.txt'));
    }
    expect((await refusal(importInto([d]))).message).toBe('two order files for FY2026: icd10pcs_order_2026.txt');
  });
});

describe('parsePcsOrderFile', () => {
  it('reads headers and codes of the PCS order file', () => {
    const recs = parsePcsOrderFile(readFileSync(join(RELEASE, 'icd10pcs_order_2026.txt'), 'latin1'), 'o.txt');
    expect(recs[0]).toEqual({
      order: 1,
      code: '001',
      valid: false,
      line: 1,
      shortTitle: 'Central Nervous System and Cranial Nerves, Bypass',
      longTitle: 'Central Nervous System and Cranial Nerves, Bypass',
    });
    expect(recs.filter((r) => !r.valid).map((r) => r.code)).toEqual(['001', '0DT', 'D70', 'X2A', 'XNS']);
  });

  it('refuses a 7-character code flagged 0', () => {
    const text = readFileSync(join(RELEASE, 'icd10pcs_order_2026.txt'), 'latin1').split('\n');
    text[1] = `${text[1].slice(0, 14)}0${text[1].slice(15)}`;
    expect(() => parsePcsOrderFile(text.join('\n'), 'o.txt')).toThrow(
      'o.txt, line 2: code "0016070" is flagged 0; every 7-character ICD-10-PCS code is valid (1)',
    );
  });
});
