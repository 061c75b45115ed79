/**
 * ICD-10-CM Alphabetic Index XML: the Index to Diseases and Injuries (`icd10cm_index_YYYY.xml`) and the
 * External Cause of Injuries Index (`icd10cm_eindex_YYYY.xml`). Both follow CDC-NCHS's
 * `icd10cm_index.xsd`:
 *
 *   ICD10CM.index > version?, title?, letter+
 *   letter        > title, mainTerm+
 *   mainTerm      > title, see?, seeAlso?, code?, seecat?, subcat?, manif?, term*
 *   term[level=N] > (same as mainTerm; N = 1..9 counts the nesting below the main term)
 *   title         > text with an optional <nemod> (nonessential modifier, printed in parentheses)
 *
 * The parser streams: it takes the file as chunks (a Readable, a zip member stream, a string) and yields
 * one {@link IndexEntry} per mainTerm/term element, in document order (a term before its sub-terms), so
 * memory stays flat on the 9 MB index. It is pure: no database, no file system.
 *
 * The helpers at the end (title rendering, code syntax, chunk decoding, saxes error mapping) are shared
 * with the Drug/Neoplasm table parser (tables.ts), whose XML uses the same title/nemod conventions.
 */
import { SaxesParser } from 'saxes';
import { MedCodesError, parseError } from '../../errors.js';

/** Which index a file is: the Index to Diseases and Injuries, or the External Cause of Injuries Index. */
export type IndexSource = 'index' | 'eindex';

/** One `<mainTerm>` or `<term>` of the Alphabetic Index, with the path of titles leading to it. */
export interface IndexEntry {
  /** `index` (icd10cm_index_YYYY.xml) or `eindex` (icd10cm_eindex_YYYY.xml). */
  source: IndexSource;
  /** `<ICD10CM.index><version>` as printed (e.g. `2017`), when the file has one. */
  version?: string;
  /** `<letter><title>` of the letter section the main term sits in (`A` … `Z`). */
  letter: string;
  /** 0 for a `<mainTerm>`; N for `<term level="N">` (checked against the actual nesting). */
  level: number;
  /**
   * Titles from the main term down to this term, each as printed: the `<title>` text with its
   * `<nemod>` in place, e.g. `['Abasia (-astasia) (hysterical)']`. Join with ", " for display.
   */
  path: string[];
  /** The same titles without their nonessential modifiers, for search: `['Abasia']`. */
  barePath: string[];
  /** This term's title as printed (last element of `path`). */
  title: string;
  /** This term's title without its `<nemod>` (last element of `barePath`). */
  bareTitle: string;
  /** The `<nemod>` text of this term's title, e.g. `(-astasia) (hysterical)`. */
  nemod?: string;
  /** `<code>`: the code the term leads to, as printed; may be partial (`K55.06-`, `M62.27-`, `S72.-`). */
  code?: string;
  /** The code ends with `-`: more characters must be chosen in the Tabular List. */
  codePartial: boolean;
  /** `<manif>`: the manifestation code, printed in brackets after the code (`E85.4 [I43]`). Code first. */
  manif?: string;
  /** The manifestation code ends with `-`. */
  manifPartial: boolean;
  /**
   * `<see>`: the term (path joined by ", ") the reader must look up instead. A few point to Tabular
   * categories instead of a term ("categories O03-O06", "categories F11-F19 with .x5x"); where the file
   * splits such a reference around a `<code>` (`<see>categories T17 and</see><code>T18</code>`,
   * `<seeAlso>subcategory</seeAlso><code>M43.8</code>`), the code is put back into the text
   * ("categories T17 and T18") and not reported as the term's `code`.
   */
  see?: string;
  /** `<seeAlso>`: a further term worth consulting (same category caveat: "category M01", "category T71"). */
  seeAlso?: string;
  /** `<seecat>`: "see category" — the 3-character category to consult in the Tabular List (e.g. `M01`). */
  seecat?: string;
  /** `<subcat>`: a subcategory that needs further characters from the Tabular List (e.g. `H81.8`). */
  subcat?: string;
  /** Line of the element's start tag in the file, for error messages and provenance. */
  line: number;
}

