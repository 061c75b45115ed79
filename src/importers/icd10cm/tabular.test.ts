import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import {
  parseTabular,
  parseTabularString,
  sevenChrLookup,
  SevenChrLookup,
  type TabularChapter,
  type TabularDiag,
  type TabularRecord,
  type TabularSection,
} from './tabular.js';
import { expectParseError } from '../../../test/helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/icd10cm/${name}`, import.meta.url));
const ZIP = fileURLToPath(new URL('../../../data/icd10cm/xml-2017/ICD10CM_FY2017_Full_XML.zip', import.meta.url));
const MEMBER = 'icd10cm_tabular_2017.xml';

/** Slice of icd10cm_tabular_2017.xml (CRLF, exact bytes): chapters 1, 2, 4, 7, 9, 19 with A00, C00, E11, H21, H54, I21, S52 (S52.0 only). */
const SLICE = readFileSync(fixture('tabular-slice.xml'), 'utf8');

const diag = (recs: TabularRecord[], code: string) => recs.find((r): r is TabularDiag => r.type === 'diag' && r.code === code)!;
const section = (recs: TabularRecord[], id: string) => recs.find((r): r is TabularSection => r.type === 'section' && r.id === id)!;
const chapter = (recs: TabularRecord[], n: number) => recs.find((r): r is TabularChapter => r.type === 'chapter' && r.number === n)!;
const texts = (d: { notes: { kind: string; text: string }[] }, kind: string) => d.notes.filter((n) => n.kind === kind).map((n) => n.text);

