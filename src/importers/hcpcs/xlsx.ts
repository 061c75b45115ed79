/**
 * HCPCS Level II, spreadsheet edition: `HCPC2025_OCT_ANWEB.xlsx` (CMS, October 2025 alpha-numeric
 * HCPCS file). One worksheet; row 1 is the header below (48 columns, A-AV), then one row per line of
 * the record layout "HCPCS Contractor Record - 2019" (HCPCS2019_recordlayout.txt): the columns are the
 * layout's fields in layout order (record.ts names the field behind each column), RECID 3/7 rows are a
 * procedure's / modifier's first line and RECID 4/8 rows would continue its long description. The
 * October 2025 file has none of those: every row is a first line (8,463 RECID 3, 383 RECID 7), SEQNUM
 * is `0010` throughout and the long description is whole in its cell (up to 4,501 characters, G0556).
 * Continuation rows are merged all the same, as in the text edition.
 *
 * Cells are almost all text; a few hold numbers (C9088's TERM DT 20250930, C1742's TOS1 2, L6034's
 * ADD DT and ACT EFF DT, ...). Numbers are turned back into the layout's text, zero-filled to the
 * field's width where the layout's codes are zero-filled (pricing `00`, lab certification `010`,
 * processing note `0088`).
 *
 * Read with the project's own xlsx row reader (importers/xlsx-rows.ts: yauzl and saxes), so rows are
 * never all in memory and nothing is spooled to a temporary file. The compressed file is collected
 * first (1.8 MB here): that lets a file that is not a zip at all fail at once with a clear message.
 */
import { xlsxRows, type XlsxCell, type XlsxRow } from '../xlsx-rows.js';
import { MedCodesError, parseError } from '../../errors.js';
import { HCPCS_FIELD_NAMES, HcpcsAssembler, type HcpcsLine, type HcpcsParseOptions, type HcpcsRecord } from './record.js';

/** Input: the file's bytes, or a stream / chunks of them (fs.createReadStream, a zip member). */
export type XlsxInput = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** The header row of the spreadsheet, columns A-AV, as published in October 2025. */
export const HCPCS_XLSX_HEADER = [
  'HCPC',
  'SEQNUM',
  'RECID',
  'LONG DESCRIPTION',
  'SHORT DESCRIPTION',
  'PRICE1',
  'PRICE2',
  'PRICE3',
  'PRICE4',
  'MULT_PI',
  'CIM1',
  'CIM2',
  'CIM3',
  'MCM1',
  'MCM2',
  'MCM3',
  'STATUTE',
  'LABCERT1',
  'LABCERT2',
  'LABCERT3',
  'LABCERT4',
  'LABCERT5',
  'LABCERT6',
  'LABCERT7',
  'LABCERT8',
  'XREF1',
  'XREF2',
  'XREF3',
  'XREF4',
  'XREF5',
  'COV',
  'ASC_GRP',
  'ASC_DT',
  'OPPS',
  'OPPS_PI',
  'OPPS_DT',
  'PROCNOTE',
  'BETOS',
  'TOS1',
  'TOS2',
  'TOS3',
  'TOS4',
  'TOS5',
  'ANEST_BU',
  'ADD DT',
  'ACT EFF DT',
  'TERM DT',
  'ACTION CD',
] as const;

/**
 * The layout field behind each column, in header order, and the width a number in that cell is
 * zero-filled to (0: written as is). Repeated fields take consecutive columns (PRICE1-PRICE4).
 */
const COLUMNS: ReadonlyArray<readonly [field: keyof HcpcsLine, width: number]> = [
  ['code', 0],
  ['sequence', 4],
  ['recordId', 0],
  ['longDescription', 0],
  ['shortDescription', 0],
  ...repeat('pricingIndicators', 2, 4),
  ['multiplePricingIndicator', 0],
  ...repeat('coverageIssuesManual', 0, 3),
  ...repeat('carriersManual', 0, 3),
  ['statute', 0],
  ...repeat('labCertifications', 3, 8),
  ...repeat('crossReferences', 0, 5),
  ['coverage', 0],
  ['ascPaymentGroup', 0],
  ['ascEffectiveDate', 0],
  ['mogPaymentGroup', 3],
  ['mogPaymentPolicyIndicator', 0],
  ['mogEffectiveDate', 0],
  ['processingNote', 4],
  ['betos', 0],
  ...repeat('typesOfService', 0, 5),
  ['anesthesiaBaseUnits', 0],
  ['addedDate', 0],
  ['actionEffectiveDate', 0],
  ['terminationDate', 0],
  ['actionCode', 0],
];

function repeat(field: keyof HcpcsLine, width: number, times: number): Array<readonly [keyof HcpcsLine, number]> {
  return Array.from({ length: times }, () => [field, width] as const);
}

