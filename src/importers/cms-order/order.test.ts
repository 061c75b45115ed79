import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { parseOrderFile, parseOrderLine, orderFileYear } from './order.js';
import { readZipMember } from '../zip.js';
import { MedCodesError } from '../../errors.js';

const slice = readFileSync('test/fixtures/icd10cm/icd10cm_order_2026-slice.txt', 'latin1');

describe('CMS order file parser', () => {
  it('reads the fixed-width layout of a real slice', () => {
    const recs = parseOrderFile(slice, 'slice');
    expect(recs[0]).toEqual({ order: 1, code: 'A00', valid: false, shortTitle: 'Cholera', longTitle: 'Cholera', line: 1 });
    const s = recs.find((r) => r.code === 'S52501A')!;
    expect(s.valid).toBe(true);
    expect(s.shortTitle).toBe('Unsp fracture of the lower end of right radius, init');
    expect(s.longTitle).toBe('Unspecified fracture of the lower end of right radius, initial encounter for closed fracture');
    expect(recs.filter((r) => r.valid).map((r) => r.code)).toContain('E119');
  });

  it('names file, line and field for a broken row', () => {
    const bad = slice.split('\n');
    bad[3] = bad[3].slice(0, 6) + 'E1*9   ' + bad[3].slice(13);
    try {
      parseOrderFile(bad.join('\n'), 'x.txt');
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(MedCodesError);
      expect((e as Error).message).toMatch(/^x\.txt, line 4: code "E1\*9" in columns 7-13/);
    }
  });

  it('refuses a file in another format', () => {
    expect(() => parseOrderFile('Code,Grouping,Classification\n101Y00000X,Behavioral,Counselor\n', 'nucc.csv')).toThrow(
      /nucc\.csv, line 1: line is \d+ characters/,
    );
    expect(() => parseOrderLine('00001 A00     2 Cholera' + ' '.repeat(60) + 'Cholera', 9, 'f')).toThrow(/line 9: flag "2"/);
    expect(() => parseOrderFile('\r\n\r\n', 'empty.txt')).toThrow(/no records/);
  });

  it('takes the year from the file name', () => {
    expect(orderFileYear('icd10cm_order_2026.txt')).toBe(2026);
    expect(orderFileYear('icd10pcs_order_2016.txt')).toBe(2016);
    expect(orderFileYear('readme.txt')).toBeUndefined();
  });

  it.runIf(existsSync('data/icd10cm/order/cms_2026_dx.zip'))('reads the full FY2026 file: 74,719 billable and 23,467 headers', async () => {
    const { data } = await readZipMember('data/icd10cm/order/cms_2026_dx.zip', 'icd10cm_order_2026.txt');
    const recs = parseOrderFile(data.toString('latin1'));
    expect(recs.length).toBe(98186);
    expect(recs.filter((r) => r.valid).length).toBe(74719);
    expect(recs.filter((r) => !r.valid).length).toBe(23467);
  });
});
