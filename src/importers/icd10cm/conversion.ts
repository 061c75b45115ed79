import ExcelJS from 'exceljs';
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

function cellText(v: ExcelJS.CellValue): string {
  if (v == null) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((r) => r.text).join('');
  if (typeof v === 'object' && 'text' in v) return String(v.text);
  if (typeof v === 'object' && 'result' in v) return String(v.result ?? '');
  return String(v);
}

function effectiveOf(v: ExcelJS.CellValue, where: { file: string; element: string }): { fiscalYear: number; effective: string } {
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
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(data as unknown as ArrayBuffer);
  } catch (e) {
    throw parseError(`not a readable xlsx workbook (${(e as Error).message})`, { file });
  }
  const ws = wb.worksheets[0];
  if (!ws) throw parseError('the workbook has no sheet', { file });
  let headerRow = 0;
  for (let i = 1; i <= Math.min(10, ws.rowCount); i++) {
    if (/current code assignment/i.test(cellText(ws.getRow(i).getCell(1).value))) headerRow = i;
  }
  if (!headerRow)
    throw parseError('no "Current code assignment" header in the first 10 rows: not the ICD-10-CM conversion table', { file });
  const out: ConversionRow[] = [];
  for (let i = headerRow + 1; i <= ws.rowCount; i++) {
    const r = ws.getRow(i);
    const codeText = cellText(r.getCell(1).value).trim();
    if (!codeText) continue;
    const element = `row ${i}`;
    const code = codeKey('icd10cm', codeText);
    if (!isIcd10cmKey(code)) throw parseError(`"${codeText}" in column A is not an ICD-10-CM code`, { file, element });
    const previousText = cellText(r.getCell(3).value).trim();
    out.push({
      code,
      ...effectiveOf(r.getCell(2).value, { file, element }),
      previousText,
      previous: parsePreviousCodes(previousText),
      row: i,
    });
  }
  if (!out.length) throw parseError('the conversion table has no rows', { file });
  return out;
}
