import { parseError } from '../../errors.js';
import {
  collect,
  PCS_CODE,
  streamXml,
  type ParseOptions,
  type PcsXmlHeader,
  type XmlHandler,
  type XmlPosition,
  type XmlSource,
} from './tables.js';

/**
 * ICD-10-PCS Index XML (`icd10pcs_index_YYYY.xml`, CMS, root `<ICD10PCS.index>`).
 *
 * Layout (FY2025): `<version>`, `<title>`, then one `<letter>` per initial (`<title>` "3", "A" ... "Z")
 * holding `<mainTerm>` entries. A main term has a `<title>` and nested `<term level="N">` entries
 * (N = nesting depth, 1 directly under the main term; up to 5 in FY2025). A main term or term may
 * carry, after its title:
 * - `<code>`: a complete 7-character code, e.g. `10A07ZX`;
 * - `<codes>`: a partial code (4-6 characters, e.g. `0UT9`) that sends the coder to the table row(s);
 * - `<tab>`: a 3-character table, e.g. `F02`;
 * - `<see>` / `<use>`: a cross-reference whose text is the target ("Resection, Uterus"), optionally
 *   followed inside the element by the target's `<codes>` or `<tab>`
 *   (`<see>Resection, Uterus<codes>0UT9</codes></see>`).
 * A `<term>` without `<title>` is an alternative under its parent (e.g. Abdominoplasty -> see
 * Alteration / Repair / Supplement): its path is its parent's.
 */

/** A code reference as printed in the index. */
export interface PcsIndexCode {
  /** The element it was printed in: `code` (7 characters), `codes` (partial, 3-7), `tab` (3-character table). */
  element: 'code' | 'codes' | 'tab';
  /** The characters as printed, e.g. `0UT9`. */
  value: string;
}

/** A `<see>` or `<use>` cross-reference. */
export interface PcsIndexReference {
  /** The element's own text: the term to look up, e.g. "Resection, Uterus" or "Stimulator Generator, Multiple Array in". */
  target: string;
  /** `<codes>` / `<tab>` children: the target's code or table, when printed. */
  codes: PcsIndexCode[];
}

/** One `<mainTerm>` or `<term>`, emitted in document order (a parent before its sub-terms). */
export interface PcsIndexEntry {
  /** `letter/title` of the enclosing letter, e.g. "A". */
  letter: string;
  /** Titles from the main term down to this entry (an untitled term has its parent's path). */
  path: string[];
  /** This element's own `<title>`; absent for an untitled `<term>`. */
  title?: string;
  /** 0 for a `<mainTerm>`, else `term@level`. */
  level: number;
  /** `<code>` / `<codes>` / `<tab>` directly in the entry. */
  codes: PcsIndexCode[];
  /** `<see>` references ("see Resection, Uterus"). */
  see: PcsIndexReference[];
  /** `<use>` references (the Body Part / Device / Substance key: "use Abdominal Sympathetic Nerve"). */
  use: PcsIndexReference[];
  /** Line of the `<mainTerm>` / `<term>` tag. */
  line: number;
}

export const INDEX_ROOT = 'ICD10PCS.index';

/** Shape of each code element's content. */
const CODE_SHAPE: Record<PcsIndexCode['element'], { re: RegExp; what: string }> = {
  code: { re: PCS_CODE, what: 'a 7-character ICD-10-PCS code' },
  codes: { re: /^[0-9A-HJ-NP-Z]{3,7}$/, what: 'a partial ICD-10-PCS code of 3-7 characters' },
  tab: { re: /^[0-9A-HJ-NP-Z]{3}$/, what: 'a 3-character ICD-10-PCS table' },
};

interface Frame {
  level: number;
  title?: string;
  parentPath: string[];
  codes: PcsIndexCode[];
  see: PcsIndexReference[];
  use: PcsIndexReference[];
  line: number;
  emitted: boolean;
}

