import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import {
  dottedIcd9,
  icd9FileKind,
  joinIcd9Descriptions,
  parseIcd9Descriptions,
  readIcd9Titles,
  type Icd9Description,
} from './descriptions.js';
import { expectParseError } from '../../../test/helpers.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/icd9cm/', import.meta.url));
const fixture = (name: string) => readFileSync(fixtures + name);
const REAL_ZIP = fileURLToPath(new URL('../../../data/icd9cm/ICD-9-CM-v32-master-descriptions.zip', import.meta.url));

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

/** Expects the promise to reject with a parse_error whose message contains every fragment. */
describe('dottedIcd9', () => {
  it('puts the point after the category', () => {
    expect(dottedIcd9('0413', 'diagnosis')).toBe('041.3');
    expect(dottedIcd9('38600', 'diagnosis')).toBe('386.00');
    expect(dottedIcd9('024', 'diagnosis')).toBe('024');
    expect(dottedIcd9('V0382', 'diagnosis')).toBe('V03.82');
    expect(dottedIcd9('V08', 'diagnosis')).toBe('V08');
    expect(dottedIcd9('E8490', 'diagnosis')).toBe('E849.0');
    expect(dottedIcd9('E030', 'diagnosis')).toBe('E030');
    expect(dottedIcd9('0001', 'procedure')).toBe('00.01');
    expect(dottedIcd9('016', 'procedure')).toBe('01.6');
  });
});

describe('icd9FileKind', () => {
  it('recognizes the official file names', () => {
    expect(icd9FileKind('CMS32_DESC_LONG_DX.txt')).toEqual({ kind: 'diagnosis', length: 'long' });
    expect(icd9FileKind('x/CMS32_DESC_SHORT_SG.txt')).toEqual({ kind: 'procedure', length: 'short' });
    expect(icd9FileKind('2018_I10gem.txt')).toBeUndefined();
  });
});

describe('ICD-9-CM descriptions (fixture cut from v32)', () => {
  it('joins long and short diagnosis titles, decoding ISO-8859-1', async () => {
    const recs = await parseIcd9Descriptions(fixture('CMS32_DESC_LONG_DX.txt'), fixture('CMS32_DESC_SHORT_DX.txt'), {
      kind: 'diagnosis',
    });
    expect(recs.map((r) => r.dotted)).toEqual([
      '001.0',
      '001.1',
      '001.9',
      '024',
      '041.3',
      '046.71',
      '386.00',
      'E000.0',
      'E030',
      'E849.0',
      'V01.0',
      'V08',
      'V91.99',
    ]);
    expect(recs[0]).toEqual<Icd9Description>({
      kind: 'diagnosis',
      code: '0010',
      dotted: '001.0',
      long: 'Cholera due to vibrio cholerae',
      short: 'Cholera d/t vib cholerae',
      seq: 1,
    });
    // Byte 0xE4 in the file is ä in ISO-8859-1; a UTF-8 decode would give U+FFFD.
    const friedlander = recs.find((r) => r.code === '0413')!;
    expect(friedlander.long).toBe("Friedländer's bacillus infection in conditions classified elsewhere and of unspecified site");
    expect(friedlander.short).toBe('Klebsiella pneumoniae');
    expect(recs.find((r) => r.code === '04671')!.long).toBe('Gerstmann-Sträussler-Scheinker syndrome');
    expect(recs.find((r) => r.code === '38600')!.long).toBe("Ménière's disease, unspecified");
    expect(recs.find((r) => r.code === '024')!).toMatchObject({ long: 'Glanders', short: 'Glanders' });
    expect(recs.find((r) => r.code === 'E8490')!).toMatchObject({ long: 'Home accidents', short: 'Accident in home' });
    expect(recs.at(-1)!.seq).toBe(13);
  });

  it('joins long and short procedure titles', async () => {
    const recs = await parseIcd9Descriptions(fixture('CMS32_DESC_LONG_SG.txt'), fixture('CMS32_DESC_SHORT_SG.txt'), {
      kind: 'procedure',
    });
    expect(recs.map((r) => [r.dotted, r.short])).toEqual([
      ['00.01', 'Ther ult head & neck ves'],
      ['00.02', 'Ther ultrasound of heart'],
      ['00.03', 'Ther ult peripheral ves'],
      ['01.6', 'Excise skull lesion'],
      ['99.99', 'Miscellaneous proc NEC'],
    ]);
    expect(recs[3].long).toBe('Excision of lesion of skull');
  });

  it('decodes the same from bytes split mid-line', async () => {
    const bytes = fixture('CMS32_DESC_LONG_DX.txt');
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 300), bytes.subarray(300)];
    const lines = await collect(readIcd9Titles(chunks, { file: 'f', kind: 'diagnosis' }));
    expect(lines.length).toBe(13);
    expect(lines[4]).toEqual({ code: '0413', title: expect.stringMatching(/^Friedländer's/), line: 5 });
  });

  it('rejects a line without a title, naming file and line', async () => {
    const long = fixture('CMS32_DESC_LONG_DX.txt').toString('latin1').replace('0019  Cholera, unspecified', '0019');
    await expectParseError(
      parseIcd9Descriptions(long, fixture('CMS32_DESC_SHORT_DX.txt'), { kind: 'diagnosis' }),
      'CMS32_DESC_LONG_DX.txt',
      'line 3',
      'code 0019 has no title',
    );
  });

  it('rejects a blank line and a broken code', async () => {
    await expectParseError(
      collect(readIcd9Titles(['0010  Cholera\n\n'], { file: 'a.txt', kind: 'diagnosis' })),
      'a.txt',
      'line 2',
      'blank line',
    );
    await expectParseError(
      collect(readIcd9Titles(['0010  Cholera\n00X1  Bad\n'], { file: 'a.txt', kind: 'diagnosis' })),
      'line 2',
      'not an ICD-9-CM diagnosis code',
    );
  });

  it('rejects a file of another kind or format', async () => {
    // A diagnosis file read as procedures: 5-character codes do not fit columns 1-4.
    await expectParseError(
      collect(readIcd9Titles([fixture('CMS32_DESC_LONG_DX.txt')], { file: 'CMS32_DESC_LONG_DX.txt', kind: 'procedure' })),
      'CMS32_DESC_LONG_DX.txt',
      'line 1',
      'is this a diagnosis file?',
    );
    // A GEM file: its first line starts with an ICD-10-CM code.
    await expectParseError(
      collect(readIcd9Titles(['A000    0010  00000\r\n'], { file: '2018_I10gem.txt', kind: 'diagnosis' })),
      '2018_I10gem.txt',
      'line 1',
      'not an ICD-9-CM diagnosis code',
    );
  });

  it('rejects codes missing from one of the two files', async () => {
    const shortMissing = fixture('CMS32_DESC_SHORT_SG.txt').toString('latin1').replace('0002 Ther ultrasound of heart\n', '');
    await expectParseError(
      parseIcd9Descriptions(fixture('CMS32_DESC_LONG_SG.txt'), shortMissing, { kind: 'procedure' }),
      'CMS32_DESC_LONG_SG.txt',
      'line 2',
      'code 0002 has a long title but no short title',
    );
    const longMissing = fixture('CMS32_DESC_LONG_SG.txt')
      .toString('latin1')
      .replace(/^9999 .*\n/m, '');
    await expectParseError(
      parseIcd9Descriptions(longMissing, fixture('CMS32_DESC_SHORT_SG.txt'), { kind: 'procedure' }),
      'CMS32_DESC_SHORT_SG.txt',
      'line 5',
      'code 9999 has a short title but no long title',
    );
  });
});

/** A zip member as a lazily opened stream, so the join can read the short file before the long one. */
function member(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>, name: string): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      const entry = entries.get(name);
      if (!entry) throw new Error(`${name} is not in the zip`);
      yield* await zip.openReadStreamPromise(entry);
    },
  };
}

