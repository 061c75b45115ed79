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
    expect(body.parents.map((p: any) => [p.code, p.kind])).toEqual([
      ['I00-I99', 'chapter'],
      ['I20-I25', 'block'],
      ['I21', 'category'],
    ]);
    expect(body.notes).toContainEqual({ kind: 'inclusionTerm', text: 'Non-Q wave myocardial infarction NOS', version: 'FY2017' });
    expect(body.inheritedNotes).toContainEqual(
      expect.objectContaining({ kind: 'excludes2', text: 'old myocardial infarction (I25.2)', from: 'I21' }),
    );
    expect(body.indexTerms.map((t: any) => t.path)).toContain(
      'Infarct, infarction, myocardium, myocardial (acute) (with stated duration of 4 weeks or less), non-ST elevation (NSTEMI)',
    );
    expect(body.history).toEqual([
      { version: 'FY2016', action: 'added', display: 'Non-ST elevation (NSTEMI) myocardial infarction', effective: '2015-10-01' },
    ]);
  });

  it('gives children of a header, and the seventh characters that apply', async () => {
    const { body } = await get('/api/v1/codes/icd10cm/S52.501A');
    const seventh = body.notes.filter((n: any) => n.kind === 'sevenChrDef');
    expect(seventh[0]).toMatchObject({
      char: 'A',
      text: 'initial encounter for closed fracture',
      from: 'S52',
      version: 'FY2017',
      selected: true,
    });
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
    expect(a047.body.history.map((h: any) => [h.version, h.action])).toEqual([
      ['FY2016', 'added'],
      ['FY2018', 'revised'],
    ]);
    // H40.11X0 was deleted in FY2017 and replaced by laterality codes (conversion table).
    const { body } = await get('/api/v1/codes/icd10cm/H40.11X0');
    expect(body).toMatchObject({ status: 'deleted', display: 'Primary open-angle glaucoma, stage unspecified', version: 'FY2016' });
    const del = body.history.find((h: any) => h.action === 'deleted');
    expect(del.version).toBe('FY2017');
    expect(del.replacedBy.map((r: any) => r.code)).toEqual(['H40.1110', 'H40.1120', 'H40.1130', 'H40.1190']);
  });

  it('answers 404 and 400 with the error catalog', async () => {
    expect(await get('/api/v1/codes/icd10cm/Z99.999')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'ICD-10-CM has no code "Z99.999"' } },
    });
    expect((await get('/api/v1/codes/nosuch/E11')).body.error.code).toBe('unknown_system');
    expect((await get('/api/v1/search')).status).toBe(400);
    expect((await get('/api/v1/search?q=x&limit=abc')).body.error.code).toBe('invalid_parameter');
    expect((await get('/api/v1/nothing')).status).toBe(404);
    expect((await get(`/api/v1/codes/icd10cm/${'E'.repeat(41)}`)).body.error).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringMatching(/^code: /),
    });
  });

  it('names the parameter at fault', async () => {
    expect(await get('/api/v1/search')).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'the q query parameter is required' } },
    });
    const limit = await get('/api/v1/search?q=x&limit=abc');
    expect(limit.body.error.message).toBe('limit: expected a whole number from 1 to 100; got "abc"');
    expect((await get('/api/v1/search?q=x&limit=101')).body.error).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('limit'),
    });
    expect((await get('/api/v1/search?q=x&status=gone')).body.error).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('status'),
    });
    // An empty number means its default, as when it is left out.
    expect((await get('/api/v1/search?q=diabetes&limit=&offset=')).body.results).toHaveLength(20);
  });
});

