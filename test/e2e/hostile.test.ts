import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import fc from 'fast-check';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { ERROR_CODES } from '../../src/errors.js';

/**
 * Generated hostile requests against every machine interface (REST, Clinical Tables, FHIR GET and
 * POST): whatever the input, the answer is a 2xx or a 4xx with a catalog code (REST) or an
 * OperationOutcome (FHIR), never a 5xx, and never a stack trace.
 */
// Rate limit off: hundreds of generated requests from one client would otherwise end in 429s and test
// nothing after the first 600.
let store: Store;
let app: ReturnType<typeof createApp>;
beforeAll(() => {
  store = new Store(inject('dbPath'));
  app = createApp({ store: () => store, limits: { rateLimit: 0 } });
});
afterAll(() => store.close());
const testApp = { app: () => app };
const CATALOG = new Set(Object.keys(ERROR_CODES));

/** Text a client might send: anything printable, binary-ish, codes, URIs, injections, huge numbers. */
const junk = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '99999999999999999999',
    'NaN',
    '1e9',
    'E11.9',
    'e119',
    '0DTJ4ZZ',
    'http://hl7.org/fhir/sid/icd-10-cm',
    'http://snomed.info/sct',
    '%00',
    '../../etc/passwd',
    "'; DROP TABLE codes; --",
    '<script>',
    '{"a":',
    'isa/E11',
    'is-a',
    'true',
    'null',
  ),
);

async function expectSafe(res: Response, fhir: boolean) {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  expect(res.status).not.toBe(429);
  expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack frames
  if (res.status >= 400) {
    const body = JSON.parse(text);
    if (fhir) {
      expect(body.resourceType).toBe('OperationOutcome');
      expect(body.issue[0].severity).toMatch(/error|fatal/);
    } else {
      expect(CATALOG.has(body.error.code), body.error.code).toBe(true);
      expect(typeof body.error.message).toBe('string');
    }
  }
}

describe('hostile requests', () => {
  it('REST and Clinical Tables query parameters', async () => {
    const paths = [
      '/api/v1/search',
      '/api/v1/codes/icd10cm/E11.9/children',
      '/api/v1/codes/icd10cm/E11.9/crosswalks',
      '/api/icd10cm/v3/search',
      '/api/hcpcs/v3/search',
      '/api/v1/icd10pcs/tables/0DT',
    ];
    const names = [
      'q',
      'terms',
      'limit',
      'offset',
      'system',
      'year',
      'range',
      'status',
      'billable',
      'maxList',
      'count',
      'df',
      'sf',
      'ef',
      'cf',
      'chars',
      'direction',
      'target',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.array(fc.tuple(fc.constantFrom(...names), junk), { maxLength: 5 }),
        async (path, params) => {
          const qs = new URLSearchParams(params).toString();
          await expectSafe(await testApp.app().request(`${path}?${qs}`), false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('REST path segments', async () => {
    await fc.assert(
      fc.asyncProperty(junk, junk, async (system, code) => {
        await expectSafe(await testApp.app().request(`/api/v1/codes/${encodeURIComponent(system)}/${encodeURIComponent(code)}`), false);
      }),
      { numRuns: 100 },
    );
  });

  it('FHIR operations, GET', async () => {
    const ops = [
      '/fhir/CodeSystem/$lookup',
      '/fhir/CodeSystem/$validate-code',
      '/fhir/CodeSystem/$subsumes',
      '/fhir/ValueSet/$expand',
      '/fhir/ValueSet/$validate-code',
      '/fhir/ConceptMap/$translate',
      '/fhir/CodeSystem',
      '/fhir/ValueSet',
      '/fhir/ConceptMap',
      '/fhir/CodeSystem/icd10cm/$lookup',
    ];
    const names = [
      'system',
      'code',
      'codeA',
      'codeB',
      'display',
      'url',
      'filter',
      'count',
      'offset',
      'version',
      'property',
      'source',
      'target',
      'targetsystem',
      'reverse',
      'coding',
      'abstract',
      '_format',
      '_count',
      'activeOnly',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.array(fc.tuple(fc.constantFrom(...names), junk), { maxLength: 5 }),
        async (path, params) => {
          const qs = new URLSearchParams(params).toString();
          await expectSafe(await testApp.app().request(`${path}?${qs}`), true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('FHIR operations, POST bodies of any shape', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          resourceType: fc.constantFrom('Parameters', 'ValueSet', 'Patient', ''),
          parameter: fc.array(
            fc.record(
              { name: junk, valueString: junk, valueCode: junk, valueUri: junk, valueInteger: fc.integer() },
              { requiredKeys: ['name'] },
            ),
            { maxLength: 4 },
          ),
        })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/fhir/CodeSystem/$lookup',
          '/fhir/CodeSystem/$validate-code',
          '/fhir/ValueSet/$expand',
          '/fhir/ConceptMap/$translate',
          '/fhir/CodeSystem/$subsumes',
        ),
        body,
        fc.constantFrom('application/fhir+json', 'application/json', 'text/plain'),
        async (path, text, type) => {
          await expectSafe(await testApp.app().request(path, { method: 'POST', body: text, headers: { 'content-type': type } }), true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('POST /api/v1/validate bodies of any shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 })),
        fc.constantFrom('application/json', 'text/csv', 'text/plain'),
        async (text, type) => {
          await expectSafe(
            await testApp.app().request('/api/v1/validate', { method: 'POST', body: text, headers: { 'content-type': type } }),
            false,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
