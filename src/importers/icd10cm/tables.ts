/**
 * ICD-10-CM Table of Drugs and Chemicals and Table of Neoplasms.
 *
 * Two official layouts:
 *
 * 1. XML (`icd10cm_drug_YYYY.xml`, `icd10cm_neoplasm_YYYY.xml`), CDC-NCHS `icd10cm_drug_neoplasm.xsd`:
 *      root (<ICD10CM.index> in the files; the 2011 XSD names it <ICD10CM.table>) > version?, title?,
 *      indexHeading > head[col=1..7]   (col 1 = the term column, "Substance" / "Neoplasm")
 *      letter > title, mainTerm+
 *      mainTerm / term[level=N] > title (text + <nemod>), nemod?, see?, seeAlso?, manif?, cell[col]*, term*
 *    A `<cell col="N">` holds the code for column N, or `--` (drugs) / `-` (neoplasms) for "no code".
 *
 * 2. CSV (CDC's `icd10cm-drug-<Month>-<YYYY>.csv`, the Table of Drugs only), Windows-1252 text, CRLF:
 *      line 1  `ICD-10-CM TABLE of DRUGS and CHEMICALS,,,,,,,`        (a title row)
 *      line 2  `Substance,Poisoning Accidental (unintentional),...,Underdosing,`   (header, 8 fields)
 *      then one row per term: col 1 the title, with one `– ` (en dash, byte 0x96) per level below the
 *      main term, the nonessential modifiers inline in parentheses and cross-references inline as
 *      ` -see X` / ` -see also X`; cols 2-7 the six codes (`--` = none); col 8 empty.
 *
 * Both yield the same {@link TableRow}: the path of titles and the codes keyed by column heading.
 * Streaming and pure, like index-xml.ts.
 */
import { SaxesParser } from 'saxes';
import { type MedCodesError, parseError } from '../../errors.js';
import { collapse, decodeChunks, isCodeRef, renderTitle, writeSaxes, type TextInput, type TitlePart } from './index-xml.js';

export type TableKind = 'drug' | 'neoplasm';

/**
 * Column headings of the Table of Drugs, as printed in the FY2022 XML `<head>` and the CSV header. The
 * FY2017 XML prints the first with a comma ("Poisoning, Accidental (unintentional)"); headings are
 * matched ignoring case, punctuation and spacing, and rows are keyed by these canonical forms.
 */
export const DRUG_COLUMNS = [
  'Poisoning Accidental (unintentional)',
  'Poisoning Intentional self-harm',
  'Poisoning Assault',
  'Poisoning Undetermined',
  'Adverse effect',
  'Underdosing',
] as const;

/** Column headings of the Table of Neoplasms (`<head col="2..7">`). */
export const NEOPLASM_COLUMNS = [
  'Malignant Primary',
  'Malignant Secondary',
  'Ca in situ',
  'Benign',
  'Uncertain Behavior',
  'Unspecified Behavior',
] as const;

/** The heading of the term column (`<head col="1">`, CSV column 1). */
const TERM_COLUMN: Record<TableKind, string> = { drug: 'Substance', neoplasm: 'Neoplasm' };
const COLUMNS: Record<TableKind, readonly string[]> = { drug: DRUG_COLUMNS, neoplasm: NEOPLASM_COLUMNS };

/** One row of a table: a `<mainTerm>`/`<term>` (XML) or a line (CSV). */
export interface TableRow {
  table: TableKind;
  /** XML `<version>` (e.g. `2022`); for the CSV, `options.version` if given. */
  version?: string;
  /** XML `<letter><title>` (`#`, `A` …; the neoplasm table has the single letter `N`). Absent in the CSV. */
  letter?: string;
  /** 0 for a main term; N below it (XML `level` attribute; CSV: number of `–` prefixes). */
  level: number;
  /** Titles from the main term down, as printed (nemod in parentheses). Join with ", " for display. */
  path: string[];
  /** The same without nonessential modifiers. */
  barePath: string[];
  title: string;
  bareTitle: string;
  /** The nonessential modifier(s) of this title, e.g. `(dichlorophen-oxyacetic acid)`. */
  nemod?: string;
  /**
   * The code of each column, keyed by the canonical heading ({@link DRUG_COLUMNS} /
   * {@link NEOPLASM_COLUMNS}); every heading is present. `null` when the cell is `--`/`-` ("no code")
   * or missing (heading-only rows such as "Acetic" have no cells at all). Codes are kept as printed,
   * partial ones with their trailing `-` (`C79.8-`).
   */
  cells: Record<string, string | null>;
  /** `<see>` / CSV ` -see X`: the substance or site to look up instead. */
  see?: string;
  /** `<seeAlso>` / CSV ` -see also X`. */
  seeAlso?: string;
  /**
   * `<manif>` as printed. Only the neoplasm table has one, and it is not a code but a misplaced
   * modifier: "book-leaf (mouth)" has `<manif>ventral surface of tongue and floor of mouth</manif>`.
   */
  manif?: string;
  /** Line in the file (XML: the start tag; CSV: the physical line where the row starts). */
  line: number;
}

