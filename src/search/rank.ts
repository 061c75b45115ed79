/**
 * Ranking weights of the search, as named constants, and the pure function that turns a candidate's
 * features into its score. The engine computes the features (engine.ts evaluate) and this module alone
 * decides what they are worth, so that a change of policy is one line here and is unit-tested on a
 * small in-memory index (rank.test.ts).
 *
 * The score is 10 × relevance (0..1: idf-weighted share of the query's words, by field) plus the
 * bonuses and minus the penalties below. Penalties are large enough to order whole classes of codes
 * ("unless asked") and small enough that a code that matches every word still beats one that does not.
 */

/** Per-document flags, computed at index build from the code's title, set and properties. */
export const DOC_SUBSEQUENT = 1;
export const DOC_SEQUELA = 2;
export const DOC_QUALITY = 4;
export const DOC_ACCESSORY = 8;
export const DOC_UNSPECIFIED = 16;
/** The default code of an Index entry whose target is a header (see index.ts defaultChild). */
export const DOC_INDEX_DEFAULT = 32;
/** A past condition ("Old myocardial infarction", "Personal history of ..."): a status, not the disease. */
export const DOC_HISTORY = 64;

export const WEIGHTS = {
  /** Relevance (0..1) is multiplied by this. */
  RELEVANCE: 10,
  /** Every query word in the title (or an Index main term that names the code). */
  ALL_IN_TITLE: 2,
  /** Every query word in one Alphabetic Index main term of the code. */
  ALL_IN_MAIN: 1,
  /** Per title word the query did not ask for, up to EXTRA_WORDS_MAX: concise titles first. */
  EXTRA_WORD: 0.12,
  EXTRA_WORDS_MAX: 3,
  BILLABLE: 0.3,
  /** Blocks and chapters (browsing nodes) below codes. */
  BROWSE_NODE: 0.5,
  /**
   * ICD-10-PCS tables (three characters, "0DT") and other partial codes are not reportable: a word
   * query wants a complete code (ICD-10-PCS Official Guidelines A.11: "valid codes" have 7 characters).
   */
  PARTIAL_CODE: 6,
  /** Deleted codes last. */
  DELETED: 8,
  /** Typo corrections never outrank exact words. */
  FUZZY: 0.5,
  /** ICD-9-CM (retired 2015-10-01) answers history questions: current sets first unless asked. */
  RETIRED: 6,
  /**
   * ICD-10-CM 7th characters: the initial encounter ("A") is what a coder reports for active
   * treatment (ICD-10-CM Official Guidelines I.C.19.a); subsequent encounters and sequelae come after
   * unless the query asks for them.
   */
  SUBSEQUENT: 2,
  SEQUELA: 2.5,
  /**
   * HCPCS quality data codes (MIPS G- and M-codes: not separately priced, BETOS "Z2") report that
   * something was done; a query for the service wants the service unless it asks for reporting.
   */
  QUALITY: 3,
  /**
   * "Old myocardial infarction" (I25.2) and "Personal history of ..." (Z85-Z87) record a past condition;
   * a query for the condition wants the condition unless it says old, history or healed.
   */
  HISTORY: 1.5,
  /** "Wheelchair accessory, tray" is not a wheelchair: the thing itself before its accessories. */
  ACCESSORY: 1.5,
  /** The "unspecified" form of a bare term: the Index's default when nothing more is said. */
  UNSPECIFIED: 0.3,
  /** The default billable code under an Index target that has become a header. */
  INDEX_DEFAULT: 0.6,
  // Rerank of the top window (engine.ts topK), where titles and synonyms are read:
  /** The query's words next to each other, in order, in the title; or its first two. */
  PHRASE: 1.5,
  PHRASE_START: 0.5,
  /** The title opens with a word of the query (ICD titles and Index main terms name the thing first). */
  FIRST_WORD: 0.5,
  /** The title's head noun is a word of the query: the thing itself, not its accessory or a part. */
  HEAD_NOUN: 1,
  /** Times synonymCoverage (0..1, 2 for an Index main term that is the query itself). */
  SYNONYM_COVERAGE: 2,
  /** A synonym that is the query as typed, when the title does not say it. */
  SYNONYM_EXACT: 1.5,
} as const;

