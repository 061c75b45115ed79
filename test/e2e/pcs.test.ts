import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { runImport } from '../../src/importers/run.js';
import { silentProgress, type ImportSummary } from '../../src/importers/types.js';
import { icd10pcsImporter } from '../../src/importers/icd10pcs/import.js';
import { isPcsTableStructure, pcsCodeAxes } from '../../src/importers/icd10pcs/builder.js';
import { Store } from '../../src/store/store.js';
import { errorResponse } from '../../src/api/app.js';
import { pcsRoutes } from '../../src/api/pcs-routes.js';

/**
 * ICD-10-PCS end to end on the real bundled files (data/icd10pcs: order files FY2016-FY2026, the
 * FY2026 Tables and Definitions XML, the FY2025 Index XML), imported here into a database of its own
 * and served through the routes as app.ts mounts them.
 */
const dir = mkdtempSync(join(tmpdir(), 'medcodes-pcs-e2e-'));
const db = join(dir, 'pcs.db');
let summary: ImportSummary;
let store: Store;
let app: Hono;

beforeAll(async () => {
  [summary] = await runImport({
    db,
    inputs: ['data/icd10pcs'],
    progress: silentProgress,
    importers: [icd10pcsImporter],
    incremental: false,
  });
  store = new Store(db);
  app = new Hono();
  app.onError((e, c) => errorResponse(c, e));
  app.route('/', pcsRoutes({ store: () => store }));
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as any };
};

describe('ICD-10-PCS FY2026 from the official files', () => {
  it('has the 79,115 valid codes of FY2026 in 914 tables, every one decomposed', () => {
    expect(summary.version).toBe('FY2026');
    expect(summary.imported).toMatchObject({
      codes: 80029,
      billable: 79115,
      tables: 914,
      sections: 17,
      bodySystems: 115,
      decomposed: 79115,
      deleted: 3216,
    });
    const c = store.counts().icd10pcs;
    expect(c.billable).toBe(79115);
    // Four tables were deleted: XR2 and XW2 in FY2022, XK0 in FY2023, XV5 in FY2024.
    expect(c.byKind.table).toBe(914 + 4);
    expect(c.byKind.chapter).toBe(17);
    const undecomposed = store.db
      .prepare("SELECT count(*) AS n FROM codes WHERE system = 'icd10pcs' AND kind = 'code' AND status = 'active' AND properties IS NULL")
      .get() as { n: number };
    expect(undecomposed.n).toBe(0);
    expect(summary.skipped).toEqual({
      'index terms without a code (headings)': 5646,
      'index codes not in the current release': 17,
      'index partial codes no table row allows': 1,
    });
  });

  it('decomposes 0DTJ4ZZ, with the definition of Resection', () => {
    const code = store.get('icd10pcs', '0DTJ4ZZ')!;
    expect(code).toMatchObject({
      display: 'Resection of Appendix, Percutaneous Endoscopic Approach',
      billable: true,
      status: 'active',
      parentKey: '0DT',
    });
    expect(store.ancestors(code).map((r) => `${r.key} ${r.display}`)).toEqual([
      '0 Medical and Surgical',
      '0D Gastrointestinal System',
      '0DT Gastrointestinal System, Resection',
    ]);
    const table = store.get('icd10pcs', '0DT')!.properties;
    expect(isPcsTableStructure(table)).toBe(true);
    const axes = pcsCodeAxes('0DTJ4ZZ', table as any)!;
    expect(axes.map((a) => a.label)).toEqual([
      'Medical and Surgical',
      'Gastrointestinal System',
      'Resection',
      'Appendix',
      'Percutaneous Endoscopic',
      'No Device',
      'No Qualifier',
    ]);
    expect(axes.map((a) => a.label).slice(3)).toEqual((code.properties as any).labels);
    expect(axes[2]).toMatchObject({
      axis: 'Operation',
      char: 'T',
      definition: 'Cutting out or off, without replacement, all of a body part',
      includes: ['Total nephrectomy, total lobectomy of lung'],
    });
    expect(axes[3].includes).toEqual(['Appendiceal orifice', 'Vermiform appendix']);
  });

  it('keeps history since FY2016 and the deleted codes', () => {
    expect(store.history('icd10pcs', '0DTJ4ZZ')[0]).toMatchObject({ version: 'FY2016', action: 'added' });
    const x2a = store.get('icd10pcs', 'X2A5312')!;
    expect(x2a).toMatchObject({ status: 'deleted', parentKey: 'X2A', properties: { deletedIn: 'FY2026' } });
    expect(store.get('icd10pcs', 'XK0')).toMatchObject({ kind: 'table', status: 'deleted' });
  });

  it('puts the Index terms on codes and tables', () => {
    expect(summary.imported).toMatchObject({
      indexTerms: 16343,
      indexTermsOnTables: 13566,
      indexTermsFromReferences: 1650,
      indexReferences: 4127,
    });
    const paths = store.indexTerms('icd10pcs', '0DT').map((t) => t.path);
    expect(paths).toContain('Appendectomy');
    expect(paths).toContain('Resection, Appendix');
    expect(store.indexTerms('icd10pcs', '10A07ZX').map((t) => t.path)).toContain('Abortion, Abortifacient');
  });
});