/** Expect a MedCodesError with code parse_error whose message matches every pattern. */
describe('ICD-10-CM Tabular XML: slice of the FY2017 file', async () => {
  const recs = await parseTabularString(SLICE, { file: 'tabular-slice.xml' });

  it('emits version, chapters, sections and diags in document order, parents first', () => {
    expect(recs[0]).toEqual({ type: 'version', version: '2017' });
    const count = (t: string) => recs.filter((r) => r.type === t).length;
    expect([count('version'), count('chapter'), count('section'), count('diag')]).toEqual([1, 6, 9, 137]);
    expect(recs.filter((r) => r.type === 'chapter').map((r) => (r as TabularChapter).number)).toEqual([1, 2, 4, 7, 9, 19]);
    expect(recs.filter((r) => r.type === 'section').map((r) => (r as TabularSection).id)).toEqual([
      'A00-A09',
      'C00-C96',
      'C00-C75',
      'C00-C14',
      'E08-E13',
      'H15-H22',
      'H53-H54',
      'I20-I25',
      'S50-S59',
    ]);
    // Every record's parent was emitted before it.
    const seen = new Set<string>();
    for (const r of recs) {
      if (r.type === 'chapter') seen.add(`chapter:${r.number}`);
      if (r.type === 'section') {
        expect(seen.has(`chapter:${r.chapter}`)).toBe(true);
        seen.add(`section:${r.id}`);
      }
      if (r.type === 'diag') {
        expect(seen.has(`${r.parentKind}:${r.parent}`)).toBe(true);
        seen.add(`diag:${r.code}`);
      }
    }
  });

  it('reads a chapter: number, title and range from <desc>, its notes in file order', () => {
    expect(chapter(recs, 1)).toEqual({
      type: 'chapter',
      number: 1,
      desc: 'Certain infectious and parasitic diseases (A00-B99)',
      title: 'Certain infectious and parasitic diseases',
      first: 'A00',
      last: 'B99',
      notes: [
        { kind: 'includes', text: 'diseases generally recognized as communicable or transmissible', seq: 0 },
        { kind: 'useAdditionalCode', text: 'code to identify resistance to antimicrobial drugs (Z16.-)', seq: 0 },
        { kind: 'excludes1', text: 'certain localized infections - see body system-related chapters', seq: 0 },
        { kind: 'excludes2', text: 'carrier or suspected carrier of infectious disease (Z22.-)', seq: 0 },
        {
          kind: 'excludes2',
          text: 'infectious and parasitic diseases complicating pregnancy, childbirth and the puerperium (O98.-)',
          seq: 1,
        },
        { kind: 'excludes2', text: 'infectious and parasitic diseases specific to the perinatal period (P35-P39)', seq: 2 },
        { kind: 'excludes2', text: 'influenza and other acute respiratory infections (J00-J22)', seq: 3 },
      ],
      line: 55,
    });
    // Chapter 19 has a <notes> before and another after its <sectionIndex>: one sequence, file order.
    const ch19 = chapter(recs, 19);
    expect(ch19.notes.map((n) => `${n.kind}#${n.seq}`)).toEqual([
      'notes#0',
      'useAdditionalCode#0',
      'excludes1#0',
      'excludes1#1',
      'notes#1',
    ]);
    expect(ch19.notes[4].text).toMatch(/^The chapter uses the S-section for coding different types of injuries/);
    // Chapter 2's notes all come after its sectionIndex; internal double spaces are kept.
    expect(texts(chapter(recs, 2), 'notes')).toHaveLength(8);
    expect(texts(chapter(recs, 2), 'notes')[1]).toBe(
      'All neoplasms are classified in this chapter, whether they are functionally active or not.  An additional code from Chapter 4 may be used, to identify functional activity associated with any neoplasm.',
    );
  });

  it('reads sections: range from the sectionIndex, grouping headings as parentSection', () => {
    expect(section(recs, 'A00-A09')).toEqual({
      type: 'section',
      id: 'A00-A09',
      desc: 'Intestinal infectious diseases (A00-A09)',
      title: 'Intestinal infectious diseases',
      first: 'A00',
      last: 'A09',
      chapter: 1,
      indexed: true,
      indexTitle: 'Intestinal infectious diseases',
      hasDiags: true,
      notes: [],
      line: 78,
    });
    expect(section(recs, 'C00-C96')).toMatchObject({
      first: 'C00',
      last: 'C96',
      indexed: false,
      hasDiags: false,
      title: 'Malignant neoplasms',
    });
    expect(section(recs, 'C00-C96').parentSection).toBeUndefined();
    expect(section(recs, 'C00-C75')).toMatchObject({ indexed: false, hasDiags: false, parentSection: 'C00-C96' });
    expect(section(recs, 'C00-C14')).toMatchObject({ indexed: true, hasDiags: true, parentSection: 'C00-C75', chapter: 2 });
    expect(section(recs, 'I20-I25').notes).toEqual([
      { kind: 'useAdditionalCode', text: 'code to identify presence of hypertension (I10-I16)', seq: 0 },
    ]);
    expect(texts(section(recs, 'S50-S59'), 'excludes2')).toEqual([
      'burns and corrosions (T20-T32)',
      'frostbite (T33-T34)',
      'injuries of wrist and hand (S60-S69)',
      'insect bite or sting, venomous (T63.4)',
    ]);
  });

  it('reads diags with parent, depth and all notes by kind', () => {
    expect(diag(recs, 'A00')).toEqual({
      type: 'diag',
      code: 'A00',
      desc: 'Cholera',
      parent: 'A00-A09',
      parentKind: 'section',
      section: 'A00-A09',
      chapter: 1,
      depth: 1,
      placeholder: false,
      hasChildren: true,
      notes: [],
      line: 80,
    });
    expect(diag(recs, 'I21.4')).toEqual({
      type: 'diag',
      code: 'I21.4',
      desc: 'Non-ST elevation (NSTEMI) myocardial infarction',
      parent: 'I21',
      parentKind: 'diag',
      section: 'I20-I25',
      chapter: 9,
      depth: 2,
      placeholder: false,
      hasChildren: false,
      notes: [
        { kind: 'inclusionTerm', text: 'Acute subendocardial myocardial infarction', seq: 0 },
        { kind: 'inclusionTerm', text: 'Non-Q wave myocardial infarction NOS', seq: 1 },
        { kind: 'inclusionTerm', text: 'Nontransmural myocardial infarction NOS', seq: 2 },
      ],
      line: 923,
    });
    const i21 = diag(recs, 'I21');
    expect(i21.notes.map((n) => n.kind)).toEqual([
      ...Array(7).fill('includes'),
      ...Array(7).fill('useAdditionalCode'),
      ...Array(3).fill('excludes2'),
    ]);
    expect(texts(i21, 'excludes2')).toEqual([
      'old myocardial infarction (I25.2)',
      'postmyocardial infarction syndrome (I24.1)',
      'subsequent myocardial infarction (I22.-)',
    ]);
    expect(texts(diag(recs, 'E11'), 'useAdditionalCode')).toEqual([
      'code to identify control using:',
      'insulin (Z79.4)',
      'oral antidiabetic drugs (Z79.84)',
      'oral hypoglycemic drugs (Z79.84)',
    ]);
    expect(diag(recs, 'E11.610').desc).toBe('Type 2 diabetes mellitus with diabetic neuropathic arthropathy');
    expect(texts(diag(recs, 'E11.610'), 'inclusionTerm')).toEqual(["Type 2 diabetes mellitus with Charcôt's joints"]);
    expect(diag(recs, 'H21.1X')).toMatchObject({ placeholder: true, depth: 3, parent: 'H21.1', hasChildren: true });
    expect(diag(recs, 'H21.1X1')).toMatchObject({
      depth: 4,
      parent: 'H21.1X',
      hasChildren: false,
      desc: 'Other vascular disorders of iris and ciliary body, right eye',
    });
  });

  it('reads sevenChrNote and sevenChrDef where written, with notes inside sevenChrDef as terms', () => {
    const s52 = diag(recs, 'S52');
    expect(s52.notes.map((n) => n.kind).slice(0, 6)).toEqual(['notes', 'notes', 'notes', 'excludes1', 'excludes2', 'sevenChrNote']);
    expect(texts(s52, 'sevenChrNote')).toEqual(['The appropriate 7th character is to be added to all codes from category S52']);
    const def = s52.notes.filter((n) => n.kind === 'sevenChrDef');
    expect(def.map((n) => n.char).join('')).toBe('ABCDEFGHJKMNPQRS');
    expect(def[0]).toEqual({ kind: 'sevenChrDef', char: 'A', text: 'initial encounter for closed fracture', seq: 0 });
    // The file has "<note>\tinitial encounter for open fracture NOS</note>" after extension B: trimmed, attached to B.
    expect(def[1]).toEqual({
      kind: 'sevenChrDef',
      char: 'B',
      text: 'initial encounter for open fracture type I or II',
      seq: 1,
      terms: ['initial encounter for open fracture NOS'],
    });
    expect(def[15]).toEqual({ kind: 'sevenChrDef', char: 'S', text: 'sequela', seq: 15 });
    // Not propagated: S52.0 has none of its own; S52.01 has its own (different) set.
    expect(diag(recs, 'S52.0').notes.some((n) => n.kind === 'sevenChrDef')).toBe(false);
    expect(
      diag(recs, 'S52.01')
        .notes.filter((n) => n.kind === 'sevenChrDef')
        .map((n) => n.char),
    ).toEqual(['A', 'D', 'G', 'K', 'P', 'S']);
  });

  it('answers which sevenChrDef applies by nearest ancestor', () => {
    const lookup = sevenChrLookup(recs);
    expect(lookup.get('S52.011')?.definedOn).toBe('S52.01');
    expect(lookup.get('S52.011A')?.values.map((v) => v.char)).toEqual(['A', 'D', 'G', 'K', 'P', 'S']);
    expect(lookup.get('S52.001A')?.definedOn).toBe('S52');
    expect(lookup.get('S52001B')).toEqual({ definedOn: 'S52', values: expect.any(Array) });
    expect(lookup.get('S52001B')!.values[1]).toEqual({
      char: 'B',
      text: 'initial encounter for open fracture type I or II',
      terms: ['initial encounter for open fracture NOS'],
    });
    expect(lookup.get('S52')?.definedOn).toBe('S52');
    expect(lookup.get('I21.4')).toBeUndefined();
    expect(lookup.get('Z99.9')).toBeUndefined();
    // Streaming use: add() record by record gives the same answers.
    const streamed = new SevenChrLookup();
    for (const r of recs) streamed.add(r);
    expect(streamed.get('S52.019D')).toEqual(lookup.get('S52.019D'));
  });

  it('keeps the visual impairment table of H54.8', () => {
    const vi = diag(recs, 'H54.8').visualImpairment!;
    expect(vi.categories.map((c) => c.value ?? c.heading)).toEqual(['Category of visual impairment', '1', '2', '3', '4', '5', '9']);
    expect(vi.categories[0].ranges[0]).toEqual({
      heading: 'Visual acuity with best possible correction',
      max: { heading: 'Maximum less than:' },
      min: { heading: 'Minimum equal to or better than:' },
    });
    expect(vi.categories[1].ranges[2]).toEqual({ max: { value: '20/70' }, min: { value: '20/200' } });
    expect(vi.categories[6].ranges).toEqual([{ max: { value: 'Undetermined or unspecified' } }]);
  });

  it('gives the same records when the bytes arrive in tiny chunks (UTF-8 split across chunks)', async () => {
    const bytes = readFileSync(fixture('tabular-slice.xml'));
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const streamed: TabularRecord[] = [];
    for await (const r of parseTabular(chunks(), { file: 'tabular-slice.xml' })) streamed.push(r);
    expect(streamed).toEqual(recs);
  });
});

