/**
 * Peak memory of building the search index over everything loaded, beside building the baseline
 * (MiniSearch) over the same records; each in a process of its own so that neither sees the other's
 * garbage. `node --expose-gc --import tsx bench/index-memory.ts [database]`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { defaultDbPath } from '../src/config.js';
import { SearchIndex } from '../src/search/index.js';
import { loadBaselineDocs, buildBaseline } from './baseline.js';

const [, , first, second] = process.argv;
const which = first === 'ours' || first === 'baseline' ? first : undefined;
const dbPath = (which ? second : first) ?? defaultDbPath();

if (which) {
  // Child: build once, sampling resident memory every 20 ms, and print one JSON line.
  const db = new Database(dbPath, { readonly: true });
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  let docs = 0;
  if (which === 'ours') docs = SearchIndex.build(db).n;
  else {
    const d = loadBaselineDocs(db);
    buildBaseline(d);
    docs = d.length;
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(timer);
  console.log(JSON.stringify({ docs, ms, before, peak }));
} else {
  const run = (w: string) => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), w, dbPath], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { docs: number; ms: number; before: number; peak: number };
  };
  const o = run('ours');
  const b = run('baseline');
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;
  console.log(`index build over ${o.docs} concepts (${dbPath})`);
  console.log(`| | MedCodes | MiniSearch (baseline) | ratio |\n|---|---|---|---|`);
  console.log(`| build time | ${o.ms.toFixed(0)} ms | ${b.ms.toFixed(0)} ms | ${(b.ms / o.ms).toFixed(1)}× |`);
  console.log(`| peak RSS while building | ${mb(o.peak)} | ${mb(b.peak)} | ${(b.peak / o.peak).toFixed(1)}× |`);
}
