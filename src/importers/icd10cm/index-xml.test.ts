import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MedCodesError } from '../../errors.js';
import { zipMemberChunks } from '../zip.js';
import { parseIndexXml, readIndexXml, renderTitle, isCodeRef, type IndexEntry } from './index-xml.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => `${root}test/fixtures/icd10cm/${name}`;
const INDEX_SLICE = fixture('index-2017-slice.xml');
const EINDEX_SLICE = fixture('index-eindex-2022-slice.xml');
const ZIP_2017 = `${root}data/icd10cm/xml-2017/ICD10CM_FY2017_Full_XML.zip`;
const EINDEX_2022 = `${root}data/icd10cm/tables-2022/icd10cm_eindex_2022.xml`;

const read = (file: string) => readFileSync(file, 'utf8');

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

/** Run `fn` and return the MedCodesError it throws (failing the test if it throws nothing else). */
function errorOf(fn: () => unknown): MedCodesError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as MedCodesError).code).toBe('parse_error');
    return err as MedCodesError;
  }
  throw new Error('expected a parse error');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<MedCodesError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as MedCodesError).code).toBe('parse_error');
    return err as MedCodesError;
  }
  throw new Error('expected a parse error');
}

const find = (entries: IndexEntry[], ...path: string[]) => {
  const e = entries.find((x) => x.path.join(' > ') === path.join(' > '));
  if (!e) throw new Error(`no entry ${path.join(' > ')}`);
  return e;
};

describe('Alphabetic Index XML (icd10cm_index.xsd), slice of icd10cm_index_2017.xml', () => {
  const entries = parseIndexXml(read(INDEX_SLICE), { file: 'index-2017-slice.xml' });

  it('emits one entry per mainTerm and term element, main term first', () => {
    // grep -c: 11 <mainTerm>, 100 <term ... in the slice.
    expect(entries).toHaveLength(111);
    expect(entries.filter((e) => e.level === 0)).toHaveLength(11);
    expect(entries.filter((e) => e.code !== undefined)).toHaveLength(98);
    expect(entries[0]).toEqual({
      source: 'index',
      version: '2017',
      letter: 'A',
      level: 0,
      path: ["Aarskog's syndrome"],
      barePath: ["Aarskog's syndrome"],
      title: "Aarskog's syndrome",
      bareTitle: "Aarskog's syndrome",
      code: 'Q87.1',
      codePartial: false,
      manifPartial: false,
      line: 7,
    });
  });

  it('reads the NSTEMI path exactly as the file nests it', () => {
    const e = find(
      entries,
      'Infarct, infarction',
      'myocardium, myocardial (acute) (with stated duration of 4 weeks or less)',
      'non-ST elevation (NSTEMI)',
    );
    expect(e).toEqual({
      source: 'index',
      version: '2017',
      letter: 'I',
      level: 2,
      path: [
        'Infarct, infarction',
        'myocardium, myocardial (acute) (with stated duration of 4 weeks or less)',
        'non-ST elevation (NSTEMI)',
      ],
      barePath: ['Infarct, infarction', 'myocardium, myocardial', 'non-ST elevation'],
      title: 'non-ST elevation (NSTEMI)',
      bareTitle: 'non-ST elevation',
      nemod: '(NSTEMI)',
      code: 'I21.4',
      codePartial: false,
      manifPartial: false,
      line: 160,
    });
    // Its sub-term comes after it, with the path extended.
    const sub = entries[entries.indexOf(e) + 1];
    expect(sub.path.slice(-2)).toEqual(['non-ST elevation (NSTEMI)', 'subsequent']);
    expect(sub.code).toBe('I22.2');
    expect(sub.level).toBe(3);
  });

  it('keeps nonessential modifiers as printed and the bare title for search', () => {
    const abasia = find(entries, 'Abasia (-astasia) (hysterical)');
    expect([abasia.bareTitle, abasia.nemod, abasia.code]).toEqual(['Abasia', '(-astasia) (hysterical)', 'F44.4']);
    expect(find(entries, 'Cancer(o)phobia').bareTitle).toBe('Cancerphobia');
    expect(find(entries, 'Klein(e)-Levin syndrome').bareTitle).toBe('Klein-Levin syndrome');
  });

  it('reads see, seeAlso, manif, seecat, subcat and partial codes', () => {
    expect(find(entries, 'Abandonment')).toMatchObject({ see: 'Maltreatment' });
    expect(find(entries, 'Abandonment')).not.toHaveProperty('code');
    expect(find(entries, 'Abdomen, abdominal')).toMatchObject({ seeAlso: 'condition' });
    expect(find(entries, 'Abdomen, abdominal')).not.toHaveProperty('code');
    expect(find(entries, 'Abdomen, abdominal', 'acute')).toMatchObject({ level: 1, code: 'R10.0' });
    expect(find(entries, 'Amyloid heart (disease)')).toMatchObject({ code: 'E85.4', manif: 'I43', manifPartial: false });
    expect(find(entries, "Bonnier's syndrome")).toMatchObject({ subcat: 'H81.8' });
    expect(find(entries, "Bonnier's syndrome")).not.toHaveProperty('code');
    expect(find(entries, 'Hyperinsulinism (functional)', 'with', 'encephalopathy')).toMatchObject({ code: 'E16.1', manif: 'G94' });
    expect(find(entries, 'Hyperinsulinism (functional)', 'therapeutic misadventure (from administration of insulin)').subcat).toBe('T38.3');
    expect(find(entries, 'Pyelitis (congenital) (uremic)', 'with', 'calculus').seecat).toBe('N20');
    expect(find(entries, 'Infarct, infarction', 'muscle (ischemic)', 'ankle')).toMatchObject({ code: 'M62.27-', codePartial: true });
    expect(entries.filter((e) => e.codePartial).length).toBe(9); // grep -c -- '-</code>'
  });

  it('streams the same entries from a file read in small chunks', async () => {
    const streamed = await collect(readIndexXml(createReadStream(INDEX_SLICE, { highWaterMark: 97 }), { file: 'index-2017-slice.xml' }));
    expect(streamed).toEqual(entries);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const xml = Buffer.from(
      '<ICD10CM.index><title>ICD-10-CM INDEX TO DISEASES and INJURIES</title><letter><title>C</title>' +
        "<mainTerm><title>Calvé's disease</title><code>M91.1</code></mainTerm></letter></ICD10CM.index>",
    );
    const at = xml.indexOf(0xc3) + 1; // inside the two bytes of "é"
    const out = await collect(readIndexXml([xml.subarray(0, at), xml.subarray(at)]));
    expect(out.map((e) => e.title)).toEqual(["Calvé's disease"]);
  });
});