describe('GET /api/v1/codes/{system}/{code}/children and /crosswalks', () => {
  it('lists the children in classification order, with the ancestors', async () => {
    const { status, body } = await get('/api/v1/codes/icd10cm/E11.6');
    expect(status).toBe(200);
    const kids = await get('/api/v1/codes/icd10cm/e116/children');
    expect(kids.status).toBe(200);
    expect(kids.body).toMatchObject({ system: 'icd10cm', code: 'E11.6', kind: body.kind });
    expect(kids.body.children.map((c: any) => c.code)).toEqual(body.children.map((c: any) => c.code));
    expect(kids.body.children.map((c: any) => c.code)).toEqual(['E11.61', 'E11.62', 'E11.63', 'E11.64', 'E11.65', 'E11.69']);
    expect(kids.body.parents.map((p: any) => p.code)).toEqual(['E00-E89', 'E08-E13', 'E11']);
    expect((await get('/api/v1/codes/icd10cm/E11.9/children')).body.children).toEqual([]);
    expect((await get('/api/v1/codes/icd10cm/Z99.999/children')).status).toBe(404);
  });

  it('gives the mappings in both directions, filtered by direction and system', async () => {
    const all = await get('/api/v1/codes/icd10cm/E11.9/crosswalks');
    expect(all.status).toBe(200);
    const directions = new Set(all.body.mappings.map((m: any) => m.direction));
    expect(directions).toEqual(new Set(['to', 'from']));
    expect(all.body.mappings).toEqual((await get('/api/v1/codes/icd10cm/E11.9')).body.mappings);
    const to = await get('/api/v1/codes/icd10cm/E11.9/crosswalks?direction=to&target=icd9cm');
    expect(to.body.mappings.length).toBeGreaterThan(0);
    expect(to.body.mappings.every((m: any) => m.direction === 'to' && m.system === 'icd9cm')).toBe(true);
    expect(to.body.mappings.map((m: any) => m.code)).toContain('250.00');
    expect((await get('/api/v1/codes/icd10cm/E11.9/crosswalks?direction=sideways')).body.error.code).toBe('invalid_parameter');
    expect((await get('/api/v1/codes/icd10cm/E11.9/crosswalks?target=icd11')).body.error.code).toBe('unknown_system');
  });
});

describe('GET /api/v1/codes/{system}/{code}/similar', () => {
  it('ranks similar codes with their relation and reason', async () => {
    const { status, body } = await get('/api/v1/codes/icd10cm/e119/similar?limit=5');
    expect(status).toBe(200);
    expect(body).toMatchObject({ system: 'icd10cm', code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' });
    expect(body.similar.length).toBeGreaterThan(0);
    expect(body.similar.length).toBeLessThanOrEqual(5);
    expect(body.similar.map((s: any) => s.code)).not.toContain('E11.9');
    for (const s of body.similar)
      expect(s).toEqual({
        system: expect.any(String),
        code: expect.any(String),
        display: expect.any(String),
        billable: expect.any(Boolean),
        status: expect.any(String),
        relation: expect.any(String),
        reason: expect.any(String),
        score: expect.any(Number),
      });
    expect((await get('/api/v1/codes/icd10cm/E11.9/similar?limit=51')).body.error.code).toBe('invalid_parameter');
    expect((await get('/api/v1/codes/icd10cm/Z99.999/similar')).status).toBe(404);
  });
});

describe('GET /api/v1/systems/{system}', () => {
  it('describes a system, its loaded release and the releases of its history', async () => {
    const { status, body } = await get('/api/v1/systems/icd-10-cm');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      system: 'icd10cm',
      uri: 'http://hl7.org/fhir/sid/icd-10-cm',
      loaded: true,
      bundled: true,
      retired: false,
      release: { version: 'FY2026' },
    });
    expect(body.versions.map((v: any) => v.version)).toEqual([
      'FY2016',
      'FY2017',
      'FY2018',
      'FY2019',
      'FY2020',
      'FY2021',
      'FY2022',
      'FY2023',
      'FY2024',
      'FY2025',
      'FY2026',
    ]);
    expect(body.versions[0].added).toBeGreaterThan(60_000);
    expect(body.versions[1].deleted).toBeGreaterThan(0);
    const cpt = await get('/api/v1/systems/cpt');
    expect(cpt.body).toMatchObject({ system: 'cpt', loaded: false, bundled: false, release: null, versions: [] });
    expect((await get('/api/v1/systems/icd11')).body.error.code).toBe('unknown_system');
  });
});

describe('GET /api/v1/search', () => {
  it('answers words and codes in the documented shape', async () => {
    const { body } = await get('/api/v1/search?q=type%202%20diabetes&system=icd10cm&limit=5');
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['query', 'total', 'results', 'facets']));
    expect(body.results).toHaveLength(5);
    expect(body.results[0]).toEqual(
      expect.objectContaining({
        system: 'icd10cm',
        code: expect.any(String),
        display: expect.any(String),
        billable: expect.any(Boolean),
        score: expect.any(Number),
        matched: expect.objectContaining({ field: 'title' }),
      }),
    );
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
    // Longer than the engine's 256 characters: refused by the engine; longer than the query-string
    // limit (4 KB by default): refused before anything parses it.
    const long = await get(`/api/v1/search?q=${'a'.repeat(1000)}`);
    expect(long).toMatchObject({ status: 400, body: { error: { code: 'query_too_long' } } });
    const huge = await get(`/api/v1/search?q=${'a'.repeat(10_000)}`);
    expect(huge).toMatchObject({ status: 414, body: { error: { code: 'uri_too_long' } } });
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
