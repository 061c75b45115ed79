import { describe, it, expect } from 'vitest';
import { useTestApp } from '../helpers.js';

const testApp = useTestApp();

const get = async (path: string) => {
  const res = await testApp.app().request(path);
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /api/v1/codes/icd10cm/{code}', () => {
  it('finds the same record from any shape of the code', async () => {
    for (const shape of ['E11.9', 'E119', 'e11.9', '%20E11.9%20']) {
      const { status, body } = await get(`/api/v1/codes/icd10cm/${shape}`);
      expect(status, shape).toBe(200);
      expect(body.code).toBe('E11.9');
    }
  });

  it('answers the full document for a code', async () => {
    const { body } = await get('/api/v1/codes/icd10cm/I21.4');
    expect(body).toMatchObject({
      system: 'icd10cm',
      systemUri: 'http://hl7.org/fhir/sid/icd-10-cm',
      code: 'I21.4',
      display: 'Non-ST elevation (NSTEMI) myocardial infarction',
      billable: true,
      status: 'active',
      version: 'FY2026',
    });
    expect(body.parents.map((p: any) => [p.code, p.kind])).toEqual([['I00-I99', 'chapter'], ['I20-I25', 'block'], ['I21', 'category']]);
    expect(body.notes).toContainEqual({ kind: 'inclusionTerm', text: 'Non-Q wave myocardial infarction NOS', version: 'FY2017' });
    expect(body.inheritedNotes).toContainEqual(expect.objectContaining({ kind: 'excludes2', text: 'old myocardial infarction (I25.2)', from: 'I21' }));
    expect(body.indexTerms.map((t: any) => t.path)).toContain('Infarct, infarction, myocardium, myocardial (acute) (with stated duration of 4 weeks or less), non-ST elevation (NSTEMI)');
    expect(body.history).toEqual([{ version: 'FY2016', action: 'added', display: 'Non-ST elevation (NSTEMI) myocardial infarction' }]);
  });

  it('gives children of a header, and the seventh characters that apply', async () => {
    const { body } = await get('/api/v1/codes/icd10cm/S52.501A');
    const seventh = body.notes.filter((n: any) => n.kind === 'sevenChrDef');
    expect(seventh[0]).toMatchObject({ char: 'A', text: 'initial encounter for closed fracture', from: 'S52', version: 'FY2017', selected: true });
    expect(seventh.filter((n: any) => n.selected)).toHaveLength(1);
    const header = await get('/api/v1/codes/icd10cm/E11');
    expect(header.body.billable).toBe(false);
    expect(header.body.children.map((c: any) => c.code)).toContain('E11.9');
  });

  it('keeps deleted codes with their history and replacements', async () => {
    // B88.0 "Other acariasis" became a header in FY2026 (B88.01, B88.09 added).
    const b880 = await get('/api/v1/codes/icd10cm/B88.0');
    expect(b880.body.history.at(-1)).toMatchObject({ version: 'FY2026', action: 'revised', billableChange: { from: true, to: false } });
    // A04.7 stayed, as a header, when A04.71 and A04.72 were added in FY2018.
    const a047 = await get('/api/v1/codes/icd10cm/A04.7');
    expect(a047.body).toMatchObject({ status: 'active', billable: false });
    expect(a047.body.history.map((h: any) => [h.version, h.action])).toEqual([['FY2016', 'added'], ['FY2018', 'revised']]);
    // H40.11X0 was deleted in FY2017 and replaced by laterality codes (conversion table).
    const { body } = await get('/api/v1/codes/icd10cm/H40.11X0');
    expect(body).toMatchObject({ status: 'deleted', display: 'Primary open-angle glaucoma, stage unspecified', version: 'FY2016' });
    const del = body.history.find((h: any) => h.action === 'deleted');
    expect(del.version).toBe('FY2017');
    expect(del.replacedBy.map((r: any) => r.code)).toEqual(['H40.1110', 'H40.1120', 'H40.1130', 'H40.1190']);
  });

  it('answers 404 and 400 with the error catalog', async () => {
    expect(await get('/api/v1/codes/icd10cm/Z99.999')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'ICD-10-CM has no code "Z99.999"' } } });
    expect((await get('/api/v1/codes/nosuch/E11')).body.error.code).toBe('unknown_system');
    expect((await get('/api/v1/search')).status).toBe(400);
    expect((await get('/api/v1/search?q=x&limit=abc')).body.error.code).toBe('invalid_parameter');
    expect((await get('/api/v1/nothing')).status).toBe(404);
  });
});

describe('GET /api/v1/search', () => {
  it('answers words and codes in the documented shape', async () => {
    const { body } = await get('/api/v1/search?q=type%202%20diabetes&system=icd10cm&limit=5');
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['query', 'total', 'results', 'facets']));
    expect(body.results).toHaveLength(5);
    expect(body.results[0]).toEqual(expect.objectContaining({ system: 'icd10cm', code: expect.any(String), display: expect.any(String), billable: expect.any(Boolean), score: expect.any(Number), matched: expect.objectContaining({ field: 'title' }) }));
    expect(body.results[0].highlight).toMatch(/<mark>Type<\/mark> <mark>2<\/mark> <mark>diabetes<\/mark>/);
    expect(body.results.every((r: any) => /^E11/.test(r.code))).toBe(true);
    const code = await get('/api/v1/search?q=E11.6&limit=3&offset=1');
    expect(code.body.results[0].code).toMatch(/^E11\.6/);
    expect(code.body.total).toBeGreaterThan(5);
  });

  it('treats hostile input as text', async () => {
    for (const q of ['"', 'NEAR(a b)', "'; DROP TABLE codes; --", 'a*', '^', '(((', '😀', 'e11" OR "x']) {
      const { status } = await get(`/api/v1/search?q=${encodeURIComponent(q)}`);
      expect(status, q).toBe(200);
    }
    const long = await get(`/api/v1/search?q=${'a'.repeat(10_000)}`);
    expect(long).toMatchObject({ status: 400, body: { error: { code: 'query_too_long' } } });
  });
});

describe('GET /api/v1/systems', () => {
  it('lists the loaded releases with counts', async () => {
    const { body } = await get('/api/v1/systems');
    const cm = body.systems.find((s: any) => s.system === 'icd10cm');
    expect(cm).toMatchObject({ version: 'FY2026', effective: '2025-10-01' });
    expect(cm.concepts).toMatchObject({ billable: 74719, headers: 23467 });
  });
});
