import { describe, it, expect } from 'vitest';
import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HCPCS_POSITIONS, HCPCS_RECORD_LENGTH, parseHcpcsFixedWidth, parseHcpcsFixedWidthText, splitHcpcsLine } from './fixed-width.js';
import { readHcpcsXlsx } from './xlsx.js';
import type { HcpcsRecord } from './record.js';
import { expectParseError } from '../../../test/helpers.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/hcpcs/', import.meta.url));
const TXT = 'HCPC2025_OCT_ANWEB-slice.txt';
const text = () => readFileSync(fixtures + TXT, 'latin1');
const OPTIONS = { file: TXT, effective: '2025-10-01' };

async function collect(gen: AsyncIterable<HcpcsRecord>): Promise<HcpcsRecord[]> {
  const out: HcpcsRecord[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

/** The fixture's lines without line ends. */
const lines = () =>
  text()
    .split('\r\n')
    .filter((l) => l !== '');

/** Writes `value` at a 1-based layout position of a line. */
const put = (line: string, position: number, value: string) =>
  line.slice(0, position - 1) + value + line.slice(position - 1 + value.length);

describe('the layout positions', () => {
  it('tile the 320-character record from 1 to 293, FILLER at 260 and 294-320', () => {
    const used = new Array<number>(HCPCS_RECORD_LENGTH + 1).fill(0);
    for (const [start, length, occurs] of Object.values(HCPCS_POSITIONS)) {
      for (let p = start; p < start + length * occurs; p++) used[p] += 1;
    }
    const gaps = used.flatMap((n, p) => (p > 0 && n === 0 ? [p] : []));
    expect(gaps).toEqual([260, ...Array.from({ length: 27 }, (_, i) => 294 + i)]);
    expect(used.some((n) => n > 1)).toBe(false);
  });

  it('cut a first line of the fixture into its fields', () => {
    const g0103 = splitHcpcsLine(lines().find((l) => l.startsWith('G0103'))!);
    expect(g0103.sequence).toBe('00100');
    expect(g0103.recordId).toBe('3');
    expect(g0103.shortDescription).toBe('Psa screening'.padEnd(28));
    expect(g0103.pricingIndicators).toEqual(['21', '  ', '  ', '  ']);
    expect(g0103.coverageIssuesManual[0]).toBe('50-55 ');
    expect(g0103.labCertifications[0]).toBe('310');
    expect(g0103.processingNote).toBe('0064');
    expect(g0103.betos).toBe('T1H');
    expect(g0103.anesthesiaBaseUnits).toBe('  0');
    expect(g0103.addedDate).toBe('20000101');
    expect(g0103.actionCode).toBe('N');
  });
});

describe('parseHcpcsFixedWidth on the fixture', () => {
  it('gives the same records as the spreadsheet rows it was written from', async () => {
    const fromText = await parseHcpcsFixedWidthText(text(), OPTIONS);
    const fromXlsx = await readHcpcsXlsx(readFileSync(fixtures + 'HCPC2025_OCT_ANWEB-slice.xlsx'), OPTIONS);
    expect(fromText).toHaveLength(14);
    expect(fromText).toEqual(fromXlsx);
  });

  it('merges continuation lines (RecID 4 and 8), cut inside words, into the long description', async () => {
    const byCode = new Map((await parseHcpcsFixedWidthText(text(), OPTIONS)).map((r) => [r.code, r]));
    // L6034: a first line and three RecID 4 lines, "am|putation" and "prosthet|ic" cut at 80.
    expect(byCode.get('L6034')?.longDescription).toBe(
      'Partial hand, finger, and thumb prosthesis without prosthetic digit(s)/thumb, amputation at ' +
        'transmetacarpal level, including flexible or non-flexible interface, molded to patient model, for use ' +
        'without external power and/or passive prosthetic digit/thumb, not including inserts described by l6692',
    );
    // K2: a modifier over a RecID 7 line and two RecID 8 lines.
    expect(byCode.get('K2')).toMatchObject({
      kind: 'modifier',
      longDescription:
        'Lower extremity prosthesis functional level 2 - has the ability or potential for ambulation with the ' +
        'ability to traverse low level environmental barriers such as curbs, stairs or uneven surfaces.  typical ' +
        'of the limited community ambulator.',
      shortDescription: 'Lwr ext prost functnl lvl 2',
    });
    expect(byCode.get('C9248')).toMatchObject({ pricingIndicators: ['53', '11'], terminationDate: '2025-09-30', status: 'deleted' });
  });

  it('reads a byte stream, LF line ends and chunks cut anywhere', async () => {
    const whole = await parseHcpcsFixedWidthText(text(), OPTIONS);
    expect(await collect(parseHcpcsFixedWidth(createReadStream(fixtures + TXT, { highWaterMark: 7 }), OPTIONS))).toEqual(whole);
    const lf = Buffer.from(text().replaceAll('\r\n', '\n'), 'latin1');
    const chunks = Array.from({ length: Math.ceil(lf.length / 333) }, (_, i) => lf.subarray(i * 333, (i + 1) * 333));
    expect(await collect(parseHcpcsFixedWidth(chunks, OPTIONS))).toEqual(whole);
    // No line end after the last record.
    expect(await parseHcpcsFixedWidthText(text().slice(0, -2), OPTIONS)).toEqual(whole);
  });

  it('joins blank-padded, word-wrapped continuation lines with one blank', async () => {
    const [first, ...rest] = lines().filter((l) => l.startsWith('G0464'));
    expect(rest).toHaveLength(1);
    const wrapped = [
      put(first, 12, 'Colorectal cancer screening; stool-based dna and fecal occult hemoglobin'.padEnd(80)),
      put(rest[0], 12, '(e.g., kras, ndrg4 and bmp3)'.padEnd(80)),
    ].join('\n');
    const [g0464] = await parseHcpcsFixedWidthText(wrapped, OPTIONS);
    expect(g0464.longDescription).toBe(
      'Colorectal cancer screening; stool-based dna and fecal occult hemoglobin (e.g., kras, ndrg4 and bmp3)',
    );
  });
});

describe('parseHcpcsFixedWidth errors', () => {
  it('rejects a line of the wrong length, naming file and line', async () => {
    const all = lines();
    all[4] = all[4].slice(0, 319);
    await expectParseError(parseHcpcsFixedWidthText(all.join('\r\n'), OPTIONS), `${TXT}, line 5`, '319 characters long', '320');
    await expectParseError(parseHcpcsFixedWidthText('HCPC\tSEQNUM\tRECID\n', OPTIONS), `${TXT}, line 1`, '17 characters');
  });

  it('rejects a bad Record Identification Code', async () => {
    const all = lines();
    all[6] = put(all[6], 11, '5');
    await expectParseError(
      parseHcpcsFixedWidthText(all.join('\r\n'), OPTIONS),
      `${TXT}, line 7, position 11 (HCPCS Record Identification Code)`,
      'Record Identification Code "5"',
    );
  });

  it('rejects a continuation line that follows no first line of its code', async () => {
    const all = lines();
    // Line 3 is GD's RecID 8 line; put it before GD's first line.
    const orphan = [all[0], all[2], all[1], ...all.slice(3)];
    await expectParseError(
      parseHcpcsFixedWidthText(orphan.join('\r\n'), OPTIONS),
      `${TXT}, line 2`,
      'continuation line (Record Identification Code 8) of "GD"',
    );
    // A procedure continuation (4) after a modifier's first line.
    all[2] = put(all[2], 11, '4');
    await expectParseError(parseHcpcsFixedWidthText(all.join('\r\n'), OPTIONS), 'line 3', 'Record Identification Code 4');
  });

  it('rejects a broken code, date or number, naming the positions', async () => {
    const all = lines();
    const c9088 = all.findIndex((l) => l.startsWith('C9088'));
    const code = [...all];
    code[c9088] = put(code[c9088], 1, 'C90 8');
    await expectParseError(
      parseHcpcsFixedWidthText(code.join('\n'), OPTIONS),
      `line ${c9088 + 1}, positions 1-5 (HCPCS Code)`,
      '"C90 8" is not a 5-character procedure code',
    );
    const date = [...all];
    date[c9088] = put(date[c9088], 285, '20250931');
    await expectParseError(
      parseHcpcsFixedWidthText(date.join('\n'), OPTIONS),
      `line ${c9088 + 1}, positions 285-292 (HCPCS Termination Date)`,
      '"20250931"',
    );
    const units = [...all];
    units[c9088] = put(units[c9088], 266, ' x0');
    await expectParseError(parseHcpcsFixedWidthText(units.join('\n'), OPTIONS), 'positions 266-268', 'is not a number');
    const dup = [...all, all[c9088]];
    await expectParseError(
      parseHcpcsFixedWidthText(dup.join('\n'), OPTIONS),
      `line ${all.length + 1}`,
      'procedure C9088 appears a second time',
    );
  });
});