describe('ICD-10-CM Tabular XML: broken input', () => {
  it('refuses truncated XML, naming the file and line', async () => {
    const cut = SLICE.slice(0, SLICE.indexOf('<name>I21.4</name>'));
    const e = await expectParseError(parseTabularString(cut, { file: 'cut.xml' }), /^cut\.xml, line \d+/, /truncated/, /unclosed tag/);
    expect(e.details?.line).toBe(cut.split('\n').length);
    // Cut inside a tag.
    await expectParseError(
      parseTabularString(SLICE.slice(0, SLICE.indexOf('<name>I21.4</name>') + 3), { file: 'cut.xml' }),
      /cut\.xml, line \d+/,
      /malformed or truncated XML/,
    );
  });

  it('refuses malformed XML with the line of the fault', async () => {
    const bad = SLICE.replace('<desc>Cholera</desc>', '<desc>Cholera</dsc>');
    const e = await expectParseError(parseTabularString(bad, { file: 'bad.xml' }), /bad\.xml, line 82/, /malformed or truncated XML/);
    expect(e.details).toMatchObject({ file: 'bad.xml', line: 82 });
  });

  it('refuses a file that is not an ICD-10-CM Tabular', async () => {
    const index = readFileSync(fixture('tabular-wrong-root.xml'), 'utf8');
    await expectParseError(
      parseTabularString(index, { file: 'icd10cm_index_2017.xml' }),
      /icd10cm_index_2017\.xml, line 2/,
      /not an ICD-10-CM Tabular XML file/,
      /<ICD10CM\.index>/,
    );
    await expectParseError(
      parseTabularString('A00     0 Cholera\n', { file: 'order.txt' }),
      /order\.txt/,
      /not an ICD-10-CM Tabular XML file/,
    );
    await expectParseError(parseTabularString('', { file: 'empty.xml' }), /not an ICD-10-CM Tabular XML file/);
    await expectParseError(
      parseTabularString(SLICE.replace('<ICD10CM.tabular>', '<ICD10CM.tabular isAddenda="true">'), { file: 'add.xml' }),
      /addenda/,
    );
    await expectParseError(
      parseTabular([Buffer.from([0x3c, 0x61, 0xff, 0xfe])], { file: 'bin.xml' }).next(),
      /bin\.xml/,
      /not valid UTF-8/,
    );
  });

  it('refuses a diag without <name>, naming the element', async () => {
    const xml = readFileSync(fixture('tabular-diag-without-name.xml'), 'utf8');
    const e = await expectParseError(
      parseTabularString(xml, { file: 'noname.xml' }),
      /noname\.xml, line 39, chapter\[name=1\]\/section\[id=A00-A09\]\/diag\[name=A00\]\/diag: diag without <name>/,
    );
    expect(e.details?.element).toBe('chapter[name=1]/section[id=A00-A09]/diag[name=A00]/diag');
  });

  it('refuses broken codes and structure', async () => {
    await expectParseError(
      parseTabularString(SLICE.replace('<name>A00.1</name>', '<name>A00-1</name>'), { file: 's.xml' }),
      /s\.xml, line 90, /,
      /diag\[name=A00-1\]/,
      /"A00-1" is not an ICD-10-CM code/,
    );
    await expectParseError(
      parseTabularString(SLICE.replace('<name>A00.9</name>', '<name>A01.9</name>'), { file: 's.xml' }),
      /diag A01\.9 is nested in diag A00 but does not extend its code/,
    );
    await expectParseError(
      parseTabularString(SLICE.replace('<name>A00.9</name>', '<name>A00.1</name>'), { file: 's.xml' }),
      /duplicate diag A00\.1/,
    );
    await expectParseError(
      parseTabularString(SLICE.replace('<extension char="C">', '<extension>'), { file: 's.xml' }),
      /diag\[name=S52\]\/sevenChrDef\/extension/,
      /char="" is not 1-2 letters or digits/,
    );
    await expectParseError(
      parseTabularString(SLICE.replace('<section id="A00-A09">', '<section>'), { file: 's.xml' }),
      /section without an id/,
    );
    await expectParseError(
      parseTabularString(
        SLICE.replace(
          '<desc>Certain infectious and parasitic diseases (A00-B99)</desc>',
          '<desc>Certain infectious and parasitic diseases</desc>',
        ),
        { file: 's.xml' },
      ),
      /chapter\[name=1\]/,
      /does not end with a code range/,
    );
    await expectParseError(
      parseTabularString(
        SLICE.replace(
          '<inclusionTerm>\r\n            <note>Classical cholera</note>',
          '<inclusionTerm>\r\n            <term>Classical cholera</term>',
        ),
        { file: 's.xml' },
      ),
      /unexpected element <term> in <inclusionTerm>/,
    );
  });
});

