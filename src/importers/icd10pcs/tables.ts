import { SaxesParser } from 'saxes';
import { parseError } from '../../errors.js';

/**
 * ICD-10-PCS Tables XML (`icd10pcs_tables_YYYY.xml`, CMS, root `<ICD10PCS.tabular>`).
 *
 * Layout (as published, FY2026): after `<version>` and `<title>`, one `<pcsTable>` per 3-character
 * table. A table carries three `<axis pos="1|2|3" values="1">` elements, each with a `<title>` (the
 * axis name: "Section", "Body System", "Operation"), one `<label code="X">` (the character and its
 * name) and, on position 3 of most tables, a `<definition>`. Then one or more `<pcsRow codes="N">`,
 * each with four `<axis pos="4..7" values="N">` holding a `<title>` and one `<label code>` per valid
 * value. Every combination of one value per row axis is a valid code (the ICD-10-PCS Reference
 * Manual, "ICD-10-PCS Tables": "each row ... specifies the valid combinations of characters 4-7").
 *
 * This module also holds the small saxes driver shared by the three PCS XML parsers of this folder
 * (tables, definitions, index): one place that turns a byte/string stream into SAX callbacks, checks
 * the root element and converts every XML error into a `parseError` naming file and line.
 */

// ---------------------------------------------------------------------------------------------
// Shared streaming driver
// ---------------------------------------------------------------------------------------------

/** XML input: a whole document as a string, or a stream of chunks (fs / zip member stream, ...). */
export type XmlSource = string | AsyncIterable<string | Uint8Array>;

/** What the parser is looking at when a callback runs, for error messages. */
export interface XmlPosition {
  file: string;
  /** 1-based line of the parser, i.e. the line where the current tag ends. */
  line: number;
}

/** The SAX callbacks a format module implements. `emit` queues a record for the consumer. */
export interface XmlHandler<T> {
  open(name: string, attributes: Record<string, string>, at: XmlPosition, emit: (record: T) => void): void;
  /** Text (and decoded entities / CDATA) directly inside the innermost open element. */
  text(text: string): void;
  close(name: string, at: XmlPosition, emit: (record: T) => void): void;
  /** Called once after the whole document was parsed without error. */
  end?(at: XmlPosition, emit: (record: T) => void): void;
}

export interface XmlStreamOptions {
  /** File name used in error messages. */
  file: string;
  /** Required name of the root element; any other root is refused. */
  root: string;
  /** Human name of the expected format, for the wrong-root message. */
  format: string;
}

/** Characters per `write` when the source is one string, so a string document also streams. */
const STRING_CHUNK = 1 << 16;

async function* chunksOf(source: XmlSource): AsyncGenerator<string | Uint8Array> {
  if (typeof source === 'string') {
    for (let i = 0; i < source.length; i += STRING_CHUNK) yield source.slice(i, i + STRING_CHUNK);
    return;
  }
  yield* source;
}

/**
 * Drive saxes over `source` and yield the records `handler` emits, chunk by chunk, so memory stays
 * bounded by one chunk plus the records of that chunk. Bytes are decoded as UTF-8 (the PCS files
 * declare `encoding="utf-8"`); invalid UTF-8 is refused rather than silently replaced.
 */
export async function* streamXml<T>(source: XmlSource, options: XmlStreamOptions, handler: XmlHandler<T>): AsyncGenerator<T> {
  const { file, root, format } = options;
  const parser = new SaxesParser({ position: true });
  const queue: T[] = [];
  const emit = (r: T) => {
    queue.push(r);
  };
  const at = (): XmlPosition => ({ file, line: parser.line });
  let rootSeen = false;
  let depth = 0;

  parser.on('error', (err) => {
    // saxes formats "line:column: message"; keep the message, we report the line ourselves.
    const message = err.message.replace(/^\d+:\d+: /, '');
    throw parseError(`malformed XML: ${message}`, { file, line: parser.line });
  });
  parser.on('opentag', (tag) => {
    if (!rootSeen) {
      rootSeen = true;
      if (tag.name !== root) {
        throw parseError(`root element is <${tag.name}>, expected <${root}>: this is not ${format}`, { file, line: parser.line });
      }
    }
    depth++;
    handler.open(tag.name, tag.attributes as Record<string, string>, at(), emit);
  });
  parser.on('text', (t) => {
    if (depth > 0) handler.text(t);
  });
  parser.on('cdata', (t) => {
    if (depth > 0) handler.text(t);
  });
  parser.on('closetag', (tag) => {
    depth--;
    handler.close(tag.name, at(), emit);
  });

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: Uint8Array | undefined, end: boolean): string => {
    try {
      return end ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw parseError('not UTF-8 text: this is not an XML file', { file, line: parser.line });
    }
  };

  for await (const chunk of chunksOf(source)) {
    const text = typeof chunk === 'string' ? chunk : decode(chunk, false);
    if (text) parser.write(text);
    if (queue.length) yield* queue.splice(0);
  }
  const rest = decode(undefined, true);
  if (rest) parser.write(rest);
  if (!rootSeen)
    throw parseError(`no root element: the file is empty or not XML (expected <${root}>, ${format})`, { file, line: parser.line });
  if (depth > 0)
    throw parseError(`file ends inside an element: the XML is truncated (${depth} element(s) not closed)`, { file, line: parser.line });
  parser.close();
  handler.end?.(at(), emit);
  if (queue.length) yield* queue.splice(0);
}

