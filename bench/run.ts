/**
 * `npm run bench`: search figures on the full bundled data, each beside the same work done by the
 * baseline (MiniSearch with prefix and fuzzy search) on the same records, as ratios.
 *   - import and index: database size, index build and load time, resident memory
 *   - in process: p50 / p99 / mean latency over 1,000 realistic queries (bench/queries.ts)
 *   - quality: recall@10 and MRR on the relevance set
 *   - HTTP: requests/s with autocannon, 50 connections, against `npm start`'s server on loopback, beside
 *     a bare node:http server answering bodies of the same size (bench/bare-server.ts), in the same run
 *   - pages and API answers in process: code page, REST JSON, FHIR $lookup, similar codes, page weight
 * Options: --no-http, --http-only, --seconds N (HTTP duration, default 10).
 */
import { existsSync, statSync, readFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
import { pageRows, sampleCodes } from './pages.js';
import { Store } from '../src/store/store.js';

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

// The query mix (bench/queries.ts), in process and over HTTP.
const rel = loadQueries();
const queries = benchQueries(rel, 1000);
let pageTable: string[][] = [];
// --http-only: the HTTP figures alone (the in-process part takes minutes, MiniSearch's latency most of it).
if (!process.argv.includes('--http-only')) {
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
  pageTable = await pageRows(dbPath);
}

// HTTP throughput, each workload beside the bare-Node ceiling in the same run (bench/bare-server.ts: a
// node:http server answering a body of the same size without doing anything), as a fraction of it.
/** Resident memory of a process and its children. */
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

interface Server {
  port: number;
  pid: number;
  stop(): void;
}

/**
 * Start a server and wait for /health. Benchmarks run with MEDCODES_RATE_LIMIT=0 (no per-client rate
 * limit: the load comes from one client address, and a refused request measures nothing).
 */
async function start(cmd: string[], env: Record<string, string>, port: number): Promise<Server> {
  const child: ChildProcess = spawn(cmd[0], cmd.slice(1), {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', MEDCODES_DB: dbPath, MEDCODES_RATE_LIMIT: '0' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch {
      /* not yet listening */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, pid: child.pid!, stop: () => child.kill() };
}

/** A deterministic shuffle, different for each seed. */
function shuffled<T>(a: T[], seed: number): T[] {
  let s = seed * 7919 + 1;
  const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * autocannon, 50 connections, `httpSeconds`: each connection walks its own shuffle of the paths, so
 * no two connections ask the same thing at the same time.
 */
async function load(
  server: Server,
  paths: string[],
  seconds = httpSeconds,
  connections = 50,
): Promise<autocannon.Result & { cpuMs: number }> {
  let client = 0;
  const setupClient = (c: any) => c.setRequests(shuffled(paths, ++client).map((path) => ({ method: 'GET', path })));
  const before = cpuOf(server.pid);
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: seconds, setupClient } as any);
  if (result.non2xx > 0) throw new Error(`port ${server.port}: ${result.non2xx} answers were not 2xx`);
  // CPU time the server spent per answer: unlike requests/s, it does not depend on how much of the
  // machine other processes take (this machine is shared).
  return Object.assign(result, { cpuMs: (cpuOf(server.pid) - before) / Math.max(1, result.requests.total) });
}

/** CPU time (user + system, ms) of a process and its children so far. */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = 1000 / 100; // USER_HZ is 100 on Linux
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* no children */
  }
  return (Number(f[11]) + Number(f[12])) * ticks + kids.reduce((s, k) => s + cpuOf(k), 0);
}