export interface TableOptions {
  /** File name for error messages. */
  file?: string;
  /** The table expected; if the file's headings are the other table's, that is an error. */
  table?: TableKind;
}

export interface DrugCsvOptions {
  file?: string;
  /** Release label to put on the rows (the CSV itself carries none), e.g. `2025-04`. */
  version?: string;
  /**
   * Text encoding. CDC publishes the CSV in Windows-1252 (the level dash is byte 0x96); `auto` (the
   * default) takes UTF-8 when the bytes start with a UTF-8 BOM or the first non-ASCII bytes form
   * valid UTF-8, else Windows-1252.
   */
  encoding?: 'auto' | 'utf-8' | 'windows-1252';
}

// ---------------------------------------------------------------------------------------------------
// XML

/** Stream a Table of Drugs or Neoplasms XML file: one {@link TableRow} per `<mainTerm>`/`<term>`. */
export async function* readTableXml(input: TextInput, options: TableOptions = {}): AsyncGenerator<TableRow> {
  const core = new TableXmlCore(options);
  for await (const text of decodeChunks(input, 'utf-8', options.file)) yield* core.write(text);
  yield* core.end();
}

/** Parse a whole table XML text at once. */
export function parseTableXml(text: string, options: TableOptions = {}): TableRow[] {
  const core = new TableXmlCore(options);
  return [...core.write(text), ...core.end()];
}

const TABLE_ROOTS = ['ICD10CM.index', 'ICD10CM.table'];
const ROW_FIELDS = ['see', 'seeAlso', 'manif'] as const;
type RowField = (typeof ROW_FIELDS)[number];

interface RowFrame {
  level: number;
  line: number;
  parts: TitlePart[];
  title?: string;
  bareTitle?: string;
  nemod?: string;
  fields: Partial<Record<RowField, string>>;
  cells: Map<number, string>;
  emitted: boolean;
}

class TableXmlCore {
  private readonly parser = new SaxesParser({ position: true });
  private readonly file?: string;
  private readonly out: TableRow[] = [];
  private readonly elements: string[] = [];
  private readonly frames: RowFrame[] = [];
  private text: string | null = null;
  private version?: string;
  private letter?: string;
  /** `<head col>` → heading as printed. */
  private readonly heads = new Map<number, string>();
  private headCol = 0;
  private cellCol = 0;
  private kind?: TableKind;
  /** `<cell col>` number → canonical heading, once the headings are read. */
  private colKey = new Map<number, string>();
  private letters = 0;

  constructor(private readonly options: TableOptions) {
    this.file = options.file;
    const p = this.parser;
    p.on('opentag', (tag) => this.open(tag.name, tag.attributes as Record<string, string>));
    p.on('closetag', (tag) => this.close(tag.name));
    p.on('text', (t) => this.onText(t));
    p.on('cdata', (t) => this.onText(t));
  }

  write(chunk: string): TableRow[] {
    writeSaxes(this.parser, chunk, this.file);
    return this.out.splice(0);
  }

  end(): TableRow[] {
    writeSaxes(this.parser, null, this.file);
    if (this.kind === undefined) throw parseError('no <indexHeading>: this is not a Table of Drugs or Neoplasms', { file: this.file });
    if (this.letters === 0) throw parseError('no <letter> sections in the table', { file: this.file });
    return this.out.splice(0);
  }

  private fail(problem: string, element?: string): MedCodesError {
    return parseError(problem, { file: this.file, line: this.parser.line, element: element ?? this.where() });
  }

