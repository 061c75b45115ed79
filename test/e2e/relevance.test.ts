import { describe, it, expect, beforeAll, inject } from 'vitest';
import { readFileSync } from 'node:fs';
import { Store } from '../../src/store/store.js';
import { engineFor } from '../../src/search/search.js';
import {
  evaluate,
  formatEvaluation,
  formatTypeAhead,
  loadQueries,
  typeAhead,
  type Evaluation,
  type TypeAhead,
} from '../../src/search/relevance.js';
import { resolveSystem } from '../../src/systems.js';

/**
 * Search quality on the relevance set must not fall below the floors in test/relevance/floors.json.
 * The floors are set from `npm run eval` a little under the measured figures and raised as the
 * search improves; they are never lowered to let a change through.
 */
const floors = JSON.parse(readFileSync('test/relevance/floors.json', 'utf8')) as {
  overall: { recall1: number; recall10: number; mrr: number };
  byKind: Record<string, { recall10: number }>;
  procedures: { recall10: number };
  typeAhead: { beforeComplete: number };
};

let result: Evaluation;
let procedures: Evaluation;
let typing: TypeAhead;
beforeAll(() => {
  const store = new Store(inject('dbPath'));
  const engine = engineFor(store);
  const loaded = new Set<string>(store.releases().map((r) => r.system));
  const queries = loadQueries().filter((q) => q.system === 'any' || loaded.has(q.system));
  result = evaluate(queries, (q) => {
    const system = q.system === 'any' ? undefined : resolveSystem(q.system);
    return engine.search({ q: q.query, limit: 10, ...(system ? { systems: [system] } : {}) }).results.map((r) => r.code);
  });
  console.log(formatEvaluation('relevance set', result));
  const run = (q: { system: string }, typed: string, limit: number) => {
    const system = q.system === 'any' ? undefined : resolveSystem(q.system);
    return engine.search({ q: typed, limit, ...(system ? { systems: [system] } : {}) }).results.map((r) => r.code);
  };
  procedures = evaluate(
    queries.filter((q) => q.system === 'icd10pcs' || q.system === 'icd9pcs'),
    (q) => run(q, q.query, 10),
  );
  typing = typeAhead(queries, (q, typed) => run(q, typed, 5));
  console.log(formatTypeAhead(typing));
});

describe('relevance set', () => {
  it('meets the overall floors', () => {
    expect(result.overall.n).toBeGreaterThanOrEqual(200);
    expect(result.overall.recall1).toBeGreaterThanOrEqual(floors.overall.recall1);
    expect(result.overall.recall10).toBeGreaterThanOrEqual(floors.overall.recall10);
    expect(result.overall.mrr).toBeGreaterThanOrEqual(floors.overall.mrr);
  });
  it('meets the floor on procedure queries', () => {
    if (procedures.overall.n) expect(procedures.overall.recall10).toBeGreaterThanOrEqual(floors.procedures.recall10);
  });
  it('puts the right code in the top 5 before the query is fully typed', () => {
    expect(typing.n).toBeGreaterThanOrEqual(100);
    expect(typing.beforeComplete).toBeGreaterThanOrEqual(floors.typeAhead.beforeComplete);
  });
  it('meets the floor of each kind of query', () => {
    for (const [kind, f] of Object.entries(floors.byKind)) expect(result.byKind[kind]?.recall10, kind).toBeGreaterThanOrEqual(f.recall10);
  });
});
