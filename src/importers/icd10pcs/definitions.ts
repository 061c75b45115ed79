import { parseError } from '../../errors.js';
import {
  collect,
  decomposePcsCode,
  PCS_CHAR,
  streamXml,
  type ParseOptions,
  type PcsAxisValue,
  type PcsCodeCharacter,
  type PcsTableIndex,
  type PcsXmlHeader,
  type XmlHandler,
  type XmlPosition,
  type XmlSource,
} from './tables.js';

/**
 * ICD-10-PCS Definitions XML (`icd10pcs_definitions_YYYY.xml`, CMS, root `<ICD10PCS.definitions>`).
 *
 * Layout (FY2026): `<version>`, `<title>`, then one `<section code="X">` per section with a `<title>`
 * and one `<axis pos="N">` per defined axis (`<title>` e.g. "Operation", "Body Part", "Approach",
 * "Device", "Substance", "Type Qualifier"). Each axis holds `<terms>` entries: one or more `<title>`
 * (the value names the entry covers, e.g. "1st Toe, Left" and "1st Toe, Right"), then optional
 * `<definition>`, `<explanation>` and any number of `<includes>` (the Body Part Key, Device Key and
 * Substance Key synonyms). After the sections, `<deviceAggregation>` lists `<aggregate>` entries:
 * a specific `<device>` used with an `<operation>` in `<bodySys>` body systems rolls up to the general
 * device value `<parent value="X">`.
 *
 * The file carries NO value codes: terms are named only by their title, and the same value code means
 * different body parts in different body systems. Lookups are therefore keyed by (section character,
 * axis position, value text); `definePcsCode` joins a code to its definitions through the Tables
 * (code -> label text via the row holding the code -> term). Section D (Radiation Therapy) has no
 * definitions in FY2026.
 */

/** `section/axis/terms`: one definition entry. */
export interface PcsDefinitionTerm {
  kind: 'term';
  /** `section@code`: the section character, e.g. `0`. */
  section: string;
  /** `section/title`, e.g. "Medical and Surgical". */
  sectionTitle: string;
  /** `axis@pos`: the code position the axis describes (3 operation/type, 4 body part, 5 approach, 6 device/substance, ...). */
  axisPos: number;
  /** `axis/title`, e.g. "Operation", "Body Part", "Device / Substance / Technology". */
  axisTitle: string;
  /** `terms/title`, one or more: the value names this entry covers. */
  titles: string[];
  /** `terms/definition`, e.g. "Cutting out or off, without replacement, all of a body part". */
  definition?: string;
  /** `terms/explanation`: the Reference Manual's explanation of the definition. */
  explanation?: string;
  /** `terms/includes`, in file order: examples (operations) or synonyms (body part, device, substance keys). */
  includes: string[];
  /** Line of the `<terms>` tag. */
  line: number;
}

/** `deviceAggregation/aggregate`: a specific device that rolls up to a general device value (section 0, position 6). */
export interface PcsDeviceAggregate {
  kind: 'deviceAggregate';
  /** `aggregate/device`, e.g. "Synthetic Substitute, Polyethylene". */
  device: string;
  /** `aggregate/operation`: a root operation, or "All applicable". */
  operation: string;
  /** `aggregate/bodySys`, one or more body system names. */
  bodySystems: string[];
  /** `aggregate/parent`: `@value` is the general device character, the text its name (e.g. `J` "Synthetic Substitute"). */
  parent: PcsAxisValue;
  /** Line of the `<aggregate>` tag. */
  line: number;
}

export type PcsDefinitionRecord = PcsDefinitionTerm | PcsDeviceAggregate;

export const DEFINITIONS_ROOT = 'ICD10PCS.definitions';