function indexHandler(file: string, onHeader?: (h: PcsXmlHeader) => void): XmlHandler<PcsIndexEntry> {
  const stack: string[] = [];
  const texts: string[] = [];
  const header: PcsXmlHeader = {};
  let headerSent = false;
  let letter: string | undefined;
  const frames: Frame[] = [];
  let ref: PcsIndexReference | undefined;
  let count = 0;

  const pathOf = (f: Frame) => (f.title !== undefined ? [...f.parentPath, f.title] : f.parentPath);
  const where = () => {
    const top = frames[frames.length - 1];
    const path = top ? pathOf(top) : [];
    return path.length ? `mainTerm[${path.join(', ')}]` : letter !== undefined ? `letter[${letter}]` : undefined;
  };
  const fail = (problem: string, at: XmlPosition): never => {
    throw parseError(problem, { file, line: at.line, element: where() });
  };
  const flush = (f: Frame, at: XmlPosition, emit: (e: PcsIndexEntry) => void) => {
    if (f.emitted) return;
    f.emitted = true;
    if (f.level === 0 && f.title === undefined) fail('<mainTerm> has no <title>', at);
    if (f.title === undefined && !f.codes.length && !f.see.length && !f.use.length)
      fail('<term> has no title, code or see/use reference', at);
    emit({
      letter: letter!,
      path: pathOf(f),
      ...(f.title !== undefined ? { title: f.title } : {}),
      level: f.level,
      codes: f.codes,
      see: f.see,
      use: f.use,
      line: f.line,
    });
    count++;
  };
  const sendHeader = () => {
    if (!headerSent) {
      headerSent = true;
      onHeader?.({ ...header });
    }
  };

  return {
    open(name, attrs, at, emit) {
      const parent = stack[stack.length - 1];
      stack.push(name);
      texts.push('');
      if (name === 'letter') {
        if (parent !== INDEX_ROOT) fail(`<letter> inside <${parent}>`, at);
        sendHeader();
        letter = undefined;
      } else if (name === 'mainTerm') {
        if (parent !== 'letter') fail(`<mainTerm> inside <${parent}>`, at);
        if (letter === undefined) fail("<mainTerm> before the letter's <title>", at);
        frames.push({ level: 0, parentPath: [], codes: [], see: [], use: [], line: at.line, emitted: false });
      } else if (name === 'term') {
        if (parent !== 'mainTerm' && parent !== 'term') fail(`<term> inside <${parent}>`, at);
        const up = frames[frames.length - 1];
        const raw = attrs.level;
        if (raw !== String(up.level + 1)) fail(`term level="${raw ?? ''}" where level="${up.level + 1}" was expected (its depth)`, at);
        flush(up, at, emit);
        frames.push({ level: up.level + 1, parentPath: pathOf(up), codes: [], see: [], use: [], line: at.line, emitted: false });
      } else if (name === 'see' || name === 'use') {
        if (parent !== 'mainTerm' && parent !== 'term') fail(`<${name}> inside <${parent}>`, at);
        ref = { target: '', codes: [] };
      }
    },
    text(t) {
      texts[texts.length - 1] += t;
    },
    close(name, at, emit) {
      stack.pop();
      const text = (texts.pop() ?? '').trim();
      const parent = stack[stack.length - 1];
      const frame = frames[frames.length - 1];
      if (parent === INDEX_ROOT && (name === 'version' || name === 'title')) {
        header[name] = text;
      } else if (name === 'title' && parent === 'letter') {
        letter = text;
      } else if (name === 'title' && frame && (parent === 'mainTerm' || parent === 'term')) {
        if (!text) fail(`empty <title> in <${parent}>`, at);
        if (frame.title !== undefined) fail(`second <title> in one <${parent}>`, at);
        if (frame.emitted) fail(`<title> after the ${parent}'s sub-terms`, at);
        frame.title = text;
      } else if (name === 'code' || name === 'codes' || name === 'tab') {
        const shape = CODE_SHAPE[name];
        if (!shape.re.test(text)) fail(`<${name}>${text}</${name}> is not ${shape.what}`, at);
        const code: PcsIndexCode = { element: name, value: text };
        if (ref && (parent === 'see' || parent === 'use')) ref.codes.push(code);
        else if (frame && (parent === 'mainTerm' || parent === 'term')) {
          if (frame.emitted) fail(`<${name}> after the ${parent}'s sub-terms`, at);
          frame.codes.push(code);
        }
      } else if ((name === 'see' || name === 'use') && ref && frame) {
        if (!text) fail(`<${name}> has no target text`, at);
        if (frame.emitted) fail(`<${name}> after the ${parent}'s sub-terms`, at);
        ref.target = text;
        frame[name].push(ref);
        ref = undefined;
      } else if ((name === 'mainTerm' || name === 'term') && frame) {
        flush(frame, at, emit);
        frames.pop();
      } else if (name === 'letter') {
        if (letter === undefined) fail('<letter> has no <title>', at);
      }
    },
    end(at) {
      sendHeader();
      if (count === 0) throw parseError('no <mainTerm> entries in the file', { file, line: at.line });
    },
  };
}

/**
 * Stream the entries of an ICD-10-PCS Index XML file: every `<mainTerm>` and `<term>`, a parent
 * before its sub-terms. Throws a `parse_error` MedCodesError naming file, line and term on malformed
 * or truncated XML, a wrong root, a `level` that disagrees with the nesting, or a code element whose
 * content is not a PCS code of the expected length.
 */
export function parsePcsIndex(source: XmlSource, options: ParseOptions = {}): AsyncGenerator<PcsIndexEntry> {
  const file = options.file ?? 'ICD-10-PCS index XML';
  return streamXml(source, { file, root: INDEX_ROOT, format: 'an ICD-10-PCS Index XML file' }, indexHandler(file, options.onHeader));
}

/** Parse a whole Index XML document held in a string. */
export async function parsePcsIndexString(xml: string, file?: string): Promise<{ header: PcsXmlHeader; entries: PcsIndexEntry[] }> {
  let header: PcsXmlHeader = {};
  const entries = await collect(parsePcsIndex(xml, { file, onHeader: (h) => (header = h) }));
  return { header, entries };
}

/** An entry's code references as printed, own first then those of its see/use references: `0UT9`, `10A07ZX`, `0QB`. */
export function indexEntryCodes(entry: PcsIndexEntry): string[] {
  return [...entry.codes, ...entry.see.flatMap((r) => r.codes), ...entry.use.flatMap((r) => r.codes)].map((c) => c.value);
}