/** Collect an async generator into an array (the convenience wrappers for strings use it). */
export async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

/**
 * The characters a PCS code may hold: digits and letters except I and O (ICD-10-PCS Reference
 * Manual: "letters O and I are not used, to avoid confusion with the digits 0 and 1").
 */
export const PCS_CHAR = /^[0-9A-HJ-NP-Z]$/;
/** A complete ICD-10-PCS code: exactly seven PCS characters. */
export const PCS_CODE = /^[0-9A-HJ-NP-Z]{7}$/;

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/** One value of an axis: `<label code="X">text</label>`. */
export interface PcsAxisValue {
  /** `label@code`: the single character this value puts at the axis position. */
  code: string;
  /** `label` text: the value's name, e.g. "Percutaneous Endoscopic". Entities decoded (`&lt;` -> `<`). */
  text: string;
}

/** `pcsTable/axis` (positions 1-3): the fixed first three characters of a table. */
export interface PcsHeaderAxis {
  /** `axis@pos`: 1, 2 or 3. */
  pos: 1 | 2 | 3;
  /** `axis/title`: "Section"; position 2 "Body System" ("Section Qualifier" in section F); position 3 "Operation" ("Type" in B, C, F, G, H; "Modality" in D). */
  title: string;
  /** `axis/label`: the one value (`axis@values` is always 1 here). */
  value: PcsAxisValue;
  /** `axis/definition`: only on position 3, the root operation / type definition (absent in section D and some others). */
  definition?: string;
}

/** `pcsTable/pcsRow/axis` (positions 4-7). */
export interface PcsRowAxis {
  /** `axis@pos`: 4 body part (or region/system), 5 approach, 6 device, 7 qualifier (names vary by section). */
  pos: 4 | 5 | 6 | 7;
  /** `axis/title`, e.g. "Body Part", "Approach", "Device / Substance / Technology". */
  title: string;
  /** `axis/label` elements in file order; their count equals `axis@values`. */
  values: PcsAxisValue[];
}

/** `pcsTable/pcsRow`. */
export interface PcsRow {
  /** `pcsRow@codes`: the number of valid codes the row stands for (product of its axes' value counts). */
  codes: number;
  /** The four row axes, positions 4, 5, 6, 7 in that order. */
  axes: [PcsRowAxis, PcsRowAxis, PcsRowAxis, PcsRowAxis];
  /** Line of the `<pcsRow>` tag, for messages. */
  line: number;
}

/** `pcsTable`: one ICD-10-PCS table, identified by its first three characters. */
export interface PcsTable {
  /** Characters 1-3 (`label@code` of axes 1, 2, 3), e.g. `0DT`. */
  code: string;
  /** `axis pos="1"`. */
  section: PcsHeaderAxis;
  /** `axis pos="2"`. */
  bodySystem: PcsHeaderAxis;
  /** `axis pos="3"`. */
  operation: PcsHeaderAxis;
  /** `pcsRow` elements in file order. */
  rows: PcsRow[];
  /** Line of the `<pcsTable>` tag. */
  line: number;
}