describe('External Cause Index XML, slice of icd10cm_eindex_2022.xml', () => {
  const entries = parseIndexXml(read(EINDEX_SLICE), { file: 'index-eindex-2022-slice.xml' });

  it('tells the external cause index from its title', () => {
    expect(entries).toHaveLength(10);
    expect(new Set(entries.map((e) => e.source))).toEqual(new Set(['eindex']));
    expect(entries[0]).toMatchObject({
      version: '2022',
      title: 'Abandonment (causing exposure to weather conditions) (with intent to injure or kill) NEC',
      bareTitle: 'Abandonment NEC',
      code: 'X58',
    });
  });

  it('flags partial codes', () => {
    const partial = entries.filter((e) => e.codePartial).map((e) => `${e.path.join(', ')}: ${e.code}`);
    expect(partial).toEqual(['Choked, choking (on) (any object except food or vomitus), vomitus: T17.81-']);
  });

  it('puts a code that ends a "see categories ... and" reference back into the reference', () => {
    // <see>categories T17 and</see><code>T18</code>: printed "see categories T17 and T18".
    const food = find(entries, 'Choked, choking (on) (any object except food or vomitus)', 'food (bone) (seed)');
    expect(food.see).toBe('categories T17 and T18');
    expect(food).not.toHaveProperty('code');
  });

  it('refuses the external cause index when the Index to Diseases is expected', () => {
    const err = errorOf(() => parseIndexXml(read(EINDEX_SLICE), { file: 'e.xml', source: 'index' }));
    expect(err.message).toMatch(
      /^e\.xml, line 4, .*expected the Index to Diseases and Injuries but the file's title is "ICD-10-CM External Cause of Injuries Index"/,
    );
  });
});

