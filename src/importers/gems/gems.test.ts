import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import {
  clusters,
  gemDirectionFromFileName,
  gemEntryToMapping,
  groupCombinations,
  parseGem,
  readGem,
  type GemDirection,
  type GemEntry,
} from './gems.js';
import { expectParseError } from '../../../test/helpers.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/gems/', import.meta.url));
const data = fileURLToPath(new URL('../../../data/gems/', import.meta.url));
const fixture = (name: string) => readFileSync(fixtures + name);

async function load(name: string, direction: GemDirection): Promise<GemEntry[]> {
  return parseGem(fixture(name), { file: name, direction });
}

describe('gemDirectionFromFileName', () => {
  it('knows the four official files', () => {
    expect(gemDirectionFromFileName('2018_I10gem.txt')).toBe('icd10cm-icd9cm');
    expect(gemDirectionFromFileName('/x/2018_I9gem.txt')).toBe('icd9cm-icd10cm');
    expect(gemDirectionFromFileName('gem_pcsi9.txt')).toBe('icd10pcs-icd9pcs');
    expect(gemDirectionFromFileName('gem_i9pcs.txt')).toBe('icd9pcs-icd10pcs');
    expect(gemDirectionFromFileName('nucc_taxonomy_251.csv')).toBeUndefined();
  });
});

describe('GEM rows (fixtures cut from the 2018 files)', () => {
  it('decodes ICD-10-CM -> ICD-9-CM rows', async () => {
    const rows = await load('2018_I10gem.txt', 'icd10cm-icd9cm');
    expect(rows.length).toBe(16);
    expect(rows[0]).toEqual<GemEntry>({
      source: 'A000',
      target: '0010',
      approximate: false,
      noMap: false,
      combination: false,
      scenario: 0,
      choiceList: 0,
      flags: '00000',
      line: 1,
    });
    // E11.9 Type 2 diabetes mellitus without complications -> 250.00, approximate.
    expect(rows.find((r) => r.source === 'E119')).toMatchObject({ target: '25000', approximate: true, combination: false, line: 7 });
    // No map: target text NoDx becomes null.
    expect(rows.find((r) => r.source === 'R29700')).toMatchObject({ target: null, noMap: true, approximate: true, flags: '11000' });
    // Filed lower-case (`v5889`, real line 73170): returned upper-case.
    expect(rows.find((r) => r.source === 'T8853XD')).toMatchObject({ target: 'V5889', line: 15 });
    expect(rows.find((r) => r.source === 'T422X1A' && r.target === '9660')).toMatchObject({
      combination: true,
      scenario: 2,
      choiceList: 1,
    });
  });

  it('decodes the other three directions', async () => {
    const i9 = await load('2018_I9gem.txt', 'icd9cm-icd10cm');
    expect(i9.find((r) => r.source === '25000')).toMatchObject({ target: 'E119', approximate: true });
    expect(i9.find((r) => r.source === '7796')).toMatchObject({ target: null, noMap: true });
    const i9pcs = await load('gem_i9pcs.txt', 'icd9pcs-icd10pcs');
    expect(i9pcs.find((r) => r.source === '9051')).toMatchObject({ target: null, noMap: true, line: 48 });
    expect(i9pcs.find((r) => r.source === '336')).toMatchObject({ target: '02YA0Z0', combination: true, scenario: 1, choiceList: 1 });
    const pcsi9 = await load('gem_pcsi9.txt', 'icd10pcs-icd9pcs');
    expect(pcsi9.map((r) => [r.source, r.target, r.flags])).toEqual([
      ['0016070', '0231', '10000'],
      ['0016071', '0231', '10000'],
      // NoI9 with no-map flag 0, as filed on gem_pcsi9.txt line 6269.
      ['02H40NZ', null, '10000'],
      ['0FTG0ZZ', '526', '10000'],
      ['0NDB0ZZ', '8628', '10001'],
      ['XR2G021', null, '11000'],
      ['XY0VX83', '9999', '10000'],
    ]);
  });

  it('streams from chunks split mid-row', async () => {
    const bytes = fixture('2018_I9gem.txt');
    const out: GemEntry[] = [];
    for await (const e of readGem([bytes.subarray(0, 5), bytes.subarray(5, 61), bytes.subarray(61)], {
      file: 'f',
      direction: 'icd9cm-icd10cm',
    }))
      out.push(e);
    expect(out.map((e) => e.source)).toEqual((await load('2018_I9gem.txt', 'icd9cm-icd10cm')).map((e) => e.source));
  });

  it('maps a row to the model Mapping, and none for no map', async () => {
    const rows = await load('2018_I10gem.txt', 'icd10cm-icd9cm');
    expect(gemEntryToMapping(rows.find((r) => r.source === 'E119')!, 'icd10cm-icd9cm')).toEqual({
      fromSystem: 'icd10cm',
      fromKey: 'E119',
      toSystem: 'icd9cm',
      toKey: '25000',
      flags: { approximate: true, noMap: false, combination: false, scenario: 0, choiceList: 0 },
      source: 'gems',
      version: '2018',
    });
    expect(gemEntryToMapping(rows.find((r) => r.source === 'R29700')!, 'icd10cm-icd9cm')).toBeUndefined();
  });
});

