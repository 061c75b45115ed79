import { describe, it, expect, beforeAll } from 'vitest';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { useTestApp } from '../helpers.js';

/**
 * The OpenAPI 3.1 document at /openapi.json: structurally sound (every route, every parameter with
 * a schema, every $ref resolving), and true: real responses validate against its response schemas
 * (JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
 */

const testApp = useTestApp();
let doc: any;
// ajv and ajv-formats are CommonJS with a default export: under NodeNext it is `.default`.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
let ajv: InstanceType<typeof Ajv2020>;

const ROUTES = [
  'get /api/v1/systems',
  'get /api/v1/systems/{system}',
  'get /api/v1/codes/{system}/{code}',
  'get /api/v1/codes/{system}/{code}/children',
  'get /api/v1/codes/{system}/{code}/crosswalks',
  'get /api/v1/codes/{system}/{code}/similar',
  'get /api/v1/search',
  'post /api/v1/validate',
  'get /api/v1/icd10pcs/tables/{table}',
  'get /api/{table}/v3/search',
];

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Validate a real answer against the document's schema for that route and status. */
async function check(method: string, template: string, url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await testApp.app().request(url, init);
  const body = await res.json();
  const status = String(res.status);
  const response = doc.paths[template][method].responses[status];
  expect(response, `${method} ${url}: status ${status} is not documented`).toBeDefined();
  const validate = ajv.getSchema(
    `openapi#/${pointer('paths', template, method, 'responses', status, 'content', 'application/json', 'schema')}`,
  )!;
  const ok = validate(body);
  expect(ok, `${method} ${url} (${status}): ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
  return { status: res.status, body };
}

beforeAll(async () => {
  const res = await testApp.app().request('/openapi.json');
  expect(res.status).toBe(200);
  doc = await res.json();
  // OpenAPI's own keywords (example, param) are annotations, not JSON Schema: not strict.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
});

describe('the OpenAPI 3.1 document', () => {
  it('is OpenAPI 3.1 with every route', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(ops.sort()).toEqual([...ROUTES].sort());
  });

  it('declares every parameter with a schema, and every path parameter of the template', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toBeTruthy();
        expect(op.tags?.length, where).toBeGreaterThan(0);
        for (const p of op.parameters ?? []) {
          expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
          expect(p.schema, `${where} ${p.name}`).toBeTypeOf('object');
          if (p.in === 'path') expect(p.required, `${where} ${p.name}`).toBe(true);
        }
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        const declared = (op.parameters ?? [])
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name)
          .sort();
        expect(declared, where).toEqual(templated);
        expect(op.responses['200']?.content?.['application/json']?.schema, where).toBeTypeOf('object');
        for (const s of ['400', '429']) {
          if (op.responses[s]) expect(op.responses[s].content['application/json'].schema.$ref, where).toBe('#/components/schemas/Error');
        }
        expect(op.responses['429'], where).toBeDefined();
      }
    }
  });

  it('has every $ref resolving, and every schema compiling as JSON Schema 2020-12', () => {
    const refs = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.add(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(10);
    for (const r of refs) {
      expect(r.startsWith('#/components/schemas/'), r).toBe(true);
      expect(doc.components.schemas[r.split('/').at(-1)!], r).toBeDefined();
    }
    for (const name of Object.keys(doc.components.schemas))
      expect(ajv.getSchema(`openapi#/components/schemas/${name}`), name).toBeTypeOf('function');
  });

  it('publishes the schemas that validate requests: limits, enums and required parameters', () => {
    const search = doc.paths['/api/v1/search'].get.parameters;
    const byName = Object.fromEntries(search.map((p: any) => [p.name, p]));
    expect(byName.q.required).toBe(true);
    expect(byName.limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
    expect(byName.status.schema.enum).toEqual(['active', 'deleted', 'all']);
    const body = doc.paths['/api/v1/validate'].post.requestBody;
    expect(Object.keys(body.content)).toEqual(['application/json', 'text/csv']);
    expect(doc.components.schemas.ValidateRequest).toMatchObject({
      required: ['codes'],
      properties: { codes: { type: 'array', maxItems: 10000 } },
    });
  });
});

