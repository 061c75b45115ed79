import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Readable } from 'node:stream';
import type { NoteKind } from '../../model.js';
import { parseError } from '../../errors.js';

/**
 * Streaming parser for the ICD-10-CM Tabular List XML published by CDC-NCHS
 * (`icd10cm_tabular_YYYY.xml`, schema `icd10cm_tabular.xsd` in the same zip).
 *
 * Layout (icd10cm_tabular.xsd):
 *   <ICD10CM.tabular>            root; optional attribute isAddenda
 *     <version>                  release, e.g. "2017"
 *     <title>, <introduction>    front matter of the printed book (skipped: no codes, no notes on codes)
 *     <chapter>                  chapterType: name, desc, chapter notes, sectionIndex, section*
 *       <sectionIndex>           sectionRef(first, last, id)* — the chapter's table of blocks
 *       <section id="A00-A09">   sectionType: desc, block notes, then diag*
 *         <diag>                 diagnosisType: name, desc, notes, sevenChrNote, sevenChrDef, diag*
 *
 * Records come out in document order (a parent before its children), one per chapter, section and
 * diag element, so the integrator can stream them into the store with flat memory. Nothing is
 * inherited here: notes and seventh-character definitions are reported on the element that carries
 * them in the file (see `SevenChrLookup` for the nearest-ancestor rule).
 */

/** Note kinds of the Tabular: the XSD's noteType elements (plus sevenChrDef, whose items are `<extension>`). */
export type TabularNoteKind = NoteKind;

/** One instructional note as written on a chapter, section or diag. */
export interface TabularNote {
  /**
   * The element that holds the note: `inclusionTerm`, `includes`, `excludes1`, `excludes2`,
   * `codeFirst`, `useAdditionalCode`, `codeAlso`, `notes`, `sevenChrNote` (each a noteType: one
   * `<note>` child = one TabularNote), or `sevenChrDef` (one `<extension char="…">` = one TabularNote).
   */
  kind: TabularNoteKind;
  /** Text of the `<note>` (or `<extension>`), trimmed of surrounding whitespace only. */
  text: string;
  /** sevenChrDef only: `<extension char="A">`, the seventh character this text defines. */
  char?: string;
  /**
   * sevenChrDef only: `<note>` elements written inside `<sevenChrDef>` after this `<extension>`; the
   * book prints them indented under the 7th-character value as further wording it covers (FY2017:
   * 7 of them, e.g. S52 char B "initial encounter for open fracture NOS").
   */
  terms?: string[];
  /** 0-based position among the notes of the same owner and kind, in file order (several elements of one kind continue the count). */
  seq: number;
}

/** `<version>` of the root element: the release the file belongs to, e.g. "2017". */
export interface TabularVersion {
  type: 'version';
  version: string;
}

/** One `<chapter>` (chapterType). */
export interface TabularChapter {
  type: 'chapter';
  /** `<name>`: the chapter number, 1-21. */
  number: number;
  /** `<desc>` as written: "Certain infectious and parasitic diseases (A00-B99)". */
  desc: string;
  /** `<desc>` without the trailing code range: "Certain infectious and parasitic diseases". */
  title: string;
  /** First category of the range at the end of `<desc>` ("A00"). */
  first: string;
  /** Last category of the range at the end of `<desc>` ("B99"). */
  last: string;
  /** Chapter-level notes (includes, excludes1, excludes2, useAdditionalCode, notes, …) in file order. */
  notes: TabularNote[];
  /** Line of the `<chapter>` start tag. */
  line: number;
}

