import type { SystemId } from '../model.js';
import { SYSTEM_IDS, SYSTEMS } from '../systems.js';
import { MedCodesError } from '../errors.js';
import { SearchIndex, FIELD_TITLE, FIELD_INCLUSION, FIELD_MAIN, NO_TERM, type Rewrite } from './index.js';
import { clean, terms, variants, editDistance, allowedEdits, STOPWORDS, americanize } from './text.js';
import { wordFormMap } from './word-forms.js';
import { specialCodeKeys, codeShapeHint, type CodeShapeHint } from '../codes.js';
import { rankScore, queryIntent, WEIGHTS, type DocFeatures, type QueryIntent } from './rank.js';

/**
 * Query evaluation over a SearchIndex.
 *
 * A query is split into code tokens (`E11.9`, `0dtj`, `J1100`: matched on the code key, exactly or
 * by prefix, never as words), code ranges (`E08-E13`: a filter) and words. Words are "positions";
 * each position has alternatives, each a term-id range with a weight:
 *   exact word 1.0 · singular/plural 0.95 · prefix of the last word (autocomplete) 0.9 ·
 *   one typo 0.75 · two typos 0.6 (typos only when a word has no exact match).
 * Every position must match (AND). The rarest position drives: its postings give the candidates, and
 * the others are checked on each candidate's forward list. Each position scores idf × weight ×
 * field weight (title 1, synonym 0.55); the sum is normalised by the sum of idfs to 0..1, then
 * ranking adds: all words in the title, words in order as a phrase, title starts with the first word,
 * concise titles, billable codes, and puts deleted codes last.
 *
 * Rewrites (index "see" references, lay terms, abbreviations) run as extra variants of the query at
 * a slight discount, merged by best score, so a lay query finds the clinical title while an exact
 * title match stays first.
 */

export interface SearchParams {
  q: string;
  systems?: SystemId[];
  billable?: boolean;
  status?: 'active' | 'deleted' | 'all';
  /** A code range (`E08-E13`) or a chapter/block key. */
  range?: string;
  /** Codes valid in this fiscal year (ICD-10-CM/PCS). */
  year?: number;
  limit?: number;
  offset?: number;
}

export interface Matched {
  field: 'code' | 'title' | 'synonym' | 'rewrite' | 'fuzzy';
  term: string;
}

export interface SearchHit {
  system: SystemId;
  code: string;
  display: string;
  billable: boolean;
  status: 'active' | 'deleted';
  score: number;
  matched: Matched;
  /** The title with matched words in <mark>, HTML-escaped. */
  highlight: string;
  /** Set when the code matched only some of the query's words: the words it lacks. */
  partial?: string[];
}

export interface SearchResult {
  query: string;
  total: number;
  results: SearchHit[];
  facets: { systems: Partial<Record<SystemId, number>> };
  /** Spelling corrections that were applied or are suggested. */
  didYouMean?: string;
  /** When nothing matched: the closest codes. */
  closest?: SearchHit[];
  /**
   * How many results matched every word of the query, when fewer than `total` did: the rest matched
   * only some words (and are labelled `partial`).
   */
  matchedAll?: number;
  /** Codes typed in the shape of a licensed set that is not loaded (CPT "99213"): what they are. */
  hints?: CodeShapeHint[];
}

export const MAX_QUERY_LENGTH = 256;
export const MAX_LIMIT = 100;
export const MAX_OFFSET = 10_000;
const MAX_POSITIONS = 12;
/** Candidates ranked at most per query variant (see evaluate). */
const EARLY_CAP = 2_500;
/** The same for a driving word of one or two letters. */
const EARLY_CAP_SHORT = 600;
/** Weight of a word found only in an index entry, or in an inclusion term, rather than the title. */
const SYNONYM_WEIGHT = 0.55;
const INCLUSION_WEIGHT = 0.85;
const TITLE_LIKE = FIELD_TITLE | FIELD_MAIN;
const fieldWeight = (mask: number) => (mask & TITLE_LIKE ? 1 : mask & FIELD_INCLUSION ? INCLUSION_WEIGHT : SYNONYM_WEIGHT);
/** Words that qualify rather than name ("not otherwise specified", "not elsewhere classified"). */
const QUALIFIERS = new Set(['nos', 'nec']);
const stem6 = (w: string) => w.slice(0, 6);
const RETIRED = SYSTEM_IDS.map((id) => !!SYSTEMS[id].retired);
/** Kind ranks of the index (index.ts KIND_CODES): 'table' = an ICD-10-PCS table, 'block' and up = browsing nodes. */
const KIND_MODIFIER = 2;
/** Candidates reranked with their titles and synonyms read (phrase, head noun, synonym coverage); MAX_LIMIT, so that pages of any size agree. */
const RERANK_WINDOW = 100;
/** Share of the query's idf a partial match must keep (see wordSearch). */
const KEEP_IDF_SHARE = 0.5;
/** Weight of a word's other form (femoral for femur): nearly the word itself. */
const WORD_FORM_WEIGHT = 0.9;
const singularOf = (w: string) => variants(w)[0] ?? w;
const KIND_TABLE = 3;
/** Bonus of the code set a question names ("icd 10 code for ...", "hcpcs code for ..."). */
const SYSTEM_ASKED_BONUS = 1.5;

/**
 * Question words around a query: "what is J3420", "what is the icd 10 code for copd", "code for
 * hypertension", "hcpcs code for walker". They are not searched; the code set they name is returned
 * as a preference. The rest is never emptied: "code" alone stays a word.
 */
