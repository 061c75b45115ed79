import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MedCodesError } from '../../errors.js';
import { zipMemberChunks } from '../zip.js';
import { decodeWindows1252 } from './index-xml.js';
import { DRUG_COLUMNS, NEOPLASM_COLUMNS, parseDrugCsv, parseTableXml, readDrugCsv, readTableXml, type TableRow } from './tables.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => `${root}test/fixtures/icd10cm/${name}`;
const DRUG_2022 = fixture('drug-2022-slice.xml');
const DRUG_2017 = fixture('drug-2017-slice.xml');
const NEOPLASM_2022 = fixture('neoplasm-2022-slice.xml');
const DRUG_CSV = fixture('drug-2025-04-slice.csv');
const INDEX_SLICE = fixture('index-2017-slice.xml');
const ZIP_2017 = `${root}data/icd10cm/xml-2017/ICD10CM_FY2017_Full_XML.zip`;
const TABLES_2022 = `${root}data/icd10cm/tables-2022/`;

const read = (file: string) => readFileSync(file, 'utf8');
/** The CSV as CDC ships it is Windows-1252; decode it the way a caller with a string would. */
const readCsv = (file: string) => decodeWindows1252(readFileSync(file));

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

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

const find = (rows: TableRow[], ...path: string[]) => {
  const r = rows.find((x) => x.path.join(' > ') === path.join(' > '));
  if (!r) throw new Error(`no row ${path.join(' > ')}`);
  return r;
};

/** Cells in column order, for compact expectations. */
const codes = (r: TableRow) => Object.values(r.cells);

describe('Table of Drugs XML (icd10cm_drug_neoplasm.xsd), slice of icd10cm_drug_2022.xml', () => {
  const rows = parseTableXml(read(DRUG_2022), { file: 'drug-2022-slice.xml' });

  it('emits one row per mainTerm/term with cells keyed by column heading', () => {
    expect(rows).toHaveLength(25); // 14 <mainTerm> + 11 <term> in the slice
    expect(rows[0]).toEqual({
      table: 'drug',
      version: '2022',
      letter: '#',
      level: 0,
      path: ['1-propanol'],
      barePath: ['1-propanol'],
      title: '1-propanol',
      bareTitle: '1-propanol',
      cells: {
        'Poisoning Accidental (unintentional)': 'T51.3X1',
        'Poisoning Intentional self-harm': 'T51.3X2',
        'Poisoning Assault': 'T51.3X3',
        'Poisoning Undetermined': 'T51.3X4',
        'Adverse effect': null,
        Underdosing: null,
      },
      line: 15,
    });
    expect(Object.keys(rows[5].cells)).toEqual([...DRUG_COLUMNS]);
  });

  it('keeps nested paths, nonessential modifiers and heading-only rows', () => {
    expect(find(rows, '2,4-D (dichlorophen-oxyacetic acid)')).toMatchObject({ bareTitle: '2,4-D', nemod: '(dichlorophen-oxyacetic acid)' });
    // "Acetic" has no cells: every column is null.
    expect(codes(find(rows, 'Acetic'))).toEqual([null, null, null, null, null, null]);
    expect(find(rows, 'Acetic', 'acid', 'medicinal (lotion)')).toMatchObject({
      level: 2,
      barePath: ['Acetic', 'acid', 'medicinal'],
      cells: { 'Adverse effect': 'T49.2X5', Underdosing: 'T49.2X6' },
    });
    expect(find(rows, 'Sodium', '(L)-triiodothyronine')).toMatchObject({
      bareTitle: '-triiodothyronine',
      cells: { 'Poisoning Assault': 'T38.1X3' },
    });
  });

  it('keeps see and seeAlso', () => {
    expect(find(rows, 'Adrenalin')).toMatchObject({ see: 'Adrenaline' });
    expect(codes(find(rows, 'Adrenalin'))).toEqual([null, null, null, null, null, null]);
    expect(find(rows, 'Activated charcoal')).toMatchObject({
      seeAlso: 'Charcoal, medicinal',
      cells: { 'Poisoning Accidental (unintentional)': 'T47.6X1' },
    });
    expect(find(rows, 'Belladonna').seeAlso).toBe('Nightshade');
  });

  it('streams the same rows in small chunks', async () => {
    const streamed = await collect(readTableXml(createReadStream(DRUG_2022, { highWaterMark: 61 }), { file: 'drug-2022-slice.xml' }));
    expect(streamed).toEqual(rows);
  });

  it('matches the FY2017 headings ("Poisoning, Accidental (unintentional)") to the same keys', () => {
    const old = parseTableXml(read(DRUG_2017), { file: 'drug-2017-slice.xml', table: 'drug' });
    expect(old.map((r) => r.title)).toEqual(['1-propanol', '2,4-D (dichlorophen-oxyacetic acid)']);
    expect(old[0].version).toBe('2017');
    expect(old[0].cells).toEqual(rows[0].cells);
  });
});