/** One `<section>` (sectionType): a block of categories such as A00-A09. */
export interface TabularSection {
  type: 'section';
  /** `<section id>`: "A00-A09", or a single category for one-category blocks ("B10", "C50"). */
  id: string;
  /** `<desc>` as written: "Intestinal infectious diseases (A00-A09)". */
  desc: string;
  /** `<desc>` without a trailing "(id)": "Intestinal infectious diseases". */
  title: string;
  /** `<sectionRef first>` of the chapter's `<sectionIndex>` for this id; else the id's part before "-". */
  first: string;
  /** `<sectionRef last>`; else the id's part after "-" (the id itself for a one-category block). */
  last: string;
  /** Number (`<name>`) of the enclosing chapter. */
  chapter: number;
  /**
   * True when the chapter's `<sectionIndex>` lists this id. FY2017: 288 of 295 sections are listed;
   * the 7 others (C00-C96, C00-C75, M00-M25, M40-M54, M60-M79, M80-M94, T07-T88) are grouping headings.
   */
  indexed: boolean;
  /** Text of the `<sectionRef>` (trimmed); may differ slightly from `title` (FY2017: 6 ids, e.g. Z68 "(BMI)" vs "[BMI]"). */
  indexTitle?: string;
  /** `<section oldid>` when present (none in FY2017). */
  oldId?: string;
  /** True when the section holds at least one `<diag>`. False for grouping headings such as C00-C96. */
  hasDiags: boolean;
  /**
   * Derived, not in the XML: the id of the grouping heading this block sits under. The Tabular writes
   * nested blocks as a flat run of sibling `<section>`s: a heading section with no diags whose range
   * covers the sections that follow it (C00-C96 > C00-C75 > C00-C14). This is the nearest preceding
   * section of the same chapter that has no diags and whose first..last range contains this one's.
   */
  parentSection?: string;
  /** Section notes (includes, excludes1, …) in file order. */
  notes: TabularNote[];
  line: number;
}

/** visualImpairmentType (only on H54.8 in FY2017): the WHO table of visual impairment categories. */
export interface VisualImpairment {
  /** `<visCategory>` rows; the first row holds the column headings. */
  categories: Array<{
    /** `<heading>` of the row. */
    heading?: string;
    /** `<value>`: the category number. */
    value?: string;
    /** `<visRange>` columns. */
    ranges: Array<{
      heading?: string;
      /** `<visMax>`: "Maximum less than". */
      max?: { heading?: string; value?: string };
      /** `<visMin>`: "Minimum equal to or better than". */
      min?: { heading?: string; value?: string };
    }>;
  }>;
}

/** One `<diag>` (diagnosisType): a category, subcategory or code. */
export interface TabularDiag {
  type: 'diag';
  /** `<name>` exactly as in the file, dotted: "A00", "A00.0", "H21.1X". */
  code: string;
  /** `<desc>`: the long title. */
  desc: string;
  /** Code of the enclosing `<diag>`, or the enclosing `<section id>` for a category. */
  parent: string;
  /** Whether `parent` is a diag code or a section id. */
  parentKind: 'diag' | 'section';
  /** Enclosing `<section id>`. */
  section: string;
  /** Enclosing chapter number. */
  chapter: number;
  /** Nesting of `<diag>` elements: 1 = category (child of a section), 2 = its child diag, … (FY2017: at most 4). */
  depth: number;
  /** `<diag placeholder="true">`: a level that exists only to carry an "X" placeholder (H21.1X). */
  placeholder: boolean;
  /** True when the diag contains child `<diag>` elements. */
  hasChildren: boolean;
  /**
   * All notes written on this diag, in file order: inclusionTerm, includes, excludes1, excludes2,
   * codeFirst, useAdditionalCode, codeAlso, notes, sevenChrNote, sevenChrDef.
   */
  notes: TabularNote[];
  /** `<visualImpairment>` table, when present. */
  visualImpairment?: VisualImpairment;
  /** Line of the `<diag>` start tag. */
  line: number;
}

export type TabularRecord = TabularVersion | TabularChapter | TabularSection | TabularDiag;

export interface TabularOptions {
  /** Name of the input used in error messages (e.g. the zip member name). */
  file?: string;
}

const ROOT = 'ICD10CM.tabular';
/** noteType elements of the XSD: each holds `<note>` children only. */
const NOTE_CONTAINERS = new Set<string>([
  'inclusionTerm',
  'includes',
  'excludes1',
  'excludes2',
  'codeFirst',
  'useAdditionalCode',
  'codeAlso',
  'notes',
  'sevenChrNote',
]);
/** A category or block bound: letter, digit, digit-or-letter (A00, C7A, D3A). */
const CATEGORY = '[A-Z][0-9][0-9A-Z]';
const CATEGORY_RE = new RegExp(`^${CATEGORY}$`);
const SECTION_ID_RE = new RegExp(`^${CATEGORY}(?:-${CATEGORY})?$`);
/** A dotted ICD-10-CM code as the Tabular writes it: category, then up to 4 characters after the dot (7th characters are never written out). */
const CODE_RE = new RegExp(`^${CATEGORY}(?:\\.[0-9A-Z]{1,4})?$`);
const CHAPTER_DESC_RE = new RegExp(`^(.*\\S)\\s*\\((${CATEGORY})-(${CATEGORY})\\)$`, 's');

