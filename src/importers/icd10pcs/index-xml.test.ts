import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, expandPcsTable, parsePcsTables } from './tables.js';
import { indexEntryCodes, parsePcsIndex, parsePcsIndexString, type PcsIndexEntry } from './index-xml.js';
import { expectParseError } from '../../../test/helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SLICE = `${root}test/fixtures/icd10pcs/icd10pcs_index_2025-slice.xml`;
const FULL = `${root}data/icd10pcs/xml/icd10pcs_index_2025.xml`;
const FULL_TABLES = `${root}data/icd10pcs/xml/icd10pcs_tables_2026.xml`;
const slice = readFileSync(SLICE, 'utf8');

const byPath = (entries: PcsIndexEntry[], ...path: string[]) => entries.filter((e) => e.path.join(' / ') === path.join(' / '));

describe('parsePcsIndex (slice of icd10pcs_index_2025.xml, CRLF as published)', () => {
  it('emits every main term and term in document order with its path', async () => {
    const { header, entries } = await parsePcsIndexString(slice, 'slice.xml');
    expect(header).toEqual({ version: '2025', title: '2025 ICD-10-PCS Index' });
    expect(entries).toHaveLength(43);
    expect(entries.filter((e) => e.level === 0)).toHaveLength(12);
    expect(entries[0]).toEqual({
      letter: '3',
      path: ['3f (Aortic) Bioprosthesis valve'],
      title: '3f (Aortic) Bioprosthesis valve',
      level: 0,
      codes: [],
      see: [],
      use: [{ target: 'Zooplastic Tissue in Heart and Great Vessels', codes: [] }],
      line: 7,
    });
    const pacemaker = entries.filter((e) => e.path[0] === 'Pacemaker');
    expect(pacemaker.map((e) => `${e.level}:${e.path.slice(1).join(', ')}`)).toEqual([
      '0:',
      '1:Dual Chamber',
      '2:Dual Chamber, Abdomen',
      '2:Dual Chamber, Chest',
      '1:Intracardiac',
      '2:Intracardiac, Insertion of device in',
      '3:Intracardiac, Insertion of device in, Atrium',
      '4:Intracardiac, Insertion of device in, Atrium, Left',
      '4:Intracardiac, Insertion of device in, Atrium, Right',
      '3:Intracardiac, Insertion of device in, Vein, Coronary',
      '3:Intracardiac, Insertion of device in, Ventricle',
      '4:Intracardiac, Insertion of device in, Ventricle, Left',
      '4:Intracardiac, Insertion of device in, Ventricle, Right',
      '2:Intracardiac, Removal of device from, Heart',
      '2:Intracardiac, Revision of device in, Heart',
      '1:Single Chamber',
      '2:Single Chamber, Abdomen',
      '2:Single Chamber, Chest',
      '1:Single Chamber Rate Responsive',
      '2:Single Chamber Rate Responsive, Abdomen',
      '2:Single Chamber Rate Responsive, Chest',
    ]);
    expect(byPath(entries, 'Pacemaker', 'Intracardiac', 'Insertion of device in', 'Atrium', 'Left')[0]).toMatchObject({
      letter: 'P',
      level: 4,
      codes: [{ element: 'codes', value: '02H7' }],
      line: 105,
    });
  });

  it('keeps code, codes and tab as printed, and see/use targets with their codes', async () => {
    const { entries } = await parsePcsIndexString(slice);
    expect(byPath(entries, 'Abortion', 'Laminaria')[0].codes).toEqual([{ element: 'code', value: '10A07ZW' }]);
    expect(byPath(entries, 'Abortion', 'Products of Conception')[0].codes).toEqual([{ element: 'codes', value: '10A0' }]);
    expect(byPath(entries, 'Accelerate PhenoTest(tm) BC')[0].codes).toEqual([{ element: 'code', value: 'XXE5XN6' }]);
    expect(byPath(entries, 'Activities of Daily Living Assessment')[0].codes).toEqual([{ element: 'tab', value: 'F02' }]);
    expect(byPath(entries, 'Atmospheric Control')[0].codes).toEqual([{ element: 'codes', value: '6A0Z' }]);
    expect(byPath(entries, 'Activa PC neurostimulator')[0].use).toEqual([
      { target: 'Stimulator Generator, Multiple Array in', codes: [{ element: 'tab', value: '0JH' }] },
    ]);
    expect(byPath(entries, 'Suction curettage (D&C), nonobstetric')[0]).toMatchObject({
      letter: 'S',
      see: [{ target: 'Extraction, Endometrium', codes: [{ element: 'codes', value: '0UDB' }] }],
    });
  });

  it('gives untitled terms their parent path', async () => {
    const { entries } = await parsePcsIndexString(slice);
    const abdominoplasty = byPath(entries, 'Abdominoplasty');
    expect(abdominoplasty.map((e) => [e.level, e.title, e.see.map((s) => `${s.target} ${indexEntryCodes(e).join()}`)])).toEqual([
      [0, 'Abdominoplasty', []],
      [1, undefined, ['Alteration, Abdominal Wall 0W0F']],
      [1, undefined, ['Repair, Abdominal Wall 0WQF']],
      [1, undefined, ['Supplement, Abdominal Wall 0WUF']],
    ]);
    expect(abdominoplasty[1]).not.toHaveProperty('title');
    expect(byPath(entries, 'Acetabulectomy').flatMap(indexEntryCodes)).toEqual(['0QB', '0QT']);
  });

  it('streams from a byte stream the same as from a string', async () => {
    const streamed = await collect(parsePcsIndex(createReadStream(SLICE, { highWaterMark: 53 })));
    expect(streamed).toEqual((await parsePcsIndexString(slice)).entries);
  });
});

