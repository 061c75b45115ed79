/**
 * `node --import tsx bench/mcp.ts [--db FILE] [--n 300]`: the cost of answering through MCP over
 * Streamable HTTP (/mcp, JSON-RPC, a pooled server per request) beside the same answer from the REST
 * API, and of a revalidated read (If-None-Match -> 304) beside a full one, in process through the
 * app (no network), as ratios. Each pair runs interleaved in the same process.
 */
import { defaultDbPath } from '../src/config.js';
import { createApp } from '../src/api/app.js';
import { Store } from '../src/store/store.js';
import { engineFor } from '../src/search/search.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const n = Number(arg('--n') ?? 300);
const store = new Store(arg('--db') ?? defaultDbPath());
engineFor(store);
const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const rpc = (method: string, params?: unknown) =>
  app.request('/mcp', { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }) });
const tool = (name: string, args: unknown) => rpc('tools/call', { name, arguments: args });

/** Mean time per call of a and b, run alternately so that load on the machine falls on both. */
async function pair(a: () => Response | Promise<Response>, b: () => Response | Promise<Response>): Promise<[number, number]> {
  for (let i = 0; i < 20; i++) {
    await (await a()).text();
    await (await b()).text();
  }
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await (await a()).text();
    ta += performance.now() - t;
    t = performance.now();
    await (await b()).text();
    tb += performance.now() - t;
  }
  return [ta / n, tb / n];
}

const rows: string[][] = [];
const add = (what: string, [ours, base]: [number, number], baseline: string) =>
  rows.push([what, `${ours.toFixed(2)} ms`, `${base.toFixed(2)} ms (${baseline})`, `${(ours / base).toFixed(2)}×`]);

add(
  'MCP lookup_code E11.9',
  await pair(
    () => tool('lookup_code', { system: 'icd10cm', code: 'E11.9' }),
    () => app.request('/api/v1/codes/icd10cm/E11.9'),
  ),
  'REST code document',
);
add(
  'MCP search_codes "chest pain"',
  await pair(
    () => tool('search_codes', { query: 'chest pain', limit: 10 }),
    () => app.request('/api/v1/search?q=chest%20pain&limit=10'),
  ),
  'REST search',
);
add(
  'MCP validate_codes (3 codes)',
  await pair(
    () => tool('validate_codes', { codes: ['E11.9', 'I21.4', 'J1100'] }),
    () =>
      app.request('/api/v1/validate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ codes: ['E11.9', 'I21.4', 'J1100'] }),
      }),
  ),
  'REST validate',
);
add(
  'MCP ping (transport alone)',
  await pair(
    () => rpc('ping'),
    () => app.request('/health'),
  ),
  'GET /health',
);
const tag = (await app.request('/api/v1/codes/icd10cm/E11.9')).headers.get('etag') ?? '';
add(
  'code document, If-None-Match (304)',
  await pair(
    () => app.request('/api/v1/codes/icd10cm/E11.9', { headers: { 'If-None-Match': tag } }),
    () => app.request('/api/v1/codes/icd10cm/E11.9'),
  ),
  'the full 200',
);

const widths = [0, 1, 2, 3].map((i) => Math.max(...[['what', 'ours', 'baseline', 'ratio'], ...rows].map((r) => r[i].length)));
for (const r of [['what', 'ours', 'baseline', 'ratio'], ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
store.close();
