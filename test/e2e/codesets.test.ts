import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImport } from '../../src/importers/run.js';
import { silentProgress } from '../../src/importers/types.js';
import type { ImportSummary } from '../../src/importers/types.js';
import { Store } from '../../src/store/store.js';
import { createApp } from '../../src/api/app.js';
import { SYSTEMS } from '../../src/systems.js';
import { icd10cmImporter } from '../../src/importers/icd10cm/import.js';
import { hcpcsImporter } from '../../src/importers/hcpcs/import.js';
import { icd9cmImporter, icd9Notice } from '../../src/importers/icd9cm/import.js';
import { nuccImporter } from '../../src/importers/nucc/import.js';
import { gemsImporter } from '../../src/importers/gems/import.js';
import { NUCC_NOTICE } from '../../src/importers/nucc/taxonomy.js';

/**
 * HCPCS, ICD-9-CM, NUCC and the GEMs imported from the real bundled files (checked against the data
 * manifest) into a database of their own, with ICD-10-CM's order files for the other end of the GEMs.
 * The GEMs come last: every importer first clears its own systems, mappings to and from them included.
 */
const dir = mkdtempSync(join(tmpdir(), 'medcodes-codesets-'));
const db = join(dir, 'codesets.db');
let summaries: ImportSummary[];
let store: Store;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  summaries = await runImport({
    db,
    inputs: ['data/icd10cm/order', 'data/hcpcs', 'data/icd9cm', 'data/nucc', 'data/gems'],
    progress: silentProgress,
    importers: [icd10cmImporter, hcpcsImporter, icd9cmImporter, nuccImporter, gemsImporter],
    incremental: false,
  });
  store = new Store(db);
  app = createApp({ store: () => store });
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as any };
};
const count = (sql: string, ...args: unknown[]) => (store.db.prepare(sql).get(...args) as { n: number }).n;

describe('HCPCS Level II, October 2025', () => {
  it('imports every code record and modifier of the spreadsheet', () => {
    expect(summaries.find((s) => s.system === 'hcpcs')).toMatchObject({
      version: '2025-10',
      imported: { codes: 8463, active: 7258, deleted: 1205, modifiers: 383, activeModifiers: 363, groups: 18 },
    });
    expect(count("SELECT count(*) AS n FROM codes WHERE system = 'hcpcs' AND kind = 'code'")).toBe(8463);
    expect(count("SELECT count(*) AS n FROM codes WHERE system = 'hcpcs' AND kind = 'code' AND status = 'active' AND billable = 1")).toBe(
      7258,
    );
    expect(count("SELECT count(*) AS n FROM codes WHERE system = 'hcpcs' AND kind = 'modifier'")).toBe(383);
    expect(store.releases().find((r) => r.system === 'hcpcs')).toMatchObject({ version: '2025-10', effective: '2025-10-01' });
  });

  it('serves E0143 with its decoded fields', async () => {
    const { status, body } = await get('/api/v1/codes/hcpcs/e0143');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      code: 'E0143',
      display: 'Walker, folding, wheeled, adjustable or fixed height',
      shortDisplay: 'Walker folding wheeled w/o s',
      kind: 'code',
      billable: true,
      status: 'active',
      version: '2025-10',
      parents: [{ code: 'E', kind: 'group' }],
      history: [{ version: '1986-01-01', action: 'added' }],
    });
    expect(body.properties).toEqual({
      recordType: { code: '3', meaning: 'Procedure code' },
      pricingIndicators: [
        {
          code: '32',
          meaning: 'Inexpensive & routinely purchased DME (price subject to floors and ceilings)',
          group: 'Durable Medical Equipment, Prosthetics, Orthotics, Supplies and Surgical Dressings',
        },
      ],
      multiplePricingIndicator: { code: 'A', meaning: 'Not applicable as HCPCS priced under one methodology' },
      coverageIssuesManual: ['60-9'],
      carriersManual: ['2100.1'],
      coverage: { code: 'D', meaning: 'Special coverage instructions apply' },
      ascPaymentGroup: { code: '', meaning: 'Not approved for ASC' },
      betos: { code: 'D1E', meaning: 'Other DME' },
      typesOfService: [
        { code: 'A', meaning: 'Used durable medical equipment (DME)' },
        { code: 'P', meaning: 'Lump sum purchase of DME, prosthetics, orthotics' },
        { code: 'R', meaning: 'Rental of DME' },
      ],
      anesthesiaBaseUnits: 0,
      addedDate: '1986-01-01',
      actionEffectiveDate: '2004-01-01',
      actionCode: { code: 'N', meaning: 'No maintenance for this code' },
    });
  });

  it('keeps terminated codes findable, as deleted', async () => {
    const { body } = await get('/api/v1/codes/hcpcs/C9088');
    expect(body).toMatchObject({
      status: 'deleted',
      billable: false,
      properties: { terminationDate: '2025-09-30', actionCode: { code: 'D' } },
    });
    expect(body.history.at(-1)).toEqual({
      version: '2025-10-01',
      action: 'deleted',
      display: 'Instillation, bupivacaine and meloxicam, 1 mg/0.03 mg',
    });
    // Terminated between releases (end of the COVID-19 public health emergency): deleted the day after.
    expect((await get('/api/v1/codes/hcpcs/G2023')).body.history.at(-1)).toMatchObject({ version: '2023-05-12', action: 'deleted' });
  });

  it('groups codes by letter and modifiers apart', async () => {
    expect(
      store
        .roots('hcpcs')
        .map((r) => r.key)
        .join(' '),
    ).toBe('MODIFIERS A B C E G H J K L M P Q R S T U V');
    const { body } = await get('/api/v1/codes/hcpcs/LT');
    expect(body).toMatchObject({
      kind: 'modifier',
      billable: false,
      status: 'active',
      display: 'Left side (used to identify procedures performed on the left side of the body)',
      parents: [{ code: 'Modifiers' }],
    });
  });
});