  private where(): string {
    const titles = this.frames.map((f) => f.bareTitle ?? '?');
    const inner = this.elements[this.elements.length - 1];
    const element = inner && inner !== 'mainTerm' && inner !== 'term' ? `<${inner}>` : '';
    return [...titles, element].filter(Boolean).join(' > ');
  }

  private colAttr(attrs: Record<string, string>, name: string): number {
    const col = Number(attrs.col);
    if (attrs.col === undefined || !Number.isInteger(col) || col < 1) throw this.fail(`<${name}> without a valid col attribute`);
    return col;
  }

  private open(name: string, attrs: Record<string, string>): void {
    const parent = this.elements[this.elements.length - 1];
    this.elements.push(name);
    if (parent === undefined) {
      if (!TABLE_ROOTS.includes(name)) {
        throw this.fail(
          `expected an ICD-10-CM Table of Drugs or Neoplasms (root <ICD10CM.index> with <indexHeading>, ` +
            `icd10cm_drug_neoplasm.xsd), found root <${name}>`,
          `<${name}>`,
        );
      }
      return;
    }
    if (this.text !== null && parent !== 'title') {
      throw this.fail(`unexpected element <${name}> inside <${parent}>, which holds text only`);
    }
    switch (parent) {
      case 'ICD10CM.index':
      case 'ICD10CM.table':
        if (name === 'version' || name === 'title') return this.startText();
        if (name === 'indexHeading') return;
        if (name === 'letter') {
          if (this.kind === undefined) {
            throw this.fail(
              'no column headings (<indexHeading>) before the first <letter>: this is the Alphabetic Index, ' +
                'not a Table of Drugs or Neoplasms; use the index parser (index-xml.ts)',
            );
          }
          this.letters++;
          this.letter = undefined;
          return;
        }
        break;
      case 'indexHeading':
        if (name === 'head') {
          this.headCol = this.colAttr(attrs, name);
          return this.startText();
        }
        break;
      case 'letter':
        if (name === 'title') return this.startText();
        if (name === 'mainTerm') return this.openRow(0, attrs);
        break;
      case 'mainTerm':
      case 'term': {
        const frame = this.frames[this.frames.length - 1];
        if (name === 'title') {
          frame.parts = [];
          return this.startText();
        }
        if (name === 'term') return this.openRow(this.frames.length, attrs);
        if (frame.emitted) throw this.fail(`<${name}> after the sub-terms of its term (icd10cm_drug_neoplasm.xsd order)`);
        if (name === 'nemod') return this.startText(); // 2011 XSD: nemod as a sibling of title
        if ((ROW_FIELDS as readonly string[]).includes(name)) {
          if (frame.fields[name as RowField] !== undefined) throw this.fail(`repeated <${name}> in one term`);
          return this.startText();
        }
        if (name === 'cell') {
          this.cellCol = this.colAttr(attrs, name);
          if (!this.colKey.has(this.cellCol)) {
            throw this.fail(`<cell col="${this.cellCol}"> has no code column heading (<head col="${this.cellCol}">)`);
          }
          if (frame.cells.has(this.cellCol)) throw this.fail(`repeated <cell col="${this.cellCol}">`);
          return this.startText();
        }
        if (name === 'code') throw this.fail('<code> in a table term: this is the Alphabetic Index, not a table');
        break;
      }
      case 'title': {
        const grand = this.elements[this.elements.length - 3];
        if (name === 'nemod' && (grand === 'mainTerm' || grand === 'term')) {
          this.flushTitleText();
          return this.startText();
        }
        break;
      }
    }
    throw this.fail(`unexpected element <${name}> inside <${parent}> (not in icd10cm_drug_neoplasm.xsd)`);
  }

