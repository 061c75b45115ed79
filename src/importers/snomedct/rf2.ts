import { parseError } from '../../errors.js';

/**
 * SNOMED CT Release Format 2 (SNOMED International, "Release File Specification", section 4 "RF2
 * Component Release Files", 5 "Reference set release files"): UTF-8, tab-separated, CRLF, one header
 * row naming the columns in a fixed order, one row per component version. A Snapshot holds the newest
 * version of every component; `active` is `1` or `0`. Identifiers (SCTIDs) are 6-18 digits.
 */

/** sct2_Concept_Snapshot_*.txt (spec 4.2.1). */
export interface Rf2Concept {
  id: string;
  effectiveTime: string;
  active: boolean;
  moduleId: string;
  /** 900000000000074008 primitive, 900000000000073002 fully defined. */
  definitionStatusId: string;
  line: number;
}

/** sct2_Description_Snapshot-<lang>_*.txt (spec 4.2.2). */
export interface Rf2Description {
  id: string;
  effectiveTime: string;
  active: boolean;
  conceptId: string;
  languageCode: string;
  /** 900000000000003001 fully specified name, 900000000000013009 synonym. */
  typeId: string;
  term: string;
  line: number;
}

/** sct2_Relationship_Snapshot_*.txt (spec 4.2.3); is-a is typeId 116680003. */
export interface Rf2Relationship {
  id: string;
  active: boolean;
  sourceId: string;
  destinationId: string;
  relationshipGroup: string;
  typeId: string;
  characteristicTypeId: string;
  line: number;
}

/** der2_cRefset_LanguageSnapshot-<lang>_*.txt (spec 5.2.2.1, Language type reference set). */
export interface Rf2Language {
  id: string;
  active: boolean;
  refsetId: string;
  /** The description. */
  referencedComponentId: string;
  /** 900000000000548007 preferred, 900000000000549004 acceptable. */
  acceptabilityId: string;
  line: number;
}

export const RF2_HEADERS = {
  concept: ['id', 'effectiveTime', 'active', 'moduleId', 'definitionStatusId'],
  description: ['id', 'effectiveTime', 'active', 'moduleId', 'conceptId', 'languageCode', 'typeId', 'term', 'caseSignificanceId'],
  relationship: [
    'id',
    'effectiveTime',
    'active',
    'moduleId',
    'sourceId',
    'destinationId',
    'relationshipGroup',
    'typeId',
    'characteristicTypeId',
    'modifierId',
  ],
  language: ['id', 'effectiveTime', 'active', 'moduleId', 'refsetId', 'referencedComponentId', 'acceptabilityId'],
} as const;
export type Rf2Kind = keyof typeof RF2_HEADERS;

export const IS_A = '116680003';
export const FSN = '900000000000003001';
export const SYNONYM = '900000000000013009';
export const PREFERRED = '900000000000548007';
export const ACCEPTABLE = '900000000000549004';
export const US_ENGLISH = '900000000000509007';
export const GB_ENGLISH = '900000000000508004';
export const ROOT = '138875005';

/** Official file names of the Snapshot files read (Full and Delta files are not read). */
export function rf2KindOf(name: string): Rf2Kind | undefined {
  if (/^sct2_Concept_Snapshot_.+\.txt$/i.test(name)) return 'concept';
  if (/^sct2_Description_Snapshot-[A-Za-z-]+_.+\.txt$/i.test(name)) return 'description';
  if (/^sct2_Relationship_Snapshot_.+\.txt$/i.test(name)) return 'relationship';
  if (/^der2_cRefset_LanguageSnapshot-[A-Za-z-]+_.+\.txt$/i.test(name)) return 'language';
  return undefined;
}

/** Edition (namespace or `INT`) and date of an RF2 file name: `sct2_Concept_Snapshot_US1000124_20250301.txt`. */
export function rf2ReleaseOf(name: string): { edition: string; date: string } | undefined {
  const m = /_([A-Z]{2,3}\d*|INT)_(\d{8})\.txt$/i.exec(name);
  return m ? { edition: m[1].toUpperCase(), date: m[2] } : undefined;
}

/** What is wrong with a header line for the kind, or undefined. */
export function rf2HeaderProblem(line: string, kind: Rf2Kind): string | undefined {
  const want = RF2_HEADERS[kind].join('\t');
  if (line.trim() === want) return undefined;
  return `not an RF2 ${kind} file: the header is "${line.slice(0, 80)}" where RF2 has "${want.replace(/\t/g, ' ')}" (tab-separated)`;
}

const SCTID = /^\d{6,18}$/;

async function* rows(
  lines: AsyncIterable<{ text: string; line: number }>,
  kind: Rf2Kind,
  file: string,
): AsyncGenerator<{ f: string[]; line: number }> {
  let header = false;
  const n = RF2_HEADERS[kind].length;
  for await (const { text, line } of lines) {
    if (!header) {
      const problem = rf2HeaderProblem(text, kind);
      if (problem) throw parseError(problem, { file, line });
      header = true;
      continue;
    }
    if (text === '') continue;
    const f = text.split('\t');
    if (f.length !== n) throw parseError(`${f.length} fields where an RF2 ${kind} row has ${n}`, { file, line });
    if (!SCTID.test(f[0]) && kind !== 'language') throw parseError(`id "${f[0].slice(0, 20)}" is not an SCTID`, { file, line });
    if (f[2] !== '0' && f[2] !== '1') throw parseError(`active is "${f[2].slice(0, 5)}", not 0 or 1`, { file, line });
    yield { f, line };
  }
  if (!header) throw parseError(`empty file: no RF2 ${kind} header`, { file });
}

export async function* readConcepts(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<Rf2Concept> {
  for await (const { f, line } of rows(lines, 'concept', file))
    yield { id: f[0], effectiveTime: f[1], active: f[2] === '1', moduleId: f[3], definitionStatusId: f[4], line };
}

export async function* readDescriptions(
  lines: AsyncIterable<{ text: string; line: number }>,
  file: string,
): AsyncGenerator<Rf2Description> {
  for await (const { f, line } of rows(lines, 'description', file)) {
    if (!SCTID.test(f[4])) throw parseError(`conceptId "${f[4].slice(0, 20)}" is not an SCTID`, { file, line });
    yield { id: f[0], effectiveTime: f[1], active: f[2] === '1', conceptId: f[4], languageCode: f[5], typeId: f[6], term: f[7], line };
  }
}

export async function* readRelationships(
  lines: AsyncIterable<{ text: string; line: number }>,
  file: string,
): AsyncGenerator<Rf2Relationship> {
  for await (const { f, line } of rows(lines, 'relationship', file)) {
    yield {
      id: f[0],
      active: f[2] === '1',
      sourceId: f[4],
      destinationId: f[5],
      relationshipGroup: f[6],
      typeId: f[7],
      characteristicTypeId: f[8],
      line,
    };
  }
}

export async function* readLanguage(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<Rf2Language> {
  // Reference set member ids are UUIDs, not SCTIDs (spec 5.1).
  for await (const { f, line } of rows(lines, 'language', file))
    yield { id: f[0], active: f[2] === '1', refsetId: f[4], referencedComponentId: f[5], acceptabilityId: f[6], line };
}

/** `Myocardial infarction (disorder)` -> `disorder`. */
export function semanticTag(fsn: string): string | undefined {
  return /\(([^()]+)\)\s*$/.exec(fsn)?.[1];
}
