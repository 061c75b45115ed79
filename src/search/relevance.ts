import { readFileSync } from 'node:fs';
import { parseError } from '../errors.js';

/**
 * The relevance set (`test/relevance/queries.tsv`) and its metrics. A query passes at k when one of
 * its acceptable codes is among the first k results. recall@k is the share of queries that pass at k;
 * MRR is the mean of 1 / rank of the first acceptable code (0 when none is in the results).
 */
export interface RelevanceQuery {
  query: string;
  system: string;
  kind: string;
  acceptable: string[];
  note?: string;
  line: number;
}

export function parseQueries(text: string, file = 'queries.tsv'): RelevanceQuery[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.split('\t').slice(0, 4).join(',') !== 'query,system,kind,acceptable')
    throw parseError('header must start: query, system, kind, acceptable', { file, line: 1 });
  const out: RelevanceQuery[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const [query, system, kind, acceptable, note] = lines[i].split('\t');
    if (!query || !system || !kind || !acceptable)
      throw parseError('each row needs query, system, kind and acceptable codes', { file, line: i + 1 });
    out.push({
      query,
      system,
      kind,
      acceptable: acceptable
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      ...(note ? { note } : {}),
      line: i + 1,
    });
  }
  return out;
}

export function loadQueries(path = 'test/relevance/queries.tsv'): RelevanceQuery[] {
  return parseQueries(readFileSync(path, 'utf8'), path);
}

export interface Metrics {
  n: number;
  recall1: number;
  recall10: number;
  mrr: number;
}

export interface Evaluation {
  overall: Metrics;
  byKind: Record<string, Metrics>;
  bySystem: Record<string, Metrics>;
  /** Queries whose acceptable codes are not in the top 10. */
  misses: { query: string; kind: string; system: string; got: string[] }[];
}

/** Rank (1-based) of the first acceptable code in `codes`, or 0. Codes compare without dots, any case. */
export function firstRank(codes: string[], acceptable: string[]): number {
  const norm = (c: string) => c.replace(/\./g, '').toUpperCase();
  const ok = new Set(acceptable.map(norm));
  const i = codes.findIndex((c) => ok.has(norm(c)));
  return i < 0 ? 0 : i + 1;
}

function metrics(ranks: number[]): Metrics {
  const n = ranks.length;
  if (!n) return { n: 0, recall1: 0, recall10: 0, mrr: 0 };
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n,
    recall1: r(ranks.filter((k) => k === 1).length / n),
    recall10: r(ranks.filter((k) => k >= 1 && k <= 10).length / n),
    mrr: r(ranks.reduce((s, k) => s + (k ? 1 / k : 0), 0) / n),
  };
}

/** Run every query through `run` (which returns result codes, best first) and measure. */
export function evaluate(queries: RelevanceQuery[], run: (q: RelevanceQuery) => string[]): Evaluation {
  const rows = queries.map((q) => {
    const got = run(q).slice(0, 10);
    return { q, got, rank: firstRank(got, q.acceptable) };
  });
  const group = (key: (q: RelevanceQuery) => string) => {
    const m = new Map<string, number[]>();
    for (const r of rows) m.set(key(r.q), [...(m.get(key(r.q)) ?? []), r.rank]);
    return Object.fromEntries([...m].sort().map(([k, v]) => [k, metrics(v)]));
  };
  return {
    overall: metrics(rows.map((r) => r.rank)),
    byKind: group((q) => q.kind),
    bySystem: group((q) => q.system),
    misses: rows.filter((r) => !r.rank).map((r) => ({ query: r.q.query, kind: r.q.kind, system: r.q.system, got: r.got.slice(0, 3) })),
  };
}

export function formatEvaluation(label: string, e: Evaluation): string {
  const line = (name: string, m: Metrics) =>
    `${name.padEnd(14)} ${String(m.n).padStart(4)}  ${m.recall1.toFixed(3)}  ${m.recall10.toFixed(3)}  ${m.mrr.toFixed(3)}`;
  return [
    `${label}`,
    `${'group'.padEnd(14)} ${'n'.padStart(4)}  R@1    R@10   MRR`,
    line('overall', e.overall),
    ...Object.entries(e.byKind).map(([k, m]) => line(`kind:${k}`, m)),
    ...Object.entries(e.bySystem).map(([k, m]) => line(`system:${k}`, m)),
  ].join('\n');
}

/**
 * Type-ahead: how early, while a query is typed, one of its acceptable codes reaches the top 5.
 * Every word query (not a code) is typed one character at a time from its third character; the
 * first prefix whose top 5 holds an acceptable code is where the user could stop typing.
 */
export interface TypeAhead {
  /** Word queries measured. */
  n: number;
  /** Share whose right code is in the top 5 before the query is fully typed. */
  beforeComplete: number;
  /** Share whose right code is in the top 5 at some point, the full query included. */
  reached: number;
  /** Mean share of the query's characters typed when the right code first reaches the top 5 (queries that reach it). */
  charsTyped: number;
  /** Queries whose right code is not in the top 5 before they are fully typed. */
  late: { query: string; system: string; at: number }[];
}

/** A query typed as words (not a code), long enough to have a prefix from its third character. */
export function isWordQuery(q: RelevanceQuery): boolean {
  return q.kind !== 'code' && /[a-z]{3}/i.test(q.query) && q.query.length > 3;
}

export function typeAhead(queries: RelevanceQuery[], run: (q: RelevanceQuery, typed: string) => string[]): TypeAhead {
  const word = queries.filter(isWordQuery);
  let before = 0;
  let reached = 0;
  let chars = 0;
  const late: TypeAhead['late'] = [];
  for (const q of word) {
    const len = q.query.length;
    let at = 0;
    for (let l = Math.min(3, len); l <= len; l++) {
      const rank = firstRank(run(q, q.query.slice(0, l)).slice(0, 5), q.acceptable);
      if (rank) {
        at = l;
        break;
      }
    }
    if (at) {
      reached++;
      chars += at / len;
    }
    if (at && at < len) before++;
    else late.push({ query: q.query, system: q.system, at });
  }
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const n = word.length;
  return { n, beforeComplete: r(n ? before / n : 0), reached: r(n ? reached / n : 0), charsTyped: r(reached ? chars / reached : 0), late };
}

export function formatTypeAhead(t: TypeAhead): string {
  return [
    `type-ahead, ${t.n} word queries typed from their 3rd character:`,
    `  right code in the top 5 before fully typed: ${t.beforeComplete.toFixed(3)}`,
    `  right code in the top 5 at some point:      ${t.reached.toFixed(3)}`,
    `  share of characters typed when it gets there: ${t.charsTyped.toFixed(3)}`,
  ].join('\n');
}
