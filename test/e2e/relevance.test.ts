import { describe, it, expect, beforeAll, inject } from 'vitest';
import { readFileSync } from 'node:fs';
import { Store } from '../../src/store/store.js';
import { engineFor } from '../../src/search/search.js';
import { evaluate, formatEvaluation, loadQueries, type Evaluation } from '../../src/search/relevance.js';
import { resolveSystem } from '../../src/systems.js';

/**
 * Search quality on the relevance set must not fall below the floors in test/relevance/floors.json.
 * The floors are set from `npm run eval` a little under the measured figures and raised as the
 * search improves; they are never lowered to let a change through.
 */
const floors = JSON.parse(readFileSync('test/relevance/floors.json', 'utf8')) as {
  overall: { recall1: number; recall10: number; mrr: number };
  byKind: Record<string, { recall10: number }>;
};

let result: Evaluation;
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
});

describe('relevance set', () => {
  it('meets the overall floors', () => {
    expect(result.overall.n).toBeGreaterThanOrEqual(200);
    expect(result.overall.recall1).toBeGreaterThanOrEqual(floors.overall.recall1);
    expect(result.overall.recall10).toBeGreaterThanOrEqual(floors.overall.recall10);
    expect(result.overall.mrr).toBeGreaterThanOrEqual(floors.overall.mrr);
  });
  it('meets the floor of each kind of query', () => {
    for (const [kind, f] of Object.entries(floors.byKind)) expect(result.byKind[kind]?.recall10, kind).toBeGreaterThanOrEqual(f.recall10);
  });
});
