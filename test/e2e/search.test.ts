import { describe, it, expect, beforeAll, inject } from 'vitest';
import fc from 'fast-check';
import { Store } from '../../src/store/store.js';
import { engineFor } from '../../src/search/search.js';
import type { SearchEngine } from '../../src/search/engine.js';
import { MedCodesError } from '../../src/errors.js';
import { createApp } from '../../src/api/app.js';

let engine: SearchEngine;
let store: Store;
beforeAll(() => {
  store = new Store(inject('dbPath'));
  engine = engineFor(store);
});
const codes = (q: string, extra: object = {}) => engine.search({ q, limit: 10, ...extra }).results.map((r) => r.code);

describe('codes in any shape', () => {
  it('exact code first, with or without dot, any case', () => {
    for (const q of ['E11.9', 'E119', 'e11.9', ' e119 ']) expect(codes(q)[0], q).toBe('E11.9');
  });
  it('a code prefix lists its subtree in classification order', () => {
    expect(codes('E11.')).toEqual(['E11', 'E11.0', 'E11.1', 'E11.2', 'E11.3', 'E11.4', 'E11.5', 'E11.6', 'E11.8', 'E11.9']);
    expect(codes('S52.5').slice(0, 3)).toEqual(['S52.5', 'S52.50', 'S52.51']);
  });
  it('a range filters by code', () => {
    const r = engine.search({ q: 'E08-E13', limit: 100 });
    expect(r.results.every((h) => h.code >= 'E08' && h.code < 'E14')).toBe(true);
    expect(codes('neuropathy', { range: 'E08-E13' }).every((c) => /^E(0[89]|1[0-3])/.test(c))).toBe(true);
  });
  it('words and a code together', () => {
    expect(codes('E11 neuropathy')[0]).toMatch(/^E11\.4/);
  });
});

describe('words', () => {
  it('any order, last word a prefix while typing', () => {
    expect(codes('diabetes type 2')).toContain('E11.9');
    expect(codes('type 2 diab')).toContain('E11.9');
    expect(codes('nstemi')[0]).toBe('I21.4');
  });
  it('finds through Index "see" references and inclusion terms', () => {
    const r = engine.search({ q: 'heart attack', limit: 10 });
    expect(r.results.filter((h) => h.code.startsWith('I21')).length).toBeGreaterThan(2);
    expect(r.results[0].matched.field).toBe('rewrite');
    expect(codes('kidney stone')[0]).toBe('N20.0');
  });
  it('an Index main term names the condition: the bare word leads to its code', () => {
    expect(codes('diabetes')[0]).toBe('E11.9');
    expect(codes('diab')[0]).toBe('E11.9');
    // ...but a word inside a longer name ("Dandy-Walker syndrome") does not.
    expect(
      codes('walker')
        .slice(0, 3)
        .every((c) => c.startsWith('E01')),
    ).toBe(true);
  });
  it('tolerates typos without pushing exact matches down', () => {
    const r = engine.search({ q: 'pnuemonia', limit: 10 });
    expect(r.didYouMean).toBe('pneumonia');
    expect(r.results.map((h) => h.code)).toContain('J18.9');
    // An exact word is never outranked by a typo-corrected one.
    const exact = engine.search({ q: 'asthma', limit: 5 }).results;
    expect(exact.every((h) => h.matched.field !== 'fuzzy')).toBe(true);
  });
  it('explains each match and highlights it', () => {
    const [h] = engine.search({ q: 'type 2 diabetes without', limit: 1 }).results;
    expect(h).toMatchObject({ code: 'E11.9', matched: { field: 'title' } });
    expect(h.highlight).toBe('<mark>Type</mark> <mark>2</mark> <mark>diabetes</mark> mellitus <mark>without</mark> complications');
  });
});

describe('filters, facets, pagination', () => {
  it('billable, status and year filters', () => {
    expect(engine.search({ q: 'diabetes', billable: false, limit: 20 }).results.every((h) => !h.billable)).toBe(true);
    const del = engine.search({ q: 'glaucoma', status: 'deleted', limit: 20 }).results;
    expect(del.length).toBeGreaterThan(0);
    expect(del.every((h) => h.status === 'deleted')).toBe(true);
    // H40.11X0 existed in FY2016 only.
    expect(codes('H40.11X0', { year: 2016 })).toEqual(['H40.11X0']);
    expect(codes('H40.11X0', { year: 2020 })).toEqual([]);
    expect(codes('B88.01', { year: 2025 })).toEqual([]);
  });
  it('facets count per system; pages are stable and do not overlap', () => {
    const both = engine.search({ q: 'radius', limit: 10 });
    expect(both.facets.systems.icd10cm).toBeGreaterThan(0);
    expect(both.facets.systems.icd10pcs).toBeGreaterThan(0);
    expect(Object.values(both.facets.systems).reduce((a, b) => a + b, 0)).toBe(both.total);
    const pcs = engine.search({ q: 'radius', systems: ['icd10pcs'], limit: 10 });
    expect(pcs.total).toBe(both.facets.systems.icd10pcs);
    expect(pcs.results.every((h) => h.system === 'icd10pcs')).toBe(true);
    expect(pcs.facets).toEqual(both.facets);
    const all = engine.search({ q: 'fracture', limit: 100 });
    const p1 = engine.search({ q: 'fracture', limit: 10, offset: 0 }).results.map((r) => r.code);
    const p2 = engine.search({ q: 'fracture', limit: 10, offset: 10 }).results.map((r) => r.code);
    expect(all.results.slice(0, 20).map((r) => r.code)).toEqual([...p1, ...p2]);
  });
  it('nothing found: a hint and the closest codes', () => {
    const r = engine.search({ q: 'E11.99' });
    expect(r.total).toBe(0);
    expect(r.closest?.[0].code).toBe('E11.9');
    const w = engine.search({ q: 'zzqx' });
    expect(w.total).toBe(0);
  });
});

describe('hostile queries', () => {
  it('any string is answered or refused with a catalog error, never an engine error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.constantFrom(
            '"',
            'NEAR(a b)',
            "'; DROP TABLE codes; --",
            '*',
            '((((',
            'a-b-c',
            '.',
            '-',
            'E11.-',
            '\u0000',
            '😀🔥',
            'E08-',
            '-E13',
          ),
        ),
        (q) => {
          try {
            const r = engine.search({ q, limit: 5 });
            expect(Array.isArray(r.results)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(MedCodesError);
            expect((e as MedCodesError).code).toBe('query_too_long');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
  it('over HTTP: 200 or 400, with the catalog code', async () => {
    const app = createApp({ store: () => store });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 400 }),
        fc.constantFrom('', '&limit=-1', '&offset=abc', '&system=zzz', '&year=1', '&status=x', '&billable=maybe'),
        async (q, extra) => {
          const res = await app.request(`/api/v1/search?q=${encodeURIComponent(q)}${extra}`);
          expect([200, 400, 404]).toContain(res.status);
          if (res.status !== 200) expect((await res.json()).error.code).toMatch(/^(invalid_parameter|query_too_long|unknown_system)$/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