describe('groupCombinations', () => {
  it('groups choice lists per scenario (Technical FAQ examples)', async () => {
    const i10 = groupCombinations(await load('2018_I10gem.txt', 'icd10cm-icd9cm'));
    // E10.3411 -> 250.51 WITH 362.06 WITH 362.07; I25.111 -> 414.01 WITH 413.9; T42.2X1A has 2 scenarios.
    expect(i10).toEqual([
      {
        source: 'E103411',
        scenario: 1,
        approximate: true,
        choiceLists: [
          { choiceList: 1, targets: ['25051'] },
          { choiceList: 2, targets: ['36206'] },
          { choiceList: 3, targets: ['36207'] },
        ],
      },
      {
        source: 'I25111',
        scenario: 1,
        approximate: true,
        choiceLists: [
          { choiceList: 1, targets: ['41401'] },
          { choiceList: 2, targets: ['4139'] },
        ],
      },
      {
        source: 'T422X1A',
        scenario: 1,
        approximate: true,
        choiceLists: [
          { choiceList: 1, targets: ['9662'] },
          { choiceList: 2, targets: ['E8558'] },
        ],
      },
      {
        source: 'T422X1A',
        scenario: 2,
        approximate: true,
        choiceLists: [
          { choiceList: 1, targets: ['9660'] },
          { choiceList: 2, targets: ['E8558'] },
        ],
      },
    ]);
  });

  it('keeps single rows out and builds the clusters (37.74, 52.7, 800.22)', async () => {
    const pcs = groupCombinations(await load('gem_i9pcs.txt', 'icd9pcs-icd10pcs'));
    const c3774 = pcs.filter((c) => c.source === '3774');
    expect(c3774).toHaveLength(1);
    expect(c3774[0].choiceLists).toEqual([
      { choiceList: 1, targets: ['02HN0JZ', '02HN0MZ', '02HN3JZ', '02HN3MZ', '02HN4JZ', '02HN4MZ'] },
      { choiceList: 2, targets: ['02PA0MZ', '02PA3MZ', '02PA4MZ', '02PAXMZ'] },
    ]);
    expect([...clusters(c3774[0])]).toHaveLength(24);
    const s2 = pcs.find((c) => c.source === '527' && c.scenario === 2)!;
    expect(s2.choiceLists.map((l) => l.targets)).toEqual([
      ['0FTG0ZZ'],
      ['0DT90ZZ'],
      ['0F190Z3'],
      ['0F1G0ZC'],
      ['0D1607A', '0D160JA', '0D160KA', '0D160ZA'],
    ]);
    expect([...clusters(s2)]).toEqual(
      ['0D1607A', '0D160JA', '0D160KA', '0D160ZA'].map((b) => ['0FTG0ZZ', '0DT90ZZ', '0F190Z3', '0F1G0ZC', b]),
    );
    // 35.84's two rows flagged 10013 have combination flag 0: not part of the combination.
    expect(pcs.filter((c) => c.source === '3584').map((c) => c.choiceLists.map((l) => l.choiceList))).toEqual([[1, 2]]);
    // 16.51 scenario 2 has no choice list 2 in the official file; the gap is kept as is.
    expect(pcs.find((c) => c.source === '1651' && c.scenario === 2)!.choiceLists.map((l) => l.choiceList)).toEqual([1, 3]);

    const dx = groupCombinations(await load('2018_I9gem.txt', 'icd9cm-icd10cm'));
    expect(dx).toHaveLength(1);
    expect([...clusters(dx[0])]).toEqual(['S064X1A', 'S064X2A', 'S065X1A', 'S065X2A', 'S066X1A', 'S066X2A'].map((t) => ['S020XXA', t]));
  });
});

