import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { expectParseError } from '../../../test/helpers.js';
import { parseConso, parseRel, parseSat, readRrf, rxnormReleaseInPath, rrfFields } from './rrf.js';
import { sourceLines, classify, releaseRootOf } from '../release.js';
import { utf8Lines } from '../lines.js';
import { RXNORM_LAYOUT } from './import.js';
import { descriptionParts } from './brands.js';

const FIX = fileURLToPath(new URL('../../../test/fixtures/rxnorm/', import.meta.url));
const all = async <T>(g: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe('RRF rows', () => {
  it('reads the 18 fields of RXNCONSO', async () => {
    const rows = await all(readRrf(sourceLines({ file: `${FIX}RxNorm_full_11042024/rrf/RXNCONSO.RRF` }), parseConso, 'RXNCONSO.RRF'));
    expect(rows[0]).toEqual({
      rxcui: '1001',
      lat: 'ENG',
      rxaui: 'A1',
      sab: 'RXNORM',
      tty: 'IN',
      code: '1001',
      str: 'zorbatinib',
      suppress: 'N',
      line: 1,
    });
    expect(rows.find((r) => r.rxcui === '2005')).toMatchObject({ tty: 'BN', suppress: 'O' });
  });
  it('reads RXNREL as "RXCUI2 RELA RXCUI1" and RXNSAT attributes', () => {
    expect(parseRel('1002||CUI|RO|1001||CUI|has_tradename|R1||RXNORM|RXNORM|||N|4096|', 'RXNREL.RRF', 3)).toEqual({
      rxcui1: '1002',
      stype1: 'CUI',
      rel: 'RO',
      rxcui2: '1001',
      rela: 'has_tradename',
      sab: 'RXNORM',
      suppress: 'N',
      line: 3,
    });
    expect(parseSat('1004||||CUI|1004|||NDC|RXNORM|00999143380|N|4096|', 'RXNSAT.RRF', 1)).toEqual({
      rxcui: '1004',
      atn: 'NDC',
      sab: 'RXNORM',
      atv: '00999143380',
      suppress: 'N',
      line: 1,
    });
  });
  it('refuses rows with the wrong number of fields or no trailing bar, naming file and line', () => {
    expect(() => rrfFields('1|2|3|', 'RXNSAT', 'RXNSAT.RRF', 7)).toThrow(
      /^RXNSAT\.RRF, line 7: not a RXNSAT\.RRF row: 3 "\|"-terminated fields where RXNSAT has 13$/,
    );
    expect(() => parseSat('1004||||CUI|1004|||NDC|RXNORM|00999143380|N|4096', 'RXNSAT.RRF', 1)).toThrow(/not a RXNSAT\.RRF row/);
    expect(() => parseConso('X1|ENG||||||A1||||RXNORM|IN|1|name||N|4096|', 'RXNCONSO.RRF', 2)).toThrow(
      /line 2: RXCUI "X1" is not a number/,
    );
  });
  it('refuses a file named RXNCONSO.RRF that is CSV', async () => {
    await expectParseError(
      all(readRrf(utf8Lines(['RXCUI,LAT,STR\n']), parseConso, 'RXNCONSO.RRF')),
      'RXNCONSO.RRF, line 1',
      'not a RXNCONSO.RRF row',
    );
  });
});

describe('RxNorm release files', () => {
  it('reads the release date and kind from names', () => {
    expect(rxnormReleaseInPath('/d/RxNorm_full_11042024.zip')).toEqual({ date: '2024-11-04', kind: 'full' });
    expect(rxnormReleaseInPath('/d/RxNorm_full_prescribe_11042024/rrf/RXNCONSO.RRF')).toEqual({ date: '2024-11-04', kind: 'prescribable' });
    expect(rxnormReleaseInPath('/d/RXNCONSO.RRF')).toBeUndefined();
  });
  it('classifies zip members by name and claims the other files of an extracted release', async () => {
    expect((await classify(`${FIX}RxNorm_full_11042024.zip`, RXNORM_LAYOUT)).sources.map((s) => [s.member, s.kind])).toEqual([
      ['rrf/RXNCONSO.RRF', 'conso'],
      ['rrf/RXNREL.RRF', 'rel'],
      ['rrf/RXNSAT.RRF', 'sat'],
    ]);
    expect(await classify(`${FIX}RxNorm_full_11042024/rrf/RXNSAB.RRF`, RXNORM_LAYOUT)).toEqual({ sources: [], other: 1 });
    expect(releaseRootOf(`${FIX}RxNorm_full_11042024/Readme_full_11042024.txt`, RXNORM_LAYOUT.isRoot)).toBe(`${FIX}RxNorm_full_11042024`);
  });
});

describe('UTF-8 lines', () => {
  it('keeps a character split across chunks whole, and drops a BOM', async () => {
    const bytes = Buffer.from('\uFEFFcafé|\r\nnaïve|\n', 'utf8');
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 15), bytes.subarray(15)];
    expect(await all(utf8Lines(chunks))).toEqual([
      { text: 'café|', line: 1 },
      { text: 'naïve|', line: 2 },
    ]);
  });
});

describe('HCPCS description parts', () => {
  it('splits on commas and normalizes case and spacing', () => {
    expect(descriptionParts('Injection, adalimumab, 20 mg')).toEqual(['injection', 'adalimumab', '20 mg']);
    expect(descriptionParts('Injection, adalimumab-aacf (idacio), biosimilar, 20 mg')).not.toContain('adalimumab');
    expect(descriptionParts('Mycophenolic  acid, oral, 180 mg')[0]).toBe('mycophenolic acid');
  });
});