describe('ICD-9-CM v32', () => {
  it('imports every diagnosis and procedure', () => {
    expect(
      summaries
        .filter((s) => s.system === 'icd9cm' || s.system === 'icd9pcs')
        .filter((s) => !s.version.startsWith('GEMs'))
        .map((s) => [s.system, s.version, s.imported.codes]),
    ).toEqual([
      ['icd9cm', 'v32', 14567],
      ['icd9pcs', 'v32', 3882],
    ]);
    expect(store.counts().icd9cm.total).toBe(14567);
    expect(store.counts().icd9pcs.total).toBe(3882);
  });

  it('serves dotted codes of a retired system with its notice', async () => {
    const { body } = await get('/api/v1/codes/icd9cm/25000');
    expect(body).toMatchObject({
      code: '250.00',
      display: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
      version: 'v32',
      notice: icd9Notice('v32'),
    });
    expect((await get('/api/v1/codes/icd9cm/E849.0')).body.display).toBe('Home accidents');
    expect((await get('/api/v1/codes/icd9pcs/00.01')).body.shortDisplay).toBe('Ther ult head & neck ves');
    expect(SYSTEMS.icd9cm.retired && SYSTEMS.icd9pcs.retired).toBe(true);
  });
});

describe('NUCC Health Care Provider Taxonomy 25.1', () => {
  it('imports every code with the licence notice', async () => {
    expect(summaries.find((s) => s.system === 'nucc')).toMatchObject({
      version: '25.1',
      imported: { codes: 883, active: 855, inactive: 28, groupings: 29, classificationsWithoutCode: 6, specializationsUnderThem: 70 },
    });
    expect(count("SELECT count(*) AS n FROM codes WHERE system = 'nucc' AND kind = 'code'")).toBe(883);
    const { body } = await get('/api/v1/codes/nucc/207RR0500X');
    expect(body).toMatchObject({
      display: 'Rheumatology Physician',
      notice: NUCC_NOTICE,
      parents: [{ display: 'Allopathic & Osteopathic Physicians' }, { code: '207R00000X' }],
    });
    expect((await get('/api/v1/codes/nucc/2084P0800X')).body.parents.at(-1)).toMatchObject({
      code: 'C-PSYCHIATRY-NEUROLOGY',
      display: 'Psychiatry & Neurology',
    });
  });
});

describe('GEMs 2018', () => {
  it('imports every row of the four files', () => {
    expect(count("SELECT count(*) AS n FROM mappings WHERE source = 'gems'")).toBe(81593 + 24860 + 73593 + 101025);
    expect(count("SELECT count(*) AS n FROM mappings WHERE to_key = ''")).toBe(731 + 422 + 210 + 31);
  });

  it('shows E11.9 <-> 250.00 from both sides', async () => {
    const e119 = (await get('/api/v1/codes/icd10cm/E11.9')).body.mappings;
    expect(e119).toEqual([
      {
        direction: 'to',
        system: 'icd9cm',
        code: '250.00',
        display: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
        flags: { approximate: true, noMap: false, combination: false, scenario: 0, choiceList: 0 },
        source: 'gems',
        version: '2018',
      },
      {
        direction: 'from',
        system: 'icd9cm',
        code: '250.00',
        display: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
        flags: { approximate: true, noMap: false, combination: false, scenario: 0, choiceList: 0 },
        source: 'gems',
        version: '2018',
      },
    ]);
    const d25000 = (await get('/api/v1/codes/icd9cm/250.00')).body.mappings;
    expect(d25000.map((m: any) => [m.direction, m.code, m.display])).toEqual([
      ['to', 'E11.9', 'Type 2 diabetes mellitus without complications'],
      ['from', 'E11.9', 'Type 2 diabetes mellitus without complications'],
      ['from', 'E13.9', 'Other specified diabetes mellitus without complications'],
    ]);
  });

  it('says where there is no equivalent, and maps procedures', async () => {
    expect((await get('/api/v1/codes/icd9cm/779.6')).body.mappings).toEqual([
      {
        direction: 'to',
        system: 'icd10cm',
        code: '',
        flags: { approximate: true, noMap: true, combination: false, scenario: 0, choiceList: 0 },
        source: 'gems',
        version: '2018',
      },
    ]);
    const pcs = (await get('/api/v1/codes/icd9pcs/00.01')).body.mappings;
    expect(pcs.filter((m: any) => m.direction === 'to').map((m: any) => m.code)).toEqual(['6A750Z4', '6A751Z4']);
  });
});
