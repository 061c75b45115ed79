/**
 * ICD-9-CM v32 (the final release, effective 2014-10-01) long and short descriptions, as CMS publishes
 * them in `ICD-9-CM-v32-master-descriptions.zip`:
 *
 *   CMS32_DESC_LONG_DX.txt   CMS32_DESC_SHORT_DX.txt   diagnoses  (Volumes 1-2), 14,567 codes
 *   CMS32_DESC_LONG_SG.txt   CMS32_DESC_SHORT_SG.txt   procedures (Volume 3),     3,882 codes
 *
 * Layout (one code per line, LF line ends, ISO-8859-1 text, no header; checked on every line of v32):
 *   diagnoses:  columns 1-5 code (left justified, blank filled, no decimal point), column 6 blank,
 *               column 7 to end of line: title
 *   procedures: columns 1-4 code (same rules), column 5 blank, column 6 to end of line: title
 * The files list only valid (billable) codes, no category headers. Long and short files of a kind hold
 * the same codes in the same order; `joinIcd9Descriptions` pairs them by code anyway.
 *
 * The text is ISO-8859-1, not UTF-8: v32 has 7 long diagnosis titles with accented letters, e.g.
 * `0413  Friedländer's bacillus ...` (ä is the single byte 0xE4). Bytes are decoded with Node's
 * `latin1` Buffer encoding, which is exactly ISO-8859-1 (WHATWG TextDecoder('latin1') would decode
 * as windows-1252 instead, which differs in 0x80-0x9F); being one byte per character, chunk
 * boundaries can never split a character.
 */
import { parseError } from '../../errors.js';
import { latin1Lines, type TextInput } from '../lines.js';

/** Diagnoses (`DX` files, ICD-9-CM Volumes 1-2) or procedures (`SG` files, Volume 3). */
export type Icd9Kind = 'diagnosis' | 'procedure';

/** Which title a descriptions file carries. */
export type Icd9TitleLength = 'long' | 'short';

/** Input accepted by the readers: a file or zip member stream, or any chunks of bytes or text. */
export type { TextInput } from '../lines.js';

/** One line of one descriptions file. */
export interface Icd9TitleLine {
  /** Diagnoses: columns 1-5; procedures: columns 1-4. The code as in the file, no decimal point (`0413`). */
  code: string;
  /** Diagnoses: column 7 to end of line; procedures: column 6 to end of line. */
  title: string;
  /** 1-based line number in the file. */
  line: number;
}

/** One ICD-9-CM code with both of its titles. */
export interface Icd9Description {
  kind: Icd9Kind;
  /** The code as in the files, no decimal point: `0413`, `E8490`, `V0382`, `0001`. */
  code: string;
  /** The code as users read it: `041.3`, `E849.0`, `V03.82`, `00.01` (see `dottedIcd9`). */
  dotted: string;
  /** From CMS32_DESC_LONG_{DX,SG}.txt. */
  long: string;
  /** From CMS32_DESC_SHORT_{DX,SG}.txt (at most 24 characters in v32). */
  short: string;
  /** 1-based position in the long file: the classification's own order. */
  seq: number;
}

/** Fixed-width layout of each kind: code field width; the title starts after one blank column. */
const LAYOUT: Record<Icd9Kind, { codeWidth: number; pattern: RegExp; what: string }> = {
  // Diagnoses: 001-999 with 0-2 more digits; V01-V91 with 0-2 more; E000-E999 with 0-1 more.
  diagnosis: { codeWidth: 5, pattern: /^(?:\d{3,5}|V\d{2,4}|E\d{3,4})$/, what: 'ICD-9-CM diagnosis code' },
  // Procedures: 00-99 then 1-2 more digits.
  procedure: { codeWidth: 4, pattern: /^\d{3,4}$/, what: 'ICD-9-CM procedure code' },
};

/**
 * The dotted display form. Diagnoses: the decimal point follows the 3-character category (`0413` ->
 * `041.3`, `V0382` -> `V03.82`), and for E codes the 4-character category (`E8490` -> `E849.0`).
 * Procedures: it follows the 2-digit category (`0001` -> `00.01`, `016` -> `01.6`). A code no longer
 * than its category has no point (`024`, `E030`).
 */
export function dottedIcd9(code: string, kind: Icd9Kind): string {
  const head = kind === 'procedure' ? 2 : code.startsWith('E') ? 4 : 3;
  return code.length > head ? `${code.slice(0, head)}.${code.slice(head)}` : code;
}