describe('title rendering (nemod spacing as printed)', () => {
  const render = (...parts: Array<string | [string]>) =>
    renderTitle(parts.map((p) => (typeof p === 'string' ? { text: p } : { nemod: p[0] }))).title;

  it('separates a modifier from the word before it, as CDC prints it', () => {
    expect(render('Abasia', ['(-astasia) (hysterical)'])).toBe('Abasia (-astasia) (hysterical)');
    expect(render('Amphetamine', ['(or other stimulant)'], '-induced')).toBe('Amphetamine (or other stimulant)-induced');
    expect(render('autonomic', ['(poly)'], 'neuropathy')).toBe('autonomic (poly)neuropathy');
    expect(render('Chlordan', ['(e) (dust)'])).toBe('Chlordan (e) (dust)');
    expect(render('auricle', ['(ear)'], ', congenital')).toBe('auricle (ear), congenital');
  });

  it('glues plurals, word infixes and leading modifiers', () => {
    expect(render('Cyanide', ['(s) (compounds) (potassium) (sodium)'], ' NEC')).toBe('Cyanide(s) (compounds) (potassium) (sodium) NEC');
    expect(render('Osler', ['(-Weber)'], '-Rendu disease')).toBe('Osler(-Weber)-Rendu disease');
    expect(render('HB', ['(c)(s)'], '-AG')).toBe('HB(c)(s)-AG');
    expect(render('with acute delta-', ['(super)'], 'infection')).toBe('with acute delta-(super)infection');
    expect(render(['(L)'], '-triiodothyronine')).toBe('(L)-triiodothyronine');
  });

  it('collapses whitespace runs', () => {
    expect(render('homologues', ['(acetyl)  (dimethyl)(methyl) (solvent)'])).toBe('homologues (acetyl) (dimethyl)(methyl) (solvent)');
  });

  it('knows the printed code syntax', () => {
    for (const ok of ['Q87.1', 'K55.06-', 'S72.-', 'W79-', 'C4A.9', 'C96.Z', 'T40.4X1', 'M62.27-']) expect(isCodeRef(ok), ok).toBe(true);
    for (const bad of ['Q87,1', 'q87.1', 'Q8', 'Q87.', 'Q87.12345', '--', 'ventral surface']) expect(isCodeRef(bad), bad).toBe(false);
  });
});

describe('Alphabetic Index XML: broken input', () => {
  const text = read(INDEX_SLICE);
  const file = 'index-2017-slice.xml';

  it('names file and line of a truncated file', () => {
    const cut = text.slice(0, text.indexOf('<title>Infarct, infarction</title>'));
    const err = errorOf(() => parseIndexXml(cut, { file }));
    // The text stops on line 85 (before "Infarct, infarction"), inside an open <mainTerm>.
    expect(err.message).toBe('index-2017-slice.xml, line 85: XML ends early (truncated file?): unclosed tag: mainTerm');
    expect(err.details).toMatchObject({ file, line: 85 });
  });

  it('names file and line of malformed XML', () => {
    const broken = text.replace('<code>R10.0</code>', '<code>R10.0</cod>');
    const err = errorOf(() => parseIndexXml(broken, { file }));
    expect(err.message).toMatch(/^index-2017-slice\.xml, line 24: malformed XML: /);
  });

  it('refuses a Tabular List (wrong root), naming what it expected', () => {
    const tabular = '<?xml version="1.0" encoding="utf-8"?>\r\n<ICD10CM.tabular>\r\n  <version>2017</version>\r\n</ICD10CM.tabular>\r\n';
    const err = errorOf(() => parseIndexXml(tabular, { file: 'icd10cm_tabular_2017.xml' }));
    expect(err.message).toBe(
      'icd10cm_tabular_2017.xml, line 2, <ICD10CM.tabular>: expected the ICD-10-CM Alphabetic Index ' +
        '(root <ICD10CM.index>, icd10cm_index.xsd), found root <ICD10CM.tabular>',
    );
  });

  it('refuses a Drug table given to the index parser', () => {
    const err = errorOf(() => parseIndexXml(read(fixture('drug-2022-slice.xml')), { file: 'drug.xml', source: 'index' }));
    expect(err.message).toMatch(/^drug\.xml, line 4, .*it is a Table of Drugs or Neoplasms, not the Alphabetic Index/);
  });

  it('refuses a code that is not an ICD-10-CM code, naming the term', () => {
    const err = errorOf(() => parseIndexXml(text.replace('<code>Q87.1</code>', '<code>Q87,1</code>'), { file }));
    expect(err.message).toBe(`index-2017-slice.xml, line 9, Aarskog's syndrome > <code>: <code> "Q87,1" is not an ICD-10-CM code`);
  });

  it('refuses a term whose level does not match its nesting', () => {
    const err = errorOf(() => parseIndexXml(text.replace('<term level="1">', '<term level="2">'), { file }));
    expect(err.message).toMatch(/line 22, .*<term level="2"> nested at depth 1/);
  });

  it('refuses an empty document and bytes that are not UTF-8', async () => {
    expect(errorOf(() => parseIndexXml('', { file })).message).toMatch(/root element/);
    const bytes = Buffer.from(text.replace("Aarskog's", 'Aarskog\u00e9s'), 'latin1');
    const err = await asyncErrorOf(collect(readIndexXml([bytes], { file })));
    expect(err.message).toBe('index-2017-slice.xml: the file is not valid utf-8 text');
  });
});

