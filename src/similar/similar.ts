import type Database from 'better-sqlite3';
import type { SystemId, CodeStatus, ConceptKind } from '../model.js';
import type { Store } from '../store/store.js';
import { SYSTEM_IDS, SYSTEMS } from '../systems.js';
import { engineFor } from '../search/search.js';
import { FIELD_TITLE, FIELD_MAIN, FIELD_INCLUSION, type SearchIndex } from '../search/index.js';
import { isPcsTableStructure, type PcsTableStructure } from '../importers/icd10pcs/builder.js';

/**
 * Similar codes: for one code, a short ranked list of codes a coder would weigh against it, each with
 * the relation and the reason in words. Computed on demand (a few SQL lookups on indexed columns and
 * one pass over the search index's postings), so it needs nothing at import time.
 *
 * Relations, strongest first:
 *  - laterality: the title differs only in the side (right, left, bilateral, unspecified);
 *  - encounter: an ICD-10-CM code that differs only in its 7th character (initial, subsequent,
 *    sequela: ICD-10-CM Official Guidelines I.C.19.a), the three basic encounters first;
 *  - axis: an ICD-10-PCS code of the same table that differs in one character (approach, device, …);
 *  - level: the title differs only in the level or count (first / second / each additional);
 *  - variant: the title differs in one short span only (type 1 / type 2 diabetes);
 *  - crosswalk: both codes translate to the same code of another system in the GEMs;
 *  - sibling: the same category, subcategory, table row or group;
 *  - wording: close wording, TF-IDF cosine over the title, inclusion terms and index terms, read from
 *    the search index's forward lists (src/search/index.ts), so there is no second index to build.
 */

export interface SimilarCode {
  system: SystemId;
  code: string;
  display: string;
  billable: boolean;
  status: string;
  relation: string;
  reason: string;
  score: number;
}

interface Lite {
  key: string;
  code: string;
  display: string;
  billable: number | boolean;
  status: CodeStatus;
  kind: ConceptKind;
  parentKey: string | null;
  sort: number;
  properties?: string | null;
}

interface Candidate {
  row: Lite;
  relation: string;
  reason: string;
  score: number;
}

const SINGLE = "(flags IS NULL OR json_extract(flags, '$.combination') IS NOT 1)";
const COLS = 'key, code, display, billable, status, kind, parent_key AS parentKey, sort';

/** Prepared statements per open database (a swapped-in database is a new connection). */
const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  return {
    get: db.prepare(`SELECT ${COLS}, properties FROM codes WHERE system = ? AND key = ?`),
    before: db.prepare(`SELECT ${COLS} FROM codes WHERE system = ? AND parent_key = ? AND sort < ? ORDER BY sort DESC LIMIT ?`),
    after: db.prepare(`SELECT ${COLS} FROM codes WHERE system = ? AND parent_key = ? AND sort > ? ORDER BY sort LIMIT ?`),
    children: db.prepare(`SELECT ${COLS} FROM codes WHERE system = ? AND parent_key = ? ORDER BY sort LIMIT ?`),
    // ICD-10-PCS codes of a table one character apart in 4-7: GLOB patterns with one "?", evaluated by SQLite.
    oneApart: db.prepare(
      `SELECT ${COLS} FROM codes WHERE system = ? AND parent_key = ? AND status = 'active' AND (key GLOB ? OR key GLOB ? OR key GLOB ? OR key GLOB ?) ORDER BY sort`,
    ),
    // GEM combinations (one part of a multi-code translation) say little about likeness: left out.
    mapTo: db.prepare(
      `SELECT DISTINCT to_system AS system, to_key AS key FROM mappings WHERE from_system = ? AND from_key = ? AND to_key != '' AND ${SINGLE}`,
    ),
    sharing: db.prepare(
      `SELECT from_key AS key FROM mappings WHERE to_system = ? AND to_key = ? AND from_system = ? AND ${SINGLE}
       UNION SELECT to_key AS key FROM mappings WHERE from_system = ? AND from_key = ? AND to_system = ? AND ${SINGLE} LIMIT 60`,
    ),
  };
}