describe('parsePcsIndex errors', () => {
  it('names file and line of truncated XML', async () => {
    const cut = slice.slice(0, slice.indexOf('<title>Pacemaker</title>'));
    const err = await expectParseError(collect(parsePcsIndex(cut, { file: 'index.xml' })), /truncated/);
    expect(err.message).toContain(`index.xml, line ${cut.split('\n').length}`);
  });

  it('names file and line of malformed XML', async () => {
    const bad = slice.replace('<codes>0W0F</codes>', '<codes>0W0F</code>');
    await expectParseError(collect(parsePcsIndex(bad, { file: 'index.xml' })), /index\.xml, line 21: malformed XML/);
  });

  it('refuses another root, stating the expected one', async () => {
    const defs = '<?xml version="1.0" encoding="utf-8"?>\r\n<ICD10PCS.definitions>\r\n</ICD10PCS.definitions>\r\n';
    await expectParseError(
      collect(parsePcsIndex(defs, { file: 'd.xml' })),
      /d\.xml, line 2: root element is <ICD10PCS\.definitions>, expected <ICD10PCS\.index>/,
    );
  });

  it('refuses a broken code', async () => {
    await expectParseError(
      collect(parsePcsIndex(slice.replace('<code>10A07ZW</code>', '<code>10A07Z</code>'), { file: 'i.xml' })),
      /i\.xml, line 42, mainTerm\[Abortion, Laminaria\]: <code>10A07Z<\/code> is not a 7-character ICD-10-PCS code/,
    );
    await expectParseError(
      collect(parsePcsIndex(slice.replace('<tab>F02</tab>', '<tab>F0</tab>'))),
      /<tab>F0<\/tab> is not a 3-character ICD-10-PCS table/,
    );
    await expectParseError(
      collect(parsePcsIndex(slice.replace('<codes>0WQF</codes>', '<codes>0WQO</codes>'))),
      /<codes>0WQO<\/codes> is not a partial ICD-10-PCS code/,
    );
  });

  it('refuses a level that disagrees with the nesting, and a reference without target', async () => {
    await expectParseError(
      collect(
        parsePcsIndex(
          slice.replace('<term level="4">\r\n              <title>Left</title>', '<term level="3">\r\n              <title>Left</title>'),
        ),
      ),
      /mainTerm\[Pacemaker, Intracardiac, Insertion of device in, Atrium\]: term level="3" where level="4" was expected/,
    );
    await expectParseError(
      collect(parsePcsIndex(slice.replace('<use>Abdominal Sympathetic Nerve</use>', '<use></use>'))),
      /<use> has no target text/,
    );
  });
});

describe.runIf(existsSync(FULL))('full icd10pcs_index_2025.xml', () => {
  it('has 27 letters, 3,215 main terms and 21,269 terms with the published code and reference counts', async () => {
    const letters = new Set<string>();
    const levels = [0, 0, 0, 0, 0, 0];
    let code = 0,
      codes = 0,
      tab = 0,
      see = 0,
      use = 0,
      refCodes = 0,
      untitled = 0;
    const referenced: { value: string; path: string }[] = [];
    for await (const e of parsePcsIndex(createReadStream(FULL), { file: FULL })) {
      letters.add(e.letter);
      levels[e.level]++;
      if (e.title === undefined) untitled++;
      for (const c of e.codes) {
        if (c.element === 'code') code++;
        else if (c.element === 'codes') codes++;
        else tab++;
      }
      see += e.see.length;
      use += e.use.length;
      refCodes += e.see.concat(e.use).reduce((n, r) => n + r.codes.length, 0);
      for (const value of indexEntryCodes(e)) referenced.push({ value, path: e.path.join(', ') });
    }
    expect(letters.size).toBe(27);
    expect(levels).toEqual([3215, 6849, 8382, 5785, 249, 4]);
    expect(untitled).toBe(2283);
    expect({ code, codes, tab }).toEqual({ code: 2794, codes: 11704, tab: 213 });
    expect({ see, use, refCodes }).toEqual({ see: 1785, use: 2342, refCodes: 1650 });

    // The FY2025 index against the FY2026 tables: every reference resolves except FY2026 deletions.
    if (existsSync(FULL_TABLES)) {
      const prefixes = new Set<string>();
      for await (const t of parsePcsTables(createReadStream(FULL_TABLES))) {
        for (const c of expandPcsTable(t)) for (let n = 3; n <= 7; n++) prefixes.add(c.slice(0, n));
      }
      const missing = referenced.filter((r) => !prefixes.has(r.value));
      expect(new Set(missing.map((m) => m.value))).toEqual(
        new Set(['XXE5XN6', 'XXEBXQ6', 'X2A5312', 'X2A6325', '5A0512C', '5A0522C', '0SG6']),
      );
      expect(missing).toHaveLength(18);
    }
  });
});
