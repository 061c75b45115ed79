/**
 * Pages and API answers, in process, on the full bundled data: how long the server takes to produce a
 * code page, its JSON document and a FHIR $lookup, and how much a code page weighs. The baseline is
 * the same code's document serialized with JSON.stringify straight from the core (no framework, no
 * HTML): what any server must at least do to answer with this data, so the ratio is the cost of the
 * page on top of it.
 */
import { Store } from '../src/store/store.js';
import { createApp } from '../src/api/app.js';
import { lookup } from '../src/lookup.js';
import { similarCodes } from '../src/similar/similar.js';
import { percentile } from './queries.js';
import { SYSTEMS } from '../src/systems.js';
import type { SystemId } from '../src/model.js';

const SAMPLE = 600;

interface Timing {
  p50: number;
  p99: number;
}

function timingOf(lat: number[]): Timing {
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** Every n-th active code of the claim code sets, in classification order: a fixed, spread-out sample. */
export function sampleCodes(store: Store): { system: string; code: string; key: string }[] {
  const rows = store.db
    .prepare(
      "SELECT system, code, key FROM codes WHERE status = 'active' AND system IN ('icd10cm', 'icd10pcs', 'hcpcs', 'icd9cm', 'nucc') ORDER BY system, sort",
    )
    .all() as { system: string; code: string; key: string }[];
  const step = Math.max(1, Math.floor(rows.length / SAMPLE));
  return rows.filter((_, i) => i % step === 0).slice(0, SAMPLE);
}

export async function pageRows(dbPath: string): Promise<string[][]> {
  const store = new Store(dbPath);
  const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
  const codes = sampleCodes(store);
  const time = async (f: (c: (typeof codes)[number]) => Promise<unknown> | unknown) => {
    for (const c of codes.slice(0, 50)) await f(c); // warm-up (index load, JIT)
    const lat: number[] = [];
    for (const c of codes) {
      const s = performance.now();
      await f(c);
      lat.push(performance.now() - s);
    }
    return timingOf(lat);
  };
  const sizes: number[] = [];
  const page = await time(async (c) => {
    const res = await app.request(`/codes/${c.system}/${encodeURIComponent(c.code)}`);
    if (res.status !== 200) throw new Error(`${c.system} ${c.code}: ${res.status}`);
    sizes.push((await res.arrayBuffer()).byteLength);
  });
  const api = await time(async (c) => (await app.request(`/api/v1/codes/${c.system}/${encodeURIComponent(c.code)}`)).text());
  const fhir = await time(async (c) =>
    (
      await app.request(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(systemUri(c.system))}&code=${encodeURIComponent(c.code)}`)
    ).text(),
  );
  const base = await time((c) => JSON.stringify(lookup(store, c.system, c.code)));
  const similar = await time((c) => similarCodes(store, c.system as SystemId, c.key));
  sizes.sort((a, b) => a - b);
  const ms = (t: number) => `${t.toFixed(2)} ms`;
  const ratio = (ours: number, b: number) => `${(b / ours).toFixed(2)}×`;
  store.close();
  return [
    [
      `code page p50 / p99 (${codes.length} codes)`,
      `${ms(page.p50)} / ${ms(page.p99)}`,
      `${ms(base.p50)} / ${ms(base.p99)}`,
      ratio(page.p50, base.p50),
    ],
    ['code JSON (REST) p50 / p99', `${ms(api.p50)} / ${ms(api.p99)}`, `${ms(base.p50)} / ${ms(base.p99)}`, ratio(api.p50, base.p50)],
    ['FHIR $lookup p50 / p99', `${ms(fhir.p50)} / ${ms(fhir.p99)}`, `${ms(base.p50)} / ${ms(base.p99)}`, ratio(fhir.p50, base.p50)],
    ['similar codes p50 / p99 (part of each of the above)', `${ms(similar.p50)} / ${ms(similar.p99)}`, '-', ''],
    ['code page weight median / max', `${(percentile(sizes, 50) / 1024).toFixed(1)} KB / ${(sizes.at(-1)! / 1024).toFixed(0)} KB`, '-', ''],
  ];
}

const systemUri = (s: string) => SYSTEMS[s as SystemId].uri;
