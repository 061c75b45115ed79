/**
 * The baseline over HTTP: MiniSearch behind node:http answering the same /api/v1/search?q= requests,
 * so the throughput ratio compares search designs, not frameworks.
 */
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { loadBaselineDocs, buildBaseline, baselineSearch } from './baseline.js';

const db = new Database(process.env.MEDCODES_DB!, { readonly: true });
const ms = buildBaseline(loadBaselineDocs(db));
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') return res.end('ok');
  const results = baselineSearch(ms, url.searchParams.get('q') ?? '', undefined, Number(url.searchParams.get('limit') ?? 20));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ query: url.searchParams.get('q'), results }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('baseline ready'));
