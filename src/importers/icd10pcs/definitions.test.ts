import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, parsePcsTables, parsePcsTablesString, PcsTableIndex } from './tables.js';
import {
  definePcsCode,
  parsePcsDefinitions,
  parsePcsDefinitionsString,
  PcsDefinitions,
  type PcsDefinitionRecord,
  type PcsDefinitionTerm,
} from './definitions.js';
import { expectParseError } from '../../../test/helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SLICE = `${root}test/fixtures/icd10pcs/icd10pcs_definitions_2026-slice.xml`;
const TABLES_SLICE = `${root}test/fixtures/icd10pcs/icd10pcs_tables_2026-slice.xml`;
const FULL = `${root}data/icd10pcs/xml/icd10pcs_definitions_2026.xml`;
const FULL_TABLES = `${root}data/icd10pcs/xml/icd10pcs_tables_2026.xml`;
const slice = readFileSync(SLICE, 'utf8');

describe('parsePcsDefinitions (slice of icd10pcs_definitions_2026.xml)', () => {
  it('reads sections, axes and terms with definition, explanation and includes', async () => {
    const { header, terms, aggregates } = await parsePcsDefinitionsString(slice, 'slice.xml');
    expect(header).toEqual({ version: '2026', title: '2026 ICD-10-PCS Definitions' });
    expect(terms).toHaveLength(18);
    expect(aggregates).toHaveLength(2);
    expect(terms.map((t) => `${t.section}${t.axisPos}`)).toEqual([
      '03',
      '03',
      '04',
      '04',
      '04',
      '04',
      '05',
      '05',
      '06',
      '06',
      '06',
      '36',
      'F3',
      'F3',
      'F5',
      'F5',
      'X3',
      'X6',
    ]);
    expect(terms[0]).toEqual({
      kind: 'term',
      section: '0',
      sectionTitle: 'Medical and Surgical',
      axisPos: 3,
      axisTitle: 'Operation',
      titles: ['Bypass'],
      definition: 'Altering the route of passage of the contents of a tubular body part',
      explanation:
        'Rerouting contents of a body part to a downstream area of the normal route, to a similar route and body part, or to an abnormal route and dissimilar body part. Includes one or more anastomoses, with or without the use of a device',
      includes: ['Coronary artery bypass, colostomy formation'],
      line: 9,
    });
    expect(terms[1]).toMatchObject({ titles: ['Resection'], definition: 'Cutting out or off, without replacement, all of a body part' });
    expect(terms[1]).not.toHaveProperty('explanation');
    expect(terms[2]).toMatchObject({ axisTitle: 'Body Part', titles: ['1st Toe, Left', '1st Toe, Right'], includes: ['Hallux'] });
    expect(terms[2]).not.toHaveProperty('definition');
    expect(terms[10].includes).toHaveLength(1);
    expect(terms[9].includes).toHaveLength(44);
    expect(terms[9].includes[0]).toBe('AbioCor(R) Total Replacement Heart');
    expect(terms[14]).toMatchObject({
      section: 'F',
      sectionTitle: 'Physical Rehabilitation and Diagnostic Audiology',
      axisTitle: 'Type Qualifier',
    });
    expect(aggregates[1]).toEqual({
      kind: 'deviceAggregate',
      device: 'Synthetic Substitute, Polyethylene',
      operation: 'Replacement',
      bodySystems: ['Lower Joints'],
      parent: { code: 'J', text: 'Synthetic Substitute' },
      line: 200,
    });
    expect(aggregates[0].bodySystems).toEqual([
      'Heart and Great Vessels',
      'Lower Arteries',
      'Lower Veins',
      'Upper Arteries',
      'Upper Veins',
    ]);
  });

  it('streams from a byte stream the same as from a string', async () => {
    const streamed = await collect(parsePcsDefinitions(createReadStream(SLICE, { highWaterMark: 61 })));
    const { terms, aggregates } = await parsePcsDefinitionsString(slice);
    expect(streamed).toEqual([...terms, ...aggregates]);
  });
});