export function stripQuestion(q: string): { rest: string; systems: SystemId[] } {
  let rest = q.replace(/\?+\s*$/, '').trim();
  const what = /^(?:what\s*(?:'?s|\s+is|\s+are|\s+does)|whats|which\s+(?:is|are))\s+(?:the\s+|a\s+|an\s+)?/i.exec(rest);
  if (what && what[0].length < rest.length) rest = rest.slice(what[0].length).replace(/\s+(?:mean|stand\s+for)$/i, '');
  const systems: SystemId[] = [];
  const code =
    /^(?:(icd[\s-]*10[\s-]*(?:cm|pcs)?|icd[\s-]*9[\s-]*(?:cm)?|hcpcs|cpt|diagnosis|dx|procedure|billing|medical)\s+)?codes?\s+(?:for|of)\s+(?:a\s+|an\s+|the\s+)?/i.exec(
      rest,
    );
  if (code && code[0].length < rest.length) {
    rest = rest.slice(code[0].length);
    const set = (code[1] ?? '').toLowerCase().replace(/[\s-]/g, '');
    if (set.startsWith('icd10pcs')) systems.push('icd10pcs');
    else if (set.startsWith('icd10')) systems.push('icd10cm', 'icd10pcs');
    else if (set.startsWith('icd9')) systems.push('icd9cm');
    else if (set === 'hcpcs') systems.push('hcpcs');
    else if (set === 'diagnosis' || set === 'dx') systems.push('icd10cm');
    else if (set === 'procedure') systems.push('icd10pcs', 'hcpcs');
    else if (set === 'cpt') systems.push('cpt');
  }
  return { rest: rest || q, systems };
}
const KIND_BLOCK = 5;

interface Alt {
  lo: number;
  hi: number;
  w: number;
  kind: 'exact' | 'variant' | 'prefix' | 'fuzzy';
}
interface Position {
  word: string;
  alts: Alt[];
  idf: number;
  df: number;
}
interface Variant {
  words: string[];
  /** Positions whose word came from a rewrite: matched by stem (`myocardium` also finds `myocardial`). */
  stems?: Set<number>;
  lastIsPrefix: boolean;
  factor: number;
  rewrite?: Rewrite;
  fuzzy?: boolean;
  /** Words of the query this variant lets go (a partial match). */
  dropped?: string[];
  /** Set by evaluate: the positions the words became, reused to rank synonyms by term id. */
  pos?: Position[];
}
interface Scored {
  d: number;
  score: number;
  inTitle: boolean;
  variant: Variant;
}

/** Whether term t is one of a position's alternatives (not fuzzy). A plain function: no closure per call. */
function posMatches(p: Position, t: number): boolean {
  for (const a of p.alts) if (t >= a.lo && t < a.hi) return true;
  return false;
}

/** Whether term t is a word the query says (not a typo, not a short prefix of a word being typed). */
function saysTerm(pos: Position[] | undefined, t: number): boolean {
  if (!pos) return false;
  for (const p of pos) for (const a of p.alts) if (a.kind !== 'fuzzy' && a.w >= 0.85 && t >= a.lo && t < a.hi) return true;
  return false;
}

const ASCII = /^[\x20-\x7e]*$/;

/** Step: clean the raw query and bound it. Control characters become spaces. */
export function normalizeQuery(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const s = raw
    .normalize('NFKC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (s.length > MAX_QUERY_LENGTH)
    throw new MedCodesError('query_too_long', `the query is ${s.length} characters; the limit is ${MAX_QUERY_LENGTH}`);
  return s;
}

/** A token that may be a code: letters and digits with at least one digit, 3+ characters, optional dot. */
export function codeToken(tok: string): string | undefined {
  if (!/^[A-Za-z0-9]{1,8}(\.[A-Za-z0-9]{0,5})?\.?$/.test(tok)) return undefined;
  const key = tok.replace(/\./g, '').toUpperCase();
  if (key.length < 3 || !/\d/.test(key)) return undefined;
  return key;
}

const RANGE = /^([A-Za-z0-9]{1,3}\.?[A-Za-z0-9]{0,4})-([A-Za-z0-9]{1,3}\.?[A-Za-z0-9]{0,4})$/;

/** Index lists of the k-subsets of 0..n-1, in order. */
function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export class SearchEngine {
  private stamp: Uint32Array;
  private best: Float32Array;
  private inTitle: Uint16Array;
  private inMain: Uint16Array;
  private gen = 0;
  /** Features of the candidate being scored (one object reused: no allocation per candidate). */
  private features: DocFeatures = {
    relevance: 0,
    factor: 1,
    allInTitle: false,
    allInMain: false,
    extraWords: 0,
    billable: false,
    browseNode: false,
    partialCode: false,
    active: true,
    fuzzy: false,
    retired: false,
    flags: 0,
  };
  /** Scratch of wordSearch's merge: generation stamp and slot per document. */
  private mStamp: Uint32Array;
  private mSlot: Uint32Array;
  private mGen = 0;
  private nextMergeGen(): number {
    if (++this.mGen === 0xffffffff) {
      this.mStamp.fill(0);
      this.mGen = 1;
    }
    return this.mGen;
  }
  /** What the query being answered asks for (set by run). */
  private intent: QueryIntent = queryIntent([]);
  /** Matches beyond the early-stop cap of the last evaluation, counted but not ranked. */
  private extrapolated = 0;
  /**
   * Answers of recent queries. Autocomplete traffic repeats itself (every user types "d", "di", "dia"),
   * and the index is immutable while this engine lives (a new database gets a new engine), so a
   * bounded LRU of results is always fresh. Size 0 turns it off (benchmarks of the engine itself).
   */
  private cache = new Map<string, SearchResult>();
  private readonly cacheSize: number;

  constructor(
    readonly ix: SearchIndex,
    opts: { cacheSize?: number } = {},
  ) {
    this.cacheSize = opts.cacheSize ?? 5000;
    this.stamp = new Uint32Array(ix.n);
    this.best = new Float32Array(ix.n);
    this.inTitle = new Uint16Array(ix.n);
    this.inMain = new Uint16Array(ix.n);
    this.forms = wordFormMap(ix.wordForms);
    this.mStamp = new Uint32Array(ix.n);
    this.mSlot = new Uint32Array(ix.n);
  }

  /** Other forms of a word (femoral -> femur), index.ts wordForms. */
  private readonly forms: Map<string, string[]>;

  /**
   * A word the vocabulary knows: a term, a plural or singular of one, its American spelling, one of its
   * word forms, or a rewrite key. Such a word is never "corrected" into another.
   */
  private knownWord(w: string): boolean {
    const ix = this.ix;
    if (ix.termById.has(w) || ix.rewrites.has(SearchIndex.stemKey([w]))) return true;
    if (variants(w).some((v) => ix.termById.has(v))) return true;
    if (ix.termById.has(americanize(w))) return true;
    return (this.forms.get(w) ?? []).some((f) => ix.termById.has(f));
  }

  search(params: SearchParams): SearchResult {
    if (!this.cacheSize) return this.run(params);
    const key = JSON.stringify([
      params.q,
      params.systems,
      params.billable,
      params.status,
      params.range,
      params.year,
      params.limit,
      params.offset,
    ]);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return structuredClone(hit);
    }
    const r = this.run(params);
    this.cache.set(key, r);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return structuredClone(r);
  }

  private run(params: SearchParams): SearchResult {
    const query = normalizeQuery(params.q ?? '');
    const limit = Math.min(Math.max(Math.trunc(params.limit ?? 20), 1), MAX_LIMIT);
    const offset = Math.min(Math.max(Math.trunc(params.offset ?? 0), 0), MAX_OFFSET);
    const empty: SearchResult = { query, total: 0, results: [], facets: { systems: {} } };
    if (!query) return empty;

    // Question words around the query ("what is J3420", "icd 10 code for copd") are not searched; the
    // code set they name is preferred.
    const asked = stripQuestion(query);
    // Codes pasted from a bill are separated by commas or semicolons ("E11.9, I10").
    const raw = asked.rest.split(/[\s,;]+/).filter(Boolean);
    const codes: string[] = [];
    let range: [string, string] | undefined = params.range ? this.parseRange(params.range) : undefined;
    const wordToks: string[] = [];
    const missingCodes: string[] = [];
    const hints: CodeShapeHint[] = [];
    const saysModifier = raw.some((t) => /^modifiers?$/i.test(t));
    for (const tok of raw) {
      // LOINC codes, dashed NDCs and long numeric ids (SNOMED CT, RxNorm, NDC-11) are codes, not ranges or words.
      const special = specialCodeKeys(tok).filter((k) => this.hasKeyPrefix(k));
      if (special.length) {
        codes.push(...special);
        continue;
      }
      const r = RANGE.exec(tok);
      if (r && codeToken(r[1]) && codeToken(r[2]) && !range) {
        range = [codeToken(r[1])!, codeToken(r[2])!];
        continue;
      }
      // Two-character modifiers (HCPCS "XS", "RT", "GA") by their code: typed alone in capitals, alone
      // and no abbreviation of the dictionary, or next to the word "modifier".
      if (/^[A-Za-z0-9]{2}$/.test(tok) && this.isModifier(tok.toUpperCase())) {
        const lone = raw.length === 1 || (saysModifier && raw.length === 2);
        const abbreviation = this.ix.rewrites.has(SearchIndex.stemKey([tok.toLowerCase()]));
        if (saysModifier || (lone && (tok === tok.toUpperCase() || !abbreviation))) {
          codes.push(tok.toUpperCase());
          continue;
        }
      }
      const c = codeToken(tok);
      const shape = codeShapeHint(tok);
      if (c && this.hasKeyPrefix(c) && !(shape && !this.hasKey(c))) codes.push(c);
      else if (shape && !this.hasKey(shape.code)) {
        // A licensed set's code (CPT "99213", modifier "59") that is not loaded: say what it is, and
        // search the HCPCS codes CMS relates to it.
        hints.push(shape);
        for (const rel of shape.related ?? []) if (this.hasKey(rel)) codes.push(rel);
      }
      // A dotted code that does not exist ("E11.99") is a code typo, not words: it gets the closest codes.
      else if (c && tok.includes('.')) missingCodes.push(c);
      else wordToks.push(tok);
    }
    const words = terms(wordToks.filter((t) => !(codes.length && /^modifiers?$/i.test(t))).join(' ')).slice(0, MAX_POSITIONS);
    const lastIsPrefix = !/[\s,;]$/.test(params.q) && wordToks.length > 0 && terms(wordToks.at(-1)!).length > 0;
    const filter = this.makeFilter(params, range);
    const retiredAsked = !!params.systems?.length && params.systems.every((s) => SYSTEMS[s]?.retired);
    this.intent = queryIntent(words, retiredAsked || asked.systems.some((s) => SYSTEMS[s]?.retired));

    let scored: Scored[] = [];
    let didYouMean: string | undefined;
    let matchedAll: number | undefined;
    this.extrapolated = 0;
    if (codes.length && !words.length) {
      scored = this.codeSearch(codes, this.withSystems(filter, params.systems));
      // A code-shaped word that is no code in the systems asked ("dm2" outside ICD-10-PCS's DM2
      // table) may be an abbreviation: read it as words.
      if (!scored.length && !query.includes('.'))
        ({ scored, didYouMean, matchedAll } = this.wordSearch(terms(asked.rest).slice(0, MAX_POSITIONS), lastIsPrefix, filter));
    } else if (words.length) {
      const codeSet = codes.length ? new Set(this.codeSearch(codes, filter).map((s) => s.d)) : undefined;
      const f = codeSet ? (d: number) => codeSet.has(d) && filter(d) : filter;
      ({ scored, didYouMean, matchedAll } = this.wordSearch(words, lastIsPrefix, f));
      if (codeSet) for (const s of scored) s.score += 20;
      if (!scored.length && codes.length)
        ({ scored, didYouMean, matchedAll } = this.wordSearch(terms(asked.rest).slice(0, MAX_POSITIONS), lastIsPrefix, filter));
    } else if (range) {
      scored = this.rangeSearch(range, filter);
    }
    if (asked.systems.length && words.length) {
      const preferred = new Set(asked.systems.map((s) => SYSTEM_IDS.indexOf(s)));
      for (const s of scored) if (preferred.has(this.ix.system[s.d])) s.score += SYSTEM_ASKED_BONUS;
    }

    // Facets count every system; the system filter applies after. When the early stop ranked only the
    // first candidates, the count beyond them is extrapolated, and so is each system's share of it.
    const facets: Partial<Record<SystemId, number>> = {};
    for (const s of scored) {
      const id = SYSTEM_IDS[this.ix.system[s.d]];
      facets[id] = (facets[id] ?? 0) + 1;
    }
    let total = scored.length + this.extrapolated;
    if (this.extrapolated && scored.length) {
      const entries = Object.entries(facets) as [SystemId, number][];
      const scale = total / scored.length;
      let sum = 0;
      for (const [id, n] of entries) sum += facets[id] = Math.round(n * scale);
      const top = entries.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
      facets[top]! += total - sum;
    }
    if (params.systems?.length) {
      const allowed = new Set(params.systems.map((s) => SYSTEM_IDS.indexOf(s)));
      scored = scored.filter((s) => allowed.has(this.ix.system[s.d]));
      if (this.extrapolated) total = params.systems.reduce((a, id) => a + (facets[id] ?? 0), 0);
      else total = scored.length;
    }
    const top = this.topK(scored, offset + limit, words).slice(offset, offset + limit);
    const result: SearchResult = { query, total, results: top.map((s) => this.hit(s, words, codes)), facets: { systems: facets } };
    if (matchedAll !== undefined && matchedAll < total)
      result.matchedAll = params.systems?.length ? Math.min(matchedAll, total) : matchedAll;
    if (didYouMean) result.didYouMean = didYouMean;
    if (hints.length) result.hints = hints;
    if (!total && !hints.length) {
      const closest = this.closest([...codes, ...missingCodes], wordToks, words, filter);
      if (closest.hits.length) result.closest = closest.hits;
      if (closest.didYouMean && !result.didYouMean) result.didYouMean = closest.didYouMean;
    }
    return result;
  }

  private isModifier(key: string): boolean {
    for (let i = this.ix.keyLowerBound(key); i < this.ix.n; i++) {
      const d = this.ix.byKey[i];
      if (this.ix.key[d] !== key) return false;
      if (this.ix.kind[d] === KIND_MODIFIER) return true;
    }
    return false;
  }

  private hasKey(key: string): boolean {
    const i = this.ix.keyLowerBound(key);
    return i < this.ix.n && this.ix.key[this.ix.byKey[i]] === key;
  }

  // ---- filters ---------------------------------------------------------------------------------

  private parseRange(r: string): [string, string] {
    const m = RANGE.exec(r.trim());
    if (!m || !codeToken(m[1]) || !codeToken(m[2]))
      throw new MedCodesError('invalid_parameter', `range must look like E08-E13; got "${r.slice(0, 30)}"`);
    return [codeToken(m[1])!, codeToken(m[2])!];
  }

  private withSystems(filter: (d: number) => boolean, systems?: SystemId[]): (d: number) => boolean {
    if (!systems?.length) return filter;
    const allowed = new Set(systems.map((s) => SYSTEM_IDS.indexOf(s)));
    return (d) => allowed.has(this.ix.system[d]) && filter(d);
  }

  private makeFilter(p: SearchParams, range?: [string, string]): (d: number) => boolean {
    const ix = this.ix;
    const status = p.status ?? 'all';
    const checks: ((d: number) => boolean)[] = [];
    if (status === 'active') checks.push((d) => ix.active[d] === 1);
    if (status === 'deleted') checks.push((d) => ix.active[d] === 0);
    if (p.billable !== undefined) {
      const b = p.billable ? 1 : 0;
      checks.push((d) => ix.billable[d] === b);
    }
    if (range) {
      const [a, b] = range;
      checks.push((d) => {
        const k = ix.key[d];
        return k.slice(0, a.length) >= a && k.slice(0, b.length) <= b && (!k.includes('-') || k === `${a}-${b}`);
      });
    }
    if (p.year !== undefined) {
      const y = p.year;
      checks.push((d) => {
        const from = ix.fromYear[d];
        if (!from) return ix.active[d] === 1;
        const to = ix.toYear[d];
        return from <= y && (!to || y <= to);
      });
    }
    if (!checks.length) return () => true;
    return (d) => {
      for (const c of checks) if (!c(d)) return false;
      return true;
    };
  }

  // ---- codes -----------------------------------------------------------------------------------

  private hasKeyPrefix(key: string): boolean {
    const i = this.ix.keyLowerBound(key);
    return i < this.ix.n && this.ix.key[this.ix.byKey[i]].startsWith(key);
  }

  /** Exact code first, then the codes under it in classification order. */
  private codeSearch(codes: string[], filter: (d: number) => boolean): Scored[] {
    const ix = this.ix;
    const out: Scored[] = [];
    const seen = new Set<number>();
    const v: Variant = { words: [], lastIsPrefix: false, factor: 1 };
    for (const c of codes) {
      for (let i = ix.keyLowerBound(c); i < ix.n; i++) {
        const d = ix.byKey[i];
        const k = ix.key[d];
        if (!k.startsWith(c)) break;
        if (seen.has(d) || !filter(d)) continue;
        seen.add(d);
        // Exact 100; below it, shallower codes first (a prefix that is a whole category beats its
        // grandchildren); classification order decides among equals (topK's tie-break by sort).
        const score = k === c ? 100 : 90 - Math.min(9, k.length - c.length) - (ix.active[d] ? 0 : 30);
        out.push({ d, score, inTitle: false, variant: v });
      }
    }
    return out;
  }

  /** All codes in a range (the filter holds the range), walking the key order from its start. */
  private rangeSearch(range: [string, string], filter: (d: number) => boolean): Scored[] {
    const ix = this.ix;
    const out: Scored[] = [];
    const v: Variant = { words: [], lastIsPrefix: false, factor: 1 };
    const [a, b] = range;
    for (let i = ix.keyLowerBound(a); i < ix.n; i++) {
      const d = ix.byKey[i];
      if (ix.key[d].slice(0, b.length) > b) break;
      if (filter(d)) out.push({ d, score: 50 - ix.key[d].length, inTitle: false, variant: v });
    }
    // The block or chapter that is exactly this range ("E08-E13", Diabetes mellitus) comes first.
    const exact = `${a}-${b}`;
    for (let i = ix.keyLowerBound(exact); i < ix.n && ix.key[ix.byKey[i]] === exact; i++)
      out.push({ d: ix.byKey[i], score: 100, inTitle: false, variant: v });
    return out;
  }

  // ---- words -----------------------------------------------------------------------------------

  private positions(words: string[], lastIsPrefix: boolean, fuzzy: boolean, stems?: Set<number>): Position[] {
    const ix = this.ix;
    return words.map((w, i) => {
      const alts: Alt[] = [];
      const exact = ix.termById.get(w);
      if (exact !== undefined) alts.push({ lo: exact, hi: exact + 1, w: 1, kind: 'exact' });
      for (const v of variants(w)) {
        const id = ix.termById.get(v);
        if (id !== undefined) alts.push({ lo: id, hi: id + 1, w: 0.95, kind: 'variant' });
      }
      // British spelling (anaemia -> anemia): the same word.
      if (exact === undefined) {
        const us = americanize(w);
        const id = us !== w ? ix.termById.get(us) : undefined;
        if (id !== undefined) alts.push({ lo: id, hi: id + 1, w: 0.98, kind: 'variant' });
        if (id !== undefined)
          for (const v of variants(us)) {
            const vid = ix.termById.get(v);
            if (vid !== undefined) alts.push({ lo: vid, hi: vid + 1, w: 0.93, kind: 'variant' });
          }
      }
      // A noun's adjective in -ed ("wheels" -> wheeled, "hoods" -> hooded): the same thing in a title's words.
      if (w.length >= 4) {
        const id = ix.termById.get(`${singularOf(w) === w ? w : singularOf(w)}ed`);
        if (id !== undefined) alts.push({ lo: id, hi: id + 1, w: 0.85, kind: 'variant' });
      }
      // Noun and adjective of one concept (femoral -> femur, hepatic -> liver), data/word-forms.tsv.
      for (const f of this.forms.get(w) ?? this.forms.get(singularOf(w)) ?? []) {
        const id = ix.termById.get(f);
        if (id !== undefined) alts.push({ lo: id, hi: id + 1, w: WORD_FORM_WEIGHT, kind: 'variant' });
        for (const v of variants(f)) {
          const vid = ix.termById.get(v);
          if (vid !== undefined) alts.push({ lo: vid, hi: vid + 1, w: WORD_FORM_WEIGHT - 0.03, kind: 'variant' });
        }
      }
      // The last word while typing, and any word that is no word of the dictionary ("fract rad": a
      // coder's truncation), match as a prefix. One or two letters say little, so they weigh less.
      if ((i === words.length - 1 && lastIsPrefix) || (exact === undefined && w.length >= 3)) {
        const [lo, hi] = ix.prefixRange(w);
        if (hi > lo) alts.push({ lo, hi, w: w.length >= 4 ? 0.9 : w.length === 3 ? 0.7 : 0.5, kind: 'prefix' });
      }
      if (stems?.has(i) && w.length >= 6) {
        // Index references and lay terms name the concept ("Infarct, myocardium"); titles inflect it
        // ("myocardial infarction"): a rewritten word also matches by its stem.
        const [lo, hi] = ix.prefixRange(w.slice(0, Math.max(5, w.length - 3)));
        if (hi > lo) alts.push({ lo, hi, w: 0.85, kind: 'prefix' });
      }
      if (fuzzy && exact === undefined)
        for (const [id, dist] of this.fuzzyTerms(w)) alts.push({ lo: id, hi: id + 1, w: dist === 1 ? 0.75 : 0.6, kind: 'fuzzy' });
      let df = 0;
      for (const a of alts) df += ix.postStart[a.hi] - ix.postStart[a.lo];
      const exactDf = exact !== undefined ? ix.postStart[exact + 1] - ix.postStart[exact] : df;
      return { word: w, alts, df, idf: Math.log(1 + ix.n / (1 + Math.max(1, exactDf || df))) };
    });
  }

  /** Dictionary terms within the allowed edits of `w`, closest first. */
  private fuzzyCache = new Map<string, [number, number][]>();

  fuzzyTerms(w: string, maxEdits = allowedEdits(w)): [number, number][] {
    if (!maxEdits) return [];
    const cacheKey = `${maxEdits}:${w}`;
    const cached = this.fuzzyCache.get(cacheKey);
    if (cached) return cached;
    if (this.fuzzyCache.size > 10_000) this.fuzzyCache.clear();
    const out: [number, number][] = [];
    for (let len = w.length - maxEdits; len <= w.length + maxEdits; len++) {
      for (const id of this.ix.termsByLength[len] ?? []) {
        const t = this.ix.termStr[id];
        // Typos rarely hit the first letter; requiring it keeps the scan and the noise small.
        if (t.charCodeAt(0) !== w.charCodeAt(0)) continue;
        const dist = editDistance(w, t, maxEdits);
        if (dist <= maxEdits && dist > 0) out.push([id, dist]);
      }
    }
    const best = out.sort((a, b) => a[1] - b[1] || this.df(b[0]) - this.df(a[0])).slice(0, 8);
    this.fuzzyCache.set(cacheKey, best);
    return best;
  }

  private df(t: number): number {
    return this.ix.postStart[t + 1] - this.ix.postStart[t];
  }

  /** Words with every rewritable span rewritten (longest spans first), and the positions that came from rewrites. */
  private rewriteAll(words: string[]): { words: string[]; stems: Set<number> } {
    const ix = this.ix;
    const out: string[] = [];
    const stems = new Set<number>();
    for (let i = 0; i < words.length; ) {
      let done = false;
      for (let len = Math.min(ix.maxRewriteSpan, words.length - i); len >= 1 && !done; len--) {
        const rw = ix.rewrites.get(SearchIndex.stemKey(words.slice(i, i + len)))?.[0];
        if (!rw) continue;
        for (const t of rw.to) stems.add(out.push(t) - 1);
        i += len;
        done = true;
      }
      if (!done) out.push(words[i++]);
    }
    return { words: out, stems };
  }

  /** Rewrite keys of several words, by the bag of all their words but one: "heart" -> [attack, heart attack]. */
  private phraseIndex?: Map<string, [string, string][]>;

  /** Rewrite keys whose words are `restKey`'s plus one word starting with `prefix`, shortest completion first. */
  private phraseCompletions(restKey: string, prefix: string): string[] {
    if (!this.phraseIndex) {
      const m = new Map<string, [string, string][]>();
      for (const key of this.ix.rewrites.keys()) {
        const ws = key.split(' ');
        if (ws.length < 2) continue;
        for (let j = 0; j < ws.length; j++) {
          const rest = ws.filter((_, k) => k !== j).join(' ');
          const list = m.get(rest);
          if (list) list.push([ws[j], key]);
          else m.set(rest, [[ws[j], key]]);
        }
      }
      for (const list of m.values()) list.sort((a, b) => a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1));
      this.phraseIndex = m;
    }
    const p = singularOf(prefix) === prefix ? prefix : prefix;
    const out: string[] = [];
    for (const [w, key] of this.phraseIndex.get(restKey) ?? []) if (w.startsWith(p) && !out.includes(key)) out.push(key);
    return out;
  }

  /** Query variants: the words as typed, and each rewrite of a span of them. */
  private variantsOf(words: string[], lastIsPrefix: boolean): Variant[] {
    const out: Variant[] = [{ words, lastIsPrefix, factor: 1 }];
    const ix = this.ix;
    const maxSpan = Math.min(ix.maxRewriteSpan, words.length);
    // All non-overlapping rewrites at once ("t2dm with ckd" -> type 2 diabetes mellitus with chronic
    // kidney disease), longest spans first.
    {
      const combined: string[] = [];
      const stems = new Set<number>();
      const labels: string[] = [];
      let applied = 0;
      for (let i = 0; i < words.length; ) {
        let done = false;
        for (let len = Math.min(maxSpan, words.length - i); len >= 1 && !done; len--) {
          const rw = ix.rewrites.get(SearchIndex.stemKey(words.slice(i, i + len)))?.[0];
          if (!rw) continue;
          for (const t of rw.to) stems.add(combined.push(t) - 1);
          labels.push(rw.label);
          applied++;
          i += len;
          done = true;
        }
        if (!done) combined.push(words[i++]);
      }
      if (applied > 1)
        out.push({
          words: combined.slice(0, MAX_POSITIONS),
          stems,
          lastIsPrefix: false,
          factor: 0.88,
          rewrite: { to: combined, label: labels.join('; '), kind: 'lay', source: 'combined' },
        });
    }
    // The last word while typing may complete a rewritable phrase: "appendect" -> appendectomy,
    // "heart att" -> heart attack, "kidney sto" -> kidney stone, "lap chol" -> laparoscopic
    // cholecystectomy. The words before it are rewritten as they would be when complete.
    const last = words.at(-1);
    if (lastIsPrefix && last && !ix.rewrites.has(SearchIndex.stemKey([last]))) {
      const before = this.rewriteAll(words.slice(0, -1));
      const seenTo = new Set<string>();
      const push = (prefixWords: string[], prefixStems: Set<number>, rw: Rewrite) => {
        const replaced = [...prefixWords, ...rw.to];
        const key = replaced.join(' ');
        if (seenTo.has(key)) return;
        seenTo.add(key);
        const stems = new Set(prefixStems);
        rw.to.forEach((_, j) => stems.add(prefixWords.length + j));
        out.push({ words: replaced.slice(0, MAX_POSITIONS), stems, lastIsPrefix: false, factor: 0.85, rewrite: rw });
      };
      if (last.length >= 3)
        for (const key of ix.rewriteKeysWithPrefix(last).slice(0, 3))
          for (const rw of ix.rewrites.get(key)!.slice(0, 2)) push(before.words, before.stems, rw);
      // Phrases: the words before the last one are the rest of a rewrite key's bag.
      if (words.length >= 2) {
        for (let len = Math.min(maxSpan - 1, words.length - 1); len >= 1; len--) {
          const span = words.slice(words.length - 1 - len, -1);
          const completions = this.phraseCompletions(SearchIndex.stemKey(span), last).slice(0, 3);
          if (!completions.length) continue;
          const kept = this.rewriteAll(words.slice(0, words.length - 1 - len));
          for (const key of completions) for (const rw of ix.rewrites.get(key)!.slice(0, 2)) push(kept.words, kept.stems, rw);
          break;
        }
      }
    }
    for (let len = maxSpan; len >= 1; len--) {
      for (let i = 0; i + len <= words.length; i++) {
        const span = words.slice(i, i + len);
        const rws = ix.rewrites.get(SearchIndex.stemKey(span));
        if (!rws) continue;
        for (const [ri, rw] of rws.slice(0, 3).entries()) {
          const replaced = [...words.slice(0, i), ...rw.to, ...words.slice(i + len)];
          const endsInSpan = i + len === words.length;
          const stems = new Set(rw.to.map((_, j) => i + j));
          out.push({
            words: replaced.slice(0, MAX_POSITIONS),
            stems,
            lastIsPrefix: lastIsPrefix && !endsInSpan,
            // The first rewrite of a span is its preferred reading (lay-term dictionary, then Index order).
            factor: ri === 0 ? 0.92 : 0.9,
            rewrite: rw,
          });
          // A rewrite may lead to another Index entry ("broken hip" -> "fracture hip" -> "Fracture,
          // femur, neck"): follow one more reference, as a coder follows "see" in the Index.
          const next = ix.rewrites.get(SearchIndex.stemKey(replaced))?.[0];
          if (next && replaced.length <= ix.maxRewriteSpan && next.to.join(' ') !== replaced.join(' '))
            out.push({
              words: next.to.slice(0, MAX_POSITIONS),
              stems: new Set(next.to.map((_, j) => j)),
              lastIsPrefix: false,
              factor: 0.88,
              rewrite: next,
            });
          if (out.length >= 8) return out;
        }
      }
    }
    return out;
  }

  private wordSearch(
    words: string[],
    lastIsPrefix: boolean,
    filter: (d: number) => boolean,
  ): { scored: Scored[]; didYouMean?: string; matchedAll?: number } {
    // Variants are merged by best score per document in scratch arrays (a document's slot in `list`),
    // not a Map: no hashing and no garbage per candidate.
    const list: Scored[] = [];
    const mgen = this.nextMergeGen();
    const { mStamp, mSlot } = this;
    const merged = {
      get size() {
        return list.length;
      },
      keys: () => list.map((s) => s.d),
      values: () => list,
    };
    const run = (v: Variant, fuzzy: boolean) => {
      for (const s of this.evaluate(v, fuzzy, filter)) {
        if (mStamp[s.d] !== mgen) {
          mStamp[s.d] = mgen;
          mSlot[s.d] = list.length;
          list.push(s);
        } else if (s.score > list[mSlot[s.d]].score) list[mSlot[s.d]] = s;
      }
    };
    const variantList = this.variantsOf(words, lastIsPrefix);
    for (const v of variantList) run(v, false);
    // Too strict? Let one word go (then two), each time at a discount: "closed fracture of distal
    // radius" still finds the distal radius fractures when no title says "closed". What is kept must
    // carry most of the query's weight (idf): the rare word is its main concept, and "laparoscopic
    // hysterectomy" is not padded with every laparoscopic procedure. Such results are partial matches,
    // labelled with the words they lack.
    let matchedAll: number | undefined;
    // Only reportable codes count as found: ICD-10-PCS tables matched through their Index entries are
    // no answer to "total abdominal hysterectomy".
    const reportable = () => {
      let n = 0;
      for (const d of merged.keys()) if (this.ix.kind[d] < KIND_TABLE) n++;
      return n;
    };
    for (let drop = 1; drop <= 2 && words.length - drop >= 1 && (merged.size < 10 || reportable() < 10); drop++) {
      matchedAll ??= merged.size;
      // The query as typed and its first rewrites: further variants multiply the work, not the answers.
      for (const v of variantList.slice(0, 4)) {
        if (v.words.length - drop < 1 || v.words.length > 8) continue;
        const idf = this.wordIdfs(v.words, v.lastIsPrefix);
        const idfSum = idf.reduce((a, b) => a + b, 0);
        for (const kept of combinations(v.words.length, v.words.length - drop)) {
          if (kept.reduce((a, j) => a + idf[j], 0) < KEEP_IDF_SHARE * idfSum) continue;
          const dropped = v.words.filter((_, j) => !kept.includes(j));
          const stems = v.stems ? new Set([...kept.keys()].filter((j) => v.stems!.has(kept[j]))) : undefined;
          const keptLast = kept.at(-1) === v.words.length - 1;
          run(
            {
              ...v,
              words: kept.map((j) => v.words[j]),
              stems,
              lastIsPrefix: v.lastIsPrefix && keptLast,
              factor: v.factor * (drop === 1 ? 0.7 : 0.5) * (1 - 1 / (v.words.length + 1)),
              dropped,
            },
            false,
          );
        }
      }
    }
    // Typo tolerance only where a word has no exact match (or, for the last word, no prefix match):
    // it can add results but never outrank an exact match (its weights are lower).
    let didYouMean: string | undefined;
    const unknown = words.filter((w, i) => !this.knownWord(w) && !(i === words.length - 1 && lastIsPrefix && this.prefixExists(w)));
    if (unknown.length) {
      const corrected = words.map((w) =>
        unknown.includes(w) ? (this.fuzzyTerms(w)[0] ? this.ix.termStr[this.fuzzyTerms(w)[0][0]] : w) : w,
      );
      if (corrected.join(' ') !== words.join(' ')) {
        didYouMean = corrected.join(' ');
        for (const v of this.variantsOf(corrected, false)) run({ ...v, factor: v.factor * 0.85, fuzzy: true }, false);
      }
      run({ words, lastIsPrefix, factor: 0.8, fuzzy: true }, true);
    }
    return { scored: list, didYouMean, ...(matchedAll !== undefined ? { matchedAll } : {}) };
  }

  /** idf of each word (as typed, or as a prefix for the last word while typing); 0 for a word no document has. */
  private wordIdfs(words: string[], lastIsPrefix: boolean): number[] {
    return words.map((w, i) => {
      const id = this.ix.termById.get(w);
      let df = id !== undefined ? this.df(id) : 0;
      if (!df && i === words.length - 1 && lastIsPrefix) {
        const [lo, hi] = this.ix.prefixRange(w);
        df = this.ix.postStart[hi] - this.ix.postStart[lo];
      }
      return df ? Math.log(1 + this.ix.n / (1 + df)) : 0;
    });
  }

  private prefixExists(w: string): boolean {
    const [lo, hi] = this.ix.prefixRange(w);
    return hi > lo;
  }

  private evaluate(v: Variant, fuzzy: boolean, filter: (d: number) => boolean): Scored[] {
    const ix = this.ix;
    const pos = this.positions(v.words, v.lastIsPrefix, fuzzy, v.stems);
    if (!pos.length || pos.some((p) => !p.alts.length)) return [];
    v.pos = pos;
    let driver = 0;
    for (let i = 1; i < pos.length; i++) if (pos[i].df < pos[driver].df) driver = i;
    const gen = ++this.gen;
    if (gen === 0xffffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
    const { stamp, best, inTitle, inMain } = this;
    const cands: number[] = [];
    const fw = fieldWeight;
    const bit = 1 << driver;
    // Early stop while collecting: a short prefix ("co") reaches a large part of the collection. Postings
    // are in static order, so scanning each list only up to a document cutoff keeps the best-placed
    // candidates; the count beyond it is extrapolated.
    const df = pos[driver].df;
    // A last word of one or two letters ("en": 87k documents) says little: it is expanded only over the
    // first documents in static order (concise, current codes first).
    const cap = pos[driver].alts.some((a) => a.kind === 'prefix' && a.w <= 0.5) ? EARLY_CAP_SHORT : EARLY_CAP;
    const cutoff = df > 4 * cap ? Math.min(ix.n, Math.ceil((ix.n * 2 * cap) / df)) : ix.n;
    let scanned = 0;
    for (const a of pos[driver].alts) {
      for (let t = a.lo; t < a.hi; t++) {
        let e = ix.postStart[t + 1];
        if (cutoff < ix.n) {
          let lo = ix.postStart[t];
          let hi = e;
          while (lo < hi) {
            const m = (lo + hi) >> 1;
            if (ix.postDoc[m] < cutoff) lo = m + 1;
            else hi = m;
          }
          e = lo;
        }
        scanned += e - ix.postStart[t];
        for (let p = ix.postStart[t]; p < e; p++) {
          const d = ix.postDoc[p];
          const mask = ix.postMask[p];
          const s = a.w * fw(mask);
          if (stamp[d] !== this.gen) {
            if (!filter(d)) continue;
            stamp[d] = this.gen;
            best[d] = s;
            inTitle[d] = mask & TITLE_LIKE ? bit : 0;
            inMain[d] = mask & FIELD_MAIN ? bit : 0;
            cands.push(d);
          } else {
            if (s > best[d]) best[d] = s;
            if (mask & TITLE_LIKE) inTitle[d] |= bit;
            if (mask & FIELD_MAIN) inMain[d] |= bit;
          }
        }
      }
    }
    const idfSum = pos.reduce((s, p) => s + p.idf, 0);
    const out: Scored[] = [];
    // Early stop: when the first letters of a word match a large part of the collection ("f", "s"),
    // only the first EARLY_CAP candidates in static order (concise, active codes first) are ranked.
    // The count of matches stays exact for one word; with more words it is extrapolated.
    let evaluated: ArrayLike<number> = cands;
    if (cands.length > cap) evaluated = Uint32Array.from(cands).sort().subarray(0, cap);
    for (let c = 0; c < evaluated.length; c++) {
      const d = evaluated[c];
      let sum = pos[driver].idf * best[d];
      let titleBits = inTitle[d];
      let mainBits = inMain[d];
      let ok = true;
      for (let i = 0; i < pos.length && ok; i++) {
        if (i === driver) continue;
        if (!this.matchOnDoc(d, pos[i].alts)) ok = false;
        else {
          sum += pos[i].idf * this.mScore;
          if (this.mMask & TITLE_LIKE) titleBits |= 1 << i;
          if (this.mMask & FIELD_MAIN) mainBits |= 1 << i;
        }
      }
      if (!ok) continue;
      const all = (1 << pos.length) - 1;
      const allInTitle = (titleBits & all) === all;
      const relevance = sum / idfSum;
      const extra = Math.max(0, ix.titleLen[d] - pos.length);
      // Every word in an Index main term of this code: a first taste of the main-term bonus of the
      // rerank (synonymCoverage), so the code gets into the window that is reranked.
      const allInMain = (mainBits & all) === all;
      const f = this.features;
      f.relevance = relevance;
      f.factor = v.factor;
      f.allInTitle = allInTitle;
      f.allInMain = allInMain;
      f.extraWords = extra;
      f.billable = ix.billable[d] === 1;
      f.browseNode = ix.kind[d] >= KIND_BLOCK;
      f.partialCode = ix.kind[d] === KIND_TABLE;
      f.active = ix.active[d] === 1;
      f.fuzzy = !!v.fuzzy;
      f.retired = RETIRED[ix.system[d]];
      f.flags = ix.flags[d];
      const score = rankScore(f, this.intent);
      out.push({ d, score, inTitle: allInTitle, variant: v });
    }
    const seen = (cands.length / evaluated.length) * (scanned ? df / scanned : 1);
    if (seen > 1.0001) this.extrapolated = Math.round(out.length * seen) - out.length;
    return out;
  }

  /** Best alternative of a position present on document d (forward list is sorted by term id). */
  private mScore = 0;
  private mMask = 0;
  /** Whether a position matches document d; its best score and mask are left in mScore and mMask. */
  private matchOnDoc(d: number, alts: Alt[]): boolean {
    const ix = this.ix;
    const start = ix.fwdStart[d];
    const end = ix.fwdStart[d + 1];
    let best = 0;
    let bestMask = 0;
    for (const a of alts) {
      let lo = start;
      let hi = end;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (ix.fwdTerm[m] < a.lo) lo = m + 1;
        else hi = m;
      }
      for (let p = lo; p < end && ix.fwdTerm[p] < a.hi; p++) {
        const mask = ix.fwdMask[p];
        const score = a.w * fieldWeight(mask);
        if (score > best) {
          best = score;
          bestMask = mask;
        }
      }
    }
    this.mScore = best;
    this.mMask = bestMask;
    return best > 0;
  }

  // ---- ranking ---------------------------------------------------------------------------------

  /**
   * The k best, by score then static order (a stable order for pagination). Candidates near the top
   * get a phrase bonus (the query's words next to each other, in order, in the title) before the
   * final cut, computed on a window only since it needs the title's word sequence.
   */
  private topK(scored: Scored[], k: number, words: string[]): Scored[] {
    const ix = this.ix;
    const cmp = (a: Scored, b: Scored) => b.score - a.score || a.d - b.d;
    const codeOrder = (a: Scored, b: Scored) => b.score - a.score || ix.system[a.d] - ix.system[b.d] || ix.sort[a.d] - ix.sort[b.d];
    const window = Math.max(k, RERANK_WINDOW);
    let top: Scored[];
    if (scored.length <= window * 4) top = scored.sort(cmp).slice(0, window);
    else {
      // Select the window without sorting everything: a threshold from a sample, then sort the rest.
      const sample = scored
        .filter((_, i) => i % 16 === 0)
        .map((s) => s.score)
        .sort((a, b) => b - a);
      const cut = sample[Math.min(sample.length - 1, Math.ceil(window / 16) + 2)] ?? -Infinity;
      top = scored
        .filter((s) => s.score >= cut)
        .sort(cmp)
        .slice(0, window);
      if (top.length < window) top = scored.sort(cmp).slice(0, window);
    }
    if (words.length > 1) {
      for (const s of top) {
        const ids = s.variant.words.map((w) => ix.termById.get(w));
        if (this.hasPhrase(s.d, ids)) s.score += WEIGHTS.PHRASE;
        else if (this.hasPhrase(s.d, ids.slice(0, 2))) s.score += WEIGHTS.PHRASE_START;
      }
    }
    if (words.length) {
      for (const s of top) {
        // The title opens with a word of the query: ICD titles and Index main terms name the thing
        // first ("Fracture of neck of femur"); a title that opens with a qualifier the query did not
        // ask for ("Pathological fracture") is a specific sibling.
        const first = ix.titleTerms[ix.titleStart[s.d]];
        const head = ix.head[s.d];
        // Words the query says (a short prefix of a word being typed says too little).
        if (saysTerm(s.variant.pos, first)) s.score += WEIGHTS.FIRST_WORD;
        if (head !== NO_TERM && saysTerm(s.variant.pos, head)) s.score += WEIGHTS.HEAD_NOUN;
        const cov = this.synonymCoverage(s.d, s.variant);
        s.score += WEIGHTS.SYNONYM_COVERAGE * cov;
        // A synonym (inclusion term, Index entry) that says exactly what the query says is as good as
        // the title saying it, for the query as typed.
        if (cov >= 1 && !s.inTitle && !s.variant.rewrite) s.score += WEIGHTS.SYNONYM_EXACT;
      }
    }
    return top.sort(words.length ? cmp : codeOrder).slice(0, k);
  }

  /**
   * How closely one synonym of the document says what the query says: the share of the synonym's
   * words (modifiers in parentheses aside) that the query matched, when it matched all query words.
   * The Alphabetic Index's own entry "Diabetes, diabetic (mellitus) (sugar)" for E11.9 covers the
   * query "diabetes" well; "Diabetes, diabetic, insipidus" less so.
   */
  private synonymCoverage(d: number, v: Variant): number {
    const pos = v.pos;
    if (!pos?.length) return 0;
    const ix = this.ix;
    const qStems = new Set(v.words.map(stem6)).size;
    const matches = posMatches;
    let best = 0;
    const stems = this.stemScratch;
    for (let k = ix.synStart[d]; k < ix.synStart[d + 1]; k++) {
      const s = ix.entStart[k];
      const e = ix.entStart[k + 1];
      if (e - s > pos.length * 3 + 12) continue;
      // Two readings of the entry: without its parenthesized modifiers (0), and with them (1).
      for (let withNemod = 0; withNemod < 2; withNemod++) {
        let all = true;
        for (const p of pos) {
          let found = false;
          for (let j = s; j < e && !found; j++) if ((withNemod || !(ix.entFlag[j] & 1)) && matches(p, ix.entTerm[j])) found = true;
          if (!found) {
            all = false;
            break;
          }
        }
        if (!all) continue;
        stems.length = 0;
        for (let j = s; j < e; j++) {
          if (!withNemod && ix.entFlag[j] & 1) continue;
          const st = ix.stemOf[ix.entTerm[j]];
          if (!this.qualifier(ix.entTerm[j]) && !stems.includes(st)) stems.push(st);
        }
        if (stems.length) best = Math.max(best, Math.min(1, qStems / stems.length));
      }
      // A main term of the Index names one concept in several spellings ("Diabetes, diabetic"): a query
      // that matches one spelling whole is the entry itself, worth twice a full synonym: it is the
      // code the Index itself gives for the bare term.
      if (ix.entMain[k]) {
        let j = s;
        while (j < e) {
          const part = ix.entFlag[j] >> 1;
          let n = 0;
          let ok = true;
          const from = j;
          for (; j < e && ix.entFlag[j] >> 1 === part; j++) if (!(ix.entFlag[j] & 1)) n++;
          if (n !== pos.length) continue;
          for (const p of pos) {
            let found = false;
            for (let x = from; x < j && !found; x++) if (!(ix.entFlag[x] & 1) && matches(p, ix.entTerm[x])) found = true;
            if (!found) {
              ok = false;
              break;
            }
          }
          if (ok) return 2;
        }
      }
    }
    return best;
  }
  private stemScratch: number[] = [];

  private qualifierIds?: Set<number>;
  private qualifier(t: number): boolean {
    this.qualifierIds ??= new Set([...QUALIFIERS].map((q) => this.ix.termById.get(q)).filter((x): x is number => x !== undefined));
    return this.qualifierIds.has(t);
  }

  private hasPhrase(d: number, ids: (number | undefined)[]): boolean {
    if (ids.length < 2 || ids.some((i) => i === undefined)) return false;
    const ix = this.ix;
    const s = ix.titleStart[d];
    const e = ix.titleStart[d + 1];
    for (let p = s; p + ids.length <= e; p++) {
      let ok = true;
      for (let j = 0; j < ids.length && ok; j++) if (ix.titleTerms[p + j] !== ids[j]) ok = false;
      if (ok) return true;
    }
    return false;
  }

  // ---- output ----------------------------------------------------------------------------------

  private hit(s: Scored, words: string[], codes: string[]): SearchHit {
    const ix = this.ix;
    const d = s.d;
    const used = s.variant.words.length ? s.variant.words : words;
    return {
      system: SYSTEM_IDS[ix.system[d]],
      code: ix.code[d],
      display: ix.display[d],
      billable: ix.billable[d] === 1,
      status: ix.active[d] ? 'active' : 'deleted',
      score: Math.round(s.score * 1000) / 1000,
      matched: this.matched(s, used, codes),
      highlight: this.highlight(ix.display[d], used, s.variant.lastIsPrefix),
      ...(s.variant.dropped ? { partial: s.variant.dropped } : {}),
    };
  }

  private matched(s: Scored, words: string[], codes: string[]): Matched {
    const ix = this.ix;
    if (!words.length) return { field: 'code', term: codes.find((c) => ix.key[s.d].startsWith(c)) ?? ix.key[s.d] };
    if (s.variant.rewrite) return { field: 'rewrite', term: s.variant.rewrite.label };
    if (s.variant.fuzzy) return { field: 'fuzzy', term: words.join(' ') };
    if (s.inTitle) {
      const title = new Set(terms(ix.display[s.d]));
      const last = words.length - 1;
      if (
        words.every(
          (w, i) =>
            title.has(w) ||
            variants(w).some((x) => title.has(x)) ||
            ((i === last && s.variant.lastIsPrefix) || s.variant.stems?.has(i)
              ? [...title].some((x) => x.startsWith(w.slice(0, s.variant.stems?.has(i) ? Math.max(5, w.length - 3) : w.length)))
              : false),
        )
      ) {
        return { field: 'title', term: ix.display[s.d] };
      }
    }
    // The synonym (inclusion term or index entry) that holds the most query words, by term ids.
    let bestText = '';
    let bestN = -1;
    const pos = s.variant.pos ?? [];
    const d = s.d;
    for (let k = ix.synStart[d]; k < ix.synStart[d + 1]; k++) {
      let n = 0;
      for (const p of pos) {
        let found = false;
        for (let j = ix.entStart[k]; j < ix.entStart[k + 1] && !found; j++) {
          const t = ix.entTerm[j];
          for (const a of p.alts) if (t >= a.lo && t < a.hi) found = true;
        }
        if (found) n++;
      }
      if (n > bestN) {
        bestN = n;
        bestText = ix.synonyms[d][k - ix.synStart[d]] ?? '';
      }
    }
    return { field: 'synonym', term: bestText || ix.display[s.d] };
  }

  highlight(title: string, words: string[], lastIsPrefix: boolean): string {
    const set = new Set(words.flatMap((w) => [w, ...variants(w)]));
    const last = words.at(-1);
    let out = '';
    let i = 0;
    for (const m of title.matchAll(/[\p{L}\p{N}]+/gu)) {
      const w = ASCII.test(m[0]) ? m[0].toLowerCase() : clean(m[0]);
      const hit = !STOPWORDS.has(w) && (set.has(w) || (lastIsPrefix && last !== undefined && w.startsWith(last)));
      out += escapeHtml(title.slice(i, m.index));
      out += hit ? `<mark>${escapeHtml(m[0])}</mark>` : escapeHtml(m[0]);
      i = m.index! + m[0].length;
    }
    return out + escapeHtml(title.slice(i));
  }

  /** Hints when nothing matched: the nearest existing code prefix, or the best single-word matches. */
  private closest(
    codes: string[],
    wordToks: string[],
    words: string[],
    filter: (d: number) => boolean,
  ): { hits: SearchHit[]; didYouMean?: string } {
    const ix = this.ix;
    const tokens = [...codes, ...wordToks.map((t) => codeToken(t)).filter((c): c is string => !!c)];
    for (const c of tokens) {
      for (let n = c.length - 1; n >= 2; n--) {
        const p = c.slice(0, n);
        if (!this.hasKeyPrefix(p)) continue;
        const found = this.codeSearch([p], filter)
          .sort((a, b) => b.score - a.score || ix.sort[a.d] - ix.sort[b.d])
          .slice(0, 5);
        return { hits: found.map((s) => this.hit(s, [], [p])), didYouMean: ix.code[found[0]?.d ?? 0] };
      }
    }
    if (!words.length) return { hits: [] };
    // Any single word, best first.
    const merged = new Map<number, Scored>();
    for (const w of words) {
      for (const s of this.evaluate({ words: [w], lastIsPrefix: false, factor: 0.5 }, true, filter)) {
        const prev = merged.get(s.d);
        if (!prev || s.score > prev.score) merged.set(s.d, s);
      }
    }
    const corrected = words.map((w) => (this.knownWord(w) ? w : (ix.termStr[this.fuzzyTerms(w, 2)[0]?.[0] ?? -1] ?? w))).join(' ');
    return {
      hits: this.topK([...merged.values()], 5, words).map((s) => this.hit(s, s.variant.words, [])),
      ...(corrected !== words.join(' ') ? { didYouMean: corrected } : {}),
    };
  }
}
