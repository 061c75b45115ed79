import { xlsxRows, type XlsxCell, type XlsxRow } from '../xlsx-rows.js';
import { parseError } from '../../errors.js';
import { codeKey, isIcd10cmKey } from '../../codes.js';

/**
 * One row of CDC-NCHS's ICD-10-CM Conversion Table (`ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx`): a code
 * created since FY2016 and the code(s) it was previously assigned to. Columns, from the sheet's own
 * header row: "Current code assignment" | "Effective" | "Previous Code(s) Assignment".
 */
export interface ConversionRow {
  /** Column A: the new code, key form (no dot). */
  code: string;
  /**
   * The fiscal year of column B. The column holds the calendar year of the October 1 release that
   * added the code (A04.71: "2017", first in the FY2018 order file), or the exact date of a January or
   * April update, which counts toward the fiscal year it falls in.
   */
  fiscalYear: number;
  /** Column B as an ISO date: October 1 of the year given, unless a date is given. */
  effective: string;
  /** Column C as printed (free text: "C56.1 and C56.2", "H02.101-H02.106; H02.109", "Codes in Categories T15-T19"). */
  previousText: string;
  /** Codes named in column C, key form. Ranges are kept as `FROM-TO` keys; the caller expands them. */
  previous: string[];
  /** Spreadsheet row number, for messages. */
  row: number;
}

// A code: a letter, then two characters of which at least one is a digit (so words like "AND" are not
// codes; QA0, new in FY2026, is), then an optional dot and up to four more.
const CODE = '[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])(?:\\.[0-9A-Z]{1,4})?';
const CODE_TOKEN = new RegExp(`\\b(${CODE})(?:\\s*-\\s*(${CODE}))?`, 'g');

/** Extract the codes and ranges of a "Previous Code(s) Assignment" cell. */
export function parsePreviousCodes(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toUpperCase().matchAll(CODE_TOKEN)) {
    const a = codeKey('icd10cm', m[1]);
    out.push(m[2] ? `${a}-${codeKey('icd10cm', m[2])}` : a);
  }
  return out;
}

function cellText(v: XlsxCell | undefined): string {
  if (v == null) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return v.error;
  return String(v);
}

function effectiveOf(v: XlsxCell | undefined, where: { file: string; element: string }): { fiscalYear: number; effective: string } {
  if (v instanceof Date) {
    // A mid-year effective date (January or April) belongs to the fiscal year that started the October before.
    const y = v.getUTCFullYear();
    const m = v.getUTCMonth() + 1;
    return { fiscalYear: m >= 10 ? y + 1 : y, effective: v.toISOString().slice(0, 10) };
  }
  const t = cellText(v).trim();
  if (!/^\d{4}$/.test(t)) throw parseError(`effective "${t}" is neither a fiscal year nor a date`, where);
  const year = Number(t);
  return { fiscalYear: year + 1, effective: `${year}-10-01` };
}

/** Parse the conversion table workbook (a Buffer of the official xlsx). */
export async function parseConversionTable(data: Buffer, file = 'conversion table'): Promise<ConversionRow[]> {
  // The table is small (some 2,000 rows): its rows are read whole, dates typed by their cell format.
  const rows: XlsxRow[] = [];
  const found = { sheet: false };
  try {
    for await (const r of xlsxRows(data, found, { dates: true })) rows.push(r);
  } catch (e) {
    throw parseError(`not a readable xlsx workbook (${(e as Error).message})`, { file });
  }
  if (!found.sheet) throw parseError('the workbook has no sheet', { file });
  const header = rows.find((r) => r.number <= 10 && /current code assignment/i.test(cellText(r.cells[0])))?.number ?? 0;
  if (!header) throw parseError('no "Current code assignment" header in the first 10 rows: not the ICD-10-CM conversion table', { file });
  const out: ConversionRow[] = [];
  for (const r of rows) {
    if (r.number <= header) continue;
    const codeText = cellText(r.cells[0]).trim();
    if (!codeText) continue;
    const element = `row ${r.number}`;
    const code = codeKey('icd10cm', codeText);
    if (!isIcd10cmKey(code)) throw parseError(`"${codeText}" in column A is not an ICD-10-CM code`, { file, element });
    const previousText = cellText(r.cells[2]).trim();
    out.push({
      code,
      ...effectiveOf(r.cells[1], { file, element }),
      previousText,
      previous: parsePreviousCodes(previousText),
      row: r.number,
    });
  }
  if (!out.length) throw parseError('the conversion table has no rows', { file });
  return out;
}