describe('GEM errors', () => {
  it('rejects a truncated row, naming file, line and problem', async () => {
    const text = fixture('2018_I10gem.txt').toString('latin1').replace('E119    25000 10000', 'E119    25000 10');
    await expectParseError(
      parseGem(text, { file: '2018_I10gem.txt', direction: 'icd10cm-icd9cm' }),
      '2018_I10gem.txt',
      'line 7',
      'truncated',
    );
  });

  it('rejects a file of another direction or format', async () => {
    // The ICD-9 -> ICD-10 file read as ICD-10 -> ICD-9: the columns do not line up.
    await expectParseError(
      parseGem(fixture('2018_I9gem.txt'), { file: '2018_I9gem.txt', direction: 'icd10cm-icd9cm' }),
      '2018_I9gem.txt',
      'line 1',
      'not a icd10cm -> icd9cm GEM row',
    );
    // PCS -> ICD-9 read as ICD-10-CM -> ICD-9: 0016070 is no ICD-10-CM code.
    await expectParseError(
      parseGem(fixture('gem_pcsi9.txt'), { file: 'gem_pcsi9.txt', direction: 'icd10cm-icd9cm' }),
      'line 1',
      'source "0016070" is not an ICD-10-CM code',
    );
    // A NUCC CSV.
    await expectParseError(
      parseGem('Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section\r\n', {
        file: 'nucc.csv',
        direction: 'icd9pcs-icd10pcs',
      }),
      'nucc.csv',
      'line 1',
    );
  });

  it('rejects broken codes and flags', async () => {
    const opts = { file: 'g.txt', direction: 'icd9cm-icd10cm' as const };
    await expectParseError(
      parseGem('0010  A000    00000\r\n0X11  A001    00000\r\n', opts),
      'line 2',
      'source "0X11" is not an ICD-9-CM diagnosis code',
    );
    await expectParseError(parseGem('0010  A0.0    00000\r\n', opts), 'target "A0.0" is not an ICD-10-CM code');
    await expectParseError(parseGem('0010  A000    0020X\r\n', opts), 'flags "0020X"');
    await expectParseError(parseGem('0010  A000    01000\r\n', opts), 'no-map flag is 1 but the target is "A000"');
    await expectParseError(parseGem('0010  A000    00000\r\n\r\n', opts), 'line 2', 'blank line');
  });
});

/** A zip member as a stream. */
async function* zipMember(zipPath: string, name: string): AsyncGenerator<Buffer> {
  const zip = await yauzl.openPromise(zipPath);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName === name) {
        yield* await zip.openReadStreamPromise(entry);
        return;
      }
    }
    throw new Error(`${name} is not in ${zipPath}`);
  } finally {
    zip.close();
  }
}

describe.runIf(existsSync(data + 'Dxgem_2018.zip'))('GEMs 2018 full files', () => {
  const files: [string, GemDirection, () => AsyncIterable<Buffer>, { rows: number; noMap: number; noTarget: number; combos: number }][] = [
    [
      '2018_I10gem.txt',
      'icd10cm-icd9cm',
      () => zipMember(data + 'Dxgem_2018.zip', '2018_I10gem.txt'),
      { rows: 81593, noMap: 731, noTarget: 731, combos: 4298 },
    ],
    [
      '2018_I9gem.txt',
      'icd9cm-icd10cm',
      () => zipMember(data + 'Dxgem_2018.zip', '2018_I9gem.txt'),
      { rows: 24860, noMap: 422, noTarget: 422, combos: 779 },
    ],
    [
      'gem_i9pcs.txt',
      'icd9pcs-icd10pcs',
      () => createReadStream(data + 'gem_i9pcs.txt'),
      { rows: 73593, noMap: 210, noTarget: 210, combos: 337 },
    ],
    [
      'gem_pcsi9.txt',
      'icd10pcs-icd9pcs',
      () => createReadStream(data + 'gem_pcsi9.txt'),
      { rows: 101025, noMap: 2, noTarget: 31, combos: 5451 },
    ],
  ];
  for (const [name, direction, open, expected] of files) {
    it(`${name}: ${expected.rows} rows (the file's line count)`, async () => {
      const rows: GemEntry[] = [];
      for await (const e of readGem(open(), { file: name, direction })) rows.push(e);
      expect({
        rows: rows.length,
        noMap: rows.filter((r) => r.noMap).length,
        noTarget: rows.filter((r) => r.target === null).length,
        combos: groupCombinations(rows).length,
      }).toEqual(expected);
      if (name === '2018_I10gem.txt') {
        expect(rows.filter((r) => r.source === 'E119').map((r) => [r.target, r.flags])).toEqual([['25000', '10000']]);
        // The one lower-case code in the 2018 files comes out upper-case.
        expect(rows[73169]).toMatchObject({ source: 'T8853XD', target: 'V5889', line: 73170 });
      }
      if (name === '2018_I9gem.txt') {
        // 14,567 distinct sources: every ICD-9-CM v32 diagnosis code.
        expect(new Set(rows.map((r) => r.source)).size).toBe(14567);
      }
    });
  }
});
