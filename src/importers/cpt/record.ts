import { parseError } from '../../errors.js';

/**
 * AMA CPT data files (the "CPT Data File" distribution a licensee downloads from the AMA; file list as
 * in the AMA's release README and NLM's UMLS CPT source documentation):
 *
 *   LONGULT.txt   long descriptors, upper/lower case, tab-delimited: `code<TAB>descriptor`
 *   LONGUT.txt    the same in upper case (read only when LONGULT.txt is absent)
 *   MEDU.txt      medium descriptors (at most 100 characters), `code<TAB>descriptor`
 *   SHORTU.txt    short descriptors (at most 28 characters), `code<TAB>descriptor`
 *   MODUL.txt     modifiers, `modifier<TAB>descriptor` (when present)
 *   ConsumerDescriptor.txt   consumer-friendly descriptors, tab-delimited with a header row
 *                 (`Concept Id`, `CPT Code`, `Consumer Friendly Descriptor`)
 *   ClinicianDescriptor.txt  clinician descriptors, several per code, tab-delimited with a header row
 *                 (`Concept Id`, `CPT Code`, `Clinician Descriptor Id`, `Clinician Descriptor`)
 *
 * Known variations this reader tolerates: the AMA copyright notice on the first lines of the
 * descriptor files (older fixed-field files start with it at line 1, position 1), a single space
 * instead of the tab after the code, CRLF or LF, a byte order mark, and header columns in any order
 * and letter case. Fixed-field files of old releases (LONGULF.txt, sequence-numbered 80-character
 * records) are not read.
 */

/** One code and descriptor line of LONGULT/MEDU/SHORTU/MODUL. */
export interface CptDescriptorLine {
  code: string;
  text: string;
  line: number;
}

/** One row of ConsumerDescriptor.txt or ClinicianDescriptor.txt. */
export interface CptExtraDescriptor {
  conceptId?: string;
  code: string;
  text: string;
  line: number;
}

/**
 * CPT code shapes: Category I five digits (`99213`), Category II four digits and F (`1234F`),
 * Category III four digits and T (`0042T`), Proprietary Laboratory Analyses four digits and U
 * (`0001U`), administrative MAAA codes four digits and M (`0002M`).
 */
export const CPT_CODE = /^\d{4}[0-9FTUM]$/;
/** Modifiers: two digits or characters (`25`, `59`, `P1`, `1P`). */
export const CPT_MODIFIER = /^[0-9A-Z]{2}$/;

const LINE = /^([0-9A-Z]{2}|\d{4}[0-9A-Z])(?:\t| )(.*)$/;

/** What kind of CPT file a descriptor file is, by name. */
export type CptKind = 'long' | 'longUpper' | 'medium' | 'short' | 'modifier' | 'consumer' | 'clinician';

export function cptKindOf(name: string): CptKind | undefined {
  const n = name.toUpperCase();
  if (n === 'LONGULT.TXT') return 'long';
  if (n === 'LONGUT.TXT') return 'longUpper';
  if (n === 'MEDU.TXT') return 'medium';
  if (n === 'SHORTU.TXT') return 'short';
  if (n === 'MODUL.TXT') return 'modifier';
  if (n === 'CONSUMERDESCRIPTOR.TXT') return 'consumer';
  if (n === 'CLINICIANDESCRIPTOR.TXT') return 'clinician';
  return undefined;
}

/**
 * Code and descriptor lines. Lines before the first code line are the AMA's notice (returned by
 * `notice` once read); after it, a line that is not `code<TAB>descriptor` is an error naming the line.
 */
export async function* readCptDescriptors(
  lines: AsyncIterable<{ text: string; line: number }>,
  file: string,
  modifiers = false,
  notice: string[] = [],
): AsyncGenerator<CptDescriptorLine> {
  let started = false;
  const shape = modifiers ? CPT_MODIFIER : CPT_CODE;
  for await (const { text, line } of lines) {
    if (text.trim() === '') continue;
    const m = LINE.exec(text);
    const ok = m && shape.test(m[1]);
    if (!ok) {
      if (!started && line <= 30) {
        notice.push(text.trim());
        continue;
      }
      throw parseError(`not a CPT ${modifiers ? 'modifier' : 'code'} and descriptor line ("${text.slice(0, 40)}")`, { file, line });
    }
    started = true;
    yield { code: m[1], text: m[2].trim(), line };
  }
  if (!started) throw parseError(`no CPT ${modifiers ? 'modifier' : 'code'} lines (code, tab, descriptor): not a CPT data file`, { file });
}