describe('PcsDefinitions lookup', () => {
  const load = async () => new PcsDefinitions(await collect(parsePcsDefinitions(slice)));

  it('finds an entry by section, axis position and title', async () => {
    const defs = await load();
    expect(defs.get('0', 3, 'Resection')?.definition).toBe('Cutting out or off, without replacement, all of a body part');
    expect(defs.get('0', 3, 'resection')?.titles).toEqual(['Resection']);
    expect(defs.get('0', 4, '1st Toe, Right')?.includes).toEqual(['Hallux']);
    expect(defs.get('0', 4, 'Resection')).toBeUndefined();
    expect(defs.get('1', 3, 'Resection')).toBeUndefined();
    expect(defs.aggregatesOf('synthetic substitute, polyethylene').map((a) => a.parent.code)).toEqual(['J']);
  });

  it('resolves Device Key entries named per operation and body system', async () => {
    const defs = await load();
    const poly = defs.resolve({
      section: '0',
      pos: 6,
      label: 'Synthetic Substitute, Polyethylene',
      operation: 'Replacement',
      bodySystem: 'Lower Joints',
    });
    expect(poly?.match).toBe('deviceKey');
    expect(poly?.title).toBe('Synthetic Substitute, Polyethylene for Replacement in Lower Joints');
    expect(poly?.term.includes).toEqual(['Polyethylene socket']);
    const graft = defs.resolve({
      section: '0',
      pos: 6,
      label: 'Autologous Arterial Tissue',
      operation: 'Bypass',
      bodySystem: 'Heart and Great Vessels',
    });
    expect(graft).toMatchObject({ match: 'deviceKey', title: 'Autologous Arterial Tissue in Heart and Great Vessels' });
    expect(
      defs.resolve({ section: '0', pos: 6, label: 'Autologous Arterial Tissue', operation: 'Bypass', bodySystem: 'Lower Veins' }),
    ).toBeUndefined();
    const rod = defs.resolve({
      section: 'X',
      pos: 6,
      label: 'Magnetically Controlled Growth Rod(s)',
      operation: 'Reposition',
      bodySystem: 'Bones',
    });
    expect(rod).toMatchObject({ match: 'deviceKey', title: 'Magnetically Controlled Growth Rod(s) in New Technology' });
  });

  it('picks the (Assessment) or (Treatment) entry of section F by the type', async () => {
    const defs = await load();
    expect(defs.resolve({ section: 'F', pos: 5, label: 'Aphasia', operation: 'Speech Assessment' })).toMatchObject({
      match: 'assessmentTreatment',
      title: 'Aphasia (Assessment)',
    });
    expect(defs.resolve({ section: 'F', pos: 5, label: 'Aphasia', operation: 'Speech Treatment' })?.term.definition).toBe(
      'Applying techniques to improve, augment, or compensate for receptive/ expressive language impairments',
    );
  });

  it('matches qualifiers to entries of another axis, and nothing else across axes', async () => {
    const defs = await load();
    expect(defs.resolve({ section: '3', pos: 7, label: 'Other Antineoplastic' })).toMatchObject({
      match: 'otherAxis',
      title: 'Other Antineoplastic',
    });
    expect(defs.resolve({ section: '0', pos: 7, label: 'Nasopharynx' })?.term.axisTitle).toBe('Body Part');
    expect(defs.resolve({ section: '0', pos: 6, label: 'Nasopharynx' })).toBeUndefined();
    expect(defs.resolve({ section: '0', pos: 5, label: 'Appendix' })).toBeUndefined();
  });

  it('defines each character of a code through the tables', async () => {
    const defs = await load();
    const tables = new PcsTableIndex((await parsePcsTablesString(readFileSync(TABLES_SLICE, 'utf8'))).tables);
    const chars = definePcsCode('0DTJ4ZZ', tables, defs)!;
    expect(chars.map((c) => [c.label, c.defined?.match])).toEqual([
      ['Medical and Surgical', undefined],
      ['Gastrointestinal System', undefined],
      ['Resection', 'exact'],
      ['Appendix', 'exact'],
      ['Percutaneous Endoscopic', 'exact'],
      ['No Device', undefined],
      ['No Qualifier', undefined],
    ]);
    expect(chars[2].defined?.term.definition).toBe('Cutting out or off, without replacement, all of a body part');
    expect(chars[3].defined?.term.includes).toEqual(['Appendiceal orifice', 'Vermiform appendix']);
    const bypass = definePcsCode('00160J0', tables, defs)!;
    expect(bypass.slice(3).map((c) => `${c.label}:${c.defined?.match}`)).toEqual([
      'Cerebral Ventricle:exact',
      'Open:exact',
      'Synthetic Substitute:exact',
      'Nasopharynx:otherAxis',
    ]);
    expect(definePcsCode('XNS0032', tables, defs)![5].defined?.title).toBe('Magnetically Controlled Growth Rod(s) in New Technology');
    expect(definePcsCode('0DTJ3ZZ', tables, defs)).toBeUndefined();
  });
});