function stmts(store: Store) {
  let s = statements.get(store.db);
  if (!s) statements.set(store.db, (s = prepare(store.db)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Title differences

interface Diff {
  /** Differing words of this code's title and of the other's, as written. */
  mine: string;
  theirs: string;
  mineWords: string[];
  theirWords: string[];
}

const norm = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** The one span in which two titles differ (common word prefix and suffix removed). */
export function titleDiff(a: string, b: string): Diff {
  const wa = a.split(/\s+/).filter(Boolean);
  const wb = b.split(/\s+/).filter(Boolean);
  let p = 0;
  while (p < wa.length && p < wb.length && norm(wa[p]) === norm(wb[p])) p++;
  let s = 0;
  while (s < wa.length - p && s < wb.length - p && norm(wa[wa.length - 1 - s]) === norm(wb[wb.length - 1 - s])) s++;
  const ma = wa.slice(p, wa.length - s);
  const mb = wb.slice(p, wb.length - s);
  const text = (ws: string[]) => ws.join(' ').replace(/^[,;:\s]+|[,;:\s]+$/g, '');
  return { mine: text(ma), theirs: text(mb), mineWords: ma.map(norm).filter(Boolean), theirWords: mb.map(norm).filter(Boolean) };
}

const SIDE = new Set(['right', 'left', 'bilateral', 'unspecified', 'side', 'unilateral', 'both', 'sides']);
const SIDED = new Set(['right', 'left', 'bilateral']);
const LEVEL = new Set([
  'and',
  'first',
  'second',
  'third',
  'fourth',
  'single',
  'each',
  'additional',
  'any',
  'level',
  'levels',
  'one',
  'two',
  'three',
  'multiple',
  'initial',
  'subsequent',
]);
const ORDINAL = new Set(['first', 'second', 'third', 'fourth', 'single', 'additional', 'multiple']);

/** The difference in words: “X” instead of “Y”, or what one title adds or lacks. */
function differenceWords(d: Diff): string {
  const q = (s: string) => `“${s}”`;
  if (!d.mine) return `with ${q(d.theirs)} added`;
  if (!d.theirs) return `without ${q(d.mine)}`;
  return `${q(d.theirs)} instead of ${q(d.mine)}`;
}

/**
 * Classify a title difference: laterality, level, or a short variant; undefined when the titles differ
 * more. A variant must keep most of the title: "Type 1 / Type 2 diabetes mellitus without
 * complications" is one, "Injection, busulfan, 1 mg / Injection, dexamethasone …, 1 mg" is not.
 */
/** Weights of words (their rarity in the code sets) and the sum over one title's words. */
export interface WordWeights {
  of(word: string): number;
  total: number;
}

export function classifyDiff(
  d: Diff,
  myWords: number,
  weights?: WordWeights,
): { relation: string; reason: string; score: number } | undefined {
  const { mineWords: a, theirWords: b } = d;
  if (!a.length && !b.length) return undefined;
  const all = [...a, ...b];
  // Side words only, give or take the organ named once ("bilateral" / "unspecified eye", "right ear" / "bilateral").
  if (
    all.filter((w) => !SIDE.has(w)).length <= 1 &&
    all.some((w) => SIDED.has(w)) &&
    a.some((w) => SIDE.has(w)) &&
    b.some((w) => SIDE.has(w))
  ) {
    return { relation: 'laterality', reason: `Differs only in laterality: ${differenceWords(d)}`, score: 0.95 };
  }
  if (all.every((w) => LEVEL.has(w)) && a.some((w) => ORDINAL.has(w)) && b.some((w) => ORDINAL.has(w))) {
    return { relation: 'level', reason: `Another level of the same service: ${differenceWords(d)}`, score: 0.9 };
  }
  const shared = myWords > 0 ? (myWords - a.length) / myWords : 0;
  // Counted by rarity as well as by number: "Injection, dexamethasone sodium phosphate, 1 mg" and
  // "Injection, tedizolid phosphate, 1 mg" share four of six words, but the two that differ are what
  // the titles are about.
  const sharedWeight = weights && weights.total > 0 ? 1 - a.reduce((sum, w) => sum + weights.of(w), 0) / weights.total : 1;
  if (a.length <= 3 && b.length <= 3 && shared >= 0.6 && sharedWeight >= 0.6) {
    return { relation: 'variant', reason: `Same title ${differenceWords(d).replace(/^(“)/, 'except $1')}`, score: 0.6 + 0.3 * shared };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Wording (TF-IDF over the search index)

const LEVEL_KINDS: Record<string, number> = { chapter: 0, block: 1, table: 1, group: 1 };
/** Codes and categories compare with each other; chapters, blocks, tables and groups with their own kind. */
const sameLevel = (a: ConceptKind, b: ConceptKind) =>
  (LEVEL_KINDS[a] ?? 2) === (LEVEL_KINDS[b] ?? 2) && (a === b || (LEVEL_KINDS[a] === undefined && LEVEL_KINDS[b] === undefined));

function docOf(ix: SearchIndex, system: SystemId, key: string): number | undefined {
  const s = SYSTEM_IDS.indexOf(system);
  for (let i = ix.keyLowerBound(key); i < ix.n && ix.key[ix.byKey[i]] === key; i++) if (ix.system[ix.byKey[i]] === s) return ix.byKey[i];
  return undefined;
}

const fieldWeight = (mask: number) => (mask & (FIELD_TITLE | FIELD_MAIN) ? 1 : mask & FIELD_INCLUSION ? 0.8 : 0.4);
const idf = (ix: SearchIndex, t: number) => Math.log(1 + ix.n / (1 + ix.postStart[t + 1] - ix.postStart[t]));

function vector(ix: SearchIndex, d: number): { terms: Map<number, number>; norm: number } {
  const terms = new Map<number, number>();
  let n2 = 0;
  for (let f = ix.fwdStart[d]; f < ix.fwdStart[d + 1]; f++) {
    const w = idf(ix, ix.fwdTerm[f]) * fieldWeight(ix.fwdMask[f]);
    terms.set(ix.fwdTerm[f], w);
    n2 += w * w;
  }
  return { terms, norm: Math.sqrt(n2) };
}

function cosine(ix: SearchIndex, self: { terms: Map<number, number>; norm: number }, d: number): number {
  let dot = 0;
  let n2 = 0;
  for (let f = ix.fwdStart[d]; f < ix.fwdStart[d + 1]; f++) {
    const w = idf(ix, ix.fwdTerm[f]) * fieldWeight(ix.fwdMask[f]);
    n2 += w * w;
    const m = self.terms.get(ix.fwdTerm[f]);
    if (m) dot += m * w;
  }
  return dot && self.norm ? dot / (self.norm * Math.sqrt(n2)) : 0;
}

/** Terms in more documents than this are too common to gather candidates from ("fracture", "unspecified"). */
const MAX_DF = 12_000;
const acc = new WeakMap<SearchIndex, Float64Array>();

/** The documents of the same system closest in wording, by TF-IDF cosine. */
function closeWording(ix: SearchIndex, d: number, top: number): { d: number; cos: number }[] {
  const self = vector(ix, d);
  let scores = acc.get(ix);
  if (!scores) acc.set(ix, (scores = new Float64Array(ix.n)));
  const sys = ix.system[d];
  const touched: number[] = [];
  // The rarest terms gather the candidates; the others are scored on them afterwards.
  const byRarity = [...self.terms.keys()]
    .filter((t) => ix.postStart[t + 1] - ix.postStart[t] <= MAX_DF)
    .sort((x, y) => ix.postStart[x + 1] - ix.postStart[x] - (ix.postStart[y + 1] - ix.postStart[y]))
    .slice(0, 8);
  for (const t of byRarity) {
    const w = self.terms.get(t)!;
    for (let p = ix.postStart[t]; p < ix.postStart[t + 1]; p++) {
      const c = ix.postDoc[p];
      if (c === d || ix.system[c] !== sys || !ix.active[c]) continue;
      if (scores[c] === 0) touched.push(c);
      scores[c] += w * idf(ix, t) * fieldWeight(ix.postMask[p]);
    }
  }
  const best = touched.sort((x, y) => scores[y] - scores[x] || x - y).slice(0, top * 3);
  for (const c of touched) scores[c] = 0;
  return best
    .map((c) => ({ d: c, cos: cosine(ix, self, c) }))
    .sort((x, y) => y.cos - x.cos || x.d - y.d)
    .slice(0, top);
}

// ---------------------------------------------------------------------------------------------

const PARENT_WORD: Partial<Record<ConceptKind, string>> = {
  chapter: 'chapter',
  block: 'block',
  category: 'category',
  table: 'table',
  group: 'group',
};

/** The three basic encounters of the 7th character come first among encounter variants (Guidelines I.C.19.a). */
const BASIC_ENCOUNTERS = 'ADS';

export function similarCodes(store: Store, system: SystemId, key: string, limit = 10): SimilarCode[] {
  const st = stmts(store);
  const self = st.get.get(system, key) as Lite | undefined;
  if (!self) return [];
  const found = new Map<string, Candidate>();
  // Codes above or below this one in a hierarchical code set are its parents and children, not its peers.
  const hierarchical = system === 'icd10cm' || system === 'icd9cm' || system === 'icd9pcs';
  const consider = (row: Lite, relation: string, reason: string, score: number) => {
    if (row.key === self.key || !sameLevel(self.kind, row.kind)) return;
    if (hierarchical && (row.key.startsWith(self.key) || self.key.startsWith(row.key))) return;
    if (row.status === 'deleted' && self.status !== 'deleted') return;
    const old = found.get(row.key);
    if (!old || old.score < score) found.set(row.key, { row, relation, reason, score });
  };
  const selfWords = self.display.split(/\s+/).filter(Boolean).length;
  const parent = self.parentKey ? (st.get.get(system, self.parentKey) as Lite | undefined) : undefined;
  const ix = engineFor(store).ix;
  const selfDoc = docOf(ix, system, key);
  // A word's weight is its inverse document frequency in the index; a word the index does not know is rare.
  const weightOf = (w: string) => {
    const t = ix.termById.get(w);
    return t === undefined ? Math.log(1 + ix.n) : idf(ix, t);
  };
  const weights: WordWeights = {
    of: weightOf,
    total: self.display
      .split(/\s+/)
      .map(norm)
      .filter(Boolean)
      .reduce((sum, w) => sum + weightOf(w), 0),
  };
  const selfVec = selfDoc !== undefined ? vector(ix, selfDoc) : undefined;
  const wordSim = (row: Lite) => {
    if (selfDoc === undefined || !selfVec) return 0;
    const d = docOf(ix, system, row.key);
    return d === undefined ? 0 : cosine(ix, selfVec, d);
  };

  // Siblings: the nearest codes of the same parent in classification order.
  const siblings = parent
    ? [...(st.before.all(system, parent.key, self.sort, 150) as Lite[]), ...(st.after.all(system, parent.key, self.sort, 150) as Lite[])]
    : [];
  const pcsTable =
    system === 'icd10pcs' && parent?.kind === 'table' && parent.properties
      ? (JSON.parse(parent.properties) as PcsTableStructure)
      : undefined;
  const pcsSelf = pcsTable && self.properties ? (JSON.parse(self.properties) as { row?: number; labels?: string[] }) : undefined;
  const pcsRows =
    pcsTable && isPcsTableStructure(pcsTable) && pcsSelf?.labels && /^[0-9A-Z]{7}$/.test(key)
      ? (st.oneApart.all(system, parent!.key, ...[3, 4, 5, 6].map((i) => `${key.slice(0, i)}?${key.slice(i + 1)}`)) as Lite[])
      : [];

  if (pcsRows.length) {
    // ICD-10-PCS: codes of the same table that differ from this one in one character of 4-7.
    const structure = pcsTable as PcsTableStructure;
    const myRow = structure.rows[pcsSelf!.row ?? 0];
    const axisTitle = (pos: number) => myRow?.axes.find((a) => a.pos === pos)?.axis ?? `Character ${pos}`;
    const labelOf = (pos: number, char: string) => {
      for (const row of [myRow, ...structure.rows]) {
        const v = row?.axes.find((a) => a.pos === pos)?.values.find((x) => x.char === char);
        if (v) return v.label;
      }
      return char;
    };
    for (const r of pcsRows) {
      let diffAt = -1;
      let n = 0;
      for (let i = 3; i < 7; i++) if (r.key[i] !== self.key[i]) n++, (diffAt = i);
      if (n === 1) {
        const pos = diffAt + 1;
        const axis = axisTitle(pos);
        // Another approach, device or qualifier is the same operation on the same body part; another
        // body part is the same operation elsewhere.
        const base = pos === 4 ? 0.84 : 0.9;
        consider(
          r,
          axis.toLowerCase().replace(/\s+/g, '-'),
          `Same procedure, differs only in ${axis.toLowerCase()} (character ${pos}): ${labelOf(pos, r.key[diffAt])} instead of ${labelOf(pos, self.key[diffAt])}`,
          base + 0.05 * wordSim(r),
        );
      }
    }
  } else {
    for (const r of siblings) {
      const c = classifyDiff(titleDiff(self.display, r.display), selfWords, weights);
      if (system === 'icd10cm' && r.key.length === 7 && self.key.length === 7 && r.key.slice(0, 6) === self.key.slice(0, 6)) {
        const d = titleDiff(self.display, r.display);
        const basic = BASIC_ENCOUNTERS.includes(r.key[6]) ? 0.03 : 0;
        // The 7th character's meaning: what the title adds to its parent's ("…, subsequent encounter for closed fracture with routine healing").
        const meaning =
          parent && r.display.startsWith(parent.display) ? r.display.slice(parent.display.length).replace(/^[,;\s]+/, '') : d.theirs;
        consider(r, 'encounter', `Same condition, another encounter (7th character ${r.key[6]}): ${meaning || r.display}`, 0.86 + basic);
      } else if (c) consider(r, c.relation, c.reason, c.score);
      // HCPCS groups are the code's first letter (CMS publishes no sections): being in the same one
      // says nothing, so HCPCS peers come from their wording instead.
      else if (parent && system !== 'hcpcs')
        consider(
          r,
          'sibling',
          `Also in ${PARENT_WORD[parent.kind] ?? 'subcategory'} ${parent.code} (${parent.display})`,
          0.5 + 0.3 * wordSim(r),
        );
    }
  }

  // Cousins: same key length under the grandparent, one character apart (laterality sits one level
  // above the 7th character: S72.001A right / S72.002A left).
  if (parent?.parentKey && (system === 'icd10cm' || system === 'icd9cm') && parent.kind !== 'block' && parent.kind !== 'chapter') {
    for (const uncle of st.children.all(system, parent.parentKey, 60) as Lite[]) {
      if (uncle.key === parent.key) continue;
      for (const r of st.children.all(system, uncle.key, 60) as Lite[]) {
        if (r.key.length !== self.key.length) continue;
        let n = 0;
        for (let i = 0; i < r.key.length; i++) if (r.key[i] !== self.key[i]) n++;
        if (n !== 1) continue;
        const c = classifyDiff(titleDiff(self.display, r.display), selfWords, weights);
        if (c) consider(r, c.relation, c.reason, c.score);
      }
    }
  }

  // Crosswalk: codes of this system that the GEMs translate to (or from) the same code of another system.
  for (const t of st.mapTo.all(system, key) as { system: SystemId; key: string }[]) {
    const sharing = st.sharing.all(t.system, t.key, system, t.system, t.key, system) as { key: string }[];
    if (sharing.length > 40) continue; // a catch-all target says little about any one code
    for (const s of sharing) {
      if (s.key === key) continue;
      const row = st.get.get(system, s.key) as Lite | undefined;
      if (!row) continue;
      const c = classifyDiff(titleDiff(self.display, row.display), selfWords, weights);
      if (c) consider(row, c.relation, c.reason, c.score);
      else
        consider(
          row,
          'crosswalk',
          `Both translate to ${SYSTEMS[t.system].label} ${store.title(t.system, t.key)?.code ?? t.key} in the GEMs`,
          0.55 + 0.3 * wordSim(row),
        );
    }
  }

  // Close wording anywhere in the code set.
  if (selfDoc !== undefined) {
    for (const { d, cos } of closeWording(ix, selfDoc, 15)) {
      if (cos < 0.35 || found.has(ix.key[d])) continue;
      const row = st.get.get(system, ix.key[d]) as Lite | undefined;
      // A billable code's peers are codes one can report instead, not headers.
      if (!row || (self.billable && !row.billable)) continue;
      const c = classifyDiff(titleDiff(self.display, row.display), selfWords, weights);
      if (c) consider(row, c.relation, c.reason, c.score - 0.05);
      else consider(row, 'wording', `Close wording (${Math.round(cos * 100)}% similar title and index terms)`, 0.6 * cos);
    }
  }

  // Encounter variants: at most three, so they do not crowd out the other relations.
  let encounters = 0;
  return [...found.values()]
    .sort((a, b) => b.score - a.score || a.row.sort - b.row.sort)
    .filter((c) => c.relation !== 'encounter' || ++encounters <= 3)
    .slice(0, limit)
    .map((c) => ({
      system,
      code: c.row.code,
      display: c.row.display,
      billable: !!c.row.billable,
      status: c.row.status,
      relation: c.relation,
      reason: c.reason,
      score: Math.round(c.score * 1000) / 1000,
    }));
}