/** Rows of ConsumerDescriptor.txt / ClinicianDescriptor.txt, by header names. */
export async function* readCptExtra(
  lines: AsyncIterable<{ text: string; line: number }>,
  file: string,
  kind: 'consumer' | 'clinician',
): AsyncGenerator<CptExtraDescriptor> {
  let codeCol = -1;
  let textCol = -1;
  let conceptCol = -1;
  let header = false;
  for await (const { text, line } of lines) {
    if (text.trim() === '') continue;
    const f = text.split('\t').map((x) => x.trim());
    if (!header) {
      codeCol = f.findIndex((c) => /^cpt[ _]?code$/i.test(c));
      textCol = f.findIndex((c) => (kind === 'consumer' ? /consumer.*descriptor/i : /^clinician[ _]?descriptor$/i).test(c));
      conceptCol = f.findIndex((c) => /^concept[ _]?id$/i.test(c));
      if (codeCol < 0 || textCol < 0) {
        throw parseError(
          `not a CPT ${kind} descriptor file: the header "${text.slice(0, 60)}" lacks "CPT Code" and "${kind === 'consumer' ? 'Consumer Friendly Descriptor' : 'Clinician Descriptor'}"`,
          { file, line },
        );
      }
      header = true;
      continue;
    }
    const code = f[codeCol] ?? '';
    if (!CPT_CODE.test(code)) throw parseError(`CPT Code "${code.slice(0, 12)}" is not a CPT code`, { file, line });
    const t = f[textCol] ?? '';
    if (!t) continue;
    yield { code, text: t, ...(conceptCol >= 0 && f[conceptCol] ? { conceptId: f[conceptCol] } : {}), line };
  }
  if (!header) throw parseError(`empty file: no ${kind} descriptor header`, { file });
}

/** CPT category of a code, by its shape. */
export function cptCategory(code: string): 'I' | 'II' | 'III' | 'PLA' | 'MAAA' {
  switch (code[4]) {
    case 'F':
      return 'II';
    case 'T':
      return 'III';
    case 'U':
      return 'PLA';
    case 'M':
      return 'MAAA';
    default:
      return 'I';
  }
}

/**
 * Sections of CPT Category I by code number, as the CPT book's section headings give their ranges
 * (Evaluation and Management 99202-99499, Anesthesia 00100-01999, Surgery 10004-69990, Radiology
 * 70010-79999, Pathology and Laboratory 80047-89398, Medicine 90281-99199 and 99500-99607). The data
 * files carry no section file, so these bounds are widened to whole number blocks, which first and
 * last codes of a year may move within.
 */
export const CPT_SECTIONS: { key: string; title: string; ranges: [number, number][] }[] = [
  { key: 'S-EM', title: 'Evaluation and Management', ranges: [[99200, 99499]] },
  { key: 'S-ANESTHESIA', title: 'Anesthesia', ranges: [[0, 1999]] },
  { key: 'S-SURGERY', title: 'Surgery', ranges: [[10000, 69999]] },
  { key: 'S-RADIOLOGY', title: 'Radiology', ranges: [[70000, 79999]] },
  { key: 'S-PATHOLOGY', title: 'Pathology and Laboratory', ranges: [[80000, 89999]] },
  {
    key: 'S-MEDICINE',
    title: 'Medicine',
    ranges: [
      [90000, 99199],
      [99500, 99999],
    ],
  },
];

export const CPT_CATEGORY_GROUPS: Record<string, string> = {
  II: 'Category II codes (performance measurement)',
  III: 'Category III codes (emerging technology)',
  PLA: 'Proprietary Laboratory Analyses (PLA) codes',
  MAAA: 'Multianalyte assays with algorithmic analyses (MAAA) administrative codes',
};

/** Group key of a code: its Category I section, or its category. */
export function cptGroupOf(code: string): string | undefined {
  const cat = cptCategory(code);
  if (cat !== 'I') return `C-${cat}`;
  const n = Number(code);
  return CPT_SECTIONS.find((s) => s.ranges.some(([a, b]) => n >= a && n <= b))?.key;
}