  private close(name: string): void {
    this.elements.pop();
    const parent = this.elements[this.elements.length - 1];
    switch (name) {
      case 'ICD10CM.index':
      case 'ICD10CM.table':
      case 'letter':
        return;
      case 'version':
        this.version = this.takeText();
        return;
      case 'head':
        if (this.heads.has(this.headCol)) throw this.fail(`repeated <head col="${this.headCol}">`);
        this.heads.set(this.headCol, this.takeText());
        return;
      case 'indexHeading':
        this.resolveColumns();
        return;
      case 'title': {
        if (parent !== 'mainTerm' && parent !== 'term') {
          const t = this.takeText();
          if (parent === 'letter') this.letter = t;
          return;
        }
        const frame = this.frames[this.frames.length - 1];
        this.flushTitleText();
        const t = renderTitle(frame.parts);
        if (!t.title) throw this.fail('empty <title>');
        Object.assign(frame, t);
        return;
      }
      case 'nemod': {
        const frame = this.frames[this.frames.length - 1];
        if (parent === 'title') {
          frame.parts.push({ nemod: this.takeText() });
          this.startText();
        } else {
          // Sibling nemod (2011 XSD): it follows the title, so append it and re-render.
          frame.parts.push({ nemod: this.takeText() });
          Object.assign(frame, renderTitle(frame.parts));
        }
        return;
      }
      case 'cell': {
        const value = this.takeText();
        const frame = this.frames[this.frames.length - 1];
        if (value !== '' && !isNoCode(value) && !isCodeRef(value)) {
          throw this.fail(`<cell col="${this.cellCol}"> "${value}" is not an ICD-10-CM code nor "--"`, this.where() + ' > <cell>');
        }
        frame.cells.set(this.cellCol, value);
        return;
      }
      case 'mainTerm':
      case 'term': {
        const frame = this.frames[this.frames.length - 1];
        if (!frame.emitted) this.emit(frame);
        this.frames.pop();
        return;
      }
      default: {
        const value = this.takeText();
        if (!value) throw this.fail(`empty <${name}>`, this.where() + ` > <${name}>`);
        this.frames[this.frames.length - 1].fields[name as RowField] = value;
      }
    }
  }

  /** Match the `<head>` texts to a known table and map cell columns to canonical headings. */
  private resolveColumns(): void {
    const printed = [...this.heads.entries()].sort((a, b) => a[0] - b[0]);
    const kind = detectTable(printed.map(([, h]) => h));
    if (kind === undefined) {
      throw this.fail(
        `the column headings ${printed.map(([, h]) => `"${h}"`).join(', ')} are neither the Table of Drugs' ` +
          `(${[TERM_COLUMN.drug, ...DRUG_COLUMNS].join(', ')}) nor the Table of Neoplasms' ` +
          `(${[TERM_COLUMN.neoplasm, ...NEOPLASM_COLUMNS].join(', ')})`,
        '<indexHeading>',
      );
    }
    if (this.options.table && this.options.table !== kind) {
      throw this.fail(
        `expected the Table of ${tableName(this.options.table)}, but the headings are those of the Table of ${tableName(kind)}`,
        '<indexHeading>',
      );
    }
    this.kind = kind;
    printed.forEach(([col], i) => {
      if (i > 0) this.colKey.set(col, COLUMNS[kind][i - 1]);
    });
  }

  private onText(t: string): void {
    if (this.text !== null) this.text += t;
    else if (t.trim() !== '') {
      throw this.fail(`unexpected text "${t.trim().slice(0, 40)}" inside <${this.elements[this.elements.length - 1] ?? 'document'}>`);
    }
  }

  private startText(): void {
    this.text = '';
  }

  private takeText(): string {
    const value = collapse(this.text ?? '');
    this.text = null;
    return value;
  }

  private flushTitleText(): void {
    const frame = this.frames[this.frames.length - 1];
    if (this.text) frame.parts.push({ text: this.text });
    this.text = null;
  }

  private openRow(expectedLevel: number, attrs: Record<string, string>): void {
    if (this.letter === undefined) throw this.fail('<mainTerm> before the <title> of its <letter>');
    let level = 0;
    if (expectedLevel > 0) {
      level = Number(attrs.level);
      if (attrs.level === undefined || !Number.isInteger(level)) throw this.fail('<term> without a numeric level attribute');
      if (level !== expectedLevel) {
        throw this.fail(`<term level="${attrs.level}"> nested at depth ${expectedLevel}: the level must equal the nesting depth`);
      }
      const parent = this.frames[this.frames.length - 1];
      if (!parent.emitted) this.emit(parent);
    }
    this.frames.push({ level, line: this.parser.line, parts: [], fields: {}, cells: new Map(), emitted: false });
  }

