import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { Hono } from 'hono';
import { Store } from '../../src/store/store.js';
import { errorResponse } from '../../src/api/app.js';
import { clinicalTablesRoutes } from '../../src/api/clinical-tables.js';

/** NLM Clinical Tables compatible search on the shared database, with request shapes from NLM's API docs. */
let store: Store;
let app: Hono;
beforeAll(() => {
  store = new Store(inject('dbPath'));
  app = new Hono();
  app.onError((e, c) => errorResponse(c, e));
  app.route('/', clinicalTablesRoutes({ store: () => store }));
});
afterAll(() => store?.close());

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as any };
};

describe('Clinical Tables v3 search', () => {
  it('icd10cm: sf=code,name&terms=tuberc answers [total, codes, null, [code, name]]', async () => {
    const { status, body } = await get('/api/icd10cm/v3/search?sf=code,name&terms=tuberc');
    expect(status).toBe(200);
    expect(body).toHaveLength(4);
    const [total, codes, extra, display] = body;
    expect(total).toBeGreaterThan(20);
    expect(codes).toHaveLength(7);
    expect(codes).toContain('A15.0');
    expect(extra).toBeNull();
    expect(display[codes.indexOf('A15.0')]).toEqual(['A15.0', 'Tuberculosis of lung']);
    for (const row of display) expect(row[1].toLowerCase()).toMatch(/\btuberc/);
  });

  it('hcpcs: terms=walker&ef=short_desc,long_desc returns extra data parallel to codes', async () => {
    const { body } = await get('/api/hcpcs/v3/search?terms=walker&ef=short_desc,long_desc');
    const [, codes, extra, display] = body;
    expect(codes).toContain('E0130');
    const i = codes.indexOf('E0130');
    expect(extra.short_desc[i]).toBe('Walker rigid adjust/fixed ht');
    expect(extra.long_desc[i]).toBe('Walker, rigid (pickup), adjustable or fixed height');
    expect(display[i]).toEqual(['E0130', 'Walker, rigid (pickup), adjustable or fixed height']);
  });

  it('ef aliases, df fields, cf and q field:value clauses', async () => {
    const { body } = await get('/api/icd9cm_dx/v3/search?terms=cholera&df=code_dotted,short_name&ef=long_name:title&q=code_dotted:001*');
    const [total, codes, extra, display] = body;
    expect(total).toBe(codes.length);
    expect(codes).toContain('0010');
    expect(display[codes.indexOf('0010')]).toEqual(['001.0', 'Cholera d/t vib cholerae']);
    expect(extra.title[codes.indexOf('0010')]).toBe('Cholera due to vibrio cholerae');
    const e11 = (await get('/api/icd10cm/v3/search?terms=diabetes&q=code:E11*&maxList=50')).body;
    expect(e11[1].length).toBeGreaterThan(10);
    for (const c of e11[1]) expect(c).toMatch(/^E11/);
  });

  it('paginates with count and offset; maxList= (empty) means 500', async () => {
    const all = (await get('/api/icd10cm/v3/search?terms=diabetes&count=20')).body;
    const page2 = (await get('/api/icd10cm/v3/search?terms=diabetes&count=10&offset=10')).body;
    expect(page2[1]).toEqual(all[1].slice(10, 20));
    const big = (await get('/api/icd10cm/v3/search?terms=diabetes&maxList=')).body;
    expect(big[1].length).toBe(Math.min(500, big[0]));
    expect(big[1].length).toBeGreaterThan(7);
  });

  it('hcpcs: obsolete codes are included and flagged, with their CMS dates', async () => {
    const { body } = await get('/api/hcpcs/v3/search?terms=A4397&df=code,term_dt,act_eff_dt,add_dt&ef=obsolete,is_noc');
    expect(body).toEqual([1, ['A4397'], { obsolete: [true], is_noc: [false] }, [['A4397', '2021-12-31', '2022-01-01', '1990-01-01']]]);
    const noc = (await get('/api/hcpcs/v3/search?terms=miscellaneous&q=is_noc:true&df=long_desc&maxList=20')).body;
    expect(noc[1].length).toBeGreaterThan(0);
    for (const [d] of noc[3]) expect(d).toMatch(/not otherwise|NOC|NOS/i);
  });

  it('serves the MedCodes extras icd10pcs, icd9cm_sg and nucc', async () => {
    expect((await get('/api/icd10pcs/v3/search?terms=resection%20appendix')).body[1]).toContain('0DTJ4ZZ');
    expect((await get('/api/icd9cm_sg/v3/search?terms=ultrasound')).body[1].length).toBeGreaterThan(0);
    const nucc = (await get('/api/nucc/v3/search?terms=family%20medicine&ef=grouping')).body;
    expect(nucc[1]).toContain('207Q00000X');
    expect(nucc[2].grouping[nucc[1].indexOf('207Q00000X')]).toBe('Allopathic & Osteopathic Physicians');
  });

  it('errors use the catalog JSON', async () => {
    expect(await get('/api/nope/v3/search?terms=x')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await get('/api/icd10cm/v3/search?terms=x&maxList=501')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter' } },
    });
    expect(await get('/api/icd10cm/v3/search?terms=x&maxList=abc')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter' } },
    });
    expect(await get('/api/icd10cm/v3/search')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await get('/api/icd10cm/v3/search?terms=x&df=bogus')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter' } },
    });
    expect(await get('/api/icd10cm/v3/search?terms=x&q=bogus:1')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter' } },
    });
    expect(await get('/api/icd10cm/v3/search?terms=x&count=500&offset=7200')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter' } },
    });
  });
});
