import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { HCPCS_XLSX_HEADER, parseHcpcsXlsx, readHcpcsXlsx } from './xlsx.js';
import type { HcpcsRecord } from './record.js';
import { expectParseError } from '../../../test/helpers.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/hcpcs/', import.meta.url));
const SLICE = 'HCPC2025_OCT_ANWEB-slice.xlsx';
const slice = () => readFileSync(fixtures + SLICE);
const REAL = fileURLToPath(new URL('../../../data/hcpcs/2025-10/HCPC2025_OCT_ANWEB.xlsx', import.meta.url));
const OPTIONS = { file: SLICE, effective: '2025-10-01' };

/** Expects the promise to reject with a parse_error whose message contains every fragment. */
/** The slice fixture, changed by `edit` (cells addressed as in Excel), as xlsx bytes. */
async function editedSlice(edit: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(slice() as unknown as ExcelJS.Buffer);
  edit(book.worksheets[0]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

describe('parseHcpcsXlsx on a slice of the October 2025 file', () => {
  it('gives one record per code and modifier, in file order', async () => {
    const records = await readHcpcsXlsx(slice(), OPTIONS);
    expect(records.map((r) => `${r.kind[0]}:${r.code}`)).toEqual([
      'm:AA',
      'm:GD',
      'm:K2',
      'p:A0021',
      'p:A6515',
      'p:C1742',
      'p:C9088',
      'p:C9248',
      'p:E0210',
      'p:G0103',
      'p:G0464',
      'p:J0570',
      'p:J7518',
      'p:L6034',
    ]);
  });

  it('keeps every field of a terminated code, its number cells read back as the layout text', async () => {
    const records = await readHcpcsXlsx(slice(), OPTIONS);
    // Row 8: TERM DT is the number 20250930 in the real file, not text.
    expect(records.find((r) => r.code === 'C9088')).toEqual({
      code: 'C9088',
      kind: 'procedure',
      longDescription: 'Instillation, bupivacaine and meloxicam, 1 mg/0.03 mg',
      shortDescription: 'Instill, bupivac and meloxic',
      pricingIndicators: ['53'],
      multiplePricingIndicator: 'A',
      coverageIssuesManual: [],
      carriersManual: [],
      statute: '1833(t)',
      labCertifications: [],
      crossReferences: [],
      coverage: 'D',
      betos: 'O1E',
      typesOfService: ['9', 'F'],
      anesthesiaBaseUnits: 0,
      addedDate: '2022-01-01',
      actionEffectiveDate: '2025-10-01',
      terminationDate: '2025-09-30',
      actionCode: 'D',
      status: 'deleted',
    } satisfies HcpcsRecord);
  });

  it('reads modifiers (RECID 7, code blank-filled to 5) and the other fields', async () => {
    const byCode = new Map((await readHcpcsXlsx(slice(), OPTIONS)).map((r) => [r.code, r]));
    expect(byCode.get('AA')).toEqual({
      code: 'AA',
      kind: 'modifier',
      longDescription: 'Anesthesia services performed personally by anesthesiologist',
      shortDescription: 'Anesthesia perf by anesgst',
      pricingIndicators: [],
      coverageIssuesManual: [],
      carriersManual: ['3350.5'],
      labCertifications: [],
      crossReferences: [],
      coverage: 'D',
      typesOfService: [],
      addedDate: '1984-01-01',
      actionEffectiveDate: '2001-01-01',
      actionCode: 'N',
      status: 'active',
    } satisfies HcpcsRecord);
    expect(byCode.get('GD')).toMatchObject({ kind: 'modifier', terminationDate: '2019-12-31', status: 'deleted' });
    expect(byCode.get('K2')?.longDescription).toBe(
      'Lower extremity prosthesis functional level 2 - has the ability or potential for ambulation with the ' +
        'ability to traverse low level environmental barriers such as curbs, stairs or uneven surfaces.  typical ' +
        'of the limited community ambulator.',
    );
    // PRICE1 53 and PRICE3 11 with PRICE2 blank: the blank occurrence is left out.
    expect(byCode.get('C9248')?.pricingIndicators).toEqual(['53', '11']);
    expect(byCode.get('C1742')).toMatchObject({ ascPaymentGroup: 'YY', ascEffectiveDate: '2025-10-01', typesOfService: ['2'] });
    expect(byCode.get('G0464')).toMatchObject({ labCertifications: ['220', '310', '900'], crossReferences: ['81528'] });
    expect(byCode.get('J7518')?.carriersManual).toEqual(['2050.5', '4471', '5249']);
    expect(byCode.get('E0210')?.typesOfService).toEqual(['A', 'L', 'P', 'R']);
    expect(byCode.get('A0021')).toMatchObject({ pricingIndicators: ['00'], multiplePricingIndicator: '9', crossReferences: ['A0030'] });
    expect(byCode.get('L6034')).toMatchObject({ addedDate: '2025-10-01', actionCode: 'A', status: 'active' });
  });

  it('sets status by the effective date given', async () => {
    const july = await readHcpcsXlsx(slice(), { ...OPTIONS, effective: '2025-07-01' });
    expect(july.find((r) => r.code === 'C9088')?.status).toBe('active');
    expect(july.find((r) => r.code === 'G0464')?.status).toBe('deleted');
  });

  it('reads a stream as well as bytes', async () => {
    const out: HcpcsRecord[] = [];
    for await (const r of parseHcpcsXlsx(createReadStream(fixtures + SLICE), OPTIONS)) out.push(r);
    expect(out).toEqual(await readHcpcsXlsx(slice(), OPTIONS));
  });

  it('leaves no temporary file behind, also when stopping at an error', async () => {
    // exceljs's tmp package names its files tmp-<pid>-<random> in the OS temporary directory.
    const ours = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`));
    const before = ours();
    await readHcpcsXlsx(slice(), OPTIONS);
    const broken = await editedSlice((sheet) => {
      sheet.getCell('A3').value = '???';
    });
    await expectParseError(readHcpcsXlsx(broken, OPTIONS), 'line 3, A3');
    expect(ours()).toEqual(before);
  });

  it('merges continuation rows (RECID 4) into the long description', async () => {
    const bytes = await editedSlice((sheet) => {
      // Row 6 is A6515; split its description over a RECID 3 row and an inserted RECID 4 row.
      sheet.getCell('D6').value = 'Gradient compression wrap with adjustable straps, ';
      const cont = sheet.insertRow(7, []);
      cont.getCell(1).value = 'A6515';
      cont.getCell(2).value = '0020';
      cont.getCell(3).value = '4';
      cont.getCell(4).value = 'full leg, each, custom';
    });
    const a6515 = (await readHcpcsXlsx(bytes, OPTIONS)).find((r) => r.code === 'A6515');
    expect(a6515?.longDescription).toBe('Gradient compression wrap with adjustable straps, full leg, each, custom');
    expect(a6515?.pricingIndicators).toEqual(['40']);
  });
});

describe('parseHcpcsXlsx errors', () => {
  it('rejects a file that is not an xlsx', async () => {
    const text = readFileSync(fixtures + 'HCPC2025_OCT_ANWEB-slice.txt');
    await expectParseError(readHcpcsXlsx(text, { ...OPTIONS, file: 'codes.txt' }), 'codes.txt', 'not an xlsx workbook');
    await expectParseError(readHcpcsXlsx(Buffer.alloc(0), OPTIONS), SLICE, 'empty');
  });

  it('rejects a zip that holds no worksheet (the record layout zip of the same release)', async () => {
    const zip = readFileSync(fileURLToPath(new URL('../../../data/hcpcs/2025-10/2019-HCPCS-Record-Layout.zip', import.meta.url)));
    await expectParseError(readHcpcsXlsx(zip, { ...OPTIONS, file: 'layout.zip' }), 'layout.zip', 'no worksheet');
  });

  it('rejects a truncated xlsx', async () => {
    const bytes = slice();
    await expectParseError(readHcpcsXlsx(bytes.subarray(0, bytes.length / 2), OPTIONS), SLICE, 'truncated or corrupt');
    await expectParseError(readHcpcsXlsx(bytes.subarray(0, 100), OPTIONS), SLICE, 'truncated or corrupt');
  });

  it('rejects a wrong header, naming the cell', async () => {
    const renamed = await editedSlice((sheet) => {
      sheet.getCell('N1').value = 'MCM4';
    });
    await expectParseError(readHcpcsXlsx(renamed, OPTIONS), `${SLICE}, line 1, N1`, 'column N is "MCM4", expected "MCM1"');
    const extra = await editedSlice((sheet) => {
      sheet.getCell('AW1').value = 'NOTE';
    });
    await expectParseError(readHcpcsXlsx(extra, OPTIONS), 'line 1, AW1', 'unexpected column AW "NOTE"');
  });

  it('rejects a row with a broken code, RECID or date, naming row and cell', async () => {
    const code = await editedSlice((sheet) => {
      sheet.getCell('A5').value = 'A00-1';
    });
    await expectParseError(
      readHcpcsXlsx(code, OPTIONS),
      `${SLICE}, line 5, A5 (HCPC, HCPCS Code)`,
      '"A00-1" is not a 5-character procedure code',
    );
    const recid = await editedSlice((sheet) => {
      sheet.getCell('C9').value = '5';
    });
    await expectParseError(readHcpcsXlsx(recid, OPTIONS), 'line 9, C9 (RECID', 'Record Identification Code "5"');
    const orphan = await editedSlice((sheet) => {
      sheet.getCell('C2').value = '8';
    });
    await expectParseError(readHcpcsXlsx(orphan, OPTIONS), 'line 2, C2', 'continuation line (Record Identification Code 8) of "AA"');
    const date = await editedSlice((sheet) => {
      sheet.getCell('AU8').value = '20251340';
    });
    await expectParseError(readHcpcsXlsx(date, OPTIONS), 'line 8, AU8 (TERM DT, HCPCS Termination Date)', '"20251340"');
  });
});

describe.runIf(existsSync(REAL))('the full October 2025 file', () => {
  it('has 8,463 code records of which 7,258 active, and 383 modifier records', async () => {
    // Official totals (data/SOURCES.md). Active = status at 2025-10-01 = no termination date before it;
    // every TERM DT in this file is 2025-09-30 or earlier, so that is "TERM DT blank".
    const counts = { procedure: 0, procedureActive: 0, modifier: 0, modifierActive: 0, header: HCPCS_XLSX_HEADER.length };
    for await (const r of parseHcpcsXlsx(createReadStream(REAL), { file: REAL, effective: '2025-10-01' })) {
      counts[r.kind] += 1;
      if (r.status === 'active') counts[r.kind === 'procedure' ? 'procedureActive' : 'modifierActive'] += 1;
    }
    expect(counts).toEqual({ procedure: 8463, procedureActive: 7258, modifier: 383, modifierActive: 363, header: 48 });
  }, 30_000);
});