  private emit(frame: RowFrame): void {
    if (frame.title === undefined || frame.bareTitle === undefined) throw this.fail('term without a <title>');
    const cells: Record<string, string | null> = {};
    for (const [col, key] of this.colKey) {
      const v = frame.cells.get(col);
      cells[key] = v === undefined || v === '' || isNoCode(v) ? null : v;
    }
    const row: TableRow = {
      table: this.kind!,
      letter: this.letter,
      level: frame.level,
      path: this.frames.map((f) => f.title!),
      barePath: this.frames.map((f) => f.bareTitle!),
      title: frame.title,
      bareTitle: frame.bareTitle,
      cells,
      line: frame.line,
    };
    if (this.version !== undefined) row.version = this.version;
    if (frame.nemod !== undefined) row.nemod = frame.nemod;
    for (const k of ROW_FIELDS) if (frame.fields[k] !== undefined) row[k] = frame.fields[k];
    frame.emitted = true;
    this.out.push(row);
  }
}

/** `--` (Table of Drugs) and `-` (Table of Neoplasms) both print "no code for this column". */
function isNoCode(v: string): boolean {
  return v === '--' || v === '-';
}

function tableName(kind: TableKind): string {
  return kind === 'drug' ? 'Drugs and Chemicals' : 'Neoplasms';
}