export interface IndexXmlOptions {
  /** File name used in error messages (e.g. `icd10cm_index_2017.xml`). */
  file?: string;
  /**
   * Which index the file is. When omitted it is read from the file's `<title>` ("INDEX TO DISEASES and
   * INJURIES" / "External Cause of Injuries Index"); when given and the title says the other, that is an
   * error (the wrong file was passed).
   */
  source?: IndexSource;
}

/** Input accepted by the streaming parsers: a whole text, or chunks (fs/zip Readable, async iterable). */
export type TextInput = string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Stream the Alphabetic Index: one {@link IndexEntry} per `<mainTerm>`/`<term>`, in document order. */
export async function* readIndexXml(input: TextInput, options: IndexXmlOptions = {}): AsyncGenerator<IndexEntry> {
  const core = new IndexXmlCore(options);
  for await (const text of decodeChunks(input, 'utf-8', options.file)) yield* core.write(text);
  yield* core.end();
}

/** Parse a whole Alphabetic Index XML text at once (tests, small files). */
export function parseIndexXml(text: string, options: IndexXmlOptions = {}): IndexEntry[] {
  const core = new IndexXmlCore(options);
  return [...core.write(text), ...core.end()];
}

/** Elements of icd10cm_index.xsd's termGroup that hold a single string. */
const TERM_FIELDS = ['see', 'seeAlso', 'code', 'seecat', 'subcat', 'manif'] as const;
type TermField = (typeof TERM_FIELDS)[number];

interface TermFrame {
  level: number;
  line: number;
  parts: TitlePart[];
  title?: string;
  bareTitle?: string;
  nemod?: string;
  fields: Partial<Record<TermField, string>>;
  /** Set once the entry is emitted (at its first sub-term or its end tag). */
  emitted: boolean;
}

/**
 * A cross-reference text that the next <code> completes: it ends with "category", "subcategory",
 * "categories", or a list still open ("categories T17 and", "subcategories T74.0,").
 */
const REF_AWAITING_CODE = /(?:^|\s)(?:sub)?categor(?:y|ies)$|\sand$|,$/i;

const INDEX_TITLES: Array<[RegExp, IndexSource]> = [
  [/external cause/i, 'eindex'],
  [/index to diseases/i, 'index'],
];

/** Push-style core: feed text chunks, get the entries completed so far. */
class IndexXmlCore {
  private readonly parser = new SaxesParser({ position: true });
  private readonly file?: string;
  private readonly out: IndexEntry[] = [];
  /** Open element names, root first. */
  private readonly elements: string[] = [];
  private readonly frames: TermFrame[] = [];
  /** Text being collected for the innermost string element (or a title part), if any. */
  private text: string | null = null;
  private source?: IndexSource;
  private version?: string;
  private letter?: string;
  private letters = 0;

  constructor(private readonly options: IndexXmlOptions) {
    this.file = options.file;
    const p = this.parser;
    p.on('opentag', (tag) => this.open(tag.name, tag.attributes as Record<string, string>));
    p.on('closetag', (tag) => this.close(tag.name));
    p.on('text', (t) => this.onText(t));
    p.on('cdata', (t) => this.onText(t));
  }

  write(chunk: string): IndexEntry[] {
    writeSaxes(this.parser, chunk, this.file);
    return this.out.splice(0);
  }

  end(): IndexEntry[] {
    writeSaxes(this.parser, null, this.file);
    if (this.letters === 0) {
      throw parseError('no <letter> sections: this is not an ICD-10-CM Alphabetic Index file', { file: this.file });
    }
    return this.out.splice(0);
  }

  private fail(problem: string, element?: string): MedCodesError {
    return parseError(problem, { file: this.file, line: this.parser.line, element: element ?? this.where() });
  }

  /** Error location: the bare titles of the open terms, then the innermost element. */
  private where(): string {
    const titles = this.frames.map((f) => f.bareTitle ?? '?');
    const inner = this.elements[this.elements.length - 1];
    const element = inner && inner !== 'mainTerm' && inner !== 'term' ? `<${inner}>` : '';
    return [...titles, element].filter(Boolean).join(' > ');
  }

