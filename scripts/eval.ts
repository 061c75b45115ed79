/**
 * `npm run eval`: recall@1, recall@10 and MRR of the search over the relevance set, overall, per kind
 * and per system, and the type-ahead figures (every word query typed one character at a time from its
 * third: how early an acceptable code reaches the top 5, and the share of characters typed), on the
 * database at MEDCODES_DB (default var/medcodes.db; run `npm start` or `npx medcodes import` first).
 * `--misses` lists the queries that found nothing acceptable and the type-ahead's late queries.
 */
import { Store } from '../src/store/store.js';
import { engineFor } from '../src/search/search.js';
import { evaluate, formatEvaluation, loadQueries, typeAhead, formatTypeAhead } from '../src/search/relevance.js';
import { defaultDbPath } from '../src/config.js';
import { resolveSystem } from '../src/systems.js';

const store = new Store(defaultDbPath());
const engine = engineFor(store);
const loaded = new Set(store.releases().map((r) => r.system));
const queries = loadQueries().filter((q) => q.system === 'any' || loaded.has(resolveSystem(q.system)!));
const systemsOf = (s: string) => (s !== 'any' ? { systems: [resolveSystem(s)!] } : {});
const result = evaluate(queries, (q) => engine.search({ q: q.query, limit: 10, ...systemsOf(q.system) }).results.map((r) => r.code));
console.log(formatEvaluation(`MedCodes search, ${queries.length} queries (systems loaded: ${[...loaded].join(', ')})`, result));
// Procedures: the procedure code sets' rows (ICD-10-PCS, ICD-9-CM Volume 3).
const procedures = queries.filter((q) => q.system === 'icd10pcs' || q.system === 'icd9pcs');
const proc = evaluate(procedures, (q) => engine.search({ q: q.query, limit: 10, ...systemsOf(q.system) }).results.map((r) => r.code));
console.log(
  `procedures (${proc.overall.n})  R@1 ${proc.overall.recall1.toFixed(3)}  R@10 ${proc.overall.recall10.toFixed(3)}  MRR ${proc.overall.mrr.toFixed(3)}`,
);
const ta = typeAhead(queries, (q, typed) => engine.search({ q: typed, limit: 5, ...systemsOf(q.system) }).results.map((r) => r.code));
console.log(formatTypeAhead(ta));
if (process.argv.includes('--misses')) {
  for (const m of result.misses) console.log(`miss  ${m.kind.padEnd(12)} ${m.system.padEnd(9)} ${m.query}  -> ${m.got.join(' ')}`);
  for (const l of ta.late) console.log(`late  ${l.system.padEnd(9)} ${l.query}${l.at ? '' : '  (not in the top 5 even when typed)'}`);
}