/** Heading comparison ignoring case, punctuation and spacing ("Poisoning, Accidental" = "Poisoning Accidental"). */
function headingKey(h: string): string {
  return h.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Which table a list of headings (term column first) is, if any. */
function detectTable(headings: string[]): TableKind | undefined {
  const got = headings.map(headingKey);
  for (const kind of ['drug', 'neoplasm'] as const) {
    const want = [TERM_COLUMN[kind], ...COLUMNS[kind]].map(headingKey);
    if (got.length === want.length && got.every((h, i) => h === want[i])) return kind;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// CSV (Table of Drugs)

/** Stream CDC's CSV of the Table of Drugs as {@link TableRow}s (table `drug`, no `letter`). */
export async function* readDrugCsv(input: TextInput, options: DrugCsvOptions = {}): AsyncGenerator<TableRow> {
  const core = new DrugCsvCore(options);
  for await (const text of decodeCsvChunks(input, options)) yield* core.write(text);
  yield* core.end();
}

/** Parse a whole Table of Drugs CSV text (already decoded) at once. */
export function parseDrugCsv(text: string, options: DrugCsvOptions = {}): TableRow[] {
  const core = new DrugCsvCore(options);
  return [...core.write(text), ...core.end()];
}

/** Pick the CSV's encoding from its first non-ASCII bytes (see {@link DrugCsvOptions.encoding}). */
async function* decodeCsvChunks(input: TextInput, options: DrugCsvOptions): AsyncGenerator<string> {
  const encoding = options.encoding ?? 'auto';
  if (typeof input === 'string' || encoding !== 'auto') {
    yield* decodeChunks(input, encoding === 'auto' ? 'windows-1252' : encoding, options.file);
    return;
  }
  const source = toIterator(input instanceof Uint8Array ? [input] : input);
  // Hold chunks until one has a non-ASCII byte (or the input ends), decide, then decode them all.
  const held: Array<string | Uint8Array> = [];
  let decided: 'utf-8' | 'windows-1252' | undefined;
  let exhausted = false;
  while (!decided) {
    const r = await source.next();
    if (r.done) {
      exhausted = true;
      break;
    }
    held.push(r.value);
    decided = sniffEncoding(held.filter((c): c is Uint8Array => typeof c !== 'string'));
  }
  async function* replay(): AsyncGenerator<string | Uint8Array> {
    yield* held;
    if (exhausted) return;
    for (let r = await source.next(); !r.done; r = await source.next()) yield r.value;
  }
  decided ??= sniffEncoding(
    held.filter((c): c is Uint8Array => typeof c !== 'string'),
    true,
  );
  yield* decodeChunks(replay(), decided ?? 'windows-1252', options.file);
}

function toIterator<T>(input: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in input ? (input as AsyncIterable<T>)[Symbol.asyncIterator]() : (input as Iterable<T>)[Symbol.iterator]();
}

/**
 * UTF-8 if the held bytes start with a BOM or their first non-ASCII bytes decode as UTF-8; Windows-1252
 * if they do not; undefined while there is no non-ASCII byte yet or too few to judge (unless `final`).
 */
function sniffEncoding(held: Uint8Array[], final = false): 'utf-8' | 'windows-1252' | undefined {
  const bytes = Buffer.concat(held);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  const first = bytes.findIndex((b) => b >= 0x80);
  if (first < 0) return final ? 'windows-1252' : undefined;
  const window = bytes.subarray(first, first + 64);
  if (window.length < 4 && !final) return undefined; // a UTF-8 character may be split across chunks
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(window, { stream: !final || window.length === 64 });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** The level marker: an en dash (Windows-1252 0x96) and a space, once per level below the main term. */
const LEVEL_PREFIX = /^((?:\u2013\s*)*)/;
const SEE_ALSO = /\s+-\s*see also\s+(.+)$/i;
const SEE = /\s+-\s*see\s+(.+)$/i;

class DrugCsvCore {
  private readonly file?: string;
  private readonly out: TableRow[] = [];
  private readonly csv = new CsvSplitter();
  /** Physical line number of the next record's start. */
  private recordLine = 1;
  private state: 'start' | 'header' | 'rows' = 'start';
  private readonly titles: string[] = [];
  private readonly bare: string[] = [];

  constructor(private readonly options: DrugCsvOptions) {
    this.file = options.file;
  }

  write(chunk: string): TableRow[] {
    for (const rec of this.csv.push(chunk, this.fail)) this.record(rec);
    return this.out.splice(0);
  }

  end(): TableRow[] {
    for (const rec of this.csv.end(this.fail)) this.record(rec);
    if (this.state !== 'rows') throw parseError('no header row: this is not the CDC CSV of the Table of Drugs', { file: this.file });
    return this.out.splice(0);
  }

  private readonly fail = (problem: string, line?: number): MedCodesError =>
    parseError(problem, { file: this.file, line: line ?? this.recordLine });

  private record(rec: CsvRecord): void {
    this.recordLine = rec.line;
    const fields = rec.fields;
    if (fields.every((f) => f.trim() === '')) return; // blank line
    if (this.state === 'start' && fields.slice(1).every((f) => f.trim() === '') && !/^substance$/i.test(fields[0].trim())) {
      // The title row "ICD-10-CM TABLE of DRUGS and CHEMICALS,,,,,,,".
      this.state = 'header';
      return;
    }
    if (this.state !== 'rows') {
      if (!isDrugHeader(fields)) {
        throw this.fail(
          `expected the Table of Drugs header "${[TERM_COLUMN.drug, ...DRUG_COLUMNS].join(',')}", ` +
            `found "${fields.join(',').slice(0, 200)}"`,
        );
      }
      this.state = 'rows';
      return;
    }
    // The April 2025 file repeats the header row mid-table (lines 1185 and 1234, page breaks of the
    // source document); it is not a row and does not break the level nesting around it.
    if (isDrugHeader(fields)) return;
    this.row(fields, rec.line);
  }

  private row(fields: string[], line: number): void {
    const extra = fields.slice(7).filter((f) => f.trim() !== '');
    if (fields.length < 7 || extra.length) {
      throw this.fail(`expected 7 columns (substance and 6 codes), found ${fields.length}: "${fields.join(',').slice(0, 200)}"`, line);
    }
    const first = fields[0];
    const prefix = LEVEL_PREFIX.exec(first)![1];
    const level = (prefix.match(/\u2013/g) ?? []).length;
    let text = collapse(first.slice(prefix.length));
    if (!text) throw this.fail('empty substance', line);
    if (level > this.titles.length) {
      throw this.fail(`"${text}" is at level ${level} (${level} dashes) but the row before is at level ${this.titles.length - 1}`, line);
    }
    let see: string | undefined;
    let seeAlso: string | undefined;
    let m = SEE_ALSO.exec(text);
    if (m) {
      seeAlso = m[1].trim();
      text = text.slice(0, m.index);
    } else if ((m = SEE.exec(text))) {
      see = m[1].trim();
      text = text.slice(0, m.index);
    }
    // The CSV prints nonessential modifiers inline; every parenthesis of the XML table is a <nemod>
    // (icd10cm_drug_2022.xml has none elsewhere in its titles), so the bare title drops them.
    const { nemods, bare: bareTitle } = splitParentheses(text);
    const cells: Record<string, string | null> = {};
    DRUG_COLUMNS.forEach((heading, i) => {
      const v = fields[i + 1].trim();
      if (v !== '' && !isNoCode(v) && !isCodeRef(v)) {
        throw this.fail(`column "${heading}": "${v}" is not an ICD-10-CM code nor "--"`, line);
      }
      cells[heading] = v === '' || isNoCode(v) ? null : v;
    });
    this.titles.length = level;
    this.bare.length = level;
    this.titles.push(text);
    this.bare.push(bareTitle || text);
    const row: TableRow = {
      table: 'drug',
      level,
      path: [...this.titles],
      barePath: [...this.bare],
      title: text,
      bareTitle: bareTitle || text,
      cells,
      line,
    };
    if (this.options.version !== undefined) row.version = this.options.version;
    if (nemods.length) row.nemod = nemods.join(' ');
    if (see !== undefined) row.see = see;
    if (seeAlso !== undefined) row.seeAlso = seeAlso;
    this.out.push(row);
  }
}

/**
 * Split a CSV title into its top-level parenthesized groups (nested ones stay inside:
 * "DDE (bis(chlorophenyl)-dichloroethylene)") and the text outside them.
 */
function splitParentheses(text: string): { nemods: string[]; bare: string } {
  const nemods: string[] = [];
  let bare = '';
  let depth = 0;
  let group = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (depth > 0) group += c;
    else bare += c;
    if (c === ')' && depth > 0 && --depth === 0) {
      nemods.push(group);
      group = '';
      bare += ' ';
    }
  }
  if (depth > 0) bare += group; // unbalanced: keep the text as it is
  return { nemods, bare: collapse(bare.replace(/\s+,/g, ',')) };
}

/** The CSV header: "Substance" and the six column headings, then nothing but empty fields. */
function isDrugHeader(fields: string[]): boolean {
  const want = [TERM_COLUMN.drug, ...DRUG_COLUMNS];
  return (
    fields.length >= want.length &&
    want.every((h, i) => headingKey(fields[i]) === headingKey(h)) &&
    fields.slice(want.length).every((f) => f.trim() === '')
  );
}

interface CsvRecord {
  fields: string[];
  /** Physical line where the record starts. */
  line: number;
}

/**
 * Incremental RFC 4180 splitter: fields separated by commas, records by CRLF or LF, fields optionally
 * quoted with `"` (a quoted field may hold commas, line breaks and `""` for a quote). Chunks may end
 * anywhere, even inside a quoted field or between CR and LF.
 */
class CsvSplitter {
  private state: 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted' = 'fieldStart';
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private pendingCR = false;

  push(chunk: string, fail: (problem: string, line?: number) => Error): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === '\n') continue; // the LF of a CRLF that already ended the record
      }
      if (this.state === 'quoted') {
        if (c === '"') this.state = 'quoteInQuoted';
        else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (this.state === 'quoteInQuoted') {
        if (c === '"') {
          this.field += '"'; // "" inside quotes
          this.state = 'quoted';
          continue;
        }
        if (c !== ',' && c !== '\r' && c !== '\n') throw fail('text after the closing quote of a field', this.line);
        // the quote closed the field: c is a separator, handled below
      }
      if (c === ',') {
        this.fields.push(this.field);
        this.field = '';
        this.state = 'fieldStart';
      } else if (c === '\r' || c === '\n') {
        this.fields.push(this.field);
        out.push({ fields: this.fields, line: this.recordLine });
        this.fields = [];
        this.field = '';
        this.state = 'fieldStart';
        this.line++;
        this.recordLine = this.line;
        this.pendingCR = c === '\r';
      } else if (c === '"') {
        if (this.state !== 'fieldStart') throw fail('a quote (") inside an unquoted field', this.line);
        this.state = 'quoted';
      } else {
        this.field += c;
        this.state = 'unquoted';
      }
    }
    return out;
  }

  end(fail: (problem: string, line?: number) => Error): CsvRecord[] {
    if (this.state === 'quoted') throw fail('the file ends inside a quoted field (truncated?)', this.recordLine);
    if (this.state === 'fieldStart' && this.field === '' && this.fields.length === 0) return [];
    this.fields.push(this.field);
    const rec = { fields: this.fields, line: this.recordLine };
    this.fields = [];
    this.field = '';
    this.state = 'fieldStart';
    return [rec];
  }
}
