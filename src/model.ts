/**
 * The normalized code model: the one shape every importer produces and everything downstream
 * (store, search, API, pages, CLI) consumes. Importers translate an official layout into these
 * records; nothing after the importer knows which file a record came from except through the
 * provenance fields kept here (`version`, `source`).
 */

/** Short ids of the code systems MedCodes knows. The registry in systems.ts maps them to FHIR URIs. */
export type SystemId =
  | 'icd10cm'
  | 'icd10pcs'
  | 'hcpcs'
  | 'icd9cm'
  | 'icd9pcs'
  | 'nucc'
  | 'cpt'
  | 'cdt'
  | 'loinc'
  | 'snomedct'
  | 'rxnorm'
  | 'ndc';

/**
 * The level of a concept in its classification. ICD-10-CM: chapter > block (the Tabular's "section",
 * e.g. A00-A09) > category (3 characters) > subcategory/code. `code` is anything below a category.
 */
export type ConceptKind = 'chapter' | 'block' | 'category' | 'code' | 'modifier' | 'table' | 'group';

export type CodeStatus = 'active' | 'deleted';

/** One concept of a code system, as served. */
export interface CodeRecord {
  system: SystemId;
  /** The code as users read it (ICD-10-CM dotted: `E11.9`; chapters and blocks: their range, `E08-E13`). */
  code: string;
  /** The lookup key: `code` normalized by the system's rule (codes.ts), e.g. `E119`. Unique per system. */
  key: string;
  /** The official long title. */
  display: string;
  /** The official short title, when the system publishes one. */
  shortDisplay?: string;
  kind: ConceptKind;
  /** Valid for submission on a claim (ICD-10-CM "billable", PCS "valid"). Headers are not. */
  billable: boolean;
  status: CodeStatus;
  /** Key of the parent concept in the same system (none for a chapter). */
  parentKey?: string;
  /** A sortable key that reproduces the classification's own order (e.g. the order file's sequence). */
  sort: number;
  /** The release the record's content comes from, e.g. `FY2026`. */
  version: string;
  /** System-specific fields, already decoded (PCS axes, HCPCS pricing, NUCC grouping, ...). */
  properties?: Record<string, unknown>;
}

/**
 * ICD-10-CM Tabular List note kinds, named as the Tabular XML elements (icd10cm_tabular.xsd), plus
 * `sevenChrDef` (seventh-character values) and `sevenChrNote`. Other systems reuse `note`.
 */
export type NoteKind =
  | 'inclusionTerm'
  | 'includes'
  | 'excludes1'
  | 'excludes2'
  | 'codeFirst'
  | 'useAdditionalCode'
  | 'codeAlso'
  | 'notes'
  | 'sevenChrNote'
  | 'sevenChrDef';

export interface Note {
  system: SystemId;
  /** Key of the concept the note is written on in the official file. */
  key: string;
  kind: NoteKind;
  text: string;
  /** For sevenChrDef: the 7th character this text defines (e.g. `A`). */
  char?: string;
  /** Position among the notes of the same concept and kind, as in the source. */
  seq: number;
  /** Release the note comes from, e.g. `FY2017` (the newest complete Tabular XML we have). */
  version: string;
}

/** An Alphabetic Index entry (or table cell) that leads to a code. */
export interface IndexTerm {
  system: SystemId;
  key: string;
  /** The path from the main term down, joined with ", ": `Infarct, myocardium, non-ST elevation (NSTEMI)`. */
  path: string;
  /** Which index: `index`, `eindex` (external cause), `drug`, `neoplasm`, `pcs-index`, ... */
  source: string;
  version: string;
  /**
   * Depth of the entry: 0 for a main term ("Diabetes, diabetic (mellitus) (sugar)" -> E11.9, the
   * code the index gives for the bare condition), 1 and more for subterms.
   */
  level?: number;
}

/** A cross-reference in an index: a term that sends the reader to another term. */
export interface IndexReference {
  system: SystemId;
  /** The term path that carries the reference, e.g. `Heart attack`. */
  path: string;
  kind: 'see' | 'seeAlso' | 'use';
  /** Where it sends the reader, e.g. `Infarct, myocardium`. */
  target: string;
  source: string;
  version: string;
}

export type HistoryAction = 'added' | 'revised' | 'deleted' | 'reactivated';

export interface HistoryEvent {
  system: SystemId;
  key: string;
  /** Release in which the change took effect, e.g. `FY2024`. */
  version: string;
  action: HistoryAction;
  /** Title after the change (added, revised) or the last title (deleted). */
  display?: string;
  /** Title before a revision. */
  previousDisplay?: string;
  /** For a deletion: keys of the replacement codes, from the official conversion table. */
  replacedBy?: string[];
  /** Billable flag before/after, when it changed (header became billable or the reverse). */
  billableChange?: { from: boolean; to: boolean };
}

/** A mapping between two systems (GEMs and the like). */
export interface Mapping {
  fromSystem: SystemId;
  fromKey: string;
  toSystem: SystemId;
  toKey: string;
  /** Decoded flags of the source (GEMs: approximate, noMap, combination, scenario, choiceList). */
  flags?: Record<string, unknown>;
  source: string;
  version: string;
}

/** Metadata of one loaded code system release. */
export interface SystemRelease {
  system: SystemId;
  version: string;
  /** Effective date of the release, ISO `YYYY-MM-DD`. */
  effective?: string;
  /** Notice the licence requires to be shown with the content (NUCC, CPT, LOINC). */
  notice?: string;
}
