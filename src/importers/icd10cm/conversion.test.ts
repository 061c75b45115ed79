import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { parseConversionTable, parsePreviousCodes } from './conversion.js';

const FILE = 'data/icd10cm/2026-extras/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx';

async function workbook(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('ICD-10-CM-Conversion-Table-FY26');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('ICD-10-CM conversion table', () => {
  it('extracts codes and ranges from the free-text previous-code column', () => {
    expect(parsePreviousCodes('C56.1 and C56.2')).toEqual(['C561', 'C562']);
    expect(parsePreviousCodes('H02.101-H02.106; H02.109')).toEqual(['H02101-H02106', 'H02109']);
    expect(parsePreviousCodes('M96.89 & Y84.8')).toEqual(['M9689', 'Y848']);
    expect(parsePreviousCodes('T40.7X4A ')).toEqual(['T407X4A']);
  });

  it('reads the real FY2026 table', async () => {
    const rows = await parseConversionTable(readFileSync(FILE), FILE);
    expect(rows.length).toBeGreaterThan(5800);
    const a = rows.find((r) => r.code === 'A0471')!;
    expect(a).toMatchObject({ fiscalYear: 2018, effective: '2017-10-01', previous: ['A047'] });
    // April-effective codes (e.g. FY2023's April 1, 2023 update) stay in the fiscal year they fall in.
    const april = rows.filter((r) => r.effective === '2023-04-01');
    expect(april.length).toBe(42);
    expect(april.every((r) => r.fiscalYear === 2023)).toBe(true);
    // Rich-text cells are read as their text.
    expect(rows.some((r) => r.previousText === '[object Object]')).toBe(false);
  });

  it('refuses another workbook and a broken code, naming the row', async () => {
    await expect(parseConversionTable(await workbook([['HCPC', 'SEQNUM']]), 'h.xlsx')).rejects.toThrow(
      /h\.xlsx: no "Current code assignment" header/,
    );
    const bad = await workbook([
      ['Current code assignment', 'Effective', 'Previous Code(s) Assignment'],
      ['A04.71', 2017, 'A04.7'],
      ['4Z!', 2017, 'A04.7'],
    ]);
    await expect(parseConversionTable(bad, 'c.xlsx')).rejects.toThrow(/c\.xlsx, row 3: "4Z!" in column A is not an ICD-10-CM code/);
    await expect(parseConversionTable(Buffer.from('PK\u0003\u0004 truncated'), 't.xlsx')).rejects.toThrow(/t\.xlsx: not a readable xlsx/);
  });
});
