import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  NUCC_NOTICE,
  nuccNotice,
  parseNuccTaxonomy,
  readCsv,
  readNuccTaxonomy,
  type CsvRecord,
  type NuccTaxonomyRecord,
} from './taxonomy.js';
import { expectParseError } from '../../../test/helpers.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/nucc/nucc_taxonomy_251.csv', import.meta.url));
const REAL = fileURLToPath(new URL('../../../data/nucc/nucc_taxonomy_251.csv', import.meta.url));
const GEM_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/gems/2018_I10gem.txt', import.meta.url));
const HEADER = 'Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section\r\n';

async function csv(chunks: (string | Uint8Array)[]): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(chunks, { file: 't.csv' })) out.push(r);
  return out;
}

describe('readCsv (RFC 4180)', () => {
  it('reads quoted commas, doubled quotes and embedded line breaks', async () => {
    const text = 'a,"b, c","say ""hi""",\r\n"line1\r\nline2","x\ny",""\r\nlast,row,"3"';
    expect(await csv([text])).toEqual([
      { fields: ['a', 'b, c', 'say "hi"', ''], line: 1 },
      { fields: ['line1\r\nline2', 'x\ny', ''], line: 2 },
      { fields: ['last', 'row', '3'], line: 5 },
    ]);
  });

  it('gives the same records whatever the chunking (CRLF, quotes and UTF-8 split across chunks)', async () => {
    const text = 'h1,h2\r\n"q""q","multi\r\nline ’"\r\nx,y\r\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = await csv([bytes]);
    expect(whole).toEqual([
      { fields: ['h1', 'h2'], line: 1 },
      { fields: ['q"q', 'multi\r\nline ’'], line: 2 },
      { fields: ['x', 'y'], line: 4 },
    ]);
    // Every single-byte split, including inside CRLF pairs, doubled quotes and the 3-byte ’.
    for (let i = 1; i < bytes.length; i++) {
      expect(await csv([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    }
  });

  it('accepts LF and lone CR record ends, skips empty lines and a BOM', async () => {
    expect(await csv(['\uFEFFa,b\n\nc,d\re,f\n'])).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['c', 'd'], line: 3 },
      { fields: ['e', 'f'], line: 4 },
    ]);
    expect(await csv([Buffer.from('\uFEFFa,b\r\n', 'utf8')])).toEqual([{ fields: ['a', 'b'], line: 1 }]);
  });

  it('rejects an unclosed quote, stray quotes, and invalid UTF-8', async () => {
    await expectParseError(csv(['a,b\r\nc,"never closed\r\nmore']), 't.csv', 'line 2', 'field 2 opened on line 2 is never closed');
    await expectParseError(csv(['a,b"c\r\n']), 'line 1', 'a quote inside unquoted field 2');
    await expectParseError(csv(['a\r\n"b"c,d\r\n']), 'line 2', 'after the closing quote of field 1');
    await expectParseError(csv([Buffer.from([0x61, 0x2c, 0xe4, 0x0d, 0x0a])]), 'not valid UTF-8');
  });
});