/** `<version>` and `<title>` under the root (e.g. "2026", "2026 ICD-10-PCS Tables"). */
export interface PcsXmlHeader {
  version?: string;
  title?: string;
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

export const TABLES_ROOT = 'ICD10PCS.tabular';

interface AxisDraft {
  pos: number;
  declared?: number;
  title?: string;
  definition?: string;
  values: PcsAxisValue[];
  line: number;
}

interface TableDraft {
  header: AxisDraft[];
  rows: PcsRow[];
  line: number;
}

export interface ParseOptions {
  /** File name for messages. */
  file?: string;
  /** Receives `<version>` and `<title>` when the root's header has been read. */
  onHeader?: (header: PcsXmlHeader) => void;
}

function tableHandler(file: string, onHeader?: (h: PcsXmlHeader) => void): XmlHandler<PcsTable> {
  const stack: string[] = [];
  const texts: string[] = [];
  const header: PcsXmlHeader = {};
  let headerSent = false;
  let table: TableDraft | undefined;
  let row: { codes: number; axes: AxisDraft[]; line: number } | undefined;
  let axis: AxisDraft | undefined;
  let labelCode: string | undefined;
  let tablesSeen = 0;

  const where = () => {
    const t = table
      ? `pcsTable[${table.header.map((a) => a.values[0]?.code ?? '?').join('')}${table.header.length < 3 ? '…' : ''}]`
      : 'pcsTable';
    const r = row && table ? `/pcsRow[${table.rows.length + 1}]` : '';
    const a = axis ? `/axis[pos=${axis.pos}]` : '';
    return `${t}${r}${a}`;
  };
  const fail = (problem: string, at: XmlPosition): never => {
    throw parseError(problem, { file, line: at.line, element: where() });
  };
  const sendHeader = () => {
    if (!headerSent) {
      headerSent = true;
      onHeader?.({ ...header });
    }
  };
  const intAttr = (attrs: Record<string, string>, name: string, el: string, at: XmlPosition): number | undefined => {
    const raw = attrs[name];
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) fail(`${el}@${name}="${raw}" is not a number`, at);
    return Number(raw);
  };

