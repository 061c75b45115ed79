import { parseError } from '../../errors.js';
import { csvRecords } from './csv.js';

/**
 * LOINC table file `LoincTable/Loinc.csv` of the official release (Regenstrief, "LOINC Users' Guide",
 * Appendix A "LOINC Database Structure"; the same columns since 2.64, a few added since).
 *
 * Layout: CSV (RFC 4180), UTF-8, one header row naming the columns, every text field quoted. Columns
 * are read by header name, not position, because Regenstrief appends columns between releases
 * (2.73 added DisplayName; 2.69 VersionFirstReleased). Required columns are those of the six axes
 * and the names; a file named Loinc.csv without them is refused (it is not the LOINC table).
 *
 * One row = one LOINC term. Fields kept (Users' Guide column names):
 *   LOINC_NUM                  the code, `nnnnn-n` (check digit after the dash, mod 10)
 *   COMPONENT, PROPERTY, TIME_ASPCT, SYSTEM, SCALE_TYP, METHOD_TYP   the six parts of the fully
 *                              specified name (Users' Guide §2 "Major parts of a test/observation name")
 *   CLASS                      e.g. `CHEM`, `HEM/BC`, `PANEL.UA`
 *   CLASSTYPE                  1 laboratory, 2 clinical, 3 claims attachments, 4 surveys
 *   STATUS                     ACTIVE, TRIAL, DISCOURAGED, DEPRECATED (Users' Guide §11.2)
 *   STATUS_REASON, STATUS_TEXT why a term was deprecated or discouraged
 *   CONSUMER_NAME              a consumer-friendly name (experimental; many rows empty)
 *   SHORTNAME                  the short name, e.g. `Glucose SerPl-mCnc`
 *   LONG_COMMON_NAME           the long common name, the title shown
 *   DisplayName                a display name (2.73+), e.g. `Glucose [Mass/volume]`
 *   RELATEDNAMES2              `; `-separated synonyms
 *   ORDER_OBS                  Order, Observation, Both, Subset
 *   EXAMPLE_UCUM_UNITS         example UCUM units
 *   DefinitionDescription      narrative definition
 *   EXTERNAL_COPYRIGHT_NOTICE  a third party's copyright on this term's content (e.g. survey
 *                              instruments): the LOINC licence (§4, "Third Party Content") requires it
 *                              to be shown with the term
 *   EXTERNAL_COPYRIGHT_LINK    the third party's licence link (2.73+)
 *   VersionFirstReleased, VersionLastChanged   LOINC versions, e.g. `2.80`
 */
export interface LoincRecord {
  loincNum: string;
  component: string;
  property: string;
  timeAspect: string;
  system: string;
  scale: string;
  method: string;
  class: string;
  classType?: string;
  status: string;
  statusReason?: string;
  statusText?: string;
  consumerName?: string;
  shortName?: string;
  longCommonName: string;
  displayName?: string;
  relatedNames?: string;
  orderObs?: string;
  exampleUcumUnits?: string;
  definition?: string;
  externalCopyrightNotice?: string;
  externalCopyrightLink?: string;
  versionFirstReleased?: string;
  versionLastChanged?: string;
  line: number;
}

export const LOINC_REQUIRED = [
  'LOINC_NUM',
  'COMPONENT',
  'PROPERTY',
  'TIME_ASPCT',
  'SYSTEM',
  'SCALE_TYP',
  'METHOD_TYP',
  'CLASS',
  'STATUS',
  'LONG_COMMON_NAME',
] as const;

const OPTIONAL: Record<string, keyof LoincRecord> = {
  CLASSTYPE: 'classType',
  STATUS_REASON: 'statusReason',
  STATUS_TEXT: 'statusText',
  CONSUMER_NAME: 'consumerName',
  SHORTNAME: 'shortName',
  DisplayName: 'displayName',
  RELATEDNAMES2: 'relatedNames',
  ORDER_OBS: 'orderObs',
  EXAMPLE_UCUM_UNITS: 'exampleUcumUnits',
  DefinitionDescription: 'definition',
  EXTERNAL_COPYRIGHT_NOTICE: 'externalCopyrightNotice',
  EXTERNAL_COPYRIGHT_LINK: 'externalCopyrightLink',
  VersionFirstReleased: 'versionFirstReleased',
  VersionLastChanged: 'versionLastChanged',
};

/** LOINC_NUM: 1-7 digits, a dash, one check digit (Users' Guide §12.4 "Check digits"). */
export const LOINC_NUM = /^\d{1,7}-\d$/;

