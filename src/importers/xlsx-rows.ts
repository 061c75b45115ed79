import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';

/**
 * The rows of an xlsx workbook's first worksheet, streamed: the workbook is a zip package of XML parts
 * (ECMA-376 Part 1, SpreadsheetML: 18.2 workbook, 18.3 sheet, 18.4 shared string table; Part 2, Open
 * Packaging Conventions, for the relationships). Read with the project's zip reader (yauzl) and XML
 * parser (saxes) instead of a spreadsheet library: the shared strings, workbook and relationships are
 * small and read first, then the worksheet is parsed as it is inflated, one row at a time.
 *
 * Cell values as SpreadsheetML types them (18.18.11 ST_CellType): `s` shared string, `str` a
 * formula's string result, `inlineStr`, `b` boolean, `e` error, `d` ISO 8601 date, otherwise a number.
 * Styles are read only with `dates`: a number whose cell format is a date format (the built-in
 * formats 14-22 and 45-47, 18.8.30, or a custom format with date or time codes) is then a Date (1900
 * date system, serial 25569 = 1970-01-01, as Excel and exceljs convert it); otherwise it stays a
 * number. Rich text is its runs' text joined; phonetic runs (`rPh`) are left out.
 */
export type XlsxCell = string | number | boolean | Date | { error: string } | null;

export interface XlsxRow {
  /** 1-based row number (the `r` attribute). */
  number: number;
  /** Values by 1-based column: `cells[0]` is column A. */
  cells: XlsxCell[];
}

function openBuffer(bytes: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true, autoClose: false }, (err, zip) => (err || !zip ? reject(err) : resolve(zip))),
  );
}

async function entries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  const out = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (e: yauzl.Entry) => {
      out.set(e.fileName.replace(/^\//, ''), e);
      zip.readEntry();
    });
    zip.readEntry();
  });
  return out;
}

function stream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err || !s ? reject(err) : resolve(s))));
}

