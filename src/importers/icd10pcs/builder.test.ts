import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MedCodesError } from '../../errors.js';
import { parsePcsTablesString, expandPcsTable, type PcsTable } from './tables.js';
import { parsePcsDefinitionsString, PcsDefinitions } from './definitions.js';
import {
  buildPcsCode,
  decomposeInTable,
  isPcsTableStructure,
  pcsCodeAxes,
  tableCode,
  tableStructure,
  valueDefinition,
  type PcsTableStructure,
} from './builder.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TABLES = `${root}test/fixtures/icd10pcs/icd10pcs_tables_2026-slice.xml`;
const DEFS = `${root}test/fixtures/icd10pcs/icd10pcs_definitions_2026-slice.xml`;

let parsed: PcsTable[];
let t0DT: PcsTableStructure;
let tXNS: PcsTableStructure;
let t001: PcsTableStructure;
beforeAll(async () => {
  parsed = (await parsePcsTablesString(readFileSync(TABLES, 'utf8'))).tables;
  const d = await parsePcsDefinitionsString(readFileSync(DEFS, 'utf8'));
  const defs = new PcsDefinitions([...d.terms, ...d.aggregates]);
  const byCode = new Map(parsed.map((t) => [t.code, tableStructure(t, defs)]));
  t0DT = byCode.get('0DT')!;
  tXNS = byCode.get('XNS')!;
  t001 = byCode.get('001')!;
});

/** The invalid_parameter error a call throws. */
function refusal(f: () => unknown): MedCodesError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MedCodesError);
    expect((e as MedCodesError).code).toBe('invalid_parameter');
    return e as MedCodesError;
  }
  throw new Error('expected a refusal');
}

describe('tableStructure', () => {
  it('stores the three fixed characters, the rows and the definitions of the values', () => {
    expect(tableCode(t0DT)).toBe('0DT');
    expect(t0DT.axes).toEqual([
      { pos: 1, axis: 'Section', char: '0', label: 'Medical and Surgical' },
      { pos: 2, axis: 'Body System', char: 'D', label: 'Gastrointestinal System' },
      {
        pos: 3,
        axis: 'Operation',
        char: 'T',
        label: 'Resection',
        definition: 'Cutting out or off, without replacement, all of a body part',
      },
    ]);
    expect(t0DT.rows.map((r) => r.codes)).toEqual([68, 6, 4, 16, 8, 4]);
    expect(t0DT.rows[2].axes[0]).toEqual({
      pos: 4,
      axis: 'Body Part',
      values: [
        { char: 'F', label: 'Large Intestine, Right' },
        { char: 'J', label: 'Appendix' },
      ],
    });
    expect(t0DT.validCodes).toBe(106);
    expect(t0DT.definitions['3'].Resection).toEqual({
      definition: 'Cutting out or off, without replacement, all of a body part',
      includes: ['Total nephrectomy, total lobectomy of lung'],
    });
    expect(t0DT.definitions['4'].Appendix).toEqual({ includes: ['Appendiceal orifice', 'Vermiform appendix'] });
    // A qualifier defined as a body part of the section ("otherAxis"), and a Device Key entry named for New Technology.
    expect(t001.definitions['7'].Nasopharynx.includes).toContain('Choana');
    expect(tXNS.definitions['6']['Magnetically Controlled Growth Rod(s)'].term).toBe(
      'Magnetically Controlled Growth Rod(s) in New Technology',
    );
    expect(isPcsTableStructure(t0DT)).toBe(true);
    expect(isPcsTableStructure({ deletedIn: 'FY2026' })).toBe(false);
    expect(isPcsTableStructure(null)).toBe(false);
  });

  it('works without the Definitions file, keeping the operation definition printed in the table', () => {
    const bare = tableStructure(parsed.find((t) => t.code === '0DT')!);
    expect(bare.definitions).toEqual({});
    expect(valueDefinition(bare, 3, 'Resection')).toEqual({ definition: 'Cutting out or off, without replacement, all of a body part' });
    expect(valueDefinition(bare, 4, 'Appendix')).toBeUndefined();
  });
});

describe('decomposing a code from its stored table', () => {
  it('gives the seven characters of 0DTJ4ZZ with their definitions', () => {
    expect(decomposeInTable(t0DT, '0dtj4zz')?.row).toBe(2);
    const axes = pcsCodeAxes('0DTJ4ZZ', t0DT)!;
    expect(axes.map((a) => `${a.pos}${a.char} ${a.axis}: ${a.label}`)).toEqual([
      '10 Section: Medical and Surgical',
      '2D Body System: Gastrointestinal System',
      '3T Operation: Resection',
      '4J Body Part: Appendix',
      '54 Approach: Percutaneous Endoscopic',
      '6Z Device: No Device',
      '7Z Qualifier: No Qualifier',
    ]);
    expect(axes[2].definition).toBe('Cutting out or off, without replacement, all of a body part');
    expect(axes[3].includes).toEqual(['Appendiceal orifice', 'Vermiform appendix']);
    expect(axes[4].definition).toMatch(/^Entry, by puncture or minor incision, of instrumentation/);
    expect(axes[0].definition).toBeUndefined();
  });

  it('agrees with every code the rows expand to, and refuses codes no row allows', () => {
    const t = parsed.find((x) => x.code === 'XNS')!;
    for (const code of expandPcsTable(t)) expect(decomposeInTable(tXNS, code), code).toBeDefined();
    // Body part 4 is "Humeral Shaft, Right" in the row of device G, "Thoracic Vertebra" in the others.
    expect(pcsCodeAxes('XNS40GA', tXNS)![3].label).toBe('Humeral Shaft, Right');
    expect(pcsCodeAxes('XNS4032', tXNS)![3].label).toBe('Thoracic Vertebra');
    expect(pcsCodeAxes('0DTJ3ZZ', t0DT)).toBeUndefined();
    expect(pcsCodeAxes('0DBJ4ZZ', t0DT)).toBeUndefined();
    expect(pcsCodeAxes('0DTJ4Z', t0DT)).toBeUndefined();
  });
});

