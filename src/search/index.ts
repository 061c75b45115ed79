import Database from 'better-sqlite3';
import type { SystemId, ConceptKind } from '../model.js';
import { SYSTEM_IDS } from '../systems.js';
import { terms, tokenize, singular, clean, STOPWORDS } from './text.js';
import { loadLayTerms, type LayTerm } from './lay-terms.js';
import { IndexFileWriter, IndexFileReader, chunkSource, type FieldType } from './index-file.js';
import { MedCodesError } from '../errors.js';
import { loadWordForms } from './word-forms.js';
import { DOC_SUBSEQUENT, DOC_SEQUELA, DOC_QUALITY, DOC_ACCESSORY, DOC_UNSPECIFIED, DOC_INDEX_DEFAULT, DOC_HISTORY } from './rank.js';

/**
 * Version of the saved index's layout. A database whose index has another version (or none) is
 * indexed again at load rather than read wrongly. 2: per-document ranking flags (`flags`).
 */
export const INDEX_FORMAT_VERSION = 2;

/**
 * The in-memory search index, built from the store at start-up.
 *
 * Documents are numbered in a static order (active before deleted, then concise titles first), so a
 * document number doubles as a tie-breaker that gives a stable order. Words become term ids in sorted
 * order, so every prefix of a word is one contiguous range of term ids: autocomplete on the last word
 * is a range, not a scan of the dictionary. Two compressed lists are kept:
 *  - postings: term -> documents (ascending), with a field mask (1 = title, 2 = synonym);
 *  - forward:  document -> its terms (ascending), same masks, to check the other words of a query on
 *    the few candidates of the rarest word instead of intersecting long lists.
 */

export const FIELD_TITLE = 1;
export const FIELD_SYNONYM = 2;
/** Tabular inclusion terms: official synonyms written under the code itself. */
export const FIELD_INCLUSION = 4;
/**
 * A main term of the Alphabetic Index that leads straight to the code (modifiers aside): the name of
 * the condition as the Index files it ("Arthritis" -> M19.90). Weighs like the title.
 */
export const FIELD_MAIN = 8;

const KIND_CODES: ConceptKind[] = ['code', 'category', 'modifier', 'table', 'group', 'block', 'chapter'];

export interface IndexStats {
  docs: number;
  terms: number;
  postings: number;
  buildMs: number;
  /** Set when the index was loaded from the database rather than built. */
  loadMs?: number;
}

/** A query rewrite: words that mean the same as a span of the query (index "see" references, lay terms). */
export interface Rewrite {
  /** Terms that replace the span. */
  to: string[];
  /** Shown to the user: `heart attack → myocardial infarction`. */
  label: string;
  kind: 'see' | 'lay' | 'abbreviation' | 'synonym';
  source: string;
}

/**
 * "see" targets that are reading instructions, not terms: "Heart - see condition", "see Neoplasm, by
 * site", "see categories O03-O06", "see Table of Drugs and Chemicals". They cannot rewrite a query.
 */
const GENERIC_TARGET =
  /^(condition|specified condition|also|by site)\b|\b(by site|categor(y|ies)|table of|subcategory|\bcode\b)|\b[A-Z]\d\d/i;

/**
 * Ranking flags of a code from its title, set and properties (rank.ts). ICD-10-CM 7th characters are
 * read from the title ("..., subsequent encounter", "..., sequela"), which the Tabular writes for every
 * extended code. HCPCS quality data codes are the G- and M-codes that are not separately priced
 * (pricing indicator 00) and have no BETOS category (Z2: undefined), the HCPCS record layout's marks
 * of a reporting-only code.
 */
export function docFlags(r: { system: string; key: string; display: string; pricing?: string | null }): number {
  const t = r.display.toLowerCase();
  let f = 0;
  if (/subsequent encounter/.test(t)) f |= DOC_SUBSEQUENT;
  if (/(^|[\s,])sequela(e)?$|, sequela\b/.test(t)) f |= DOC_SEQUELA;
  if (r.system === 'hcpcs' && /^[GM]/.test(r.key) && r.pricing === '00:Z2') f |= DOC_QUALITY;
  if (/\baccessor(y|ies)\b|\breplacement only\b|\breplacement (part|pad|battery|belt)\b/.test(t)) f |= DOC_ACCESSORY;
  if (/\bunspecified\b/.test(t)) f |= DOC_UNSPECIFIED;
  if (/^(old|healed)\b|^(personal |family )?history of\b/.test(t)) f |= DOC_HISTORY;
  return f;
}