function definitionsHandler(file: string, onHeader?: (h: PcsXmlHeader) => void): XmlHandler<PcsDefinitionRecord> {
  const stack: string[] = [];
  const texts: string[] = [];
  const header: PcsXmlHeader = {};
  let headerSent = false;
  let section: { code: string; title?: string } | undefined;
  let axis: { pos: number; title?: string } | undefined;
  let term: Omit<PcsDefinitionTerm, 'kind' | 'section' | 'sectionTitle' | 'axisPos' | 'axisTitle'> | undefined;
  let aggregate:
    | { device?: string; operation?: string; bodySystems: string[]; parentValue?: string; parentText?: string; line: number }
    | undefined;
  let count = 0;

  const where = () => {
    if (aggregate) return 'deviceAggregation/aggregate';
    const parts: string[] = [];
    if (section) parts.push(`section[code=${section.code}]`);
    if (axis) parts.push(`axis[pos=${axis.pos}]`);
    if (term) parts.push(term.titles.length ? `terms[${term.titles[0]}]` : 'terms');
    return parts.join('/') || undefined;
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

  return {
    open(name, attrs, at) {
      const parent = stack[stack.length - 1];
      stack.push(name);
      texts.push('');
      if (name === 'section') {
        if (parent !== DEFINITIONS_ROOT) fail(`<section> inside <${parent}>`, at);
        sendHeader();
        const code = attrs.code ?? '';
        if (!PCS_CHAR.test(code)) fail(`section code="${code}" is not one ICD-10-PCS character`, at);
        section = { code };
      } else if (name === 'axis') {
        if (!section || parent !== 'section') fail('<axis> outside a <section>', at);
        const raw = attrs.pos ?? '';
        if (!/^[1-7]$/.test(raw)) fail(`axis pos="${raw}" is not a code position 1-7`, at);
        axis = { pos: Number(raw) };
      } else if (name === 'terms') {
        if (!axis || parent !== 'axis') fail('<terms> outside an <axis>', at);
        if (!section!.title || !axis!.title) fail('<terms> before the section and axis <title>', at);
        term = { titles: [], includes: [], line: at.line };
      } else if (name === 'aggregate') {
        if (parent !== 'deviceAggregation') fail(`<aggregate> inside <${parent}>`, at);
        aggregate = { bodySystems: [], line: at.line };
      } else if (name === 'parent' && aggregate) {
        const value = attrs.value ?? '';
        if (!PCS_CHAR.test(value)) fail(`parent value="${value}" is not one ICD-10-PCS character`, at);
        aggregate.parentValue = value;
      } else if (name === 'deviceAggregation') {
        sendHeader();
      }
    },
    text(t) {
      texts[texts.length - 1] += t;
    },
    close(name, at, emit) {
      stack.pop();
      const text = (texts.pop() ?? '').trim();
      const parent = stack[stack.length - 1];
      if (parent === DEFINITIONS_ROOT && (name === 'version' || name === 'title')) {
        header[name] = text;
      } else if (term && parent === 'terms') {
        if (!text) fail(`empty <${name}>`, at);
        if (name === 'title') term.titles.push(text);
        else if (name === 'includes') term.includes.push(text);
        else if (name === 'definition' || name === 'explanation') {
          if (term[name] !== undefined) fail(`second <${name}> in one entry`, at);
          term[name] = text;
        }
      } else if (name === 'terms' && term) {
        if (term.titles.length === 0) fail('entry has no <title>', at);
        emit({
          kind: 'term',
          section: section!.code,
          sectionTitle: section!.title!,
          axisPos: axis!.pos,
          axisTitle: axis!.title!,
          titles: term.titles,
          ...(term.definition !== undefined ? { definition: term.definition } : {}),
          ...(term.explanation !== undefined ? { explanation: term.explanation } : {}),
          includes: term.includes,
          line: term.line,
        });
        count++;
        term = undefined;
      } else if (name === 'title' && parent === 'axis' && axis) {
        axis.title = text;
      } else if (name === 'title' && parent === 'section' && section) {
        section.title = text;
      } else if (name === 'axis') {
        axis = undefined;
      } else if (name === 'section') {
        section = undefined;
      } else if (aggregate && parent === 'aggregate') {
        if (name === 'device') aggregate.device = text;
        else if (name === 'operation') aggregate.operation = text;
        else if (name === 'bodySys') aggregate.bodySystems.push(text);
        else if (name === 'parent') aggregate.parentText = text;
      } else if (name === 'aggregate' && aggregate) {
        const { device, operation, bodySystems, parentValue, parentText, line } = aggregate;
        if (!device || !operation || !parentValue || !parentText || bodySystems.length === 0) {
          fail('aggregate needs <device>, <operation>, at least one <bodySys> and <parent value>', at);
        }
        emit({
          kind: 'deviceAggregate',
          device: device!,
          operation: operation!,
          bodySystems,
          parent: { code: parentValue!, text: parentText! },
          line,
        });
        count++;
        aggregate = undefined;
      }
    },
    end(at) {
      sendHeader();
      if (count === 0) throw parseError('no <terms> or <aggregate> entries in the file', { file, line: at.line });
    },
  };
}

/**
 * Stream the entries of an ICD-10-PCS Definitions XML file: every `<terms>` as a `PcsDefinitionTerm`,
 * then every `<aggregate>` as a `PcsDeviceAggregate`, in file order. Throws a `parse_error`
 * MedCodesError naming file and line on malformed or truncated XML, a wrong root, or an entry that
 * breaks the layout.
 */
export function parsePcsDefinitions(source: XmlSource, options: ParseOptions = {}): AsyncGenerator<PcsDefinitionRecord> {
  const file = options.file ?? 'ICD-10-PCS definitions XML';
  return streamXml(
    source,
    { file, root: DEFINITIONS_ROOT, format: 'an ICD-10-PCS Definitions XML file' },
    definitionsHandler(file, options.onHeader),
  );
}

/** Parse a whole Definitions XML document held in a string. */
export async function parsePcsDefinitionsString(
  xml: string,
  file?: string,
): Promise<{ header: PcsXmlHeader; terms: PcsDefinitionTerm[]; aggregates: PcsDeviceAggregate[] }> {
  let header: PcsXmlHeader = {};
  const records = await collect(parsePcsDefinitions(xml, { file, onHeader: (h) => (header = h) }));
  return {
    header,
    terms: records.filter((r): r is PcsDefinitionTerm => r.kind === 'term'),
    aggregates: records.filter((r): r is PcsDeviceAggregate => r.kind === 'deviceAggregate'),
  };
}

// ---------------------------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------------------------

/**
 * How a table value was matched to a definition entry:
 * - `exact`: an entry title equals the value text at the same section and position.
 * - `deviceKey`: the Device/Substance Key names values per use, "<value> for <operation> in <body
 *   system>" or "<value> in <body system>" (section X: "<value> in New Technology").
 * - `assessmentTreatment`: section F type qualifiers that exist as both "<value> (Assessment)" and
 *   "<value> (Treatment)"; chosen by whether the type (position 3) is an assessment.
 * - `otherAxis`: a qualifier (position 7) that repeats a value defined on another axis 4-6 of the
 *   section: section 0 bypass/transfer destinations are body parts (Body Part Key), section 3
 *   qualifier substances ("Other Antineoplastic", "Clofarabine") sit under its position-6 Substance
 *   Key. Other positions are not cross-matched: e.g. section F equipment "Prosthesis" is not the
 *   type qualifier "Prosthesis".
 */
export type PcsDefinitionMatch = 'exact' | 'deviceKey' | 'assessmentTreatment' | 'otherAxis';

export interface PcsResolvedDefinition {
  term: PcsDefinitionTerm;
  /** The entry title that matched. */
  title: string;
  match: PcsDefinitionMatch;
}

/** A value to look up: where it sits and what the tables call it. */
export interface PcsValueQuery {
  /** Section character (position 1). */
  section: string;
  /** Code position 3-7. */
  pos: number;
  /** The value's label text in the tables. */
  label: string;
  /** The table's position-3 label (operation / type), for device-key and section F entries. */
  operation?: string;
  /** The table's position-2 label (body system), for device-key entries. */
  bodySystem?: string;
}

/** Titles compare case-insensitively with whitespace collapsed ("Other Anti-infective" vs "-Infective"). */
function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Definition entries indexed by (section character, axis position, title). */
export class PcsDefinitions {
  private readonly byKey = new Map<string, { term: PcsDefinitionTerm; title: string }>();
  private readonly sectionTitles = new Map<string, string>();
  private readonly positions = new Map<string, number[]>();
  readonly terms: PcsDefinitionTerm[] = [];
  readonly aggregates: PcsDeviceAggregate[] = [];

  constructor(records: Iterable<PcsDefinitionRecord>) {
    for (const r of records) {
      if (r.kind === 'deviceAggregate') {
        this.aggregates.push(r);
        continue;
      }
      this.terms.push(r);
      this.sectionTitles.set(r.section, r.sectionTitle);
      const ps = this.positions.get(r.section) ?? [];
      if (!ps.includes(r.axisPos))
        this.positions.set(
          r.section,
          [...ps, r.axisPos].sort((a, b) => a - b),
        );
      for (const title of r.titles) {
        const key = `${r.section}|${r.axisPos}|${norm(title)}`;
        if (!this.byKey.has(key)) this.byKey.set(key, { term: r, title });
      }
    }
  }

  /** The entry titled `title` (case-insensitive) on axis `pos` of `section`, as the file keys it. */
  get(section: string, pos: number, title: string): PcsDefinitionTerm | undefined {
    return this.byKey.get(`${section}|${pos}|${norm(title)}`)?.term;
  }

  private find(section: string, pos: number, title: string, match: PcsDefinitionMatch): PcsResolvedDefinition | undefined {
    const hit = this.byKey.get(`${section}|${pos}|${norm(title)}`);
    return hit ? { term: hit.term, title: hit.title, match } : undefined;
  }

  /** Find the entry that defines a table value, trying the forms described in `PcsDefinitionMatch`, in that order. */
  resolve(q: PcsValueQuery): PcsResolvedDefinition | undefined {
    const { section, pos, label, operation, bodySystem } = q;
    const exact = this.find(section, pos, label, 'exact');
    if (exact) return exact;
    const keyed: string[] = [];
    if (operation && bodySystem) keyed.push(`${label} for ${operation} in ${bodySystem}`);
    if (bodySystem) keyed.push(`${label} in ${bodySystem}`);
    const sectionTitle = this.sectionTitles.get(section);
    if (sectionTitle) keyed.push(`${label} in ${sectionTitle}`);
    for (const t of keyed) {
      const hit = this.find(section, pos, t, 'deviceKey');
      if (hit) return hit;
    }
    if (operation) {
      const kind = /assessment/i.test(operation) ? 'Assessment' : 'Treatment';
      const hit = this.find(section, pos, `${label} (${kind})`, 'assessmentTreatment');
      if (hit) return hit;
    }
    if (pos === 7) {
      for (const other of this.positions.get(section) ?? []) {
        if (other < 4 || other === 7) continue;
        const hit = this.find(section, other, label, 'otherAxis');
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /** Device aggregation entries that roll `device` (a specific device name) up to a general value. */
  aggregatesOf(device: string): PcsDeviceAggregate[] {
    const d = norm(device);
    return this.aggregates.filter((a) => norm(a.device) === d);
  }
}

/** One character of a code with the definition entry of its value, when the file has one. */
export interface PcsDefinedCharacter extends PcsCodeCharacter {
  defined?: PcsResolvedDefinition;
}

/**
 * Decompose a code (1-7 characters) with the tables and attach each value's definition entry. The
 * section (position 1) and body system (position 2) have no entries in the Definitions file. Returns
 * undefined when the code is not valid in the tables.
 */
export function definePcsCode(code: string, tables: PcsTableIndex, definitions: PcsDefinitions): PcsDefinedCharacter[] | undefined {
  const chars = decomposePcsCode(code, tables);
  if (!chars) return undefined;
  const section = chars[0].char;
  const bodySystem = chars[1]?.label;
  const operation = chars[2]?.label;
  return chars.map((c) => {
    if (c.pos < 3) return c;
    const defined = definitions.resolve({ section, pos: c.pos, label: c.label, operation, bodySystem });
    return defined ? { ...c, defined } : c;
  });
}