/**
 * Recognizes the official file names (`CMS32_DESC_LONG_DX.txt` ...), also inside a path; any release
 * number is accepted (`CMS31_...`). Returns undefined for another name.
 */
export function icd9FileKind(fileName: string): { kind: Icd9Kind; length: Icd9TitleLength } | undefined {
  const m = /CMS\d+_DESC_(LONG|SHORT)_(DX|SG)\.txt$/i.exec(fileName);
  if (!m) return undefined;
  return {
    kind: m[2].toUpperCase() === 'DX' ? 'diagnosis' : 'procedure',
    length: m[1].toUpperCase() === 'LONG' ? 'long' : 'short',
  };
}

/**
 * Streams one descriptions file (long or short: the layout is the same). Throws a parse_error
 * MedCodesError naming the file and line for a line that does not hold a valid code, the blank
 * column, and a title (e.g. a blank line, a code of the wrong kind, or a line of another file).
 */
export async function* readIcd9Titles(input: TextInput, options: { file: string; kind: Icd9Kind }): AsyncGenerator<Icd9TitleLine> {
  const { file, kind } = options;
  const { codeWidth, pattern, what } = LAYOUT[kind];
  for await (const { text, line } of latin1Lines(input)) {
    if (!text.trim()) throw parseError('blank line: expected a code and a title', { file, line });
    const code = text.slice(0, codeWidth).trimEnd();
    if (!pattern.test(code)) {
      throw parseError(`"${text.slice(0, codeWidth + 1)}" in columns 1-${codeWidth} is not an ${what}`, { file, line });
    }
    const title = text.slice(codeWidth + 1);
    if (text[codeWidth] !== ' ' || !title.trim()) {
      throw parseError(
        `code ${code} has no title (expected a blank in column ${codeWidth + 1} and the title from column ${codeWidth + 2})`,
        { file, line },
      );
    }
    if (title.startsWith(' ')) {
      throw parseError(
        `code ${code}: the title must start in column ${codeWidth + 2}, found more blanks (is this a ${kind === 'procedure' ? 'diagnosis' : 'procedure'} file?)`,
        { file, line },
      );
    }
    yield { code, title: title.trimEnd(), line };
  }
}

/**
 * Joins the long and short title files of one kind by code, in the long file's order. The short file is
 * read whole first (about 400 kB at most), the long file streams. Every code must have both titles and
 * appear once in each file; otherwise throws a parse_error naming the file and line.
 */
export async function* joinIcd9Descriptions(
  long: { input: TextInput; file: string },
  short: { input: TextInput; file: string },
  kind: Icd9Kind,
): AsyncGenerator<Icd9Description> {
  const shorts = new Map<string, Icd9TitleLine>();
  for await (const s of readIcd9Titles(short.input, { file: short.file, kind })) {
    if (shorts.has(s.code))
      throw parseError(`code ${s.code} appears twice (first on line ${shorts.get(s.code)!.line})`, { file: short.file, line: s.line });
    shorts.set(s.code, s);
  }
  const seen = new Set<string>();
  let seq = 0;
  for await (const l of readIcd9Titles(long.input, { file: long.file, kind })) {
    if (seen.has(l.code)) throw parseError(`code ${l.code} appears twice`, { file: long.file, line: l.line });
    seen.add(l.code);
    const s = shorts.get(l.code);
    if (!s) throw parseError(`code ${l.code} has a long title but no short title in ${short.file}`, { file: long.file, line: l.line });
    yield { kind, code: l.code, dotted: dottedIcd9(l.code, kind), long: l.title, short: s.title, seq: ++seq };
  }
  for (const s of shorts.values()) {
    if (!seen.has(s.code))
      throw parseError(`code ${s.code} has a short title but no long title in ${long.file}`, { file: short.file, line: s.line });
  }
}

/** Convenience for tests and small inputs: both files' text (or bytes) in, all records out. */
export async function parseIcd9Descriptions(
  longText: string | Uint8Array,
  shortText: string | Uint8Array,
  options: { kind: Icd9Kind; longFile?: string; shortFile?: string },
): Promise<Icd9Description[]> {
  const suffix = options.kind === 'procedure' ? 'SG' : 'DX';
  const out: Icd9Description[] = [];
  for await (const d of joinIcd9Descriptions(
    { input: [longText], file: options.longFile ?? `CMS32_DESC_LONG_${suffix}.txt` },
    { input: [shortText], file: options.shortFile ?? `CMS32_DESC_SHORT_${suffix}.txt` },
    options.kind,
  )) {
    out.push(d);
  }
  return out;
}