/**
 * The default billable code under a header: the child that says "unspecified" (or, for a 7th
 * character, the initial encounter "A"), else the first child, down to a billable code. ICD-10-CM
 * only: PCS Index targets are tables completed by the coder's choices, not defaults.
 */
function defaultChildren(
  rows: { system: string; key: string; display: string; billable: number; status: string; parentKey: string | null; sort: number }[],
  keyIdx: Map<string, number>,
): (i: number) => number | undefined {
  const children = new Map<number, number[]>();
  rows.forEach((r, i) => {
    if (r.system !== 'icd10cm' || !r.parentKey || r.status !== 'active') return;
    const p = keyIdx.get(`${r.system}\u0000${r.parentKey}`);
    if (p === undefined) return;
    const list = children.get(p);
    if (list) list.push(i);
    else children.set(p, [i]);
  });
  const memo = new Map<number, number | undefined>();
  const walk = (i: number, depth: number): number | undefined => {
    const r = rows[i];
    if (r.billable) return depth ? i : undefined;
    if (depth > 5) return undefined;
    const kids = children.get(i);
    if (!kids?.length) return undefined;
    const score = (k: number) => {
      const c = rows[k];
      const t = c.display.toLowerCase();
      // "Unspecified", or the .9 / "without complications" residual code the Tabular gives a bare term.
      return (
        (/\bunspecified\b/.test(t) ? 2 : 0) +
        (/without complication/.test(t) ? 1 : 0) +
        (c.key.endsWith('9') ? 1 : 0) +
        (c.key.length === 7 && c.key.endsWith('A') ? 2 : 0) -
        (/encounter|sequela/.test(t) && !c.key.endsWith('A') ? 3 : 0)
      );
    };
    let best = kids[0];
    for (const k of kids) if (score(k) > score(best) || (score(k) === score(best) && rows[k].sort < rows[best].sort)) best = k;
    return walk(best, depth + 1);
  };
  return (i: number) => {
    if (rows[i].system !== 'icd10cm' || rows[i].billable) return undefined;
    if (!memo.has(i)) memo.set(i, walk(i, 0));
    return memo.get(i);
  };
}