/** Parse a part with saxes, chunk by chunk; `each` is called after every chunk (to hand out finished rows). */
async function* parse(source: Readable, parser: SaxesParser, each: () => Iterable<XlsxRow>): AsyncGenerator<XlsxRow> {
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  for await (const chunk of source) {
    parser.write((chunk as Buffer).toString('utf8'));
    if (failure) throw failure;
    yield* each();
  }
  parser.close();
  if (failure) throw failure;
  yield* each();
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** The shared string table (ECMA-376 18.4.9 sst): one string per `si`, its `t` texts joined, `rPh` left out. */
async function sharedStrings(source: Readable): Promise<string[]> {
  const out: string[] = [];
  const parser = new SaxesParser();
  let current: string | undefined;
  let inT = false;
  let inPhonetic = 0;
  parser.on('opentag', (t) => {
    const n = local(t.name);
    if (n === 'si') current = '';
    else if (n === 'rPh') inPhonetic++;
    else if (n === 't' && !inPhonetic) inT = true;
  });
  parser.on('closetag', (t) => {
    const n = local(t.name);
    if (n === 'si') {
      out.push(current ?? '');
      current = undefined;
    } else if (n === 'rPh') inPhonetic--;
    else if (n === 't') inT = false;
  });
  parser.on('text', (text) => {
    if (inT && current !== undefined) current += text;
  });
  for await (const _ of parse(source, parser, () => [])) {
    // parse yields nothing here: it only drives the parser.
  }
  return out;
}

/** Attributes of every element named `name` in a small part (workbook.xml, its relationships). */
async function elements(source: Readable, name: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  const parser = new SaxesParser();
  parser.on('opentag', (t: SaxesTagPlain) => {
    if (local(t.name) === name) out.push(Object.fromEntries(Object.entries(t.attributes).map(([k, v]) => [k, String(v)])));
  });
  for await (const _ of parse(source, parser, () => [])) {
    // as above
  }
  return out;
}

/** Built-in number formats that are dates or times (ECMA-376 Part 1, 18.8.30 numFmt). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Indexes of the cell formats (`cellXfs/xf`) whose number format is a date or time. */
async function dateStyleIndexes(source: Readable): Promise<Set<number>> {
  const custom = new Map<number, string>();
  const xfs: number[] = [];
  const parser = new SaxesParser();
  let inCellXfs = false;
  parser.on('opentag', (t: SaxesTagPlain) => {
    const n = local(t.name);
    if (n === 'numFmt') custom.set(Number(t.attributes.numFmtId), String(t.attributes.formatCode ?? ''));
    else if (n === 'cellXfs') inCellXfs = true;
    else if (n === 'xf' && inCellXfs) xfs.push(Number(t.attributes.numFmtId ?? 0));
  });
  parser.on('closetag', (t) => {
    if (local(t.name) === 'cellXfs') inCellXfs = false;
  });
  for await (const _ of parse(source, parser, () => [])) {
    // as above
  }
  // A custom format is a date when, outside quoted text and [colour/condition] sections, it has date or time codes.
  const isDate = (code: string) => /[dmyhs]/i.test(code.replace(/"[^"]*"|\[[^\]]*\]|\\./g, ''));
  const out = new Set<number>();
  xfs.forEach((id, i) => {
    if (BUILTIN_DATE_FORMATS.has(id) || (custom.has(id) && isDate(custom.get(id)!))) out.add(i);
  });
  return out;
}

/** Column number of a cell reference (`AV12` -> 48). */
function columnOf(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const c = ch.charCodeAt(0);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n;
}

/** The worksheet part of the workbook's first sheet (workbook.xml `sheet`, resolved through its relationships). */
async function firstSheetPath(zip: yauzl.ZipFile, parts: Map<string, yauzl.Entry>): Promise<string | undefined> {
  const wb = parts.get('xl/workbook.xml');
  const rels = parts.get('xl/_rels/workbook.xml.rels');
  if (wb && rels) {
    const sheet = (await elements(await stream(zip, wb), 'sheet'))[0];
    const id = sheet && Object.entries(sheet).find(([k]) => local(k) === 'id' && k !== 'sheetId')?.[1];
    const target = id && (await elements(await stream(zip, rels), 'Relationship')).find((r) => r.Id === id)?.Target;
    if (target) return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  return [...parts.keys()].filter((n) => /^xl\/worksheets\/[^/]+\.xml$/.test(n)).sort()[0];
}

/**
 * Rows of the first worksheet of the workbook in `bytes`. Throws (yauzl's or saxes' error) on a
 * package that is not a readable zip or a part that is not well-formed XML; yields nothing more after
 * the first worksheet. Returns `undefined` rows when the workbook has no worksheet (see `hasSheet`).
 */
export async function* xlsxRows(bytes: Buffer, found?: { sheet: boolean }, opts: { dates?: boolean } = {}): AsyncGenerator<XlsxRow> {
  const zip = await openBuffer(bytes);
  try {
    const parts = await entries(zip);
    const sst = parts.get('xl/sharedStrings.xml');
    const strings = sst ? await sharedStrings(await stream(zip, sst)) : [];
    const stylesPart = opts.dates ? parts.get('xl/styles.xml') : undefined;
    const dateStyles = stylesPart ? await dateStyleIndexes(await stream(zip, stylesPart)) : new Set<number>();
    const path = await firstSheetPath(zip, parts);
    const sheet = path ? parts.get(path) : undefined;
    if (!sheet) return;
    if (found) found.sheet = true;

    const parser = new SaxesParser();
    const done: XlsxRow[] = [];
    let row: XlsxRow | undefined;
    let lastRow = 0;
    let col = 0;
    let type = 'n';
    let style = 0;
    let value: string | undefined;
    let inline = '';
    let reading: 'v' | 't' | undefined;
    let inInline = false;
    parser.on('opentag', (t: SaxesTagPlain) => {
      switch (local(t.name)) {
        case 'row': {
          const r = Number(t.attributes.r);
          lastRow = Number.isInteger(r) && r > 0 ? r : lastRow + 1;
          row = { number: lastRow, cells: [] };
          col = 0;
          break;
        }
        case 'c': {
          const ref = t.attributes.r ? String(t.attributes.r) : '';
          col = ref ? columnOf(ref) : col + 1;
          type = t.attributes.t ? String(t.attributes.t) : 'n';
          style = Number(t.attributes.s ?? 0);
          value = undefined;
          inline = '';
          break;
        }
        case 'v':
          reading = 'v';
          value = '';
          break;
        case 'is':
          inInline = true;
          break;
        case 't':
          if (inInline) reading = 't';
          break;
      }
    });
    parser.on('text', (text) => {
      if (reading === 'v') value += text;
      else if (reading === 't') inline += text;
    });
    parser.on('closetag', (t) => {
      switch (local(t.name)) {
        case 'v':
        case 't':
          reading = undefined;
          break;
        case 'is':
          inInline = false;
          break;
        case 'c': {
          if (!row) break;
          let cell: XlsxCell = null;
          if (type === 'inlineStr') cell = inline;
          else if (value !== undefined) {
            if (type === 's') cell = strings[Number(value)] ?? null;
            else if (type === 'str') cell = value;
            else if (type === 'b') cell = value === '1';
            else if (type === 'e') cell = { error: value };
            else if (type === 'd') cell = new Date(value);
            else if (value.trim() === '') cell = null;
            else if (dateStyles.has(style)) cell = new Date(Math.round((Number(value) - 25569) * 86_400_000));
            else cell = Number(value);
          }
          if (cell !== null) row.cells[col - 1] = cell;
          break;
        }
        case 'row':
          if (row) done.push(row);
          row = undefined;
          break;
      }
    });
    yield* parse(await stream(zip, sheet), parser, () => done.splice(0));
  } finally {
    zip.close();
  }
}