/** Stream one member of a zip (yauzl), so the full-file test reads it the way an import does. */
function zipMember(file: string, member: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== member) return zip.readEntry();
        zip.openReadStream(e, (err2, s) => (err2 || !s ? reject(err2) : resolve(s)));
      });
      zip.on('end', () => reject(new Error(`${member} not in ${file}`)));
      zip.readEntry();
    });
  });
}

describe.runIf(existsSync(ZIP))('ICD-10-CM Tabular XML: the full FY2017 file', () => {
  it('streams all of icd10cm_tabular_2017.xml with the official counts', async () => {
    const counts = { version: 0, chapter: 0, section: 0, diag: 0 };
    const noteKinds: Record<string, number> = {};
    const keep = new Map<string, TabularRecord>();
    const lookup = new SevenChrLookup();
    const sections: TabularSection[] = [];
    let withDef = 0;
    let terms = 0;
    let categories = 0;
    let placeholders = 0;
    let maxDepth = 0;
    let version = '';
    const codes = new Set<string>();
    for await (const r of parseTabular(await zipMember(ZIP, MEMBER), { file: MEMBER })) {
      counts[r.type]++;
      if (r.type === 'version') version = r.version;
      else
        for (const n of r.notes) {
          noteKinds[n.kind] = (noteKinds[n.kind] ?? 0) + 1;
          terms += n.terms?.length ?? 0;
        }
      if (r.type === 'section') sections.push(r);
      if (r.type === 'diag') {
        lookup.add(r);
        codes.add(r.code);
        if (r.notes.some((n) => n.kind === 'sevenChrDef')) withDef++;
        if (r.depth === 1) categories++;
        if (r.placeholder) placeholders++;
        maxDepth = Math.max(maxDepth, r.depth);
        if (['I21.4', 'S52', 'E11', 'M35.0', 'Z99.89'].includes(r.code)) keep.set(r.code, r);
      }
      if (r.type === 'chapter' && (r.number === 1 || r.number === 21)) keep.set(`ch${r.number}`, r);
    }
    expect(version).toBe('2017');
    // `grep -c` on the file: 21 <chapter>, 295 <section, 43,910 <diag, 505 <sevenChrDef>, 1,781 <extension.
    expect(counts).toEqual({ version: 1, chapter: 21, section: 295, diag: 43910 });
    expect(codes.size).toBe(43910);
    expect(withDef).toBe(505);
    expect(noteKinds).toEqual({
      inclusionTerm: 11001,
      includes: 948,
      excludes1: 5426,
      excludes2: 2138,
      codeFirst: 628,
      useAdditionalCode: 1279,
      codeAlso: 213,
      notes: 174,
      sevenChrNote: 505,
      sevenChrDef: 1781,
    });
    // 22,327 <note> tags = 24,093 - 1,781 extensions above + 7 inside sevenChrDef + 8 in the introduction.
    expect(terms).toBe(7);
    // The 295 <section>s: 288 are listed in the chapters' sectionIndex (288 <sectionRef>); 7 are
    // grouping headings not listed; 12 hold no diag (the 7 plus T20-T32, V00-X58, V00-V99, W00-X58, Y62-Y84).
    expect(sections.filter((s) => s.indexed)).toHaveLength(288);
    expect(sections.filter((s) => !s.indexed).map((s) => s.id)).toEqual([
      'C00-C96',
      'C00-C75',
      'M00-M25',
      'M40-M54',
      'M60-M79',
      'M80-M94',
      'T07-T88',
    ]);
    expect(sections.filter((s) => !s.hasDiags)).toHaveLength(12);
    expect(sections.filter((s) => s.parentSection)).toHaveLength(71);
    expect(sections.find((s) => s.id === 'W00-W19')?.parentSection).toBe('W00-X58');
    expect(sections.find((s) => s.id === 'C7A')?.parentSection).toBe('C00-C96');
    expect(categories).toBe(1910);
    expect(placeholders).toBe(244);
    expect(maxDepth).toBe(4);

    expect(keep.get('ch1')).toMatchObject({ title: 'Certain infectious and parasitic diseases', first: 'A00', last: 'B99' });
    expect(keep.get('ch21')).toMatchObject({
      title: 'Factors influencing health status and contact with health services',
      first: 'Z00',
      last: 'Z99',
    });
    expect(keep.get('I21.4')).toMatchObject({
      desc: 'Non-ST elevation (NSTEMI) myocardial infarction',
      parent: 'I21',
      section: 'I20-I25',
      chapter: 9,
    });
    expect(texts(keep.get('I21.4') as TabularDiag, 'inclusionTerm')).toEqual([
      'Acute subendocardial myocardial infarction',
      'Non-Q wave myocardial infarction NOS',
      'Nontransmural myocardial infarction NOS',
    ]);
    const s52 = keep.get('S52') as TabularDiag;
    expect(s52.notes.find((n) => n.kind === 'sevenChrDef')).toEqual({
      kind: 'sevenChrDef',
      char: 'A',
      text: 'initial encounter for closed fracture',
      seq: 0,
    });
    expect(texts(keep.get('E11') as TabularDiag, 'useAdditionalCode')).toEqual([
      'code to identify control using:',
      'insulin (Z79.4)',
      'oral antidiabetic drugs (Z79.84)',
      'oral hypoglycemic drugs (Z79.84)',
    ]);
    expect((keep.get('M35.0') as TabularDiag).desc).toBe('Sicca syndrome [Sjögren]');
    expect(lookup.get('S52.521A')?.definedOn).toBe('S52.52');
    expect(lookup.get('S72.001A')?.definedOn).toBe('S72');
    expect(lookup.get('T07')).toBeUndefined();
  }, 60_000);
});
