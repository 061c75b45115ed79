import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { Hono } from 'hono';
import { validateRoutes, MAX_VALIDATE_BYTES } from '../../src/api/validate-routes.js';
import { Store } from '../../src/store/store.js';

let store: Store;
let app: Hono;
beforeAll(() => {
  store = new Store(inject('dbPath'));
  app = new Hono().route('/', validateRoutes({ store: () => store }));
});
afterAll(() => store.close());

const post = async (body: string, type: string, query = '') => {
  const res = await app.request(`/api/v1/validate${query}`, { method: 'POST', body, headers: { 'content-type': type } });
  return { status: res.status, body: (await res.json()) as any };
};
const postJson = (body: unknown) => post(JSON.stringify(body), 'application/json');

describe('POST /api/v1/validate', () => {
  it('validates a JSON batch with a date of service', async () => {
    const { status, body } = await postJson({
      codes: ['E11.9', 'E11', 'H40.11X0', 'B88.01', { system: 'hcpcs', code: 'A4466' }, '0DTJ4ZZ', 'E11.99', 'xyz!'],
      date: '2025-06-01',
    });
    expect(status).toBe(200);
    expect(body.results.map((r: any) => [r.input, r.system, r.code, r.status])).toEqual([
      ['E11.9', 'icd10cm', 'E11.9', 'valid'],
      ['E11', 'icd10cm', 'E11', 'header'],
      ['H40.11X0', 'icd10cm', 'H40.11X0', 'deleted'],
      ['B88.01', 'icd10cm', 'B88.01', 'not_valid_on_date'],
      ['A4466', 'hcpcs', 'A4466', 'deleted'],
      ['0DTJ4ZZ', 'icd10pcs', '0DTJ4ZZ', 'valid'],
      ['E11.99', 'icd10cm', 'E11.99', 'unknown'],
      ['xyz!', null, 'xyz!', 'invalid'],
    ]);
    expect(body.summary).toEqual({ valid: 2, header: 1, deleted: 2, not_valid_on_date: 1, ambiguous: 0, unknown: 1, invalid: 1 });
    expect(body).toMatchObject({ date: '2025-06-01', count: 8 });
    expect(body.results[6].closest.code).toBe('E11.9');
    expect(body.results[2].replacedBy.map((r: any) => r.code)).toContain('H40.1110');
  });

  it('validates a CSV body, with system,code columns and query parameters', async () => {
    const one = await post('code\nE11.9\nB88.01\n', 'text/csv', '?date=2025-10-01');
    expect(one.status).toBe(200);
    expect(one.body.results.map((r: any) => r.status)).toEqual(['valid', 'valid']);
    const two = await post('system,code\r\nhcpcs,A0100\r\nicd10cm,A01.00\r\n', 'text/csv; charset=utf-8');
    expect(two.body.results.map((r: any) => [r.system, r.code, r.status])).toEqual([
      ['hcpcs', 'A0100', 'valid'],
      ['icd10cm', 'A01.00', 'valid'],
    ]);
    const sys = await post('A4466\n', 'text/csv', '?system=hcpcs');
    expect(sys.body).toMatchObject({ system: 'hcpcs', results: [{ status: 'deleted', replacedBy: [{ code: 'A4467' }] }] });
  });

  it('answers 413 for more than 10,000 codes or more than 1 MB', async () => {
    const many = await postJson({ codes: Array(10_001).fill('E11.9') });
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('payload_too_large');
    const csv = await post(Array(10_001).fill('E11.9').join('\n'), 'text/csv');
    expect(csv.status).toBe(413);
    const big = await post('x'.repeat(MAX_VALIDATE_BYTES + 1), 'text/csv');
    expect(big.status).toBe(413);
    const ok = await postJson({ codes: Array(10_000).fill('E11.9') });
    expect(ok.status).toBe(200);
    expect(ok.body.summary.valid).toBe(10_000);
  });

  it('answers 400 with catalog codes for malformed bodies', async () => {
    const cases: [string, string, string][] = [
      ['{"codes": [', 'application/json', 'bad_request'],
      ['{"codes": "E11.9"}', 'application/json', 'bad_request'],
      ['{"codes": [42]}', 'application/json', 'bad_request'],
      ['{"codes": []}', 'application/json', 'bad_request'],
      ['{"codes": ["E11.9"], "date": "2025-13-01"}', 'application/json', 'invalid_parameter'],
      ['code\n"E11.9\n', 'text/csv', 'bad_request'],
      ['code\nE11,9\n', 'text/csv', 'bad_request'],
      ['E11.9', 'application/xml', 'bad_request'],
    ];
    for (const [body, type, code] of cases) {
      const r = await post(body, type);
      expect(r.status, body).toBe(400);
      expect(r.body.error.code, body).toBe(code);
    }
    // The JSON body is checked with the schema published in /openapi.json; the message names the field.
    expect(await postJson({ codes: ['E11.9'], system: 5 })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'system: Invalid input: expected string, received number' } },
    });
    expect((await postJson({ codes: [{ system: 'hcpcs' }] })).body.error.message).toMatch(/^codes\.0: /);
    expect((await postJson({ date: '2025-01-01' })).body.error).toEqual({
      code: 'bad_request',
      message: 'the codes body field is required',
    });
    const sys = await postJson({ codes: ['E11.9'], system: 'icd11' });
    expect(sys.status).toBe(404);
    expect(sys.body.error.code).toBe('unknown_system');
  });
});
