import type { SystemId } from '../model.js';
import type { Store, CodeRow } from '../store/store.js';
import { codeKey } from '../codes.js';
import { MedCodesError } from '../errors.js';

/**
 * Search over the store: codes by exact key or key prefix, words through SQLite FTS5 with BM25.
 * Text processing runs as named steps (normalize -> tokenize -> classify) so each can be tested and
 * replaced on its own.
 */
export interface SearchParams {
  q: string;
  systems?: SystemId[];
  limit?: number;
  offset?: number;
}

export interface SearchHit {
  system: SystemId;
  code: string;
  display: string;
  billable: boolean;
  status: string;
  score: number;
  matched: { field: 'code' | 'display' | 'terms'; term: string };
}

export interface SearchResult {
  query: string;
  total: number;
  results: SearchHit[];
}

export const MAX_QUERY_LENGTH = 256;
export const MAX_LIMIT = 100;

/** Step 1: remove control characters, fold white space, bound the length. */
export function normalizeQuery(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const s = raw.normalize('NFKC').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  if (s.length > MAX_QUERY_LENGTH) throw new MedCodesError('query_too_long', `the query is ${s.length} characters; the limit is ${MAX_QUERY_LENGTH}`);
  return s;
}

/** Step 2: words are runs of letters and digits (FTS5 unicode61 splits the same way). */
export function tokenize(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Step 3: does the query look like a code (or code prefix)? A single token of letters and digits with
 * at least one digit, optionally with a dot: `E11`, `e11.9`, `0DTJ4ZZ`, `J1100`, `250.00`. Codes are
 * never split into words.
 */
export function codeShape(s: string): string | undefined {
  const t = s.trim();
  if (!/^[A-Za-z0-9]{1,8}(\.[A-Za-z0-9]{0,5})?$/.test(t) || !/\d/.test(t)) return undefined;
  return t.replace('.', '').toUpperCase();
}

function hit(r: CodeRow, score: number, matched: SearchHit['matched']): SearchHit {
  return { system: r.system, code: r.code, display: r.display, billable: r.billable, status: r.status, score: Math.round(score * 1000) / 1000, matched };
}

export function search(store: Store, params: SearchParams): SearchResult {
  const query = normalizeQuery(params.q ?? '');
  const limit = Math.min(Math.max(params.limit ?? 20, 1), MAX_LIMIT);
  const offset = Math.max(params.offset ?? 0, 0);
  if (!query) return { query, total: 0, results: [] };
  const systems = params.systems?.length ? params.systems : null;
  const sysClause = systems ? `AND c.system IN (${systems.map(() => '?').join(',')})` : '';
  const sysArgs = systems ?? [];

  const code = codeShape(query);
  if (code) {
    // Exact key first, then the subtree by key prefix in classification order. The range bound
    // (key >= prefix AND key < prefix + U+FFFF) uses the (system, key) index.
    const where = `c.key >= ? AND c.key < ? ${sysClause}`;
    const args = [code, `${code}\uffff`, ...sysArgs];
    const total = (store.db.prepare(`SELECT count(*) AS n FROM codes c WHERE ${where}`).get(...args) as { n: number }).n;
    if (total > 0) {
      const rows = store.db
        .prepare(
          `SELECT c.id, c.system, c.key, c.code, c.display, c.billable, c.status, c.kind, c.sort FROM codes c WHERE ${where}
           ORDER BY (c.key = ?) DESC, (c.status = 'active') DESC, length(c.key), c.sort LIMIT ? OFFSET ?`,
        )
        .all(...args, code, limit, offset) as any[];
      return {
        query,
        total,
        results: rows.map((r) => hit({ ...r, billable: !!r.billable }, r.key === code ? 100 : 50 / (1 + r.key.length - code.length), { field: 'code', term: code })),
      };
    }
  }

  const tokens = tokenize(query).slice(0, 12);
  if (!tokens.length) return { query, total: 0, results: [] };
  // Each token quoted (FTS5 syntax in user input is never interpreted); the last is a prefix, as the
  // user may still be typing it.
  const match = tokens.map((t, i) => `"${t}"${i === tokens.length - 1 ? '*' : ''}`).join(' ');
  const from = `FROM search_fts f JOIN codes c ON c.id = f.rowid WHERE search_fts MATCH ? ${sysClause}`;
  const total = (store.db.prepare(`SELECT count(*) AS n ${from}`).get(match, ...sysArgs) as { n: number }).n;
  const rows = store.db
    .prepare(
      `SELECT c.id, c.system, c.key, c.code, c.display, c.billable, c.status, c.kind, bm25(search_fts, 10.0, 2.0) AS rank ${from}
       ORDER BY rank + (CASE WHEN c.status = 'active' THEN 0 ELSE 5 END) - (c.billable * 0.5) LIMIT ? OFFSET ?`,
    )
    .all(match, ...sysArgs, limit, offset) as any[];
  return {
    query,
    total,
    results: rows.map((r) => {
      const inTitle = tokens.every((t) => r.display.toLowerCase().includes(t));
      return hit({ ...r, billable: !!r.billable }, -r.rank, { field: inTitle ? 'display' : 'terms', term: tokens.join(' ') });
    }),
  };
}