/** A chapter, section or diag being read: collects its own fields and notes until it is emitted. */
interface Owner {
  tag: 'chapter' | 'section' | 'diag';
  line: number;
  name?: string;
  desc?: string;
  notes: TabularNote[];
  seq: Map<string, number>;
  /** Emitted already: its notes and fields are final (children follow in document order). */
  emitted: boolean;
  // chapter
  number?: number;
  refs?: Map<string, { first?: string; last?: string; text: string }>;
  /** Sections of this chapter with no diags, as a stack of open grouping headings. */
  headings?: Array<{ id: string; first: string; last: string }>;
  // section
  id?: string;
  oldId?: string;
  // diag
  placeholder?: boolean;
  visualImpairment?: VisualImpairment;
}

/** One open element. */
interface Frame {
  name: string;
  line: number;
  owner?: Owner;
  /** Collects character data for text elements (name, desc, note, extension, version, sectionRef, heading, value). */
  text?: string;
  /** For note containers: which kind. */
  kind?: TabularNoteKind;
  /** For <extension>: its char attribute. */
  char?: string;
  /** For sectionRef: its attributes. */
  attrs?: Record<string, string>;
  /** visualImpairment building blocks. */
  vis?: unknown;
}

class TabularReader {
  readonly out: TabularRecord[] = [];
  private readonly parser: SaxesParser;
  private readonly stack: Frame[] = [];
  private readonly file: string;
  private sawRoot = false;
  /** Depth inside <title>/<introduction> at the root: their content is front matter, skipped whole. */
  private skipDepth = 0;
  private chapter?: Owner;
  private section?: Owner;
  private readonly diags: Owner[] = [];
  private readonly codes = new Set<string>();

  constructor(file: string) {
    this.file = file;
    this.parser = new SaxesParser({ position: true });
    this.parser.on('error', (err) => {
      const problem = err.message.replace(/^\d+:\d+: /, '');
      if (!this.sawRoot) {
        throw parseError(`not an ICD-10-CM Tabular XML file: it is not XML (${problem})`, { file: this.file, line: this.parser.line });
      }
      throw parseError(`malformed or truncated XML: ${problem}`, {
        file: this.file,
        line: this.parser.line,
        element: this.path() || undefined,
      });
    });
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', (tag) => this.close(tag.name));
    this.parser.on('text', (t) => this.text(t));
    this.parser.on('cdata', (t) => this.text(t));
  }

  write(chunk: string): void {
    this.parser.write(chunk);
  }