/** Ask every path once, eight at a time. */
async function askEach(server: Server, paths: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) await (await fetch(`http://127.0.0.1:${server.port}${paths[next++]}`)).arrayBuffer();
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Mean body size of the first answers to `paths` (for the bare server's bodies). */
async function meanSize(port: number, paths: string[]): Promise<number> {
  let n = 0;
  for (const p of paths.slice(0, 100)) n += (await (await fetch(`http://127.0.0.1:${port}${p}`)).arrayBuffer()).byteLength;
  return Math.round(n / Math.min(100, paths.length));
}

const httpRows: string[][] = [];
if (!process.argv.includes('--no-http')) {
  // As `npm start` runs it: bin/medcodes.js serve, on the compiled dist/ (built first, as npm install does).
  spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'ignore' });
  const medcodes = [process.execPath, 'bin/medcodes.js', 'serve'];
  const searchPaths = [...new Set(queries)].map((q) => `/api/v1/search?q=${encodeURIComponent(q)}&limit=10`);
  const codes = sampleCodes(new Store(dbPath));
  const pagePaths = codes.map((c) => `/codes/${c.system}/${encodeURIComponent(c.code)}`);
  const docPaths = codes.map((c) => `/api/v1/codes/${c.system}/${encodeURIComponent(c.code)}`);
  const cached = await start(medcodes, {}, 18181);
  const uncached = await start(medcodes, { MEDCODES_SEARCH_CACHE: '0' }, 18183);
  const idle = rssOf(cached.pid);
  const sizes = {
    '/api/v1/search': [await meanSize(cached.port, searchPaths), 'application/json'],
    '/codes/': [await meanSize(cached.port, pagePaths), 'text/html; charset=UTF-8'],
    '/api/v1/codes/': [await meanSize(cached.port, docPaths), 'application/json'],
  };
  const bare = await start([process.execPath, '--import', 'tsx', 'bench/bare-server.ts'], { BARE_BODIES: JSON.stringify(sizes) }, 18182);
  try {
    // Warm-up (JIT, SQLite's page cache). The cached server is warmed on pages only, so its search
    // result cache starts empty and the cached run includes filling it.
    await load(uncached, searchPaths, 2, 10);
    await load(cached, pagePaths, 2, 10);
    await load(cached, docPaths, 2, 10);
    await load(bare, searchPaths, 2, 10);
    const workloads: [string, Server, string[]][] = [
      [`uncached search (${searchPaths.length} distinct queries, result cache off)`, uncached, searchPaths],
      [`cached search (the same queries, each asked once before)`, cached, searchPaths],
      [`code page HTML (${pagePaths.length} codes, each asked once before)`, cached, pagePaths],
      ['REST code document JSON (the same codes)', cached, docPaths],
    ];
    for (const [what, server, paths] of workloads) {
      // On the cached server, every path is asked once first: the figure is then that of answers
      // from the caches (search results; code documents without their article, see lookup.ts), not
      // of however many first asks fit in the run.
      if (server === cached) await askEach(server, paths);
      const b = await load(bare, paths);
      const o = await load(server, paths);
      httpRows.push([
        what,
        `${o.requests.average.toFixed(0)} req/s, p99 ${o.latency.p99} ms, ${o.cpuMs.toFixed(3)} ms CPU/req`,
        `${b.requests.average.toFixed(0)} req/s, p99 ${b.latency.p99} ms, ${b.cpuMs.toFixed(3)} ms CPU/req`,
        `${((100 * o.requests.average) / b.requests.average).toFixed(0)}% (CPU: ${((100 * b.cpuMs) / o.cpuMs).toFixed(0)}%)`,
      ]);
    }
    httpRows.push(['server resident memory idle / after the runs', `${mb(idle)} / ${mb(rssOf(cached.pid))}`, mb(rssOf(bare.pid)), '']);
    httpRows.push(['uncached server resident memory after its run', mb(rssOf(uncached.pid)), '', '']);
  } finally {
    for (const s of [cached, uncached, bare]) s.stop();
  }
}

const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['', 'MedCodes', 'MiniSearch (baseline)', 'ratio'][i].length));
const fmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
console.log(`\nMedCodes search benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${queries.length} queries\n`);
console.log(fmt(['', 'MedCodes', 'MiniSearch (baseline)', 'ratio']));
console.log(fmt(w.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(fmt(r));
if (pageTable.length) {
  const pw = [0, 1, 2, 3].map((i) =>
    Math.max(...pageTable.map((r) => r[i].length), ['', 'MedCodes', 'core document as JSON (baseline)', 'ratio'][i].length),
  );
  const pfmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(pw[i])).join(' | ')} |`;
  console.log(`\nPages and API answers, in process\n`);
  console.log(pfmt(['', 'MedCodes', 'core document as JSON (baseline)', 'ratio']));
  console.log(pfmt(pw.map((n) => '-'.repeat(n))));
  for (const r of pageTable) console.log(pfmt(r));
}
if (httpRows.length) {
  const hw = [0, 1, 2, 3].map((i) =>
    Math.max(
      ...httpRows.map((r) => r[i].length),
      ['', 'MedCodes', 'bare node:http, same body size (ceiling)', 'share of ceiling: req/s (CPU per request)'][i].length,
    ),
  );
  const hfmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(hw[i])).join(' | ')} |`;
  console.log(
    `\nHTTP, autocannon, 50 connections, ${httpSeconds} s each, MEDCODES_RATE_LIMIT=0, each connection its own order of the paths\n`,
  );
  console.log(hfmt(['', 'MedCodes', 'bare node:http, same body size (ceiling)', 'share of ceiling: req/s (CPU per request)']));
  console.log(hfmt(hw.map((n) => '-'.repeat(n))));
  for (const r of httpRows) console.log(hfmt(r));
}