describe('Table of Neoplasms XML, slice of icd10cm_neoplasm_2022.xml', () => {
  const rows = parseTableXml(read(NEOPLASM_2022), { file: 'neoplasm-2022-slice.xml', table: 'neoplasm' });

  it('reads the six behaviour columns', () => {
    expect(rows).toHaveLength(15);
    expect(rows[0]).toMatchObject({ table: 'neoplasm', letter: 'N', level: 0, path: ['Neoplasm, neoplastic'] });
    expect(Object.keys(rows[0].cells)).toEqual([...NEOPLASM_COLUMNS]);
    expect(codes(rows[0])).toEqual(['C80.1', 'C79.9', 'D09.9', 'D36.9', 'D48.9', 'D49.9']);
    expect(codes(find(rows, 'Neoplasm, neoplastic', 'abdomen, abdominal', 'cavity'))).toEqual([
      'C76.2',
      'C79.8-',
      'D09.8',
      'D36.7',
      'D48.7',
      'D49.89',
    ]);
  });

  it('reads "-" and missing cells as no code', () => {
    const bcc = find(rows, 'Neoplasm, neoplastic', 'abdomen, abdominal', 'wall', 'skin', 'basal cell carcinoma');
    expect(codes(bcc)).toEqual(['C44.519', null, null, null, null, null]);
    // <term> "skin" has a single <cell col="2">; "sacrococcyx" lacks col 4.
    expect(codes(find(rows, 'Neoplasm, neoplastic', 'abdomen, abdominal', 'wall', 'skin'))).toEqual([
      'C44.509',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(codes(find(rows, 'Neoplasm, neoplastic', 'sacrococcyx, sacrococcygeal'))).toEqual([
      'C41.4',
      'C79.51',
      null,
      'D16.8',
      'D48.0',
      'D49.2',
    ]);
  });

  it('keeps see, seeAlso and the odd <manif>', () => {
    expect(find(rows, 'Neoplasm, neoplastic', 'accessory sinus').see).toBe('Neoplasm, sinus');
    expect(find(rows, 'Neoplasm, neoplastic', 'abdomen, abdominal', 'wall').seeAlso).toBe('Neoplasm, abdomen, wall, skin');
    expect(find(rows, 'Neoplasm, neoplastic', 'book-leaf (mouth)')).toMatchObject({
      manif: 'ventral surface of tongue and floor of mouth',
      cells: { 'Malignant Primary': 'C06.89' },
    });
  });
});

describe('Table of Drugs CSV (CDC, April 2025), slice of icd10cm-drug-April-2025.csv', () => {
  const rows = parseDrugCsv(readCsv(DRUG_CSV), { file: 'drug-2025-04-slice.csv', version: '2025-04' });

  it('reads the rows below the title and header rows', () => {
    expect(rows).toHaveLength(54); // 57 lines - title - header - repeated header
    expect(rows[0]).toEqual({
      table: 'drug',
      version: '2025-04',
      level: 0,
      path: ['1-propanol'],
      barePath: ['1-propanol'],
      title: '1-propanol',
      bareTitle: '1-propanol',
      cells: {
        'Poisoning Accidental (unintentional)': 'T51.3X1',
        'Poisoning Intentional self-harm': 'T51.3X2',
        'Poisoning Assault': 'T51.3X3',
        'Poisoning Undetermined': 'T51.3X4',
        'Adverse effect': null,
        Underdosing: null,
      },
      line: 3,
    });
  });

  it('turns the en-dash level marks into paths and splits off modifiers', () => {
    expect(find(rows, '2,4-D (dichlorophen-oxyacetic acid)')).toMatchObject({
      bareTitle: '2,4-D',
      nemod: '(dichlorophen-oxyacetic acid)',
      line: 5,
    });
    expect(find(rows, 'Acetic', 'acid', 'with sodium acetate (ointment)')).toMatchObject({
      level: 2,
      barePath: ['Acetic', 'acid', 'with sodium acetate'],
      cells: { 'Poisoning Accidental (unintentional)': 'T49.3X1' },
    });
    expect(find(rows, 'Acetic', 'anhydride').level).toBe(1);
  });

  it('keeps nested parentheses in one modifier', () => {
    // Header and line 2175 of icd10cm-drug-April-2025.csv.
    const csv =
      'Substance,Poisoning Accidental (unintentional),Poisoning Intentional self-harm,Poisoning Assault,Poisoning Undetermined,Adverse effect,Underdosing,\r\n' +
      'DDE (bis(chlorophenyl)-dichloroethylene),T60.2X1,T60.2X2,T60.2X3,T60.2X4,--,--,\r\n';
    expect(parseDrugCsv(csv)[0]).toMatchObject({ bareTitle: 'DDE', nemod: '(bis(chlorophenyl)-dichloroethylene)', line: 2 });
  });

  it('reads inline -see and -see also', () => {
    expect(find(rows, 'Activated charcoal')).toMatchObject({ seeAlso: 'Charcoal, medicinal', cells: { Underdosing: 'T47.6X6' } });
    expect(find(rows, 'Adrenalin')).toMatchObject({ see: 'Adrenaline' });
    expect(find(rows, 'Sulph–').seeAlso).toBe('Sulf-');
  });

  it("skips the header repeated mid-file and keeps the file's own oddities", () => {
    const titles = rows.map((r) => r.title);
    expect(titles.slice(titles.indexOf('Butacaine'), titles.indexOf('Butacaine') + 2)).toEqual(['Butacaine', 'Butalamine']);
    // The file prints the sub-term "45" of "DHE" with a hyphen, not the en-dash level mark.
    expect(find(rows, '-45')).toMatchObject({ level: 0, line: 54 });
  });

  it('decodes Windows-1252 by its own table (the level mark is byte 0x96)', () => {
    expect(decodeWindows1252(Uint8Array.from([0x96, 0x20, 0x80, 0xe9, 0x41]))).toBe('\u2013 \u20ac\u00e9A');
    expect(rows.filter((r) => r.level > 0)).toHaveLength(9); // the 9 lines that start with byte 0x96
  });

  it('decodes Windows-1252 bytes and UTF-8 bytes alike (auto), in small chunks', async () => {
    const cp1252 = await collect(
      readDrugCsv(createReadStream(DRUG_CSV, { highWaterMark: 50 }), { file: 'drug-2025-04-slice.csv', version: '2025-04' }),
    );
    expect(cp1252).toEqual(rows);
    const utf8 = Buffer.from(readCsv(DRUG_CSV), 'utf8');
    const chunks = Array.from({ length: Math.ceil(utf8.length / 33) }, (_, i) => utf8.subarray(i * 33, i * 33 + 33));
    expect(await collect(readDrugCsv(chunks, { version: '2025-04', file: 'drug-2025-04-slice.csv' }))).toEqual(rows);
  });

  it('agrees with the XML table on rows both have', () => {
    const xml = parseTableXml(read(DRUG_2022));
    for (const path of [['1-propanol'], ['2,4-D (dichlorophen-oxyacetic acid)'], ['Activated charcoal'], ['Adrenalin']]) {
      const a = find(xml, ...path);
      const b = find(rows, ...path);
      expect([b.cells, b.see, b.seeAlso, b.bareTitle]).toEqual([a.cells, a.see, a.seeAlso, a.bareTitle]);
    }
  });
});

describe('tables: broken input', () => {
  const drug = read(DRUG_2022);
  const file = 'drug-2022-slice.xml';

  it('names file and line of a truncated XML table', () => {
    const err = errorOf(() => parseTableXml(drug.slice(0, drug.indexOf('<title>Acetic</title>')), { file }));
    expect(err.message).toBe('drug-2022-slice.xml, line 64: XML ends early (truncated file?): unclosed tag: mainTerm');
  });

  it('refuses the Alphabetic Index given to the table parser', () => {
    const err = errorOf(() => parseTableXml(read(INDEX_SLICE), { file: 'index.xml' }));
    expect(err.message).toMatch(/^index\.xml, line 5, <letter>: no column headings .*this is the Alphabetic Index/);
  });

  it('refuses a file with the wrong root', () => {
    const err = errorOf(() => parseTableXml('<ICD10CM.tabular><version>2017</version></ICD10CM.tabular>', { file: 't.xml' }));
    expect(err.message).toMatch(
      /^t\.xml, line 1, <ICD10CM\.tabular>: expected an ICD-10-CM Table of Drugs or Neoplasms .*found root <ICD10CM\.tabular>/,
    );
  });

  it('refuses unknown column headings and the other table', () => {
    const renamed = drug.replace('<head col="6">Adverse effect</head>', '<head col="6">Side effect</head>');
    expect(errorOf(() => parseTableXml(renamed, { file })).message).toMatch(
      /line 12, <indexHeading>: the column headings .*"Side effect".* are neither/,
    );
    const err = errorOf(() => parseTableXml(drug, { file, table: 'neoplasm' }));
    expect(err.message).toMatch(
      /line 12, <indexHeading>: expected the Table of Neoplasms, but the headings are those of the Table of Drugs and Chemicals/,
    );
  });

  it('refuses a cell that is not a code, naming the row', () => {
    const err = errorOf(() => parseTableXml(drug.replace('<cell col="3">T51.2X2</cell>', '<cell col="3">T51.2X 2</cell>'), { file }));
    expect(err.message).toBe(
      'drug-2022-slice.xml, line 27, 2-propanol > <cell>: <cell col="3"> "T51.2X 2" is not an ICD-10-CM code nor "--"',
    );
  });

  it('refuses a CSV with the wrong header', () => {
    const csv = readCsv(DRUG_CSV).replace('Poisoning Assault,', 'Poisoning by assault,');
    const err = errorOf(() => parseDrugCsv(csv, { file: 'd.csv' }));
    expect(err.message).toMatch(
      /^d\.csv, line 2: expected the Table of Drugs header "Substance,Poisoning Accidental \(unintentional\),.*", found "Substance,Poisoning Accidental \(unintentional\),Poisoning Intentional self-harm,Poisoning by assault,/,
    );
    expect(errorOf(() => parseDrugCsv('Code,Description\r\nA00,Cholera\r\n', { file: 'x.csv' })).message).toMatch(
      /^x\.csv, line 1: expected the Table of Drugs header/,
    );
  });

  it('refuses CSV rows with a broken code, a skipped level, or too few columns', () => {
    const csv = readCsv(DRUG_CSV);
    expect(errorOf(() => parseDrugCsv(csv.replace('2-propanol,T51.2X1,', '2-propanol,TT51.2X1,'), { file: 'd.csv' })).message).toBe(
      'd.csv, line 4: column "Poisoning Accidental (unintentional)": "TT51.2X1" is not an ICD-10-CM code nor "--"',
    );
    expect(errorOf(() => parseDrugCsv(csv.replace('2-propanol,', '– – 2-propanol,'), { file: 'd.csv' })).message).toBe(
      'd.csv, line 4: "2-propanol" is at level 2 (2 dashes) but the row before is at level 0',
    );
    expect(errorOf(() => parseDrugCsv(csv.replace('2-propanol,T51.2X1,T51.2X2,', '2-propanol,'), { file: 'd.csv' })).message).toMatch(
      /^d\.csv, line 4: expected 7 columns \(substance and 6 codes\), found 6/,
    );
  });

  it('refuses a CSV truncated inside a quoted field', () => {
    const csv = readCsv(DRUG_CSV);
    const err = errorOf(() => parseDrugCsv(csv.slice(0, csv.indexOf('"2,4-toluene') + 5), { file: 'd.csv' }));
    expect(err.message).toBe('d.csv, line 6: the file ends inside a quoted field (truncated?)');
  });
});

describe('full official tables', () => {
  // Row counts = grep -c of <mainTerm> + <term ...>; non-null cells = <cell> elements minus the
  // "--" / "-" ones; see / seeAlso = grep counts. CSV figures from the file's own lines.
  const cases: Array<[string, boolean, () => AsyncIterable<TableRow>, Tally]> = [
    [
      'icd10cm_drug_2017.xml',
      existsSync(ZIP_2017),
      () => readTableXml(zipMemberChunks(ZIP_2017, 'icd10cm_drug_2017.xml'), { table: 'drug' }),
      { rows: 7416, mainTerms: 5170, cells: 39964, see: 97, seeAlso: 35, manif: 0 },
    ],
    [
      'icd10cm_drug_2022.xml',
      existsSync(`${TABLES_2022}icd10cm_drug_2022.xml`),
      () => readTableXml(createReadStream(`${TABLES_2022}icd10cm_drug_2022.xml`), { table: 'drug' }),
      { rows: 7423, mainTerms: 5175, cells: 40000, see: 97, seeAlso: 35, manif: 0 },
    ],
    [
      'icd10cm_neoplasm_2017.xml',
      existsSync(ZIP_2017),
      () => readTableXml(zipMemberChunks(ZIP_2017, 'icd10cm_neoplasm_2017.xml'), { table: 'neoplasm' }),
      { rows: 1930, mainTerms: 1, cells: 9009, see: 67, seeAlso: 120, manif: 1 },
    ],
    [
      'icd10cm_neoplasm_2022.xml',
      existsSync(`${TABLES_2022}icd10cm_neoplasm_2022.xml`),
      () => readTableXml(createReadStream(`${TABLES_2022}icd10cm_neoplasm_2022.xml`), { table: 'neoplasm' }),
      { rows: 1939, mainTerms: 1, cells: 9018, see: 67, seeAlso: 120, manif: 1 },
    ],
    // 7,406 lines = 1 title + 3 header rows (lines 2, 1185, 1234) + 7,402 rows.
    [
      'icd10cm-drug-April-2025.csv',
      existsSync(`${TABLES_2022}icd10cm-drug-April-2025.csv`),
      () => readDrugCsv(createReadStream(`${TABLES_2022}icd10cm-drug-April-2025.csv`)),
      { rows: 7402, mainTerms: 5154, cells: 39888, see: 97, seeAlso: 35, manif: 0 },
    ],
  ];
  for (const [name, present, open, want] of cases) {
    it.runIf(present)(`${name}: ${want.rows} rows`, async () => {
      expect(await tally(open())).toEqual(want);
    });
  }
});

interface Tally {
  rows: number;
  mainTerms: number;
  cells: number;
  see: number;
  seeAlso: number;
  manif: number;
}

async function tally(rows: AsyncIterable<TableRow>): Promise<Tally> {
  const t: Tally = { rows: 0, mainTerms: 0, cells: 0, see: 0, seeAlso: 0, manif: 0 };
  for await (const r of rows) {
    t.rows++;
    if (r.level === 0) t.mainTerms++;
    t.cells += codes(r).filter((c) => c !== null).length;
    if (r.see !== undefined) t.see++;
    if (r.seeAlso !== undefined) t.seeAlso++;
    if (r.manif !== undefined) t.manif++;
  }
  return t;
}