  end(): void {
    this.parser.close();
    if (!this.sawRoot) throw parseError('not an ICD-10-CM Tabular XML file: the input is empty', { file: this.file });
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Element path for messages: chapter[name=19]/section[id=S50-S59]/diag[name=S52]/sevenChrDef. */
  private path(extra?: string): string {
    const parts: string[] = [];
    for (const f of this.stack) {
      if (f.name === ROOT) continue;
      const o = f.owner;
      if (o && o.tag === f.name) {
        if (o.tag === 'chapter' && o.name !== undefined) parts.push(`chapter[name=${o.name}]`);
        else if (o.tag === 'section' && o.id !== undefined) parts.push(`section[id=${o.id}]`);
        else if (o.tag === 'diag' && o.name !== undefined) parts.push(`diag[name=${o.name.trim()}]`);
        else parts.push(f.name);
      } else parts.push(f.name);
    }
    if (extra) parts.push(extra);
    return parts.join('/');
  }

  /** Throw a parse error at the current position (or at `line`, the start tag of the element at fault). */
  private fail(problem: string, extra?: string, line: number = this.parser.line): never {
    throw parseError(problem, { file: this.file, line, element: this.path(extra) || undefined });
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private addNote(owner: Owner, kind: TabularNoteKind, text: string, char?: string): TabularNote {
    const seq = owner.seq.get(kind) ?? 0;
    owner.seq.set(kind, seq + 1);
    const note: TabularNote = char === undefined ? { kind, text, seq } : { kind, text, char, seq };
    owner.notes.push(note);
    return note;
  }

  // ---- emission: a parent is emitted when its first child structure starts, or when it closes ---

  private emitChapter(ch: Owner): void {
    if (ch.emitted) return;
    if (ch.name === undefined) this.fail('chapter without <name>', undefined, ch.line);
    if (ch.desc === undefined) this.fail('chapter without <desc>', undefined, ch.line);
    const m = CHAPTER_DESC_RE.exec(ch.desc);
    if (!m) this.fail(`chapter <desc> "${ch.desc}" does not end with a code range such as "(A00-B99)"`, undefined, ch.line);
    ch.emitted = true;
    this.out.push({
      type: 'chapter',
      number: ch.number!,
      desc: ch.desc,
      title: m[1],
      first: m[2],
      last: m[3],
      notes: ch.notes,
      line: ch.line,
    });
  }

  private emitSection(sec: Owner, hasDiags: boolean): void {
    if (sec.emitted) return;
    const ch = this.chapter!;
    if (sec.desc === undefined) this.fail(`section ${sec.id} without <desc>`, undefined, sec.line);
    const id = sec.id!;
    const ref = ch.refs!.get(id);
    const [idFirst, idLast] = id.includes('-') ? id.split('-') : [id, id];
    const first = ref?.first || idFirst;
    const last = ref?.last || idLast;
    const range = `(${id})`;
    const title = sec.desc.endsWith(range) ? sec.desc.slice(0, -range.length).trim() : sec.desc;
    // Close the grouping headings whose range does not cover this block (ranges compare as strings:
    // bounds are 3-character categories, letters sort after digits as in the classification's
    // inserted categories, e.g. C7A falls outside C00-C75, as its heading's desc says).
    const headings = ch.headings!;
    while (headings.length) {
      const h = headings[headings.length - 1];
      if (h.first <= first && last <= h.last) break;
      headings.pop();
    }
    const parentSection = headings.length ? headings[headings.length - 1].id : undefined;
    if (!hasDiags) headings.push({ id, first, last });
    const rec: TabularSection = {
      type: 'section',
      id,
      desc: sec.desc,
      title,
      first,
      last,
      chapter: ch.number!,
      indexed: ref !== undefined,
      ...(ref ? { indexTitle: ref.text } : {}),
      ...(sec.oldId !== undefined ? { oldId: sec.oldId } : {}),
      hasDiags,
      ...(parentSection ? { parentSection } : {}),
      notes: sec.notes,
      line: sec.line,
    };
    sec.emitted = true;
    this.out.push(rec);
  }

  private emitDiag(d: Owner, hasChildren: boolean): void {
    if (d.emitted) return;
    const depth = this.diags.indexOf(d) + 1;
    const parentDiag = depth > 1 ? this.diags[depth - 2] : undefined;
    if (d.name === undefined) this.fail('diag without <name>', undefined, d.line);
    const code = d.name.trim();
    if (!CODE_RE.test(code))
      this.fail(
        `diag <name> "${code}" is not an ICD-10-CM code (letter, digit, digit or letter, then optionally a dot and 1-4 letters or digits)`,
        undefined,
        d.line,
      );
    if (parentDiag) {
      const p = parentDiag.name!.trim();
      if (!(code.length > p.length && code.startsWith(p.includes('.') ? p : `${p}.`))) {
        this.fail(`diag ${code} is nested in diag ${p} but does not extend its code`, undefined, d.line);
      }
    } else if (!CATEGORY_RE.test(code)) {
      this.fail(`diag ${code} directly in a section must be a 3-character category`, undefined, d.line);
    }
    if (this.codes.has(code)) this.fail(`duplicate diag ${code}`, undefined, d.line);
    this.codes.add(code);
    if (d.desc === undefined) this.fail(`diag ${code} without <desc>`, undefined, d.line);
    const sec = this.section!;
    const rec: TabularDiag = {
      type: 'diag',
      code,
      desc: d.desc,
      parent: parentDiag ? parentDiag.name!.trim() : sec.id!,
      parentKind: parentDiag ? 'diag' : 'section',
      section: sec.id!,
      chapter: this.chapter!.number!,
      depth,
      placeholder: d.placeholder === true,
      hasChildren,
      notes: d.notes,
      ...(d.visualImpairment ? { visualImpairment: d.visualImpairment } : {}),
      line: d.line,
    };
    d.emitted = true;
    this.out.push(rec);
  }

  // ---- SAX events ----------------------------------------------------------------------------

  private open(tag: SaxesTagPlain): void {
    const name = tag.name;
    const line = this.parser.line;
    const parent = this.top();
    if (!parent) {
      this.sawRoot = true;
      if (name !== ROOT) {
        throw parseError(`not an ICD-10-CM Tabular XML file: the root element is <${name}>, expected <${ROOT}>`, {
          file: this.file,
          line,
          element: name,
        });
      }
      if (tag.attributes.isAddenda === 'true') {
        throw parseError('this is a Tabular addenda file (isAddenda="true"), not a full ICD-10-CM Tabular List', {
          file: this.file,
          line,
          element: name,
        });
      }
      this.stack.push({ name, line });
      return;
    }
    if (this.skipDepth > 0) {
      this.skipDepth++;
      return;
    }
    if (parent.text !== undefined) this.fail(`unexpected element <${name}> inside <${parent.name}>, which holds text only`, name);
    const p = parent.name;
    const frame: Frame = { name, line };

    if (p === ROOT) {
      if (name === 'title' || name === 'introduction') {
        this.skipDepth = 1;
        return;
      }
      if (name === 'version') frame.text = '';
      else if (name === 'chapter') {
        const ch: Owner = { tag: 'chapter', line, notes: [], seq: new Map(), emitted: false, refs: new Map(), headings: [] };
        frame.owner = ch;
        this.chapter = ch;
      } else this.fail(`unexpected element <${name}> in <${ROOT}>`, name);
    } else if (p === 'chapter' || p === 'section' || p === 'diag') {
      const owner = parent.owner!;
      if (name === 'name' || name === 'desc') {
        if (p === 'section' && name === 'name') this.fail('unexpected <name> in <section>: a section is named by its id attribute', name);
        if (owner[name] !== undefined) this.fail(`second <${name}>`, name);
        frame.text = '';
        frame.owner = owner;
      } else if (NOTE_CONTAINERS.has(name) || name === 'sevenChrDef') {
        if (owner.emitted) this.fail(`<${name}> after the child elements of <${p}>: notes must come before them`, name);
        frame.kind = name as TabularNoteKind;
        frame.owner = owner;
      } else if (p === 'chapter' && name === 'sectionIndex') {
        if (owner.emitted) this.fail('<sectionIndex> after the sections of the chapter', name);
        frame.owner = owner;
      } else if (p === 'chapter' && name === 'section') {
        this.emitChapter(owner);
        const id = tag.attributes.id;
        if (!id) this.fail('section without an id attribute', name);
        if (!SECTION_ID_RE.test(id))
          this.fail(`section id "${id}" is not a category or a range of categories such as A00-A09`, `section[id=${id}]`);
        const sec: Owner = { tag: 'section', line, notes: [], seq: new Map(), emitted: false, id };
        if (tag.attributes.oldid !== undefined) sec.oldId = tag.attributes.oldid;
        frame.owner = sec;
        this.section = sec;
      } else if ((p === 'section' || p === 'diag') && name === 'diag') {
        if (p === 'section') this.emitSection(owner, true);
        else this.emitDiag(owner, true);
        const d: Owner = { tag: 'diag', line, notes: [], seq: new Map(), emitted: false };
        if (tag.attributes.placeholder === 'true') d.placeholder = true;
        frame.owner = d;
        this.diags.push(d);
      } else if (p === 'diag' && name === 'visualImpairment') {
        if (owner.emitted) this.fail('<visualImpairment> after the child diags', name);
        owner.visualImpairment = { categories: [] };
        frame.owner = owner;
        frame.vis = owner.visualImpairment;
      } else if (p === 'section' && name === 'deactivated') {
        this.fail('<deactivated> is not supported (the FY2017 Tabular has none)', name);
      } else this.fail(`unexpected element <${name}> in <${p}>`, name);
    } else if (NOTE_CONTAINERS.has(p)) {
      if (name !== 'note') this.fail(`unexpected element <${name}> in <${p}>: only <note> is allowed`, name);
      frame.text = '';
    } else if (p === 'sevenChrDef') {
      if (name === 'extension') {
        const char = (tag.attributes.char ?? '').trim();
        if (!/^[A-Za-z0-9]{1,2}$/.test(char))
          this.fail(`<extension> char="${tag.attributes.char ?? ''}" is not 1-2 letters or digits`, name);
        frame.char = char;
      } else if (name === 'note') {
        const owner = parent.owner!;
        const last = owner.notes[owner.notes.length - 1];
        if (!last || last.kind !== 'sevenChrDef') this.fail('<note> in <sevenChrDef> before any <extension>', name);
      } else this.fail(`unexpected element <${name}> in <sevenChrDef>`, name);
      frame.text = '';
    } else if (p === 'sectionIndex') {
      if (name === 'sectionRef') {
        frame.attrs = tag.attributes as Record<string, string>;
        frame.text = '';
      } else if (name === 'note') {
        this.fail('<note> in <sectionIndex> is not supported (the FY2017 Tabular has none)', name);
      } else this.fail(`unexpected element <${name}> in <sectionIndex>`, name);
    } else if (p === 'visualImpairment' || p === 'visCategory' || p === 'visRange' || p === 'visMax' || p === 'visMin') {
      this.openVisual(parent, frame);
    } else {
      this.fail(`unexpected element <${name}> in <${p}>`, name);
    }
    this.stack.push(frame);
  }

  /** visualImpairmentType: visCategory(heading?, value?, visRange(heading?, visMax?, visMin?)*)+. */
  private openVisual(parent: Frame, frame: Frame): void {
    const p = parent.name;
    const name = frame.name;
    type Cell = { heading?: string; value?: string };
    if (p === 'visualImpairment' && name === 'visCategory') {
      const cat = { ranges: [] };
      (parent.vis as VisualImpairment).categories.push(cat);
      frame.vis = cat;
    } else if (p === 'visCategory' && name === 'visRange') {
      const r = {};
      (parent.vis as VisualImpairment['categories'][number]).ranges.push(r);
      frame.vis = r;
    } else if (p === 'visRange' && (name === 'visMax' || name === 'visMin')) {
      const cell: Cell = {};
      (parent.vis as Record<string, Cell>)[name === 'visMax' ? 'max' : 'min'] = cell;
      frame.vis = cell;
    } else if (p !== 'visualImpairment' && (name === 'heading' || name === 'value')) {
      frame.vis = parent.vis;
      frame.text = '';
    } else this.fail(`unexpected element <${name}> in <${p}>`, name);
  }

  private text(t: string): void {
    if (this.skipDepth > 0) return;
    const f = this.top();
    if (f && f.text !== undefined) f.text += t;
    else if (t.trim()) {
      if (!f) return; // outside the root: saxes reports it
      this.fail(`unexpected text "${t.trim().slice(0, 40)}" in <${f.name}>`);
    }
  }

  private close(name: string): void {
    if (this.skipDepth > 0) {
      this.skipDepth--;
      return;
    }
    const f = this.stack[this.stack.length - 1];
    const text = f.text?.trim();
    const parent = this.stack[this.stack.length - 2];
    switch (name) {
      case 'version':
        this.out.push({ type: 'version', version: text! });
        break;
      case 'name': {
        const o = f.owner!;
        o.name = text;
        if (o.tag === 'chapter') {
          if (!/^[1-9][0-9]?$/.test(text!)) this.fail(`chapter <name> "${text}" is not a chapter number`);
          o.number = Number(text);
        }
        break;
      }
      case 'desc':
        f.owner!.desc = text;
        break;
      case 'note':
        if (parent.name === 'sevenChrDef') {
          const last = parent.owner!.notes[parent.owner!.notes.length - 1];
          (last.terms ??= []).push(text!);
        } else {
          this.addNote(parent.owner!, parent.kind!, text!);
        }
        break;
      case 'extension':
        this.addNote(parent.owner!, 'sevenChrDef', text!, f.char);
        break;
      case 'sectionRef': {
        const a = f.attrs!;
        const id = a.id?.trim();
        if (!id) this.fail('sectionRef without an id attribute');
        parent.owner!.refs!.set(id, { first: a.first?.trim() || undefined, last: a.last?.trim() || undefined, text: text! });
        break;
      }
      case 'heading':
      case 'value':
        (f.vis as Record<string, string>)[name] = text!;
        break;
      case 'chapter':
        this.emitChapter(f.owner!);
        this.chapter = undefined;
        break;
      case 'section':
        this.emitSection(f.owner!, false);
        this.section = undefined;
        break;
      case 'diag':
        this.emitDiag(f.owner!, false);
        this.diags.pop();
        break;
      default:
        break;
    }
    this.stack.pop();
  }

  /** Hand over the records read so far. */
  drain(): TabularRecord[] {
    return this.out.splice(0, this.out.length);
  }
}

/**
 * Stream the records of an ICD-10-CM Tabular XML file in document order: the `version` record, then
 * each chapter, followed by its sections, each followed by its diags (a parent always before its
 * children). Accepts any async iterable of text or bytes (UTF-8), such as fs.createReadStream or a
 * zip member stream. Throws a MedCodesError (parse_error) naming the file, line and element when the
 * input is not XML, is truncated, is not a Tabular file, or breaks the layout.
 */
export async function* parseTabular(
  input: AsyncIterable<string | Buffer | Uint8Array> | Iterable<string | Buffer | Uint8Array> | Readable,
  options: TabularOptions = {},
): AsyncGenerator<TabularRecord> {
  const file = options.file ?? 'tabular XML';
  const reader = new TabularReader(file);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw parseError('the input is not valid UTF-8 text', { file });
    }
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let text = typeof chunk === 'string' ? chunk : decode(chunk);
    // TextDecoder drops a UTF-8 byte-order mark; strings may still carry one.
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    reader.write(text);
    yield* reader.drain();
  }
  reader.write(decode());
  reader.end();
  yield* reader.drain();
}