const REPEATED = new Set<keyof HcpcsLine>(COLUMNS.filter(([f], i) => COLUMNS.findIndex(([g]) => g === f) !== i).map(([f]) => f));

/** Spreadsheet column letters of a 1-based column number (1 -> A, 48 -> AV). */
function columnLetters(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

/** A cell's value as the layout's text. */
function cellText(value: XlsxCell | undefined, width: number, where: { file?: string; line: number; element: string }): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw parseError(`the cell holds the number ${value}`, where);
    const text = String(value);
    return width > 0 && Number.isInteger(value) && value >= 0 ? text.padStart(width, '0') : text;
  }
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) throw parseError('the cell holds a date where the layout has text', where);
  throw parseError(`the cell holds the error ${value.error}`, where);
}

async function collect(input: XlsxInput): Promise<Buffer> {
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Local file header signature, "PK\x03\x04": every xlsx (a zip package) starts with it. */
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Streams the records of the spreadsheet: one HcpcsRecord per procedure code or modifier. Throws a
 * parse error naming the file (and row and cell where there is one) when the input is not an xlsx, is
 * truncated or corrupt, has no worksheet, has another header, or a row breaks the record layout.
 */
export async function* parseHcpcsXlsx(input: XlsxInput, options: HcpcsParseOptions): AsyncGenerator<HcpcsRecord> {
  const { file } = options;
  const assembler = new HcpcsAssembler(options);
  const bytes = await collect(input);
  if (bytes.length === 0) throw parseError('the file is empty, not an xlsx workbook', { file });
  if (!bytes.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    throw parseError('not an xlsx workbook: the file does not start with a zip signature', { file });
  }

  const found = { sheet: false };
  let sawHeader = false;
  try {
    for await (const row of xlsxRows(bytes, found)) {
      const at = (column: number) => ({ file, line: row.number, element: `${columnLetters(column)}${row.number}` });
      if (!sawHeader) {
        checkHeader(row, at);
        sawHeader = true;
        continue;
      }
      const cells = COLUMNS.map(([, width], i) => cellText(row.cells[i], width, at(i + 1)));
      if (cells.every((c) => c.trim() === '')) continue;
      const line = toLine(cells);
      const locate = (field: keyof HcpcsLine) => {
        const column = COLUMNS.findIndex(([f]) => f === field) + 1;
        const names = `${HCPCS_XLSX_HEADER[column - 1]}, ${HCPCS_FIELD_NAMES[field]}`;
        return { ...at(column), element: `${columnLetters(column)}${row.number} (${names})` };
      };
      const done = assembler.push(line, locate);
      if (done) yield done;
    }
  } catch (err) {
    if (err instanceof MedCodesError) throw err;
    throw parseError(`truncated or corrupt xlsx workbook (${(err as Error)?.message ?? String(err)})`, { file });
  }
  const sawSheet = found.sheet;
  if (!sawSheet) throw parseError('the xlsx workbook has no worksheet', { file });
  if (!sawHeader) throw parseError('the worksheet is empty: no header row', { file });
  const last = assembler.finish();
  if (last) yield last;
}

function checkHeader(row: XlsxRow, at: (column: number) => { file?: string; line: number; element: string }): void {
  if (row.number !== 1) {
    throw parseError(`the header row must be row 1, the first row with content is row ${row.number}`, at(1));
  }
  for (const [i, expected] of HCPCS_XLSX_HEADER.entries()) {
    const found = cellText(row.cells[i], 0, at(i + 1)).trim();
    if (found !== expected) {
      throw parseError(`wrong header: column ${columnLetters(i + 1)} is "${found}", expected "${expected}"`, at(i + 1));
    }
  }
  const extra = cellText(row.cells[HCPCS_XLSX_HEADER.length], 0, at(HCPCS_XLSX_HEADER.length + 1)).trim();
  if (extra !== '') {
    const column = HCPCS_XLSX_HEADER.length + 1;
    throw parseError(`wrong header: unexpected column ${columnLetters(column)} "${extra}"`, at(column));
  }
}

function toLine(cells: string[]): HcpcsLine {
  const line = {} as Record<keyof HcpcsLine, string | string[]>;
  for (const [i, [field]] of COLUMNS.entries()) {
    if (REPEATED.has(field)) ((line[field] ??= []) as string[]).push(cells[i]);
    else line[field] = cells[i];
  }
  return line as unknown as HcpcsLine;
}

/** Convenience for tests and small inputs: all records of a workbook. */
export async function readHcpcsXlsx(input: XlsxInput, options: HcpcsParseOptions): Promise<HcpcsRecord[]> {
  const out: HcpcsRecord[] = [];
  for await (const record of parseHcpcsXlsx(input, options)) out.push(record);
  return out;
}
