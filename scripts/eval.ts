/**
 * `npm run eval`: recall@1, recall@10 and MRR of the search over the relevance set, overall, per kind
 * and per system, on the database at MEDCODES_DB (default var/medcodes.db; run `npm start` or
 * `npx medcodes import` first). `--misses` lists the queries that found nothing acceptable.
 */
import { Store } from '../src/store/store.js';
import { engineFor } from '../src/search/search.js';
import { evaluate, formatEvaluation, loadQueries } from '../src/search/relevance.js';
import { defaultDbPath } from '../src/config.js';
import { resolveSystem } from '../src/systems.js';

const store = new Store(defaultDbPath());
const engine = engineFor(store);
const loaded = new Set(store.releases().map((r) => r.system));
const queries = loadQueries().filter((q) => q.system === 'any' || loaded.has(resolveSystem(q.system)!));
const result = evaluate(queries, (q) =>
  engine
    .search({ q: q.query, limit: 10, ...(q.system !== 'any' ? { systems: [resolveSystem(q.system)!] } : {}) })
    .results.map((r) => r.code),
);
console.log(formatEvaluation(`MedCodes search, ${queries.length} queries (systems loaded: ${[...loaded].join(', ')})`, result));
if (process.argv.includes('--misses'))
  for (const m of result.misses) console.log(`miss  ${m.kind.padEnd(12)} ${m.system.padEnd(9)} ${m.query}  -> ${m.got.join(' ')}`);
