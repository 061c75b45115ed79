/**
 * A code page of this checkout against the same page of another checkout (an older commit), in one
 * process, on the same database and the same codes, the two servers taking turns code by code (the
 * order alternating) so that a loaded machine slows both alike. Reports each p50 / p99 and the
 * ratio. Used for the page budget of issue 15 (docs/PERFORMANCE.md, "Code pages in plain language").
 *
 *   git worktree add /tmp/medcodes-base <commit>   (its node_modules: a symlink to this one's)
 *   npx tsx bench/pages-versus.ts /tmp/medcodes-base [db]
 */
import { resolve } from 'node:path';
import { percentile } from './queries.js';

const baseDir = resolve(process.argv[2] ?? '');
const dbPath = process.argv[3] ?? process.env.MEDCODES_DB ?? 'var/medcodes.db';
if (!process.argv[2]) throw new Error('usage: bench/pages-versus.ts <other checkout> [db]');

type App = { request(path: string): Promise<Response> | Response };
async function appOf(dir: string): Promise<{ app: App; store: { close(): void; db: any } }> {
  const { Store } = await import(`${dir}/src/store/store.ts`);
  const { createApp } = await import(`${dir}/src/api/app.ts`);
  const store = new Store(dbPath);
  return { app: createApp({ store: () => store, limits: { rateLimit: 0 } }), store };
}

const ours = await appOf(resolve(import.meta.dirname, '..'));
const theirs = await appOf(baseDir);
const rows = ours.store.db
  .prepare(
    "SELECT system, code FROM codes WHERE status = 'active' AND system IN ('icd10cm', 'icd10pcs', 'hcpcs', 'icd9cm', 'nucc') ORDER BY system, sort",
  )
  .all() as { system: string; code: string }[];
const step = Math.max(1, Math.floor(rows.length / 600));
const codes = rows.filter((_, i) => i % step === 0).slice(0, 600);

const one = async (app: App, c: { system: string; code: string }) => {
  const s = performance.now();
  const res = await app.request(`/codes/${c.system}/${encodeURIComponent(c.code)}`);
  if (res.status !== 200) throw new Error(`${c.system} ${c.code}: ${res.status}`);
  await res.arrayBuffer();
  return performance.now() - s;
};
for (const c of codes.slice(0, 50)) {
  await one(ours.app, c);
  await one(theirs.app, c);
}
const a: number[] = [];
const b: number[] = [];
for (const [i, c] of codes.entries()) {
  if (i % 2) {
    a.push(await one(ours.app, c));
    b.push(await one(theirs.app, c));
  } else {
    b.push(await one(theirs.app, c));
    a.push(await one(ours.app, c));
  }
}
a.sort((x, y) => x - y);
b.sort((x, y) => x - y);
const ms = (t: number) => `${t.toFixed(2)} ms`;
console.log(`| code page (${codes.length} codes) | this checkout | ${baseDir} | ratio |`);
console.log('| --- | --- | --- | --- |');
console.log(`| p50 | ${ms(percentile(a, 50))} | ${ms(percentile(b, 50))} | ${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}× |`);
console.log(`| p99 | ${ms(percentile(a, 99))} | ${ms(percentile(b, 99))} | ${(percentile(a, 99) / percentile(b, 99)).toFixed(2)}× |`);
ours.store.close();
theirs.store.close();