  private open(name: string, attrs: Record<string, string>): void {
    const parent = this.elements[this.elements.length - 1];
    this.elements.push(name);
    if (parent === undefined) {
      if (name !== 'ICD10CM.index') {
        throw this.fail(
          `expected the ICD-10-CM Alphabetic Index (root <ICD10CM.index>, icd10cm_index.xsd), found root <${name}>`,
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
        if (name === 'version' || name === 'title') return this.startText();
        if (name === 'letter') {
          this.letters++;
          this.letter = undefined;
          this.resolveSource();
          return;
        }
        if (name === 'indexHeading') {
          throw this.fail(
            'this file has table column headings (<indexHeading>): it is a Table of Drugs or Neoplasms, ' +
              'not the Alphabetic Index; use the table parser (tables.ts)',
          );
        }
        break;
      case 'letter':
        if (name === 'title') return this.startText();
        if (name === 'mainTerm') return this.openTerm(0, attrs);
        break;
      case 'mainTerm':
      case 'term': {
        const frame = this.frames[this.frames.length - 1];
        if (name === 'title') {
          frame.parts = [];
          return this.startText();
        }
        if (name === 'term') return this.openTerm(this.frames.length, attrs);
        if ((TERM_FIELDS as readonly string[]).includes(name)) {
          if (frame.emitted) throw this.fail(`<${name}> after the sub-terms of its term (icd10cm_index.xsd order)`);
          if (frame.fields[name as TermField] !== undefined) throw this.fail(`repeated <${name}> in one term`);
          return this.startText();
        }
        if (name === 'cell') {
          throw this.fail('table cell (<cell>) in a term: this is a Table of Drugs or Neoplasms, not the Alphabetic Index');
        }
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
    throw this.fail(`unexpected element <${name}> inside <${parent}> (not in icd10cm_index.xsd)`);
  }

  private close(name: string): void {
    this.elements.pop();
    const parent = this.elements[this.elements.length - 1];
    switch (name) {
      case 'ICD10CM.index':
        return;
      case 'version':
        this.version = this.takeText();
        return;
      case 'title': {
        if (parent === 'ICD10CM.index') {
          this.detectSource(this.takeText());
          return;
        }
        if (parent === 'letter') {
          this.letter = this.takeText();
          return;
        }
        const frame = this.frames[this.frames.length - 1];
        this.flushTitleText();
        this.text = null;
        const t = renderTitle(frame.parts);
        if (!t.title) throw this.fail('empty <title>');
        frame.title = t.title;
        frame.bareTitle = t.bareTitle;
        frame.nemod = t.nemod;
        return;
      }
      case 'nemod': {
        const frame = this.frames[this.frames.length - 1];
        frame.parts.push({ nemod: this.takeText() });
        this.startText(); // the title's text continues after the nemod
        return;
      }
      case 'letter':
        return;
      case 'mainTerm':
      case 'term': {
        const frame = this.frames[this.frames.length - 1];
        if (!frame.emitted) this.emit(frame);
        this.frames.pop();
        return;
      }
      default: {
        // One of TERM_FIELDS (open() admitted nothing else).
        const value = this.takeText();
        const field = name as TermField;
        if (!value) throw this.fail(`empty <${field}>`, this.where() + ` > <${field}>`);
        if ((field === 'code' || field === 'manif' || field === 'seecat' || field === 'subcat') && !isCodeRef(value)) {
          throw this.fail(`<${field}> "${value}" is not an ICD-10-CM code`, this.where() + ` > <${field}>`);
        }
        const fields = this.frames[this.frames.length - 1].fields;
        if (field === 'code') {
          // "see categories T17 and T18" is marked up <see>categories T17 and</see><code>T18</code>,
          // "see also subcategory M43.8" as <seeAlso>subcategory</seeAlso><code>M43.8</code>: that code
          // ends the cross-reference (as printed), the term itself has no code. (Not so
          // <seeAlso>category M01</seeAlso><code>B74.9</code>: complete reference, then the term's code.)
          const ref = fields.seeAlso !== undefined ? 'seeAlso' : fields.see !== undefined ? 'see' : undefined;
          if (ref && REF_AWAITING_CODE.test(fields[ref]!)) {
            fields[ref] = `${fields[ref]} ${value}`;
            return;
          }
        }
        fields[field] = value;
      }
    }
  }

  private onText(t: string): void {
    if (this.text !== null) {
      this.text += t;
    } else if (t.trim() !== '') {
      const inner = this.elements[this.elements.length - 1] ?? 'document';
      throw this.fail(`unexpected text "${t.trim().slice(0, 40)}" inside <${inner}>`);
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

  /** Move the title text collected so far into the current frame's parts. */
  private flushTitleText(): void {
    const frame = this.frames[this.frames.length - 1];
    if (this.text) frame.parts.push({ text: this.text });
    this.text = null;
  }

  private openTerm(expectedLevel: number, attrs: Record<string, string>): void {
    this.resolveSource();
    if (this.letter === undefined) throw this.fail('<mainTerm> before the <title> of its <letter>');
    let level = 0;
    if (expectedLevel > 0) {
      const raw = attrs.level;
      level = Number(raw);
      if (raw === undefined || !Number.isInteger(level)) throw this.fail(`<term> without a numeric level attribute`);
      if (level !== expectedLevel) {
        throw this.fail(`<term level="${raw}"> nested at depth ${expectedLevel}: the level must equal the nesting depth`);
      }
      const parent = this.frames[this.frames.length - 1];
      if (parent.title === undefined) throw this.fail('<term> inside a term that has no <title> yet');
      if (!parent.emitted) this.emit(parent);
    }
    this.frames.push({ level, line: this.parser.line, parts: [], fields: {}, emitted: false });
  }

  private emit(frame: TermFrame): void {
    if (frame.title === undefined || frame.bareTitle === undefined) throw this.fail('term without a <title>');
    const f = frame.fields;
    const entry: IndexEntry = {
      source: this.source!,
      letter: this.letter!,
      level: frame.level,
      path: this.frames.map((x) => x.title!),
      barePath: this.frames.map((x) => x.bareTitle!),
      title: frame.title,
      bareTitle: frame.bareTitle,
      codePartial: f.code !== undefined && isPartialCode(f.code),
      manifPartial: f.manif !== undefined && isPartialCode(f.manif),
      line: frame.line,
    };
    if (this.version !== undefined) entry.version = this.version;
    if (frame.nemod !== undefined) entry.nemod = frame.nemod;
    for (const k of TERM_FIELDS) if (f[k] !== undefined) entry[k] = f[k];
    frame.emitted = true;
    this.out.push(entry);
  }

  private detectSource(title: string): void {
    const detected = INDEX_TITLES.find(([re]) => re.test(title))?.[1];
    if (detected && this.options.source && detected !== this.options.source) {
      throw this.fail(
        `expected the ${this.options.source === 'index' ? 'Index to Diseases and Injuries' : 'External Cause Index'}` +
          ` but the file's title is "${title}"`,
        '<ICD10CM.index> > <title>',
      );
    }
    this.source = detected ?? this.options.source;
  }

  private resolveSource(): void {
    this.source ??= this.options.source;
    if (this.source === undefined) {
      throw this.fail('cannot tell whether this is the Index or the External Cause Index: no recognised <title>; pass options.source');
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers (also used by tables.ts)

/** A piece of an index `<title>`: plain text, or the text of a `<nemod>`. */
export type TitlePart = { text: string } | { nemod: string };

/**
 * Render a title the way the printed index shows it, from its text and `<nemod>` parts.
 *
 * The XML puts the nonessential modifier right after the word it qualifies with no space
 * (`Abasia<nemod>(-astasia) (hysterical)</nemod>`); the printed index (and CDC's own CSV of the Table
 * of Drugs, checked against all 777 nemods of icd10cm_drug_2022.xml) separates it by a space:
 * "Abasia (-astasia) (hysterical)". The exceptions, where the parenthesis is part of the word:
 * - a plural `(s)`: "Cyanide(s) (compounds)", "finger(s)" (as CDC's CSV prints it);
 * - nothing or a space or a hyphen before it: "(L)-triiodothyronine", "delta-(super)infection";
 * - a letter-sized infix glued to the next word: "Cancer(o)phobia", "Klein(e)-Levin syndrome",
 *   "HB(c)(s)-AG", and an eponym infix "(-Weber)" between hyphens: "Osler(-Weber)-Rendu disease".
 * Whitespace runs are collapsed to one space, as in CDC's CSV.
 */
export function renderTitle(parts: TitlePart[]): { title: string; bareTitle: string; nemod?: string } {
  let title = '';
  let bare = '';
  const nemods: string[] = [];
  parts.forEach((part, i) => {
    if ('text' in part) {
      title += part.text;
      bare += part.text;
      return;
    }
    const nemod = collapse(part.nemod);
    if (!nemod) return;
    nemods.push(nemod);
    const next = parts[i + 1];
    const after = next && 'text' in next ? next.text : '';
    const glued =
      title.trim() === '' ||
      /[\s(-]$/.test(title) ||
      nemod.startsWith('(s)') ||
      (/^(\([a-z]\))+$/.test(nemod) && /^[A-Za-z-]/.test(after)) ||
      (nemod.startsWith('(-') && after.startsWith('-'));
    title += (glued ? '' : ' ') + nemod;
  });
  const result: { title: string; bareTitle: string; nemod?: string } = {
    title: collapse(title),
    bareTitle: collapse(bare),
  };
  if (nemods.length) result.nemod = nemods.join(' ');
  return result;
}

/** Collapse whitespace runs (the files wrap nothing, but a few values carry trailing blanks). */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * ICD-10-CM code syntax as printed in the index and tables: letter, digit, alphanumeric, then an
 * optional dot and 1-4 alphanumerics; a trailing `-` marks a partial code (`K55.06-`, `S72.-`, `C79.8-`).
 */
const CODE_REF = /^[A-Z][0-9][0-9A-Z](?:-|\.-|\.[0-9A-Z]{1,4}-?)?$/;

/** Whether `s` is an ICD-10-CM code (complete or partial) as printed in the index. */
export function isCodeRef(s: string): boolean {
  return CODE_REF.test(s);
}

/** A printed code ending with `-`: further characters must be chosen in the Tabular List. */
export function isPartialCode(code: string): boolean {
  return code.endsWith('-');
}

/**
 * Turn the input into text chunks. Buffers are decoded incrementally (a multi-byte character may be
 * split across chunks); `fatal` so that bytes that are not valid in the encoding are reported, not
 * silently replaced.
 */
export async function* decodeChunks(input: TextInput, encoding: 'utf-8' | 'windows-1252', file?: string): AsyncGenerator<string> {
  if (typeof input === 'string') {
    yield input;
    return;
  }
  if (encoding === 'windows-1252') {
    // Single-byte: no character spans chunks, so each chunk decodes on its own.
    const iterable = input instanceof Uint8Array ? [input] : input;
    for await (const chunk of iterable as AsyncIterable<string | Uint8Array>) {
      yield typeof chunk === 'string' ? chunk : decodeWindows1252(chunk);
    }
    return;
  }
  const decoder = new TextDecoder(encoding, { fatal: true });
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw parseError(`the file is not valid ${encoding} text`, { file });
    }
  };
  if (input instanceof Uint8Array) {
    yield decode(input) + decode();
    return;
  }
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    yield typeof chunk === 'string' ? chunk : decode(chunk);
  }
  const rest = decode();
  if (rest) yield rest;
}

/** Windows-1252 code points of bytes 0x80-0x9F (WHATWG encoding table; the 5 unassigned bytes map to C1). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/**
 * Decode Windows-1252 bytes. Done by table because Node 20's `TextDecoder('windows-1252')` decodes as
 * ISO-8859-1 on its non-streaming path (byte 0x96, the en dash of CDC's CSV, came out as U+0096).
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const codes = Array.from(bytes.subarray(i, i + 8192), (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : b));
    out += String.fromCharCode(...codes);
  }
  return out;
}

/**
 * Feed saxes one chunk (or `null` to close) and turn its well-formedness errors into parse errors that
 * name the file and line. Errors thrown by our own handlers (already MedCodesErrors) pass through.
 */
export function writeSaxes(parser: SaxesParser, chunk: string | null, file?: string): void {
  try {
    if (chunk === null) parser.close();
    else parser.write(chunk);
  } catch (err) {
    if (err instanceof MedCodesError) throw err;
    const message = err instanceof Error ? err.message.replace(/^\d+:\d+: /, '') : String(err);
    const problem = chunk === null ? `XML ends early (truncated file?): ${message}` : `malformed XML: ${message}`;
    throw parseError(problem, { file, line: parser.line });
  }
}