  return {
    open(name, attrs, at) {
      const parent = stack[stack.length - 1];
      stack.push(name);
      texts.push('');
      if (name === 'pcsTable') {
        if (parent !== TABLES_ROOT) fail(`<pcsTable> inside <${parent}>`, at);
        sendHeader();
        table = { header: [], rows: [], line: at.line };
      } else if (name === 'pcsRow') {
        if (!table || parent !== 'pcsTable') fail('<pcsRow> outside a <pcsTable>', at);
        if (table!.header.length !== 3) fail(`<pcsRow> before the table's axes 1-3 (found ${table!.header.length})`, at);
        row = { codes: intAttr(attrs, 'codes', 'pcsRow', at) ?? -1, axes: [], line: at.line };
      } else if (name === 'axis') {
        if (parent !== 'pcsTable' && parent !== 'pcsRow') fail(`<axis> inside <${parent}>`, at);
        const pos = intAttr(attrs, 'pos', 'axis', at);
        if (pos === undefined) fail('<axis> without a pos attribute', at);
        const expected = parent === 'pcsTable' ? table!.header.length + 1 : row!.axes.length + 4;
        if (pos !== expected)
          fail(`axis pos="${pos}" where pos="${expected}" was expected (axes must run 1-3 in the table, 4-7 in each row)`, at);
        if (parent === 'pcsTable' && pos! > 3) fail(`axis pos="${pos}" directly in a table; positions 4-7 belong in a <pcsRow>`, at);
        axis = { pos: pos!, declared: intAttr(attrs, 'values', 'axis', at), values: [], line: at.line };
      } else if (name === 'label') {
        if (!axis || parent !== 'axis') fail('<label> outside an <axis>', at);
        const code = attrs.code;
        if (code === undefined || !PCS_CHAR.test(code)) {
          fail(`label code="${code ?? ''}" is not one ICD-10-PCS character (0-9, A-Z without I and O)`, at);
        }
        labelCode = code;
      }
    },
    text(t) {
      texts[texts.length - 1] += t;
    },
    close(name, at, emit) {
      stack.pop();
      const text = (texts.pop() ?? '').trim();
      const parent = stack[stack.length - 1];
      if (parent === TABLES_ROOT && (name === 'version' || name === 'title')) {
        header[name] = text;
        return;
      }
      if (name === 'label' && axis && labelCode !== undefined) {
        if (!text) fail(`label code="${labelCode}" has no text`, at);
        if (axis.values.some((v) => v.code === labelCode)) fail(`value "${labelCode}" appears twice in the axis`, at);
        axis.values.push({ code: labelCode, text });
        labelCode = undefined;
      } else if (name === 'title' && parent === 'axis' && axis) {
        axis.title = text;
      } else if (name === 'definition' && parent === 'axis' && axis) {
        axis.definition = text;
      } else if (name === 'axis' && axis) {
        if (!axis.title) fail('axis has no <title>', at);
        if (axis.values.length === 0) fail('axis has no <label> value', at);
        if (axis.declared !== undefined && axis.declared !== axis.values.length) {
          fail(`axis values="${axis.declared}" but it lists ${axis.values.length} label(s)`, at);
        }
        if (axis.pos <= 3) {
          if (axis.values.length !== 1) fail(`axis pos="${axis.pos}" must have exactly one label, has ${axis.values.length}`, at);
          table!.header.push(axis);
        } else {
          row!.axes.push(axis);
        }
        axis = undefined;
      } else if (name === 'pcsRow' && row && table) {
        if (row.axes.length !== 4) fail(`row has ${row.axes.length} axes, expected positions 4-7`, at);
        const product = row.axes.reduce((n, a) => n * a.values.length, 1);
        if (row.codes >= 0 && row.codes !== product) fail(`pcsRow codes="${row.codes}" but its axes combine to ${product} codes`, at);
        table.rows.push({
          codes: product,
          axes: row.axes.map((a) => ({ pos: a.pos, title: a.title!, values: a.values })) as PcsRow['axes'],
          line: row.line,
        });
        row = undefined;
      } else if (name === 'pcsTable' && table) {
        if (table.header.length !== 3) fail(`table has ${table.header.length} of its axes 1-3`, at);
        if (table.rows.length === 0) fail('table has no <pcsRow>', at);
        const [s, b, o] = table.header.map(
          (a): PcsHeaderAxis => ({
            pos: a.pos as 1 | 2 | 3,
            title: a.title!,
            value: a.values[0],
            ...(a.definition !== undefined ? { definition: a.definition } : {}),
          }),
        );
        emit({
          code: s.value.code + b.value.code + o.value.code,
          section: s,
          bodySystem: b,
          operation: o,
          rows: table.rows,
          line: table.line,
        });
        tablesSeen++;
        table = undefined;
      }
    },
    end(at) {
      sendHeader();
      if (tablesSeen === 0) throw parseError('no <pcsTable> in the file', { file, line: at.line });
    },
  };
}

/**
 * Stream the tables of an ICD-10-PCS Tables XML file, one `PcsTable` per `<pcsTable>`, in file order.
 * Throws a `parse_error` MedCodesError naming file, line and table on malformed or truncated XML, a
 * wrong root element, or a table that breaks the layout (axes out of order, a label code that is not
 * a PCS character, `values`/`codes` attributes that disagree with the labels).
 */
export function parsePcsTables(source: XmlSource, options: ParseOptions = {}): AsyncGenerator<PcsTable> {
  const file = options.file ?? 'ICD-10-PCS tables XML';
  return streamXml(source, { file, root: TABLES_ROOT, format: 'an ICD-10-PCS Tables XML file' }, tableHandler(file, options.onHeader));
}

/** Parse a whole Tables XML document held in a string (tests, small inputs). */
export async function parsePcsTablesString(xml: string, file?: string): Promise<{ header: PcsXmlHeader; tables: PcsTable[] }> {
  let header: PcsXmlHeader = {};
  const tables = await collect(parsePcsTables(xml, { file, onHeader: (h) => (header = h) }));
  return { header, tables };
}

// ---------------------------------------------------------------------------------------------
// Expansion and decomposition
// ---------------------------------------------------------------------------------------------

/** The valid codes of one row: the cartesian product of its four axes, in file order (position 7 varies fastest). */
export function expandPcsRow(table: PcsTable, row: PcsRow): string[] {
  let codes = [table.code];
  for (const axis of row.axes) {
    const next: string[] = [];
    for (const prefix of codes) for (const v of axis.values) next.push(prefix + v.code);
    codes = next;
  }
  return codes;
}

/** The valid codes of a table: every row expanded, rows in file order. */
export function expandPcsTable(table: PcsTable): string[] {
  return table.rows.flatMap((row) => expandPcsRow(table, row));
}