describe('real responses validate against the document', () => {
  it('systems and codes', async () => {
    expect((await check('get', '/api/v1/systems', '/api/v1/systems')).status).toBe(200);
    expect((await check('get', '/api/v1/systems/{system}', '/api/v1/systems/icd10cm')).status).toBe(200);
    expect((await check('get', '/api/v1/systems/{system}', '/api/v1/systems/cpt')).body.loaded).toBe(false);
    expect((await check('get', '/api/v1/systems/{system}', '/api/v1/systems/zzz')).status).toBe(404);
    for (const [system, code] of [
      ['icd10cm', 'I21.4'],
      ['icd10cm', 'S52.501A'],
      ['icd10cm', 'H40.11X0'],
      ['icd10cm', 'E11'],
      ['icd10cm', 'I00-I99'],
      ['icd10pcs', '0DTJ4ZZ'],
      ['hcpcs', 'A4466'],
      ['icd9cm', '250.00'],
      ['nucc', '207Q00000X'],
    ]) {
      const { status, body } = await check('get', '/api/v1/codes/{system}/{code}', `/api/v1/codes/${system}/${code}`);
      expect(status, code).toBe(200);
      expect(body.code).toBe(code);
      await check('get', '/api/v1/codes/{system}/{code}/children', `/api/v1/codes/${system}/${code}/children`);
      await check('get', '/api/v1/codes/{system}/{code}/crosswalks', `/api/v1/codes/${system}/${code}/crosswalks`);
      await check('get', '/api/v1/codes/{system}/{code}/similar', `/api/v1/codes/${system}/${code}/similar?limit=5`);
    }
    expect((await check('get', '/api/v1/codes/{system}/{code}', '/api/v1/codes/icd10cm/Z99.999')).status).toBe(404);
    expect((await check('get', '/api/v1/codes/{system}/{code}/similar', '/api/v1/codes/icd10cm/E11.9/similar?limit=0')).status).toBe(400);
  });

  it('search, with corrections and closest codes', async () => {
    for (const q of ['type 2 diabetes', 'heart attack', 'pnuemonia', 'E11.99', 'zzqx', 'E08-E13', 'radius']) {
      expect((await check('get', '/api/v1/search', `/api/v1/search?q=${encodeURIComponent(q)}&limit=5`)).status, q).toBe(200);
    }
    expect((await check('get', '/api/v1/search', '/api/v1/search?q=x&limit=abc')).status).toBe(400);
  });

  it('validation, the PCS builder and Clinical Tables', async () => {
    const v = await check('post', '/api/v1/validate', '/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        codes: ['E11.9', 'E11', 'H40.11X0', 'B88.01', { system: 'hcpcs', code: 'A4466' }, '0DTJ4ZZ', 'E11.99', 'xyz!'],
        date: '2025-06-01',
      }),
    });
    expect(v.body.count).toBe(8);
    expect(
      (
        await check('post', '/api/v1/validate', '/api/v1/validate', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"codes": 1}',
        })
      ).status,
    ).toBe(400);
    for (const q of ['', '?chars=J', '?chars=J4ZZ'])
      expect((await check('get', '/api/v1/icd10pcs/tables/{table}', `/api/v1/icd10pcs/tables/0DT${q}`)).status, q).toBe(200);
    expect((await check('get', '/api/{table}/v3/search', '/api/icd10cm/v3/search?terms=tuberc&ef=name')).status).toBe(200);
    expect(
      (await check('get', '/api/{table}/v3/search', '/api/hcpcs/v3/search?terms=wheelchair&df=code,display&ef=obsolete,is_noc:noc')).status,
    ).toBe(200);
  });

  it('the schemas are strict enough to catch a wrong answer', async () => {
    const { body } = await check('get', '/api/v1/search', '/api/v1/search?q=diabetes&limit=2');
    const validate = ajv.getSchema(
      `openapi#/${pointer('paths', '/api/v1/search', 'get', 'responses', '200', 'content', 'application/json', 'schema')}`,
    )!;
    expect(validate({ ...body, results: [{ ...body.results[0], billable: 'yes' }] })).toBe(false);
    expect(validate({ ...body, total: undefined })).toBe(false);
  });
});

describe('the API page', () => {
  it('lists every operation of the document with an example request and response', async () => {
    const res = await testApp.app().request('http://medcodes.test/api');
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const route of ROUTES) {
      const [method, path] = route.split(' ');
      expect(page, route).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
    }
    expect(page).toContain('curl &#39;http://medcodes.test/api/v1/search?q=heart%20attack&amp;limit=3&#39;');
    // The example responses are the server's own answers.
    expect(page).toMatch(/&quot;code&quot;: &quot;I21\.\d/);
    expect(page).toContain('href="/openapi.json"');
    expect(page).toContain('href="/fhir/metadata"');
    expect(page).toContain('<code>rate_limited</code>');
    expect(page).not.toMatch(/<script>|style=/);
  });
});