/** Parse a whole Tabular XML held in memory (tests, small files). */
export async function parseTabularString(xml: string, options: TabularOptions = {}): Promise<TabularRecord[]> {
  const out: TabularRecord[] = [];
  for await (const r of parseTabular([xml], options)) out.push(r);
  return out;
}

// ---- Seventh characters --------------------------------------------------------------------------

/** The seventh-character values that apply to a code. */
export interface SevenChrApplies {
  /** The diag whose `<sevenChrDef>` applies (the code itself or its nearest ancestor that has one). */
  definedOn: string;
  /** Its `<extension>` values in file order: { char, text, terms? }. */
  values: Array<{ char: string; text: string; terms?: string[] }>;
}

/**
 * Which `<sevenChrDef>` applies to a code. ICD-10-CM guideline I.A.5 / the Tabular's sevenChrNote:
 * seventh characters defined on a category or subcategory apply to all codes below it, and a
 * definition written lower down (S52.01 under S52) replaces the higher one for its subtree. So the
 * answer is the definition on the code itself or on its nearest ancestor that has one.
 *
 * Feed it the diag records as they stream (`add`), then ask `get`. It keeps only each code's parent
 * and the 505 definitions (FY2017), so it stays small. Pure: no I/O.
 */
export class SevenChrLookup {
  private readonly parents = new Map<string, string | undefined>();
  private readonly defs = new Map<string, SevenChrApplies['values']>();