describe('NUCC taxonomy (fixture cut from 25.1)', () => {
  it('reads every row with its columns', async () => {
    const recs = await parseNuccTaxonomy(readFileSync(FIXTURE), { file: 'nucc_taxonomy_251.csv' });
    expect(recs.map((r) => [r.code, r.line])).toEqual([
      ['193200000X', 2],
      ['207LP4000X', 3],
      ['207RR0500X', 4],
      ['103GC0700X', 5],
      ['125Q00000X', 6],
      ['242T00000X', 7],
      ['342000000X', 8],
    ]);
    expect(recs[0]).toEqual<NuccTaxonomyRecord>({
      code: '193200000X',
      grouping: 'Group',
      classification: 'Multi-Specialty',
      specialization: '',
      definition: 'A business group of one or more individual practitioners, who practice with different areas of specialization.',
      notes: '[7/1/2003: new]',
      displayName: 'Multi-Specialty Group',
      section: 'Individual',
      inactive: false,
      line: 2,
    });
    const rheum = recs[2];
    // Quoted field with commas and doubled quotes.
    expect(rheum.definition).toBe(
      'An internist who treats diseases of joints, muscle, bones and tendons. This specialist diagnoses and treats arthritis, back pain, muscle strains, common athletic injuries and "collagen" diseases.',
    );
    expect(rheum).toMatchObject({
      classification: 'Internal Medicine',
      specialization: 'Rheumatology',
      displayName: 'Rheumatology Physician',
    });
    expect(rheum.notes).toContain(
      'www.abms.org [7/1/2007: added definition, added source; 7/1/2011: modified source]<br/>Additional Resources',
    );
    // UTF-8 right single quotation mark.
    expect(recs[1].definition).toContain('Alzheimer’s, hospital malnutrition screening');
    // Quoted grouping with a comma.
    expect(recs[5].grouping).toBe('Technologists, Technicians & Other Technical Service Providers');
    expect(recs[6].section).toBe('Non-Individual');
    expect(recs[3]).toMatchObject({
      definition: '',
      displayName: 'Deactivated - Clinical Neuropsychologist',
      inactive: true,
      inactiveSince: '2007-01-01',
      replacedBy: '103G00000X',
    });
  });

  it('rejects another file, naming file, line and problem', async () => {
    await expectParseError(
      parseNuccTaxonomy(readFileSync(GEM_FIXTURE), { file: '2018_I10gem.txt' }),
      '2018_I10gem.txt',
      'line 1',
      'not a NUCC taxonomy CSV',
    );
    await expectParseError(parseNuccTaxonomy('', { file: 'empty.csv' }), 'empty.csv', 'empty file');
  });

  it('rejects a truncated row', async () => {
    const bytes = readFileSync(FIXTURE);
    // Cut the file in the middle of row 4 (207RR0500X): its last field is gone.
    const cut = bytes.subarray(0, bytes.indexOf('Rheumatology Physician'));
    await expectParseError(
      parseNuccTaxonomy(cut, { file: 'nucc_taxonomy_251.csv' }),
      'nucc_taxonomy_251.csv',
      'line 4',
      'row has 7 fields, expected 8',
    );
    // Cut inside a quoted field: the quote never closes.
    const cutQuoted = bytes.subarray(0, bytes.indexOf('common athletic injuries'));
    await expectParseError(parseNuccTaxonomy(cutQuoted, { file: 'nucc_taxonomy_251.csv' }), 'line 4', 'never closed');
  });

  it('rejects a broken code, a duplicate and an unknown section', async () => {
    await expectParseError(
      parseNuccTaxonomy(`${HEADER}207RR05X,G,C,,D,N,Disp,Individual\r\n`, { file: 'n.csv' }),
      'line 2',
      'Code',
      '"207RR05X" is not a taxonomy code',
    );
    await expectParseError(
      parseNuccTaxonomy(`${HEADER}193200000X,G,C,,D,N,Disp,Individual\r\n193200000X,G,C,,D,N,Disp,Individual\r\n`, { file: 'n.csv' }),
      'line 3',
      'appears twice (first on line 2)',
    );
    await expectParseError(
      parseNuccTaxonomy(`${HEADER}193200000X,G,C,,D,N,Disp,Person\r\n`, { file: 'n.csv' }),
      'Section',
      'neither Individual nor Non-Individual',
    );
  });

  it('has a notice naming the AMA, the NUCC and nucc.org', () => {
    expect(NUCC_NOTICE).toContain('© 2025 American Medical Association on behalf of the National Uniform Claim Committee (NUCC)');
    expect(NUCC_NOTICE).toContain('version 25.1');
    expect(NUCC_NOTICE).toContain('https://www.nucc.org');
    expect(nuccNotice('26.0', 2026)).toContain('© 2026');
  });
});

describe.runIf(existsSync(REAL))('NUCC taxonomy 25.1 full file', () => {
  it('has 883 codes', async () => {
    const recs: NuccTaxonomyRecord[] = [];
    for await (const r of readNuccTaxonomy(createReadStream(REAL), { file: 'nucc_taxonomy_251.csv' })) recs.push(r);
    expect(recs.length).toBe(883);
    expect(recs.filter((r) => r.section === 'Individual').length).toBe(698);
    expect(recs.filter((r) => r.section === 'Non-Individual').length).toBe(185);
    expect(recs.filter((r) => r.specialization === '').length).toBe(241);
    expect(recs.filter((r) => r.inactive).length).toBe(28);
    // No embedded line breaks in 25.1: row n is on line n + 1.
    expect(recs.every((r, i) => r.line === i + 2)).toBe(true);
    // The file carries no copyright notice of its own (hence NUCC_NOTICE).
    const text = readFileSync(REAL, 'utf8');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(/copyright|©|American Medical Association on behalf/i.test(text)).toBe(false);
  });
});
