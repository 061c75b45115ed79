import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { expectParseError } from '../../../test/helpers.js';
import { sourceLines } from '../release.js';
import { utf8Lines } from '../lines.js';
import { csvRecords } from './csv.js';
import { loincCheckDigit, loincHeaderProblem, readLoincMapTo, readLoincTable, type LoincRecord } from './record.js';
import { loincClassKey, loincVersionInPath, LOINC_LAYOUT } from './import.js';
import { classify } from '../release.js';

const FIX = fileURLToPath(new URL('../../../test/fixtures/loinc/', import.meta.url));
const lines = (text: string) => utf8Lines([text]);
const all = async <T>(g: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe('CSV records', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and empty fields', async () => {
    const rows = await all(csvRecords(lines('"a","b,c",,"d ""e"""\r\n"multi\r\nline",x,""\r\n'), 'f.csv'));
    expect(rows).toEqual([
      { fields: ['a', 'b,c', '', 'd "e"'], line: 1 },
      { fields: ['multi\nline', 'x', ''], line: 2 },
    ]);
  });
  it('refuses an unterminated quoted field and text after a closing quote', async () => {
    await expectParseError(all(csvRecords(lines('"a","b\nc\n'), 'f.csv')), 'f.csv', 'quoted field opened on line 1 is never closed');
    await expectParseError(all(csvRecords(lines('"a"x,b\n'), 'f.csv')), 'f.csv, line 1', 'character after a closing quote');
  });
});

describe('LOINC table', () => {
  it("computes the mod-10 check digit of the Users' Guide", () => {
    expect(loincCheckDigit('2345')).toBe(7); // 2345-7, Glucose [Mass/volume] in Serum or Plasma
    expect(loincCheckDigit('718')).toBe(7); // 718-7
    expect(loincCheckDigit('90001')).toBe(9);
  });
  it('reads the fixture by header names, with optional columns', async () => {
    const rows: LoincRecord[] = await all(readLoincTable(sourceLines({ file: `${FIX}Loinc_2.80/LoincTable/Loinc.csv` }), 'Loinc.csv'));
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatchObject({
      loincNum: '90001-9',
      component: 'Zentorin',
      property: 'MCnc',
      timeAspect: 'Pt',
      system: 'Ser/Plas',
      scale: 'Qn',
      method: '',
      class: 'CHEM',
      classType: '1',
      status: 'ACTIVE',
      consumerName: 'Zentorin blood level',
      shortName: 'Zentorin SerPl-mCnc',
      displayName: 'Zentorin [Mass/volume]',
      longCommonName: 'Zentorin [Mass/volume] in Serum or Plasma',
      versionLastChanged: '2.80',
      line: 2,
    });
    expect(rows[6].externalCopyrightNotice).toMatch(/^Copyright \(c\) 2020 Example Survey Press/);
    // The quoted definition with a line break spans two lines of the file: later rows keep their own line numbers.
    expect(rows.map((r) => r.line).slice(8, 10)).toEqual([10, 12]);
  });
  it('refuses a file that is not the LOINC table, and bad rows, naming file and line', async () => {
    expect(loincHeaderProblem('"Code","Name"')).toMatch(/^not the LOINC table/);
    expect(loincHeaderProblem('"LOINC_NUM","COMPONENT"')).toMatch(/lacks columns PROPERTY, TIME_ASPCT/);
    await expectParseError(all(readLoincTable(lines('"Code","Name"\n"1","x"\n'), 'Loinc.csv')), 'Loinc.csv, line 1', 'not the LOINC table');
    const header =
      '"LOINC_NUM","COMPONENT","PROPERTY","TIME_ASPCT","SYSTEM","SCALE_TYP","METHOD_TYP","CLASS","STATUS","LONG_COMMON_NAME"\n';
    await expectParseError(
      all(readLoincTable(lines(`${header}"2345-8","G","MCnc","Pt","Ser","Qn","","CHEM","ACTIVE","Glucose"\n`), 'Loinc.csv')),
      'line 2',
      'wrong check digit (expected 7)',
    );
    await expectParseError(
      all(readLoincTable(lines(`${header}"2345-7","G","MCnc"\n`), 'Loinc.csv')),
      'line 2',
      '3 fields where the header has 10',
    );
    await expectParseError(
      all(readLoincTable(lines(`${header}"X-1","G","MCnc","Pt","Ser","Qn","","CHEM","ACTIVE","Glucose"\n`), 'Loinc.csv')),
      'is not a LOINC code',
    );
    await expectParseError(all(readLoincTable(lines(''), 'Loinc.csv')), 'empty file');
  });
  it('reads MapTo.csv', async () => {
    expect(await all(readLoincMapTo(sourceLines({ file: `${FIX}Loinc_2.80/LoincTable/MapTo.csv` }), 'MapTo.csv'))).toEqual([
      { loinc: '90005-0', mapTo: '90006-8', comment: 'Made-up replacement', line: 2 },
    ]);
  });
});

describe('LOINC release files', () => {
  it('finds the table in the zip and in the folder, by name, and other files of the release', async () => {
    expect((await classify(`${FIX}Loinc_2.80.zip`, LOINC_LAYOUT)).sources.map((s) => [s.member, s.kind])).toEqual([
      ['Loinc_2.80/LoincTable/Loinc.csv', 'table'],
      ['Loinc_2.80/LoincTable/MapTo.csv', 'mapTo'],
    ]);
    expect(await classify(`${FIX}Loinc_2.80/readme.txt`, LOINC_LAYOUT)).toEqual({ sources: [], other: 1 });
    // A CSV with the LOINC header under another name is recognised by content.
    expect((await classify(`${FIX}Loinc_2.80/LoincTableCore/LoincTableCore.csv`, LOINC_LAYOUT)).sources[0].kind).toBe('table');
    // Another CSV outside a LOINC release is not LOINC's.
    expect(
      await classify(fileURLToPath(new URL('../../../test/fixtures/nucc/nucc_taxonomy_251.csv', import.meta.url)), LOINC_LAYOUT),
    ).toEqual({ sources: [], other: 0 });
  });
  it('keys classes and reads versions from names', () => {
    expect(loincClassKey('HEM/BC')).toBe('C-HEM-BC');
    expect(loincClassKey('H&P.PX')).toBe('C-H-P-PX');
    expect(loincVersionInPath('/x/Loinc_2.80.zip')).toBe('2.80');
    expect(loincVersionInPath('/x/Loinc_2.80/LoincTable/Loinc.csv')).toBe('2.80');
    expect(loincVersionInPath('/x/table.csv')).toBeUndefined();
  });
});