  /** Record one parsed record; records other than diags are ignored. */
  add(record: TabularRecord): void {
    if (record.type !== 'diag') return;
    this.parents.set(record.code, record.parentKind === 'diag' ? record.parent : undefined);
    const values = record.notes
      .filter((n) => n.kind === 'sevenChrDef')
      .map((n) => (n.terms ? { char: n.char!, text: n.text, terms: n.terms } : { char: n.char!, text: n.text }));
    if (values.length) this.defs.set(record.code, values);
  }

  /**
   * The definition that applies to `code`, or undefined when none does. `code` may be dotted or not
   * (`S52.001A`, `S52001A`) and may carry its 7th character or placeholders: it is cut back from the
   * right to the longest code the Tabular lists, then that code and its ancestors are searched.
   */
  get(code: string): SevenChrApplies | undefined {
    let c = code.trim().toUpperCase();
    if (!c.includes('.') && c.length > 3) c = `${c.slice(0, 3)}.${c.slice(3)}`;
    while (c.length >= 3 && !this.parents.has(c)) {
      c = c.slice(0, -1);
      if (c.endsWith('.')) c = c.slice(0, -1);
    }
    let at: string | undefined = this.parents.has(c) ? c : undefined;
    while (at !== undefined) {
      const values = this.defs.get(at);
      if (values) return { definedOn: at, values };
      at = this.parents.get(at);
    }
    return undefined;
  }
}

/** Build a SevenChrLookup from parsed records (any iterable; non-diag records are ignored). */
export function sevenChrLookup(records: Iterable<TabularRecord>): SevenChrLookup {
  const lookup = new SevenChrLookup();
  for (const r of records) lookup.add(r);
  return lookup;
}