describe('buildPcsCode', () => {
  it('0DT: choosing J, then 4, then Z, then Z gives the valid code 0DTJ4ZZ', () => {
    const start = buildPcsCode(t0DT, '');
    expect(start.complete).toBe(false);
    expect(start.next!.pos).toBe(4);
    expect(start.next!.axis).toBe('Body Part');
    expect(start.next!.choices.map((c) => c.char).join('')).toBe('123456789ABCEFGHJKLMNPQRU');
    expect(start.next!.choices.find((c) => c.char === 'J')).toEqual({
      char: 'J',
      label: 'Appendix',
      includes: ['Appendiceal orifice', 'Vermiform appendix'],
    });

    const j = buildPcsCode(t0DT, 'J');
    expect(j.prefix).toBe('0DTJ');
    expect(j.chosen).toEqual([{ pos: 4, axis: 'Body Part', char: 'J', label: 'Appendix' }]);
    // Rows 2 (open, via opening) and 3 (percutaneous endoscopic) hold the appendix.
    expect(j.rows).toEqual([1, 2]);
    expect(j.next!.choices.map((c) => `${c.char} ${c.label}`)).toEqual([
      '0 Open',
      '4 Percutaneous Endoscopic',
      '7 Via Natural or Artificial Opening',
      '8 Via Natural or Artificial Opening Endoscopic',
    ]);

    const j4 = buildPcsCode(t0DT, 'J4');
    expect(j4.rows).toEqual([2]);
    expect(j4.next).toMatchObject({ pos: 6, axis: 'Device', choices: [{ char: 'Z', label: 'No Device' }] });
    const j4z = buildPcsCode(t0DT, 'J4Z');
    expect(j4z.next!.choices.map((c) => c.char)).toEqual(['G', 'Z']);

    const done = buildPcsCode(t0DT, 'j4zz');
    expect(done).toMatchObject({ table: '0DT', chars: 'J4ZZ', prefix: '0DTJ4ZZ', complete: true, code: '0DTJ4ZZ', rows: [2] });
    expect(done.next).toBeUndefined();
    expect(done.chosen.map((c) => c.label)).toEqual(['Appendix', 'Percutaneous Endoscopic', 'No Device', 'No Qualifier']);
  });

  it('offers only combinations a row allows', () => {
    // Via natural opening (7) the appendix has no hand-assisted qualifier: row 2 only has Z.
    expect(buildPcsCode(t0DT, 'J7Z').next!.choices.map((c) => c.char)).toEqual(['Z']);
    const err = refusal(() => buildPcsCode(t0DT, 'J7ZG'));
    expect(err.message).toBe('0DTJ7Z: character 7 (Qualifier) cannot be "G"; valid: Z');
    expect(err.details).toEqual({ pos: 7, allowed: ['Z'] });
    expect(refusal(() => buildPcsCode(t0DT, 'J3')).message).toBe('0DTJ: character 5 (Approach) cannot be "3"; valid: 0, 4, 7, 8');
    expect(refusal(() => buildPcsCode(t0DT, 'D')).message).toMatch(/^0DT: character 4 \(Body Part\) cannot be "D"; valid: 1, 2, 3/);
  });

  it('keeps both names of a character until a later choice settles its row', () => {
    const x4 = buildPcsCode(tXNS, '4');
    expect(x4.chosen[0]).toEqual({
      pos: 4,
      axis: 'Body Part',
      char: '4',
      label: 'Thoracic Vertebra',
      otherLabels: ['Humeral Shaft, Right'],
    });
    const x40 = buildPcsCode(tXNS, '40');
    expect(x40.next!.choices.map((c) => `${c.char} ${c.label}`)).toEqual([
      '3 Magnetically Controlled Growth Rod(s)',
      'C Posterior (Dynamic) Distraction Device',
      'G Ring External Fixation Device with Automated Strut Adjustment',
    ]);
    expect(buildPcsCode(tXNS, '40G').chosen[0]).toEqual({ pos: 4, axis: 'Body Part', char: '4', label: 'Humeral Shaft, Right' });
    expect(buildPcsCode(tXNS, '403').chosen[0].label).toBe('Thoracic Vertebra');
    expect(buildPcsCode(tXNS, '403').chosen[0].otherLabels).toBeUndefined();
  });

  it('refuses characters that are not PCS characters, and too many', () => {
    expect(refusal(() => buildPcsCode(t0DT, 'JI')).message).toBe(
      'character 5 "I" is not an ICD-10-PCS character (0-9 and A-Z without I and O)',
    );
    expect(refusal(() => buildPcsCode(t0DT, 'J-')).message).toMatch(/character 5 "-"/);
    expect(refusal(() => buildPcsCode(t0DT, 'J4ZZZ')).message).toBe(
      '"J4ZZZ" has 5 characters; after table 0DT a code has 4 more (positions 4-7)',
    );
  });
});