describe.runIf(existsSync(REAL_ZIP))('ICD-9-CM v32 full files', () => {
  it('has 14,567 diagnoses and 3,882 procedures, all with both titles', async () => {
    const zip = await yauzl.openPromise(REAL_ZIP, { autoClose: false });
    try {
      const entries = new Map<string, yauzl.Entry>();
      for await (const e of zip.eachEntry()) entries.set(e.fileName, e);
      const counts: Record<string, number> = {};
      const byCode = new Map<string, Icd9Description>();
      for (const [kind, k] of [
        ['diagnosis', 'DX'],
        ['procedure', 'SG'],
      ] as const) {
        const long = `CMS32_DESC_LONG_${k}.txt`;
        const short = `CMS32_DESC_SHORT_${k}.txt`;
        counts[kind] = 0;
        for await (const d of joinIcd9Descriptions(
          { input: member(zip, entries, long), file: long },
          { input: member(zip, entries, short), file: short },
          kind,
        )) {
          counts[kind]++;
          byCode.set(`${kind}:${d.code}`, d);
        }
      }
      expect(counts).toEqual({ diagnosis: 14567, procedure: 3882 });
      expect(byCode.get('diagnosis:25000')).toMatchObject({
        dotted: '250.00',
        long: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
        short: 'DMII wo cmp nt st uncntr',
      });
      expect(byCode.get('diagnosis:38600')!.long).toBe("Ménière's disease, unspecified");
      expect(byCode.get('procedure:3774')).toMatchObject({ dotted: '37.74' });
      // Exactly 7 long diagnosis titles carry non-ASCII letters in v32.
      const nonAscii = [...byCode.values()].filter((d) => /[^\x20-\x7e]/.test(d.long + d.short));
      expect(nonAscii.map((d) => d.code)).toEqual(['0413', '04671', '38600', '38601', '38602', '38603', '38604']);
    } finally {
      zip.close();
    }
  });
});