describe('GET /api/v1/icd10pcs/tables/{table}', () => {
  it('answers table 0DT with its axes, rows and definitions', async () => {
    const { status, body } = await get('/api/v1/icd10pcs/tables/0dt');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      system: 'icd10pcs',
      table: '0DT',
      display: 'Gastrointestinal System, Resection',
      version: 'FY2026',
      status: 'active',
      validCodes: 106,
    });
    expect(body.parents.map((p: any) => p.code)).toEqual(['0', '0D']);
    expect(body.axes[2]).toMatchObject({
      pos: 3,
      axis: 'Operation',
      char: 'T',
      label: 'Resection',
      definition: 'Cutting out or off, without replacement, all of a body part',
    });
    expect(body.rows.map((r: any) => r.codes)).toEqual([68, 6, 4, 16, 8, 4]);
    expect(body.rows[2].axes[0].values).toContainEqual({
      char: 'J',
      label: 'Appendix',
      includes: ['Appendiceal orifice', 'Vermiform appendix'],
    });
    expect(body.rows[0].axes[1].values[0]).toMatchObject({
      char: '0',
      label: 'Open',
      definition: expect.stringMatching(/^Cutting through the skin/),
    });
  });

  it('builds 0DTJ4ZZ one character at a time', async () => {
    const start = await get('/api/v1/icd10pcs/tables/0DT?chars=');
    expect(start.body).toMatchObject({
      table: { code: '0DT' },
      prefix: '0DT',
      complete: false,
      valid: false,
      next: { pos: 4, axis: 'Body Part' },
    });
    const j = await get('/api/v1/icd10pcs/tables/0DT?chars=J');
    expect(j.body.next.choices.map((c: any) => c.char)).toEqual(['0', '4', '7', '8']);
    const j4z = await get('/api/v1/icd10pcs/tables/0DT?chars=J4Z');
    expect(j4z.body.next).toMatchObject({
      pos: 7,
      axis: 'Qualifier',
      choices: [
        { char: 'G', label: 'Hand-Assisted' },
        { char: 'Z', label: 'No Qualifier' },
      ],
    });
    const done = await get('/api/v1/icd10pcs/tables/0DT?chars=J4ZZ');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      prefix: '0DTJ4ZZ',
      complete: true,
      valid: true,
      code: { code: '0DTJ4ZZ', display: 'Resection of Appendix, Percutaneous Endoscopic Approach', billable: true, status: 'active' },
    });
    expect(done.body.next).toBeUndefined();
    expect(done.body.chosen.map((c: any) => c.label)).toEqual(['Appendix', 'Percutaneous Endoscopic', 'No Device', 'No Qualifier']);
  });

  it('refuses characters the table does not allow, and unknown tables', async () => {
    const bad = await get('/api/v1/icd10pcs/tables/0DT?chars=J3');
    expect(bad).toEqual({
      status: 400,
      body: { error: { code: 'invalid_parameter', message: '0DTJ: character 5 (Approach) cannot be "3"; valid: 0, 4, 7, 8' } },
    });
    expect((await get('/api/v1/icd10pcs/tables/0DT?chars=JI')).status).toBe(400);
    expect((await get('/api/v1/icd10pcs/tables/0DT?chars=J4ZZZ')).status).toBe(400);
    const shape = await get('/api/v1/icd10pcs/tables/0D');
    expect(shape.status).toBe(400);
    expect(shape.body.error.code).toBe('invalid_parameter');
    expect((await get('/api/v1/icd10pcs/tables/0DI')).status).toBe(400);
    const unknown = await get('/api/v1/icd10pcs/tables/ZZZ');
    expect(unknown).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'ICD-10-PCS has no table "ZZZ"' } } });
    // A code is not a table.
    expect((await get('/api/v1/icd10pcs/tables/0DTJ4ZZ')).status).toBe(400);
    const deleted = await get('/api/v1/icd10pcs/tables/XK0');
    expect(deleted.status).toBe(404);
    expect(deleted.body.error.message).toMatch(/^ICD-10-PCS table XK0 was deleted in FY20\d\d$/);
  });
});