/** One character of a decomposed code. */
export interface PcsCodeCharacter {
  /** Position 1-7. */
  pos: number;
  /** The character. */
  char: string;
  /** The axis title at this position in the code's table/row ("Section", "Body Part", "Approach", ...). */
  axisTitle: string;
  /** The value's label text ("Medical and Surgical", "Appendix", ...). */
  label: string;
  /** Position 3 only: the table's `<definition>` of the operation, when the file has one. */
  definition?: string;
  /**
   * Partial codes only: other labels the same character has in other rows of the table that also
   * match the partial code (a value's meaning can differ between rows of one table, e.g. XNS body
   * part 4). Absent when every matching row agrees.
   */
  otherLabels?: string[];
}

/** Tables looked up by code prefix. Build once from the parsed tables, then decompose any number of codes. */
export class PcsTableIndex {
  private readonly byPrefix = new Map<string, PcsTable[]>();
  readonly tables: PcsTable[];

  constructor(tables: Iterable<PcsTable>) {
    this.tables = [...tables];
    for (const t of this.tables) {
      for (const n of [1, 2, 3]) {
        const key = t.code.slice(0, n);
        const list = this.byPrefix.get(key);
        if (list) list.push(t);
        else this.byPrefix.set(key, [t]);
      }
    }
  }

  /** The table of a 3-character prefix (`0DT`), if any (the first, should a file repeat a prefix). */
  table(code3: string): PcsTable | undefined {
    const key = code3.trim().toUpperCase();
    return key.length === 3 ? this.byPrefix.get(key)?.[0] : undefined;
  }

  /** Tables whose code starts with a 1-3 character prefix. */
  tablesStartingWith(prefix: string): PcsTable[] {
    return this.byPrefix.get(prefix.trim().toUpperCase()) ?? [];
  }

  /** Number of tables. */
  get size(): number {
    return this.tables.length;
  }
}

function headerChars(table: PcsTable, n: number): PcsCodeCharacter[] {
  return [table.section, table.bodySystem, table.operation].slice(0, n).map((a) => ({
    pos: a.pos,
    char: a.value.code,
    axisTitle: a.title,
    label: a.value.text,
    ...(a.pos === 3 && a.definition !== undefined ? { definition: a.definition } : {}),
  }));
}

/**
 * Decompose a code (1-7 characters) into its characters with axis titles and value labels, using the
 * table of its first three characters and the row that holds characters 4-7: labels must come from
 * that row, since a value character can mean different things in different rows of one table
 * (FY2026 XNS: body part 4 is "Thoracic Vertebra" or "Humeral Shaft, Right"). A full code lies in
 * exactly one row (expansion of all FY2026 rows yields no duplicates). Returns undefined when the
 * code (or prefix) is not valid in the tables.
 */
export function decomposePcsCode(code: string, index: PcsTableIndex): PcsCodeCharacter[] | undefined {
  const c = code.trim().toUpperCase();
  if (c.length < 1 || c.length > 7 || ![...c].every((ch) => PCS_CHAR.test(ch))) return undefined;
  if (c.length <= 3) {
    const candidates = index.tablesStartingWith(c);
    return candidates.length ? headerChars(candidates[0], c.length) : undefined;
  }
  // Rows of every table with these three characters (FY2026 has one table per prefix; a file that
  // split a table in two would still decompose).
  const tail = c.slice(3);
  const tables = index.tablesStartingWith(c.slice(0, 3));
  const matching = tables.flatMap((t) => t.rows).filter((row) => [...tail].every((ch, i) => row.axes[i].values.some((v) => v.code === ch)));
  if (matching.length === 0) return undefined;
  const out = headerChars(tables[0], 3);
  [...tail].forEach((ch, i) => {
    const labels: string[] = [];
    for (const row of matching) {
      const text = row.axes[i].values.find((v) => v.code === ch)!.text;
      if (!labels.includes(text)) labels.push(text);
    }
    const first = matching[0].axes[i];
    out.push({
      pos: first.pos,
      char: ch,
      axisTitle: first.title,
      label: labels[0],
      ...(labels.length > 1 ? { otherLabels: labels.slice(1) } : {}),
    });
  });
  return out;
}

/** True when `code` is a complete code some row of the tables allows. */
export function isValidPcsCode(code: string, index: PcsTableIndex): boolean {
  return code.trim().length === 7 && decomposePcsCode(code, index) !== undefined;
}