export const NO_TERM = 0xffffffff;
const PHRASE_END = /[,;:([]|\s(?:of|with|without|due|in|for|on|by|from|to|and|or|per|including|except|following)\s/i;

/** The head noun of a title: the last word of its first phrase (see SearchIndex.head). */
export function headWord(title: string): string | undefined {
  const m = PHRASE_END.exec(title);
  const first = terms(m ? title.slice(0, m.index) : title);
  return first.at(-1);
}

/** The first position in [0, n) where `before(position)` turns false (binary search). */
export function lowerBound(n: number, before: (m: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (before(m)) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export class SearchIndex {
  n = 0;
  // Per document (in static order).
  rowId!: Uint32Array;
  system!: Uint8Array;
  billable!: Uint8Array;
  active!: Uint8Array;
  kind!: Uint8Array;
  titleLen!: Uint16Array;
  fromYear!: Uint16Array;
  toYear!: Uint16Array;
  sort!: Float64Array;
  /** Ranking flags per document (rank.ts DOC_*): encounter, sequela, quality reporting, accessory, unspecified, Index default. */
  flags!: Uint8Array;
  /**
   * Head noun of each title, as a term id (NO_TERM when none): the last word of its first phrase,
   * before "of", "with", a comma... "Standard wheelchair" -> wheelchair, "Wheelchair seat cushion,
   * powered" -> cushion, "Fracture of neck of femur" -> fracture. The thing itself ranks before its
   * accessories.
   */
  head!: Uint32Array;
  key: string[] = [];
  code: string[] = [];
  display: string[] = [];
  synonyms: string[][] = [];
  /** Main terms of the Alphabetic Index that lead straight to the document's code (build time only: queries use entMain). */
  mainTerms: string[][] = [];
  /**
   * Synonyms as term ids, for ranking without re-tokenizing: entries of doc d are
   * synStart[d]..synStart[d+1]; terms of entry k are entStart[k]..entStart[k+1] in entTerm, with
   * entFlag = 1 when the word is inside parentheses (a nonessential modifier) plus 2 × its comma part
   * (main terms list spellings as comma parts: "Diabetes, diabetic"); entMain[k] = 1 for a main term.
   */
  synStart!: Uint32Array;
  entStart!: Uint32Array;
  entTerm!: Uint32Array;
  entFlag!: Uint8Array;
  entMain!: Uint8Array;
  /** Per term: id of its first six letters, so "infarct" and "infarction" count as one concept. */
  stemOf!: Uint32Array;
  // Title term ids in reading order (for phrase matching and highlights).
  titleStart!: Uint32Array;
  titleTerms!: Uint32Array;
  // Dictionary.
  termStr: string[] = [];
  termById = new Map<string, number>();
  postStart!: Uint32Array;
  postDoc!: Uint32Array;
  postMask!: Uint8Array;
  fwdStart!: Uint32Array;
  fwdTerm!: Uint32Array;
  fwdMask!: Uint8Array;
  /** Terms grouped by length, for typo search. */
  termsByLength: number[][] = [];
  /** Doc numbers sorted by code key (then system), for exact and prefix code search. */
  byKey!: Uint32Array;
  /** Rewrites keyed by the sorted stem keys of the words they replace. */
  rewrites = new Map<string, Rewrite[]>();
  /** Phrase length (in terms) of the longest rewrite key, to bound span enumeration. */
  maxRewriteSpan = 1;
  stats!: IndexStats;
  systems: SystemId[] = SYSTEM_IDS;

  /**
   * Noun and adjective forms of one word (femur / femoral), both ways at query time: the table
   * `data/word-forms.tsv` and the ICD-10-CM Index's own "Femur, femoral - see condition" entries.
   */
  wordForms: [string, string][] = [];

  static build(db: Database.Database, layTerms: LayTerm[] = loadLayTerms(), wordForms: [string, string][] = loadWordForms()): SearchIndex {
    const started = performance.now();
    const ix = new SearchIndex();
    type Row = {
      id: number;
      system: SystemId;
      key: string;
      code: string;
      display: string;
      shortDisplay: string | null;
      billable: number;
      status: string;
      kind: ConceptKind;
      sort: number;
      parentKey: string | null;
      /** HCPCS only: pricing indicator and BETOS code, "00:Z2" for a quality data code. */
      pricing: string | null;
    };
    const rows = db
      .prepare(
        `SELECT id, system, key, code, display, short_display AS shortDisplay, billable, status, kind, sort, parent_key AS parentKey,
           CASE WHEN system = 'hcpcs' AND properties IS NOT NULL
             THEN json_extract(properties, '$.pricingIndicators[0].code') || ':' || json_extract(properties, '$.betos.code') END AS pricing
         FROM codes`,
      )
      .all() as Row[];
    const byRowId = new Map<number, number>();
    rows.forEach((r, i) => byRowId.set(r.id, i));
    const syn: string[][] = rows.map(() => []);
    const incl: string[][] = rows.map(() => []);
    const pushSyn = (system: string, key: string, text: string, idx: Map<string, number>) => {
      const i = idx.get(`${system}\u0000${key}`);
      if (i !== undefined) syn[i].push(text);
    };
    const keyIdx = new Map<string, number>();
    rows.forEach((r, i) => keyIdx.set(`${r.system}\u0000${r.key}`, i));
    for (const n of db.prepare("SELECT system, key, text FROM notes WHERE kind = 'inclusionTerm' ORDER BY rowid").iterate() as Iterable<{
      system: string;
      key: string;
      text: string;
    }>) {
      pushSyn(n.system, n.key, n.text, keyIdx);
      const i = keyIdx.get(`${n.system}\u0000${n.key}`);
      if (i !== undefined) incl[i].push(n.text);
    }
    const mainTerms: string[][] = rows.map(() => []);
    const defaultOf = defaultChildren(rows, keyIdx);
    const indexDefault = new Uint8Array(rows.length);
    for (const t of db.prepare('SELECT system, key, path, level, source FROM index_terms ORDER BY rowid').iterate() as Iterable<{
      system: string;
      key: string;
      path: string;
      level: number | null;
      source: string;
    }>) {
      pushSyn(t.system, t.key, t.path, keyIdx);
      // An Index target that is (or has since become) a header leads the coder to its default
      // billable code: the entry is a synonym of that code too (ICD-10-CM Official Guidelines I.A.17,
      // I.B.1: the Index's code, then the Tabular for the complete code).
      const hi = keyIdx.get(`${t.system}\u0000${t.key}`);
      // The Alphabetic Index only: the Tables of Drugs and Neoplasms name a column's code for every
      // substance and site, and their 7th characters are the coder's choice.
      const child = hi !== undefined && t.source === 'index' ? defaultOf(hi) : undefined;
      if (child !== undefined) {
        syn[child].push(t.path);
        indexDefault[child] = 1;
      }
      if (t.level === 0) {
        const i = keyIdx.get(`${t.system}\u0000${t.key}`);
        if (i !== undefined) mainTerms[i].push(t.path);
      }
    }
    // Years a code is valid in, from its history (fiscal-year versions "FY2024").
    const from = new Map<number, number>();
    const to = new Map<number, number>();
    for (const h of db.prepare("SELECT system, key, version, action FROM history WHERE version LIKE 'FY%'").iterate() as Iterable<{
      system: string;
      key: string;
      version: string;
      action: string;
    }>) {
      const i = keyIdx.get(`${h.system}\u0000${h.key}`);
      if (i === undefined) continue;
      const y = Number(h.version.slice(2));
      if (h.action === 'added' || h.action === 'reactivated') {
        if (!from.has(i) || y < from.get(i)!) from.set(i, y);
        to.delete(i);
      } else if (h.action === 'deleted') to.set(i, y - 1);
    }

    // Terms of each document: title (and short title) = field 1, synonyms = field 2. Collected as
    // interned term ids in flat arrays (docStart/docTerm/docMask, titleStart/titleTerm) rather than a
    // Map and a string array per document: with a million concepts (RxNorm, SNOMED CT) those small
    // objects were most of the build's memory. Ids are renumbered in sorted order below.
    const intern = new Map<string, number>();
    const internStr: string[] = [];
    const idOf = (t: string) => {
      let id = intern.get(t);
      if (id === undefined) {
        id = internStr.length;
        intern.set(t, id);
        internStr.push(t);
      }
      return id;
    };
    const docStart = new Uint32Array(rows.length + 1);
    const titleStartTmp = new Uint32Array(rows.length + 1);
    let docTerm = new Uint32Array(1 << 20);
    let docMask = new Uint8Array(1 << 20);
    let titleTerm = new Uint32Array(1 << 18);
    let nd = 0;
    let nt = 0;
    const one = new Map<number, number>();
    const mark = (t: string, field: number) => {
      const id = idOf(t);
      one.set(id, (one.get(id) ?? 0) | field);
    };
    rows.forEach((r, i) => {
      one.clear();
      const title = terms(r.display);
      for (const t of title) mark(t, FIELD_TITLE);
      if (r.shortDisplay) for (const t of terms(r.shortDisplay)) mark(t, FIELD_TITLE);
      for (const x of syn[i]) for (const t of terms(x)) mark(t, FIELD_SYNONYM);
      for (const x of incl[i]) for (const t of terms(x)) mark(t, FIELD_INCLUSION);
      // Only where the main term names a code one can report (not a PCS table reached by a partial code).
      // Only single-word spellings ("Diabetes, diabetic"): a word inside a longer name ("Dandy-Walker
      // syndrome") does not name the condition on its own.
      if (r.kind !== 'table') {
        for (const x of mainTerms[i]) {
          for (const part of x.replace(/\([^)]*\)/g, ' ').split(',')) {
            const t = terms(part);
            if (t.length === 1) mark(t[0], FIELD_MAIN);
          }
        }
      }
      if (nd + one.size > docTerm.length) {
        const grow = Math.max(docTerm.length * 2, nd + one.size);
        const a = new Uint32Array(grow);
        a.set(docTerm);
        docTerm = a;
        const b = new Uint8Array(grow);
        b.set(docMask);
        docMask = b;
      }
      for (const [id, mask] of one) {
        docTerm[nd] = id;
        docMask[nd++] = mask;
      }
      docStart[i + 1] = nd;
      if (nt + title.length > titleTerm.length) {
        const a = new Uint32Array(Math.max(titleTerm.length * 2, nt + title.length));
        a.set(titleTerm);
        titleTerm = a;
      }
      for (const t of title) titleTerm[nt++] = intern.get(t)!;
      titleStartTmp[i + 1] = nt;
    });
    const titleCount = (i: number) => titleStartTmp[i + 1] - titleStartTmp[i];

    // Static order.
    const kindRank = (k: ConceptKind) => Math.max(0, KIND_CODES.indexOf(k));
    const order = rows.map((_, i) => i);
    const sysRank = (s: SystemId) => SYSTEM_IDS.indexOf(s);
    order.sort((a, b) => {
      const ra = rows[a];
      const rb = rows[b];
      return (
        (rb.status === 'active' ? 1 : 0) - (ra.status === 'active' ? 1 : 0) ||
        kindRank(ra.kind) - kindRank(rb.kind) ||
        titleCount(a) - titleCount(b) ||
        sysRank(ra.system) - sysRank(rb.system) ||
        ra.sort - rb.sort
      );
    });
    const n = rows.length;
    ix.n = n;
    ix.rowId = new Uint32Array(n);
    ix.system = new Uint8Array(n);
    ix.billable = new Uint8Array(n);
    ix.active = new Uint8Array(n);
    ix.kind = new Uint8Array(n);
    ix.titleLen = new Uint16Array(n);
    ix.fromYear = new Uint16Array(n);
    ix.toYear = new Uint16Array(n);
    ix.sort = new Float64Array(n);
    ix.flags = new Uint8Array(n);
    ix.head = new Uint32Array(n);

    // Dictionary: sorted, so prefixes are ranges. `sortedId` renumbers the interned ids.
    ix.termStr = [...internStr].sort();
    ix.termStr.forEach((t, i) => ix.termById.set(t, i));
    const T = ix.termStr.length;
    const sortedId = new Uint32Array(internStr.length);
    internStr.forEach((t, i) => (sortedId[i] = ix.termById.get(t)!));
    for (let t = 0; t < T; t++) (ix.termsByLength[ix.termStr[t].length] ??= []).push(t);

    const counts = new Uint32Array(T + 1);
    const fwdTotal = nd;
    const titleTotal = nt;
    for (let k = 0; k < nd; k++) counts[(docTerm[k] = sortedId[docTerm[k]])]++;
    for (let k = 0; k < nt; k++) titleTerm[k] = sortedId[titleTerm[k]];
    ix.postStart = new Uint32Array(T + 1);
    for (let t = 0; t < T; t++) ix.postStart[t + 1] = ix.postStart[t] + counts[t];
    ix.postDoc = new Uint32Array(fwdTotal);
    ix.postMask = new Uint8Array(fwdTotal);
    ix.fwdStart = new Uint32Array(n + 1);
    ix.fwdTerm = new Uint32Array(fwdTotal);
    ix.fwdMask = new Uint8Array(fwdTotal);
    ix.titleStart = new Uint32Array(n + 1);
    ix.titleTerms = new Uint32Array(titleTotal);
    const fill = ix.postStart.slice(0, T);
    let f = 0;
    let tp = 0;
    for (let d = 0; d < n; d++) {
      const i = order[d];
      const r = rows[i];
      ix.rowId[d] = r.id;
      ix.system[d] = sysRank(r.system);
      ix.billable[d] = r.billable ? 1 : 0;
      ix.active[d] = r.status === 'active' ? 1 : 0;
      ix.kind[d] = kindRank(r.kind);
      ix.titleLen[d] = Math.min(titleCount(i), 65535);
      ix.fromYear[d] = from.get(i) ?? 0;
      ix.toYear[d] = to.get(i) ?? 0;
      ix.sort[d] = r.sort;
      ix.flags[d] = docFlags(r) | (indexDefault[i] ? DOC_INDEX_DEFAULT : 0);
      const h = headWord(r.display);
      ix.head[d] = h !== undefined ? (ix.termById.get(h) ?? NO_TERM) : NO_TERM;
      ix.key.push(r.key);
      ix.code.push(r.code);
      ix.display.push(r.display);
      ix.synonyms.push(syn[i]);
      ix.mainTerms.push(mainTerms[i]);
      const entries: [number, number][] = [];
      for (let k = docStart[i]; k < docStart[i + 1]; k++) entries.push([docTerm[k], docMask[k]]);
      entries.sort((a, b) => a[0] - b[0]);
      ix.fwdStart[d] = f;
      for (const [t, mask] of entries) {
        ix.fwdTerm[f] = t;
        ix.fwdMask[f] = mask;
        f++;
        const p = fill[t]++;
        ix.postDoc[p] = d;
        ix.postMask[p] = mask;
      }
      ix.titleStart[d] = tp;
      for (let k = titleStartTmp[i]; k < titleStartTmp[i + 1]; k++) ix.titleTerms[tp++] = titleTerm[k];
    }
    ix.fwdStart[n] = f;
    ix.titleStart[n] = tp;
    ix.buildSynonymEntries();
    ix.mainTerms = [];
    const keyOrder = Array.from({ length: n }, (_, d) => d).sort((a, b) =>
      ix.key[a] < ix.key[b] ? -1 : ix.key[a] > ix.key[b] ? 1 : ix.system[a] - ix.system[b],
    );
    ix.byKey = Uint32Array.from(keyOrder);

    // Rewrites: the project's lay-term dictionary first (curated, and it carries the ICD-10-PCS
    // conventions a coder applies: "-ectomy" of a whole organ is Resection, "biopsy" is Excision with
    // qualifier Diagnostic, "laparoscopic" is Percutaneous Endoscopic), then the Alphabetic Index's
    // "see" references ("Attack, heart - see Infarct, myocardium").
    for (const l of layTerms) {
      const fromTerms = terms(l.term);
      const toTerms = terms(l.expansion);
      if (!fromTerms.length || !toTerms.length) continue;
      ix.addRewrite(fromTerms, { to: toTerms, label: `${l.term} → ${l.expansion}`, kind: l.kind, source: l.source });
    }
    for (const r of db.prepare("SELECT path, target, source FROM index_refs WHERE kind IN ('see', 'use')").iterate() as Iterable<{
      path: string;
      target: string;
      source: string;
    }>) {
      const from = terms(r.path.replace(/\([^)]*\)/g, ' '));
      // PCS Index targets name a value by its character: "Excision with qualifier Diagnostic" is a code
      // whose title says Excision ... Diagnostic.
      const toTerms = terms(r.target.replace(/\([^)]*\)/g, ' ').replace(/\bwith (qualifier|device|approach)\b/gi, ' '));
      if (!from.length || !toTerms.length || from.length > 6 || GENERIC_TARGET.test(r.target)) continue;
      // "Femur, femoral - see condition": the Index's own pairs of a noun and its adjective.
      const forms = r.path.split(',').map((x) => terms(x));
      if (/^condition$/i.test(r.target.trim()) && forms.length === 2 && forms.every((f) => f.length === 1) && forms[0][0] !== forms[1][0])
        wordForms.push([forms[0][0], forms[1][0]]);
      const rw: Rewrite = { to: toTerms, label: `${r.path} → see ${r.target}`, kind: 'see', source: `${r.source} index` };
      ix.addRewrite(from, rw);
      // A subterm reached through an intermediate one ("Fracture, traumatic, hip - see Fracture, femur,
      // neck") is also what a coder types without it ("hip fracture").
      const parts = r.path.replace(/\([^)]*\)/g, ' ').split(',');
      if (parts.length >= 3) {
        const short = terms(`${parts[0]} ${parts.at(-1)}`);
        if (short.length >= 2 && short.length <= 4 && !ix.rewrites.has(SearchIndex.stemKey(short))) ix.addRewrite(short, rw);
      }
    }
    ix.wordForms = wordForms.filter(([a, b]) => ix.termById.has(a) || ix.termById.has(b));
    ix.stats = { docs: n, terms: T, postings: fwdTotal, buildMs: Math.round(performance.now() - started) };
    return ix;
  }

  /**
   * Rewrite keys are bags of words in the singular, so "heart attack" and "heart attacks" match the
   * index's "Attack, attacks, heart" and word order does not matter.
   */
  static stemKey(words: string[]): string {
    return [...new Set(words.map(singular))].sort().join(' ');
  }

  private addRewrite(from: string[], r: Rewrite) {
    const key = SearchIndex.stemKey(from);
    const list = this.rewrites.get(key) ?? [];
    if (list.some((x) => x.to.join(' ') === r.to.join(' '))) return;
    list.push(r);
    this.rewrites.set(key, list);
    this.maxRewriteSpan = Math.max(this.maxRewriteSpan, key.split(' ').length);
  }

  private buildSynonymEntries(): void {
    const synStart: number[] = [0];
    const entStart: number[] = [0];
    const entTerm: number[] = [];
    const entFlag: number[] = [];
    const entMain: number[] = [];
    for (let d = 0; d < this.n; d++) {
      const main = new Set(this.mainTerms[d]);
      for (const text of this.synonyms[d]) {
        let depth = 0;
        let part = 0;
        for (const m of clean(text).matchAll(/[()]|,|[\p{L}\p{N}]+/gu)) {
          const w = m[0];
          if (w === '(') depth++;
          else if (w === ')') depth = Math.max(0, depth - 1);
          else if (w === ',') part += depth === 0 ? 1 : 0;
          else if (!STOPWORDS.has(w)) {
            const id = this.termById.get(w);
            if (id === undefined) continue;
            entTerm.push(id);
            entFlag.push((depth > 0 ? 1 : 0) | (Math.min(part, 100) << 1));
          }
        }
        entStart.push(entTerm.length);
        entMain.push(main.has(text) ? 1 : 0);
      }
      synStart.push(entStart.length - 1);
    }
    this.synStart = Uint32Array.from(synStart);
    this.entStart = Uint32Array.from(entStart);
    this.entTerm = Uint32Array.from(entTerm);
    this.entFlag = Uint8Array.from(entFlag);
    this.entMain = Uint8Array.from(entMain);
    this.computeStems();
  }

  private computeStems(): void {
    this.stemOf = new Uint32Array(this.termStr.length);
    let id = 0;
    for (let t = 1; t < this.termStr.length; t++) {
      if (this.termStr[t].slice(0, 6) !== this.termStr[t - 1].slice(0, 6)) id++;
      this.stemOf[t] = id;
    }
  }

  // ---- persistence ---------------------------------------------------------------------------
  // The index is built once at import and stored in the database (table search_index) as a binary,
  // versioned file (src/search/index-file.ts) split over rows, so a server starts by reading typed
  // arrays and decoding string blocks instead of re-tokenizing every title.

  /** Every stored field and its type: a new field is one line here. */
  private static readonly FIELDS = {
    rowId: Uint32Array,
    system: Uint8Array,
    billable: Uint8Array,
    active: Uint8Array,
    kind: Uint8Array,
    titleLen: Uint16Array,
    fromYear: Uint16Array,
    toYear: Uint16Array,
    sort: Float64Array,
    titleStart: Uint32Array,
    titleTerms: Uint32Array,
    postStart: Uint32Array,
    postDoc: Uint32Array,
    postMask: Uint8Array,
    fwdStart: Uint32Array,
    fwdTerm: Uint32Array,
    fwdMask: Uint8Array,
    byKey: Uint32Array,
    synStart: Uint32Array,
    entStart: Uint32Array,
    entTerm: Uint32Array,
    entFlag: Uint8Array,
    entMain: Uint8Array,
    flags: Uint8Array,
    head: Uint32Array,
    key: 'strings',
    code: 'strings',
    display: 'strings',
    termStr: 'strings',
    // Read only for the `matched` text of the results shown: decoded per document, on demand.
    synonyms: 'lazyStringLists',
  } as const satisfies Record<string, FieldType>;

  /** Rows of the database's search_index table hold the index file in pieces of this size. */
  static readonly ROW_BYTES = 32 << 20;

  /** The index as an index file (src/search/index-file.ts). */
  toFile(): IndexFileWriter {
    const w = new IndexFileWriter();
    for (const [name, type] of Object.entries(SearchIndex.FIELDS)) w.put(name, type, (this as any)[name]);
    w.json('meta', {
      n: this.n,
      rewrites: [...this.rewrites],
      maxRewriteSpan: this.maxRewriteSpan,
      stats: this.stats,
      wordForms: this.wordForms,
      version: INDEX_FORMAT_VERSION,
    });
    return w;
  }

  /** An index from an index file; throws a MedCodesError when the file is of another version, truncated or corrupt. */
  static fromFile(r: IndexFileReader): SearchIndex | undefined {
    const ix = new SearchIndex();
    const meta = r.json<{
      n: number;
      rewrites: [string, Rewrite[]][];
      maxRewriteSpan: number;
      stats: IndexStats;
      wordForms?: [string, string][];
      version?: number;
    }>('meta');
    // An index of another content version (ranking fields added or changed) is built again from the rows.
    if (meta.version !== INDEX_FORMAT_VERSION) return undefined;
    for (const [name, type] of Object.entries(SearchIndex.FIELDS)) (ix as any)[name] = r.get(name, type);
    ix.n = meta.n;
    ix.rewrites = new Map(meta.rewrites);
    ix.maxRewriteSpan = meta.maxRewriteSpan;
    ix.wordForms = meta.wordForms ?? [];
    ix.stats = meta.stats;
    const perDoc = [ix.rowId, ix.system, ix.active, ix.key, ix.display, ix.synonyms];
    if (perDoc.some((a) => a.length !== ix.n) || ix.fwdStart.length !== ix.n + 1 || ix.postStart.length !== ix.termStr.length + 1)
      throw new MedCodesError('corrupt_file', 'the search index is corrupt: its sections disagree on the number of documents or terms');
    for (let t = 0; t < ix.termStr.length; t++) {
      const s = ix.termStr[t];
      ix.termById.set(s, t);
      (ix.termsByLength[s.length] ??= []).push(t);
    }
    ix.computeStems();
    return ix;
  }

  /** Write the index into `search_index` of a database being built. */
  save(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS search_index (name TEXT PRIMARY KEY, data BLOB NOT NULL)');
    db.exec('DELETE FROM search_index');
    const put = db.prepare('INSERT INTO search_index (name, data) VALUES (?, ?)');
    let i = 0;
    for (const chunk of this.toFile().chunks(SearchIndex.ROW_BYTES)) put.run(`mcix.${String(i++).padStart(6, '0')}`, chunk);
  }

  /**
   * Load a saved index, or undefined when the database has none, or one of another format version
   * (written by an older MedCodes): the caller then builds it from the rows. A truncated or corrupt
   * index throws a MedCodesError (corrupt_file).
   */
  static load(db: Database.Database): SearchIndex | undefined {
    const started = performance.now();
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_index'").get();
    if (!has) return undefined;
    const info = db
      .prepare(
        "SELECT count(*) AS n, sum(length(data)) AS size, max(CASE WHEN name = 'mcix.000000' THEN length(data) END) AS first FROM search_index WHERE name GLOB 'mcix.[0-9]*'",
      )
      .get() as { n: number; size: number | null; first: number | null };
    if (!info.n || !info.first) return undefined;
    // Read the pieces through a connection of their own, memory-mapped (fewer copies than through the
    // page cache) with a small page cache, closed afterwards, which unmaps them: through the caller's
    // connection the index's pages would stay resident after the load (mapped pages count in the
    // server's RSS; cached ones fill its page cache).
    const own = db.memory ? undefined : new Database(db.name, { readonly: true, fileMustExist: true });
    try {
      own?.pragma('mmap_size = 1099511627776');
      own?.pragma('cache_size = -2000');
      const piece = (own ?? db).prepare('SELECT data FROM search_index WHERE name = ?').pluck();
      const source = chunkSource(info.size ?? 0, info.first, (i) => piece.get(`mcix.${String(i).padStart(6, '0')}`) as Buffer | undefined);
      let reader: IndexFileReader;
      try {
        reader = new IndexFileReader(source);
      } catch (e) {
        if (e instanceof MedCodesError && e.code === 'unknown_format') return undefined;
        throw e;
      }
      const ix = SearchIndex.fromFile(reader);
      if (!ix) return undefined;
      ix.stats = { ...ix.stats, loadMs: Math.round(performance.now() - started) };
      return ix;
    } finally {
      own?.close();
    }
  }

  private singleWordRewriteKeys?: string[];

  /** Single-word rewrite keys that start with `prefix`, shortest first. */
  rewriteKeysWithPrefix(prefix: string): string[] {
    this.singleWordRewriteKeys ??= [...this.rewrites.keys()].filter((k) => !k.includes(' ')).sort();
    const a = this.singleWordRewriteKeys;
    const out: string[] = [];
    for (let i = lowerBound(a.length, (m) => a[m] < prefix); i < a.length && a[i].startsWith(prefix) && out.length < 20; i++)
      out.push(a[i]);
    return out.sort((x, y) => x.length - y.length);
  }

  /** Term id range [lo, hi) of all terms starting with `prefix`. */
  prefixRange(prefix: string): [number, number] {
    const a = this.termStr;
    return [lowerBound(a.length, (m) => a[m] < prefix), lowerBound(a.length, (m) => a[m] < prefix || a[m].startsWith(prefix))];
  }

  /** Position in `byKey` of the first key >= `key`. */
  keyLowerBound(key: string): number {
    return lowerBound(this.n, (m) => this.key[this.byKey[m]] < key);
  }

  /** Words of a title in reading order, for highlights. */
  titleWords(d: number): string[] {
    return tokenize(this.display[d]);
  }
}