/** The columns of a header line, unquoted. */
export function headerColumns(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

/** What is wrong with a header for the LOINC table, or undefined when it is one. */
export function loincHeaderProblem(line: string): string | undefined {
  const cols = new Set(headerColumns(line));
  const missing = LOINC_REQUIRED.filter((c) => !cols.has(c));
  if (missing.length === LOINC_REQUIRED.length)
    return `not the LOINC table: the first line has none of the LOINC columns (${LOINC_REQUIRED.slice(0, 3).join(', ')}, ...)`;
  if (missing.length) return `the LOINC table header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}

/** Records of Loinc.csv, streamed. Bad rows stop the import with the line named. */
export async function* readLoincTable(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<LoincRecord> {
  let index: Map<string, number> | undefined;
  let width = 0;
  for await (const { fields, line } of csvRecords(lines, file, { header: true })) {
    if (!index) {
      const problem = loincHeaderProblem(fields.map((f) => `"${f}"`).join(','));
      if (problem) throw parseError(problem, { file, line });
      index = new Map(fields.map((f, i) => [f.trim(), i]));
      width = fields.length;
      continue;
    }
    if (fields.length !== width) throw parseError(`${fields.length} fields where the header has ${width}`, { file, line });
    const get = (c: string) => fields[index!.get(c)!]?.trim() ?? '';
    const loincNum = get('LOINC_NUM');
    if (!LOINC_NUM.test(loincNum))
      throw parseError(`LOINC_NUM "${loincNum.slice(0, 20)}" is not a LOINC code (digits, dash, check digit)`, { file, line });
    const [num, check] = loincNum.split('-');
    if (loincCheckDigit(num) !== Number(check))
      throw parseError(`LOINC_NUM ${loincNum} has a wrong check digit (expected ${loincCheckDigit(num)}): damaged file?`, { file, line });
    const r: LoincRecord = {
      loincNum,
      component: get('COMPONENT'),
      property: get('PROPERTY'),
      timeAspect: get('TIME_ASPCT'),
      system: get('SYSTEM'),
      scale: get('SCALE_TYP'),
      method: get('METHOD_TYP'),
      class: get('CLASS'),
      status: get('STATUS'),
      longCommonName: get('LONG_COMMON_NAME'),
      line,
    };
    for (const [col, key] of Object.entries(OPTIONAL)) {
      if (!index.has(col)) continue;
      const v = get(col);
      if (v) (r as unknown as Record<string, unknown>)[key] = v;
    }
    if (!r.longCommonName) throw parseError(`LOINC ${loincNum} has no LONG_COMMON_NAME`, { file, line });
    yield r;
  }
  if (!index) throw parseError('empty file: no LOINC header', { file });
}

/** The mod-10 check digit of a LOINC code's number (Users' Guide §12.4, the "Mod 10" algorithm). */
export function loincCheckDigit(digits: string): number {
  // From the right, double every other digit starting with the rightmost, add the digits of all.
  let sum = 0;
  for (let i = digits.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = Number(digits[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d = Math.floor(d / 10) + (d % 10);
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * `LoincTable/MapTo.csv`: replacements of deprecated terms (columns LOINC, MAP_TO, COMMENT).
 */
export interface LoincMapTo {
  loinc: string;
  mapTo: string;
  comment?: string;
  line: number;
}

export async function* readLoincMapTo(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<LoincMapTo> {
  let index: Map<string, number> | undefined;
  for await (const { fields, line } of csvRecords(lines, file, { header: true })) {
    if (!index) {
      index = new Map(fields.map((f, i) => [f.trim(), i]));
      if (!index.has('LOINC') || !index.has('MAP_TO'))
        throw parseError('not the LOINC MapTo table: the header lacks LOINC and MAP_TO', { file, line });
      continue;
    }
    const loinc = fields[index.get('LOINC')!]?.trim() ?? '';
    const mapTo = fields[index.get('MAP_TO')!]?.trim() ?? '';
    if (!LOINC_NUM.test(loinc) || !LOINC_NUM.test(mapTo))
      throw parseError(`"${loinc}" -> "${mapTo}" is not a pair of LOINC codes`, { file, line });
    const comment = index.has('COMMENT') ? fields[index.get('COMMENT')!]?.trim() : undefined;
    yield { loinc, mapTo, ...(comment ? { comment } : {}), line };
  }
}