describe('parsePcsDefinitions errors', () => {
  it('names file and line of truncated XML', async () => {
    const cut = slice.slice(0, slice.indexOf('<title>Appendix</title>'));
    const err = await expectParseError(collect(parsePcsDefinitions(cut, { file: 'defs.xml' })), /truncated/);
    expect(err.message).toContain(`defs.xml, line ${cut.split('\n').length}`);
  });

  it('refuses the Tables file, stating the expected root', async () => {
    const tables = readFileSync(TABLES_SLICE, 'utf8');
    await expectParseError(
      collect(parsePcsDefinitions(tables, { file: 'icd10pcs_tables_2026.xml' })),
      /icd10pcs_tables_2026\.xml, line 2: root element is <ICD10PCS\.tabular>, expected <ICD10PCS\.definitions>/,
    );
  });

  it('refuses an entry without a title and a bad section code', async () => {
    const noTitle = slice.replace('<title>Resection</title>', '');
    await expectParseError(
      collect(parsePcsDefinitions(noTitle, { file: 'd.xml' })),
      /d\.xml, line 19, section\[code=0\]\/axis\[pos=3\]\/terms: entry has no <title>/,
    );
    const badSection = slice.replace('<section code="3">', '<section code="33">');
    await expectParseError(collect(parsePcsDefinitions(badSection)), /line 124.*section code="33" is not one ICD-10-PCS character/);
  });

  it('refuses an aggregate whose parent value is not a PCS character', async () => {
    const bad = slice.replace('<parent value="J">', '<parent value="">');
    await expectParseError(
      collect(parsePcsDefinitions(bad)),
      /deviceAggregation\/aggregate: parent value="" is not one ICD-10-PCS character/,
    );
  });
});

describe.runIf(existsSync(FULL) && existsSync(FULL_TABLES))('full icd10pcs_definitions_2026.xml', () => {
  it('has 954 entries with 1,090 titles in 31 axes of 16 sections, 60 device aggregates, all reachable from the tables', async () => {
    const records: PcsDefinitionRecord[] = await collect(parsePcsDefinitions(createReadStream(FULL), { file: FULL }));
    const terms = records.filter((r): r is PcsDefinitionTerm => r.kind === 'term');
    expect(terms).toHaveLength(954);
    expect(records.length - terms.length).toBe(60);
    expect(terms.reduce((n, t) => n + t.titles.length, 0)).toBe(1090);
    expect(terms.filter((t) => t.definition).length).toBe(323);
    expect(terms.filter((t) => t.explanation).length).toBe(60);
    expect(terms.reduce((n, t) => n + t.includes.length, 0)).toBe(1966);
    expect(new Set(terms.map((t) => t.section)).size).toBe(16);
    expect(new Set(terms.map((t) => `${t.section}${t.axisPos}`)).size).toBe(31);
    expect(terms.some((t) => t.section === 'D')).toBe(false);

    const defs = new PcsDefinitions(records);
    expect(defs.get('0', 3, 'Resection')?.definition).toBe('Cutting out or off, without replacement, all of a body part');

    // Every title of the file is what some table value resolves to.
    const tables = await collect(parsePcsTables(createReadStream(FULL_TABLES)));
    const reached = new Set<string>();
    for (const t of tables) {
      const section = t.section.value.code;
      const q = { section, operation: t.operation.value.text, bodySystem: t.bodySystem.value.text };
      const values: [number, string][] = [[3, t.operation.value.text]];
      for (const row of t.rows) for (const a of row.axes) for (const v of a.values) values.push([a.pos, v.text]);
      for (const [pos, label] of values) {
        const hit = defs.resolve({ ...q, pos, label });
        if (hit) reached.add(`${hit.term.section}|${hit.term.axisPos}|${hit.title}`);
      }
    }
    const unreached = terms.flatMap((t) => t.titles.map((title) => `${t.section}|${t.axisPos}|${title}`)).filter((k) => !reached.has(k));
    expect(unreached).toEqual([]);

    const index = new PcsTableIndex(tables);
    const resection = definePcsCode('0DTJ4ZZ', index, defs)!;
    expect(resection[2].defined?.term.definition).toBe('Cutting out or off, without replacement, all of a body part');
    expect(resection[3].defined?.term.includes).toEqual(['Appendiceal orifice', 'Vermiform appendix']);
  });
});