/** What the query asks for, once per query (engine.ts intents). */
export interface QueryIntent {
  sequela: boolean;
  subsequent: boolean;
  quality: boolean;
  accessory: boolean;
  retired: boolean;
  history: boolean;
  /** The query names more than the bare concept (more than one word): unspecified forms weigh less. */
  specific: boolean;
}

export interface DocFeatures {
  /** idf-weighted share of the query matched, 0..1. */
  relevance: number;
  /** Discount of the query variant (rewrite, dropped word, correction), 0..1. */
  factor: number;
  allInTitle: boolean;
  allInMain: boolean;
  /** Title words beyond the query's. */
  extraWords: number;
  billable: boolean;
  browseNode: boolean;
  partialCode: boolean;
  active: boolean;
  fuzzy: boolean;
  retired: boolean;
  /** DOC_* flags of the document. */
  flags: number;
}

/** The score of one candidate. Pure: the same features and intent always give the same score. */
export function rankScore(f: DocFeatures, q: QueryIntent): number {
  const W = WEIGHTS;
  let s =
    W.RELEVANCE * f.relevance * f.factor +
    (f.allInTitle ? W.ALL_IN_TITLE : 0) +
    (f.allInMain ? W.ALL_IN_MAIN : 0) -
    Math.min(W.EXTRA_WORDS_MAX, W.EXTRA_WORD * f.extraWords) +
    (f.billable ? W.BILLABLE : 0) -
    (f.browseNode ? W.BROWSE_NODE : 0) -
    (f.partialCode ? W.PARTIAL_CODE : 0) -
    (f.active ? 0 : W.DELETED);
  if (f.fuzzy) s -= W.FUZZY;
  if (f.retired && !q.retired) s -= W.RETIRED;
  const fl = f.flags;
  if (fl & DOC_SUBSEQUENT && !q.subsequent) s -= W.SUBSEQUENT;
  if (fl & DOC_SEQUELA && !q.sequela) s -= W.SEQUELA;
  if (fl & DOC_QUALITY && !q.quality) s -= W.QUALITY;
  if (fl & DOC_ACCESSORY && !q.accessory) s -= W.ACCESSORY;
  if (fl & DOC_HISTORY && !q.history) s -= W.HISTORY;
  if (fl & DOC_UNSPECIFIED && !q.specific) s += W.UNSPECIFIED;
  if (fl & DOC_INDEX_DEFAULT) s += W.INDEX_DEFAULT;
  return s;
}

/** Words that ask for what is otherwise ranked down. */
const ASKS = {
  sequela: /^(sequela|sequelae|late|after)$/,
  subsequent: /^(subsequent|healing|followup|aftercare|routine|delayed|nonunion|malunion)$/,
  quality: /^(quality|reporting|reported|measure|measures|mips|documented|documentation|pqrs|performance)$/,
  accessory:
    /^(accessory|accessories|part|parts|replacement|tray|cushion|armrest|footrest|battery|batteries|belt|strap|wheel|tire|tires|handrim|seat|back|mount|mounting|supplies|supply)$/,
  retired: /^(icd9|icd9cm|retired)$/,
  history: /^(old|history|hx|past|healed|previous|prior|status)$/,
};

/** What a query's words ask for. `retiredSystem` is set when the user filtered on a retired set. */
export function queryIntent(words: string[], retiredSystem = false): QueryIntent {
  const has = (re: RegExp) => words.some((w) => re.test(w));
  return {
    sequela: has(ASKS.sequela),
    subsequent: has(ASKS.subsequent),
    quality: has(ASKS.quality),
    accessory: has(ASKS.accessory),
    retired: retiredSystem || has(ASKS.retired),
    history: has(ASKS.history),
    specific: words.length > 2,
  };
}
