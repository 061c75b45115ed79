/**
 * HCPCS Level II, text edition: the fixed-width file CMS ships beside the spreadsheet
 * (`HCPC2025_OCT_ANWEB_*.txt`), read by the record layout "HCPCS Contractor Record - 2019"
 * (HCPCS2019_recordlayout.txt in data/hcpcs/2025-10/2019-HCPCS-Record-Layout.zip): 320-character
 * records, one per line, positions 1-based as in the layout. A code's long description continues on
 * lines with Record Identification Code 4 (procedures) or 8 (modifiers); record.ts merges them.
 *
 * Bytes are decoded as ISO-8859-1 (Node's `latin1`), one byte per character, so that positions count
 * bytes as the layout does and a chunk boundary can never split a character (the text is plain ASCII
 * in practice: the October 2025 spreadsheet has no character outside it). Line ends may be LF or CRLF;
 * empty lines are skipped. Every other line must be exactly 320 characters long.
 */
import { parseError } from '../../errors.js';
import { HCPCS_FIELD_NAMES, HcpcsAssembler, type HcpcsLine, type HcpcsParseOptions, type HcpcsRecord } from './record.js';

/** Input: a file or zip member stream, or any chunks of bytes or text. */
export type TextInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Record length (layout: "HCPCS Contractor Record - 2019 ... LENGTH 320, BEG 1, END 320"). */
export const HCPCS_RECORD_LENGTH = 320;

/**
 * Where each field sits: [first position, length, occurrences] (layout fields 1-30; repeated fields
 * follow one another, e.g. the 4 pricing indicators fill positions 120-127). Position 260 (field 24)
 * and 294-320 (field 31) are FILLER.
 */
export const HCPCS_POSITIONS: Readonly<Record<keyof HcpcsLine, readonly [start: number, length: number, occurs: number]>> = {
  code: [1, 5, 1], // 1. HCPCS code; modifiers: 3. FILLER 1-3 + 4. modifier 4-5
  sequence: [6, 5, 1], // 5.
  recordId: [11, 1, 1], // 6.
  longDescription: [12, 80, 1], // 7.
  shortDescription: [92, 28, 1], // 8.
  pricingIndicators: [120, 2, 4], // 9. 120-127
  multiplePricingIndicator: [128, 1, 1], // 10.
  coverageIssuesManual: [129, 6, 3], // 11. 129-146
  carriersManual: [147, 8, 3], // 12. 147-170
  statute: [171, 10, 1], // 13.
  labCertifications: [181, 3, 8], // 14. 181-204
  crossReferences: [205, 5, 5], // 15. 205-229
  coverage: [230, 1, 1], // 16.
  ascPaymentGroup: [231, 2, 1], // 17.
  ascEffectiveDate: [233, 8, 1], // 18.
  mogPaymentGroup: [241, 3, 1], // 19.
  mogPaymentPolicyIndicator: [244, 1, 1], // 20.
  mogEffectiveDate: [245, 8, 1], // 21.
  processingNote: [253, 4, 1], // 22.
  betos: [257, 3, 1], // 23.
  typesOfService: [261, 1, 5], // 25. 261-265
  anesthesiaBaseUnits: [266, 3, 1], // 26.
  addedDate: [269, 8, 1], // 27.
  actionEffectiveDate: [277, 8, 1], // 28.
  terminationDate: [285, 8, 1], // 29.
  actionCode: [293, 1, 1], // 30.
};

/** Cuts one 320-character record into its fields (no checks but the length). */
export function splitHcpcsLine(text: string): HcpcsLine {
  const line = {} as Record<keyof HcpcsLine, string | string[]>;
  for (const [field, [start, length, occurs]] of Object.entries(HCPCS_POSITIONS) as Array<
    [keyof HcpcsLine, readonly [number, number, number]]
  >) {
    const values: string[] = [];
    for (let i = 0; i < occurs; i++) {
      const from = start - 1 + i * length;
      values.push(text.slice(from, from + length));
    }
    line[field] = occurs === 1 ? values[0] : values;
  }
  return line as unknown as HcpcsLine;
}

/** Splits chunks into lines (LF or CRLF), numbering them from 1. */
async function* lines(input: TextInput): AsyncGenerator<{ text: string; number: number }> {
  let rest = '';
  let number = 0;
  const strip = (t: string) => (t.endsWith('\r') ? t.slice(0, -1) : t);
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    const decoded = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const data = rest + decoded;
    let from = 0;
    let nl: number;
    while ((nl = data.indexOf('\n', from)) >= 0) {
      yield { text: strip(data.slice(from, nl)), number: ++number };
      from = nl + 1;
    }
    rest = data.slice(from);
  }
  if (rest !== '') yield { text: strip(rest), number: ++number };
}

/**
 * Streams the records of a text edition file: one HcpcsRecord per procedure code or modifier, its
 * description lines merged. Throws a parse error naming the file, line and field when a line is not
 * 320 characters long, has a Record Identification Code other than 3, 4, 7, 8, a continuation line
 * that follows no first line of its code, a malformed code, number or date.
 */
export async function* parseHcpcsFixedWidth(input: TextInput, options: HcpcsParseOptions): AsyncGenerator<HcpcsRecord> {
  const { file } = options;
  const assembler = new HcpcsAssembler(options);
  for await (const { text, number } of lines(input)) {
    if (text === '') continue;
    if (text.length !== HCPCS_RECORD_LENGTH) {
      throw parseError(`the line is ${text.length} characters long; the HCPCS record layout has ${HCPCS_RECORD_LENGTH}`, {
        file,
        line: number,
      });
    }
    const at = (field: keyof HcpcsLine) => {
      const [start, length, occurs] = HCPCS_POSITIONS[field];
      const end = start + length * occurs - 1;
      const span = end === start ? `position ${start}` : `positions ${start}-${end}`;
      return { file, line: number, element: `${span} (${HCPCS_FIELD_NAMES[field]})` };
    };
    const done = assembler.push(splitHcpcsLine(text), at);
    if (done) yield done;
  }
  const last = assembler.finish();
  if (last) yield last;
}

/** Convenience for tests and small inputs: all records of a text edition given as one string. */
export async function parseHcpcsFixedWidthText(text: string, options: HcpcsParseOptions): Promise<HcpcsRecord[]> {
  const out: HcpcsRecord[] = [];
  for await (const record of parseHcpcsFixedWidth([text], options)) out.push(record);
  return out;
}