describe('full official files', () => {
  it.runIf(existsSync(ZIP_2017))('icd10cm_index_2017.xml: 7,973 main terms, 69,226 terms, 59,412 codes', async () => {
    const counts = await tally(readIndexXml(zipMemberChunks(ZIP_2017, 'icd10cm_index_2017.xml'), { file: 'icd10cm_index_2017.xml' }));
    // Each figure equals `grep -o '<element' icd10cm_index_2017.xml | wc -l`; the 59,412 <code>
    // elements are 59,402 term codes + 10 that end a "see (also) subcategory/category" reference;
    // of the 6,557 codes ending in "-", one (M86.8X-) is such a reference.
    expect(counts).toEqual({
      source: 'index',
      entries: 77199,
      mainTerms: 7973,
      terms: 69226,
      code: 59402,
      codeInRef: 10,
      manif: 746,
      see: 11979,
      seeAlso: 1704,
      seecat: 15,
      subcat: 130,
      nemod: 11968,
      letters: 26,
      partial: 6556,
    });
    expect(counts.code + counts.codeInRef).toBe(59412);
  });

  it.runIf(existsSync(ZIP_2017))(
    'icd10cm_eindex_2017.xml: 314 main terms, 7,258 terms, 6,208 codes (6,195 + 13 in references)',
    async () => {
      const counts = await tally(readIndexXml(zipMemberChunks(ZIP_2017, 'icd10cm_eindex_2017.xml'), { file: 'icd10cm_eindex_2017.xml' }));
      expect(counts).toEqual({
        source: 'eindex',
        entries: 7572,
        mainTerms: 314,
        terms: 7258,
        code: 6195,
        codeInRef: 13,
        manif: 0,
        see: 790,
        seeAlso: 94,
        seecat: 4,
        subcat: 11,
        nemod: 1492,
        letters: 22,
        partial: 233,
      });
    },
  );

  it.runIf(existsSync(EINDEX_2022))(
    'icd10cm_eindex_2022.xml: 314 main terms, 7,486 terms, 6,416 codes (6,403 + 13 in references)',
    async () => {
      const counts = await tally(readIndexXml(createReadStream(EINDEX_2022), { file: 'icd10cm_eindex_2022.xml' }));
      expect(counts).toEqual({
        source: 'eindex',
        entries: 7800,
        mainTerms: 314,
        terms: 7486,
        code: 6403,
        codeInRef: 13,
        manif: 0,
        see: 788,
        seeAlso: 98,
        seecat: 4,
        subcat: 11,
        nemod: 1499,
        letters: 22,
        partial: 233,
      });
    },
  );
});

const CODE_IN_REF = /(?:categor(?:y|ies)|and|,) [A-Z]\d[0-9A-Z](?:\.[0-9A-Z-]*)?$/;

async function tally(gen: AsyncIterable<IndexEntry>) {
  const c = {
    source: '',
    entries: 0,
    mainTerms: 0,
    terms: 0,
    code: 0,
    codeInRef: 0,
    manif: 0,
    see: 0,
    seeAlso: 0,
    seecat: 0,
    subcat: 0,
    nemod: 0,
    letters: 0,
    partial: 0,
  };
  const letters = new Set<string>();
  for await (const e of gen) {
    c.source = e.source;
    c.entries++;
    if (e.level === 0) c.mainTerms++;
    else c.terms++;
    for (const k of ['code', 'manif', 'see', 'seeAlso', 'seecat', 'subcat', 'nemod'] as const) if (e[k] !== undefined) c[k]++;
    if (e.codePartial) c.partial++;
    // A reference completed by a <code> element: "subcategory H83.3", "categories T17 and T18".
    if (e.code === undefined && [e.see, e.seeAlso].some((r) => r && CODE_IN_REF.test(r))) c.codeInRef++;
    letters.add(e.letter);
  }
  c.letters = letters.size;
  return c;
}
