import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { expectParseError } from '../../../test/helpers.js';
import { latin1Lines } from '../lines.js';
import { sourceChunks } from '../sources.js';
import { codeKey, displayCode, ndcKey, specialCodeKeys } from '../../codes.js';
import { headerProblem, PRODUCT_REQUIRED, productTitle, readNdcPackages, readNdcProducts } from './record.js';
import { ndcFormsTerm } from './import.js';

const FIX = fileURLToPath(new URL('../../../test/fixtures/ndc/ndctext/', import.meta.url));
const all = async <T>(g: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};
const lines = (file: string) => latin1Lines(sourceChunks({ file }));

describe('NDC keys', () => {
  it('gives every 10-digit shape and the 11-digit form of a package one key', () => {
    for (const f of ['0002-1433-80', '00002-1433-80', '00002143380', ' 0002-1433-80 ']) expect(ndcKey(f)).toBe('00002143380');
    expect(ndcKey('12345-678-01')).toBe('12345067801'); // 5-3-2
    expect(ndcKey('12345-6789-1')).toBe('12345678901'); // 5-4-1
    expect(codeKey('ndc', '12345-6789-1')).toBe('12345678901');
  });
  it('keys products as 5-4 and is not fooled into a range', () => {
    expect(codeKey('ndc', '0002-1433')).toBe('000021433');
    expect(codeKey('ndc', '12345-678')).toBe('123450678');
    expect(codeKey('ndc', '12345-6789')).toBe('123456789');
  });
  it('keeps what it cannot pad (10 digits without dashes) as typed', () => {
    expect(ndcKey('0002143380')).toBe('0002143380');
    expect(codeKey('ndc', 'abc-1')).toBe('ABC1');
  });
  it('displays keys in the 11-digit 5-4-2 form', () => {
    expect(displayCode('ndc', '00002143380')).toBe('00002-1433-80');
    expect(displayCode('ndc', '000021433')).toBe('00002-1433');
    expect(ndcFormsTerm('0999-1433-80')).toBe('NDC 0999-1433-80, 00999-1433-80, 00999143380, 0999143380');
  });
  it('leaves the keys of other systems as they were', () => {
    expect(codeKey('icd10cm', 'e11.9')).toBe('E119');
    expect(codeKey('icd10cm', 'E08-E13')).toBe('E08-E13');
    expect(codeKey('loinc', '2345-7')).toBe('2345-7');
    expect(codeKey('cpt', ' 99213 ')).toBe('99213');
  });
});

describe('code keys of typed tokens the generic code rule misses', () => {
  it('reads LOINC codes, dashed NDCs and long numeric ids as codes', () => {
    expect(specialCodeKeys('2345-7')).toEqual(['2345-7']);
    expect(specialCodeKeys('0002-1433-80')).toEqual(['00002143380']);
    expect(specialCodeKeys('12345-678')).toEqual(['123450678']);
    expect(specialCodeKeys('00002143380')).toEqual(['00002143380']);
    expect(specialCodeKeys('138875005')).toEqual(['138875005']);
    // 10 digits without dashes: the padded segment is unknown, so all three 11-digit forms.
    expect(specialCodeKeys('0002143380')).toEqual(['0002143380', '00002143380', '00021043380', '00021433800']);
  });
  it('leaves ranges, words and ordinary codes to the generic rules', () => {
    for (const t of ['E08-E13', 'E11.9', '99213', 'heart', '2345-77', '1-2-3']) expect(specialCodeKeys(t), t).toEqual([]);
  });
});

describe('NDC directory files', () => {
  it('reads products by header name', async () => {
    const p = await all(readNdcProducts(lines(`${FIX}product.txt`), 'product.txt'));
    expect(p).toHaveLength(5);
    expect(p[2]).toMatchObject({
      productNdc: '54321-0123',
      proprietaryName: 'Humaxo',
      proprietaryNameSuffix: 'Pen',
      nonproprietaryName: 'adalimumab',
      labelerName: 'Biomadeup Co.',
      strength: '40',
      strengthUnit: 'mg/.4mL',
      line: 4,
    });
    expect(productTitle(p[2])).toBe('Humaxo Pen (adalimumab) 40 mg/.4mL, injection, solution');
    expect(productTitle(p[3])).toBe('Calmex Night (ondansetron; doxylamine), tablet');
  });
  it('reads packages and checks them against their product', async () => {
    const k = await all(readNdcPackages(lines(`${FIX}package.txt`), 'package.txt'));
    expect(k[3]).toMatchObject({ productNdc: '54321-0123', ndcPackageCode: '54321-0123-5', sample: 'Y' });
    const head = 'PRODUCTID\tPRODUCTNDC\tNDCPACKAGECODE\tPACKAGEDESCRIPTION\n';
    await expectParseError(
      all(readNdcPackages(latin1Lines([`${head}x\t0002-1433\t0002-1434-80\tbox\n`]), 'package.txt')),
      'package.txt, line 2',
      'does not belong to its PRODUCTNDC 0002-1433',
    );
    await expectParseError(
      all(readNdcPackages(latin1Lines([`${head}x\t0002-1433\t0002-1433-800\tbox\n`]), 'package.txt')),
      'is not a 10-digit NDC',
    );
  });
  it('refuses a file that is not the directory', async () => {
    expect(headerProblem('NDC,NAME', PRODUCT_REQUIRED, 'product file')).toMatch(/^not the NDC directory's product file/);
    expect(headerProblem('PRODUCTID\tPRODUCTNDC', PRODUCT_REQUIRED, 'product file')).toMatch(/lacks columns PROPRIETARYNAME/);
    await expectParseError(all(readNdcProducts(latin1Lines(['NDC,NAME\n']), 'product.txt')), 'product.txt, line 1');
  });
});
