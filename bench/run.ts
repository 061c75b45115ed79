/**
 * `npm run bench`: search figures on the full bundled data, each beside the same work done by the
 * baseline (MiniSearch with prefix and fuzzy search) on the same records, as ratios.
 *   - import and index: database size, index build and load time, resident memory
 *   - in process: p50 / p99 / mean latency over 1,000 realistic queries (bench/queries.ts), and over a
 *     type-ahead workload (every prefix of 200 word queries of the relevance set)
 *   - quality: recall@10 and MRR on the relevance set
 *   - HTTP: requests/s with autocannon, 50 connections, against `npm start`'s server on loopback
 *   - pages and API answers in process: code page, REST JSON, FHIR $lookup, similar codes, page weight
 * Options: --no-http, --seconds N (HTTP duration, default 10).
 */
import { existsSync, statSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { defaultDbPath } from '../src/config.js';
import { runImport } from '../src/importers/run.js';
import { terminalProgress } from '../src/progress.js';
import { SearchIndex } from '../src/search/index.js';
import { SearchEngine } from '../src/search/engine.js';
import { loadQueries, evaluate } from '../src/search/relevance.js';
import { resolveSystem } from '../src/systems.js';
import { benchQueries, typeAheadQueries, percentile } from './queries.js';
import { loadBaselineDocs, buildBaseline, baselineSearch } from './baseline.js';
import { pageRows } from './pages.js';

const dbPath = defaultDbPath();
const httpSeconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const ratio = (ours: number, base: number, higherIsBetter = false) => (higherIsBetter ? ours / base : base / ours).toFixed(1) + '×';
const rows: string[][] = [];
const row = (what: string, ours: string, base: string, r: string) => rows.push([what, ours, base, r]);

if (!existsSync(dbPath)) {
  const t = Date.now();
  await runImport({ db: dbPath, progress: terminalProgress() });
  console.log(`import: ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const db = new Database(dbPath, { readonly: true });
row('database size', mb(statSync(dbPath).size), '-', '');

// Index build (as the import does it), then load (as a server does it) and the memory it holds.
let t = performance.now();
SearchIndex.build(db);
const buildMs = performance.now() - t;
globalThis.gc?.();
t = performance.now();
const ix = SearchIndex.load(db) ?? SearchIndex.build(db);
const loadMs = performance.now() - t;
const engine = new SearchEngine(ix, { cacheSize: 0 }); // the engine itself, no result cache
globalThis.gc?.();

t = performance.now();
const docs = loadBaselineDocs(db);
const ms = buildBaseline(docs);
const baseBuildMs = performance.now() - t;

row('index build', `${buildMs.toFixed(0)} ms`, `${baseBuildMs.toFixed(0)} ms`, ratio(buildMs, baseBuildMs));
row('index load at start', `${loadMs.toFixed(0)} ms`, `${baseBuildMs.toFixed(0)} ms (rebuilt)`, ratio(loadMs, baseBuildMs));
row('docs / terms / postings', `${ix.n} / ${ix.termStr.length} / ${ix.postDoc.length}`, `${docs.length}`, '');

// Latency.
const rel = loadQueries();
const queries = benchQueries(rel, 1000);
const time = (f: (q: string) => unknown, list = queries) => {
  for (const q of list.slice(0, 200)) f(q); // warm-up
  const lat: number[] = [];
  for (const q of list) {
    const s = performance.now();
    f(q);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), mean: lat.reduce((a, b) => a + b, 0) / lat.length, max: lat.at(-1)! };
};
const ours = time((q) => engine.search({ q, limit: 20 }));
const base = time((q) => baselineSearch(ms, q, undefined, 20));
row('latency p50 (1,000 queries)', `${ours.p50.toFixed(3)} ms`, `${base.p50.toFixed(3)} ms`, ratio(ours.p50, base.p50));
row('latency p99', `${ours.p99.toFixed(3)} ms`, `${base.p99.toFixed(3)} ms`, ratio(ours.p99, base.p99));
row('latency mean', `${ours.mean.toFixed(3)} ms`, `${base.mean.toFixed(3)} ms`, ratio(ours.mean, base.mean));
row('latency max', `${ours.max.toFixed(1)} ms`, `${base.max.toFixed(1)} ms`, '');
// Type-ahead (issue 16): every prefix of 200 word queries, as an autocomplete box sends them.
const typing = typeAheadQueries(rel, 200);
const ot = time((q) => engine.search({ q, limit: 10 }), typing);
const bt = time((q) => baselineSearch(ms, q, undefined, 10), typing);
row(`type-ahead p50 (${typing.length} prefixes)`, `${ot.p50.toFixed(3)} ms`, `${bt.p50.toFixed(3)} ms`, ratio(ot.p50, bt.p50));
row('type-ahead p99', `${ot.p99.toFixed(3)} ms`, `${bt.p99.toFixed(3)} ms`, ratio(ot.p99, bt.p99));

// Quality on the relevance set (queries of the systems loaded).
const loaded = new Set((db.prepare('SELECT system FROM releases').all() as { system: string }[]).map((r) => r.system));
const relLoaded = rel.filter((q) => q.system === 'any' || loaded.has(q.system));
const sys = (s: string) => (s === 'any' ? undefined : resolveSystem(s));
const eo = evaluate(relLoaded, (q) =>
  engine.search({ q: q.query, limit: 10, ...(sys(q.system) ? { systems: [sys(q.system)!] } : {}) }).results.map((r) => r.code),
);
const eb = evaluate(relLoaded, (q) => baselineSearch(ms, q.query, sys(q.system), 10).map((r) => r.code));
row(
  `recall@10 (${relLoaded.length} queries)`,
  eo.overall.recall10.toFixed(3),
  eb.overall.recall10.toFixed(3),
  ratio(eo.overall.recall10, eb.overall.recall10, true),
);
row('recall@1', eo.overall.recall1.toFixed(3), eb.overall.recall1.toFixed(3), ratio(eo.overall.recall1, eb.overall.recall1, true));
row('MRR', eo.overall.mrr.toFixed(3), eb.overall.mrr.toFixed(3), ratio(eo.overall.mrr, eb.overall.mrr, true));

// Pages and API answers in process (bench/pages.ts); its baseline column is JSON.stringify of the core's document.
const pageTable = await pageRows(dbPath);

// HTTP throughput.
/** Resident memory of a process and its children (tsx runs the server in a child node process). */
function rssOf(pid: number): number {
  const own = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* no children */
  }
  return own + kids.reduce((s, k) => s + rssOf(k), 0);
}

/** Start a server, load it with autocannon, and report throughput and its resident memory. */
async function serveAndLoad(cmd: string[], env: Record<string, string>, port: number): Promise<autocannon.Result & { rss: number }> {
  // The benchmark is one client sending thousands of requests: the per-client rate limit stays on (its
  // cost is part of every request) but high enough never to refuse.
  const child: ChildProcess = spawn(cmd[0], cmd.slice(1), {
    env: { ...process.env, ...env, PORT: String(port), MEDCODES_DB: dbPath, MEDCODES_RATE_LIMIT: '1000000000' },
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
      } catch {
        /* not yet listening */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const requests = queries.map((q) => ({ method: 'GET' as const, path: `/api/v1/search?q=${encodeURIComponent(q)}&limit=10` }));
    // Warm the server's JIT and caches before measuring.
    await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: 2, requests });
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 50, duration: httpSeconds, requests });
    // Throughput of error answers measures nothing: refuse to report it.
    if (result.non2xx > 0) throw new Error(`${cmd.join(' ')}: ${result.non2xx} answers were not 2xx (rate limit on?)`);
    return Object.assign(result, { rss: rssOf(child.pid!) });
  } finally {
    child.kill();
  }
}
if (!process.argv.includes('--no-http')) {
  // As `npm start` runs it: one node process with tsx's loader.
  const node = [process.execPath, '--import', 'tsx'];
  const a = await serveAndLoad([...node, 'src/serve.ts'], { HOST: '127.0.0.1' }, 18181);
  const u = await serveAndLoad([...node, 'src/serve.ts'], { HOST: '127.0.0.1', MEDCODES_SEARCH_CACHE: '0' }, 18183);
  const b = await serveAndLoad([...node, 'bench/baseline-server.ts'], {}, 18182);
  row(
    'HTTP req/s (50 connections)',
    a.requests.average.toFixed(0),
    b.requests.average.toFixed(0),
    ratio(a.requests.average, b.requests.average, true),
  );
  row(
    'HTTP req/s, result cache off',
    u.requests.average.toFixed(0),
    b.requests.average.toFixed(0),
    ratio(u.requests.average, b.requests.average, true),
  );
  row('HTTP latency p99', `${a.latency.p99} ms`, `${b.latency.p99} ms`, ratio(a.latency.p99, b.latency.p99));
  row('HTTP errors / non-2xx', `${a.errors} / ${a.non2xx}`, `${b.errors} / ${b.non2xx}`, '');
  row('server resident memory (under load)', mb(a.rss), mb(b.rss), '');
}

const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['', 'MedCodes', 'MiniSearch (baseline)', 'ratio'][i].length));
const fmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
console.log(`\nMedCodes search benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${queries.length} queries\n`);
console.log(fmt(['', 'MedCodes', 'MiniSearch (baseline)', 'ratio']));
console.log(fmt(w.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(fmt(r));
const pw = [0, 1, 2, 3].map((i) =>
  Math.max(...pageTable.map((r) => r[i].length), ['', 'MedCodes', 'core document as JSON (baseline)', 'ratio'][i].length),
);
const pfmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(pw[i])).join(' | ')} |`;
console.log(`\nPages and API answers, in process\n`);
console.log(pfmt(['', 'MedCodes', 'core document as JSON (baseline)', 'ratio']));
console.log(pfmt(pw.map((n) => '-'.repeat(n))));
for (const r of pageTable) console.log(pfmt(r));
