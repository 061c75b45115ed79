import type { RelevanceQuery } from '../src/search/relevance.js';

/**
 * The benchmark's query mix, derived deterministically from the relevance set so that it follows what
 * users type: every query whole; the prefixes a user types on the way (autocomplete: "h", "he", "hea",
 * "heart a", ...); each query with one typo (two letters swapped in its longest word); and code forms.
 */
export function benchQueries(rel: RelevanceQuery[], count = 1000): string[] {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: string[] = [];
  for (const q of rel) out.push(q.query);
  for (const q of rel) {
    const s = q.query;
    for (let i = 2; i < s.length; i += 1 + Math.floor(rand() * 3)) out.push(s.slice(0, i));
  }
  for (const q of rel) {
    const words = q.query.split(' ');
    const longest = words.reduce((a, b) => (b.length > a.length ? b : a), '');
    if (longest.length < 6 || /\d/.test(longest)) continue;
    const i = 1 + Math.floor(rand() * (longest.length - 3));
    const typo = longest.slice(0, i) + longest[i + 1] + longest[i] + longest.slice(i + 2);
    out.push(q.query.replace(longest, typo));
  }
  // Shuffle, then take `count` (repeating if the set is small).
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  const res: string[] = [];
  for (let i = 0; res.length < count; i++) res.push(out[i % out.length]);
  return res;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * The type-ahead workload (issue 16): every prefix, from the first character, of `count` word queries
 * of the relevance set taken in a fixed order, as an autocomplete box sends them while a user types.
 */
export function typeAheadQueries(rel: RelevanceQuery[], count = 200): string[] {
  const words = rel.filter((q) => q.kind !== 'code' && /[a-z]{3}/i.test(q.query));
  const picked: string[] = [];
  // Spread over the set (every k-th), so every kind and system is in the workload.
  const step = Math.max(1, words.length / count);
  for (let i = 0; picked.length < count && Math.floor(i) < words.length; i += step) picked.push(words[Math.floor(i)].query);
  const out: string[] = [];
  for (const q of picked) for (let l = 1; l <= q.length; l++) out.push(q.slice(0, l));
  return out;
}
