import { parseError } from '../../errors.js';

/**
 * RxNorm Rich Release Format files (NLM, "RxNorm Technical Documentation", section 12 "RxNorm Files"):
 * UTF-8 text, one row per line, fields separated by `|` with a `|` after the last field too (so a
 * row of n fields splits into n + 1 parts, the last empty). No header row. Files are read line by line.
 */

/** RXNCONSO.RRF, "Concept Names and Sources": 18 fields, one row per atom (name). */
export interface RxnConso {
  /** 1 RXCUI: RxNorm concept id. */
  rxcui: string;
  /** 2 LAT: language, always `ENG`. */
  lat: string;
  /** 8 RXAUI: atom id. */
  rxaui: string;
  /** 12 SAB: source of the name; RxNorm's own normalized names are `RXNORM`. */
  sab: string;
  /** 13 TTY: term type, e.g. IN, PIN, MIN, BN, SCD, SBD, SCDC, SCDF, GPCK, BPCK, DF, SY, TMSY, PSN. */
  tty: string;
  /** 14 CODE: the source's code (for SAB=RXNORM, the RXCUI). */
  code: string;
  /** 15 STR: the name. */
  str: string;
  /** 17 SUPPRESS: `N` not suppressed; `O` obsolete, `Y` suppressed by the source, `E` suppressed by NLM. */
  suppress: string;
  line: number;
}

/** RXNREL.RRF, "Related Concepts": 16 fields; RELA is the relation RXCUI2 has to RXCUI1. */
export interface RxnRel {
  /** 1 RXCUI1. */
  rxcui1: string;
  /** 3 STYPE1: `CUI` for a concept relation, `AUI` for an atom relation. */
  stype1: string;
  /** 4 REL: relationship group (RB, RN, RO, SY, ...). */
  rel: string;
  /** 5 RXCUI2. */
  rxcui2: string;
  /** 8 RELA: e.g. `has_tradename`, `has_ingredient`, `consists_of`; read "RXCUI2 RELA RXCUI1". */
  rela: string;
  /** 11 SAB: source asserting the relation (`RXNORM` for RxNorm's own). */
  sab: string;
  /** 15 SUPPRESS. */
  suppress: string;
  line: number;
}

/** RXNSAT.RRF, "Simple Concept and Atom Attributes": 13 fields; ATN=NDC rows carry NDCs. */
export interface RxnSat {
  /** 1 RXCUI. */
  rxcui: string;
  /** 9 ATN: attribute name, e.g. `NDC`, `RXN_STRENGTH`. */
  atn: string;
  /** 10 SAB: source of the attribute; `RXNORM` NDCs are normalized to 11 digits (HIPAA form). */
  sab: string;
  /** 11 ATV: attribute value. */
  atv: string;
  /** 12 SUPPRESS. */
  suppress: string;
  line: number;
}

export const RRF_FIELDS = { RXNCONSO: 18, RXNREL: 16, RXNSAT: 13 } as const;
export type RrfTable = keyof typeof RRF_FIELDS;

/** The fields of one RRF row, or a parse error naming the file and line when the count is wrong. */
export function rrfFields(text: string, table: RrfTable, file: string, line: number): string[] {
  const parts = text.split('|');
  const n = RRF_FIELDS[table];
  if (parts.length !== n + 1 || parts[n] !== '') {
    throw parseError(`not a ${table}.RRF row: ${parts.length - 1} "|"-terminated fields where ${table} has ${n}`, { file, line });
  }
  return parts;
}

const RXCUI = /^\d{1,8}$/;

export function parseConso(text: string, file: string, line: number): RxnConso {
  const f = rrfFields(text, 'RXNCONSO', file, line);
  if (!RXCUI.test(f[0])) throw parseError(`RXCUI "${f[0].slice(0, 12)}" is not a number`, { file, line });
  return { rxcui: f[0], lat: f[1], rxaui: f[7], sab: f[11], tty: f[12], code: f[13], str: f[14], suppress: f[16], line };
}

export function parseRel(text: string, file: string, line: number): RxnRel {
  const f = rrfFields(text, 'RXNREL', file, line);
  return { rxcui1: f[0], stype1: f[2], rel: f[3], rxcui2: f[4], rela: f[7], sab: f[10], suppress: f[14], line };
}

export function parseSat(text: string, file: string, line: number): RxnSat {
  const f = rrfFields(text, 'RXNSAT', file, line);
  return { rxcui: f[0], atn: f[8], sab: f[9], atv: f[10], suppress: f[11], line };
}

/** Rows of an RRF file, parsed one by one (blank lines are not rows). */
export async function* readRrf<T>(
  lines: AsyncIterable<{ text: string; line: number }>,
  parse: (text: string, file: string, line: number) => T,
  file: string,
): AsyncGenerator<T> {
  for await (const { text, line } of lines) if (text !== '') yield parse(text, file, line);
}

/**
 * RxNorm term types that name a concept (RxNorm Technical Documentation, Appendix 5 "Term Types"),
 * with their names. A concept has one atom of one of these from SAB=RXNORM: its normalized name.
 */
export const RXNORM_CONCEPT_TTYS: Record<string, string> = {
  IN: 'Ingredient',
  PIN: 'Precise ingredient',
  MIN: 'Multiple ingredients',
  BN: 'Brand name',
  SCDC: 'Semantic clinical drug component',
  SCDF: 'Semantic clinical drug form',
  SCDFP: 'Semantic clinical drug form precise',
  SCDG: 'Semantic clinical dose form group',
  SCDGP: 'Semantic clinical dose form group precise',
  SCD: 'Semantic clinical drug',
  SBDC: 'Semantic branded drug component',
  SBDF: 'Semantic branded drug form',
  SBDFP: 'Semantic branded drug form precise',
  SBDG: 'Semantic branded dose form group',
  SBD: 'Semantic branded drug',
  GPCK: 'Generic pack',
  BPCK: 'Branded pack',
  DF: 'Dose form',
  DFG: 'Dose form group',
};

/** Term types that are other names of a concept: synonyms, tall-man synonyms, prescribable names, entry terms. */
export const RXNORM_SYNONYM_TTYS = new Set(['SY', 'TMSY', 'PSN', 'ET']);

/**
 * Relations kept (SAB=RXNORM), each in one direction "RXCUI2 RELA RXCUI1" (RXNREL also holds the
 * inverse row, e.g. tradename_of, which is not stored twice): brand names, ingredients, components,
 * pack contents, dose forms.
 */
export const RXNORM_RELATIONS = new Set([
  'has_tradename',
  'has_ingredient',
  'has_ingredients',
  'has_precise_ingredient',
  'has_part',
  'has_form',
  'consists_of',
  'contains',
  'has_dose_form',
]);

/**
 * RxNorm release date from a file or folder name: `RxNorm_full_11042024.zip`,
 * `RxNorm_full_prescribe_11042024`, `RxNorm_weekly_11062024` (MMDDYYYY) -> `2024-11-04`.
 */
export function rxnormReleaseInPath(path: string): { date: string; kind: string } | undefined {
  const m = /RxNorm_(full|weekly)_(prescribe_)?(\d{2})(\d{2})(\d{4})/i.exec(path);
  if (!m) return undefined;
  return { date: `${m[5]}-${m[3]}-${m[4]}`, kind: m[2] ? 'prescribable' : m[1].toLowerCase() };
}
