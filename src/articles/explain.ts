import { parseLayTerms, LAY_TERMS_PATH, type LayTerm } from '../search/lay-terms.js';
import { existsSync, readFileSync } from 'node:fs';
import type { CodeDocument } from '../lookup.js';
import type { PcsDefinedAxis } from '../importers/icd10pcs/builder.js';
import { SYSTEMS } from '../systems.js';

/**
 * "What this code means": a code explained in plain words, deterministically, from the code's own
 * official data (title, notes, seventh character, ICD-10-PCS axis definitions, HCPCS record fields)
 * and the medical-to-plain glossary. Nothing here states a clinical fact the data does not state:
 * each line either rewords the official text with the glossary (every glossary row names its
 * source) or says what a part of the code means under the code set's own conventions, citing them.
 *
 * The glossary is `data/lay-terms.tsv` read backwards (clinical → plain). Only the rows between the
 * `# begin glossary` and `# end glossary` lines are read: the other rows are search aids whose
 * reverse is not always true (`ear tubes → drainage device` helps a search, but not every drainage
 * device is an ear tube). The search reads every row, the glossary's included, forwards.
 */

export interface GlossaryEntry {
  /** The clinical phrase, lower case, as the titles write it. */
  clinical: string;
  /** The plain words for it. */
  plain: string;
  source: string;
}

/** One phrase of a text that the glossary explains. */
export interface GlossaryMatch extends GlossaryEntry {
  /** The phrase as written in the text. */
  text: string;
  start: number;
  end: number;
}

const WORD = /[a-z0-9'-]+/g;

/** Clinical → plain, longest phrase first; abbreviations of the glossary block are read forwards (mg → milligram). */
export class Glossary {
  private byFirst = new Map<string, GlossaryEntry[]>();
  readonly abbreviations = new Map<string, GlossaryEntry>();
  readonly size: number;

  constructor(entries: GlossaryEntry[], abbreviations: GlossaryEntry[] = []) {
    const seen = new Set<string>();
    for (const e of entries) {
      const words = e.clinical.toLowerCase().match(WORD);
      if (!words || seen.has(words.join(' '))) continue; // the first row for a phrase is its plain word
      seen.add(words.join(' '));
      const list = this.byFirst.get(words[0]) ?? [];
      list.push({ ...e, clinical: words.join(' ') });
      list.sort((a, b) => b.clinical.length - a.clinical.length);
      this.byFirst.set(words[0], list);
    }
    for (const a of abbreviations) if (!this.abbreviations.has(a.clinical)) this.abbreviations.set(a.clinical, a);
    this.size = seen.size;
  }

  /** The glossary block of the lay-term table: `lay` and `synonym` rows reversed, `abbreviation` rows forwards. */
  static fromTsv(text: string, file = 'lay-terms.tsv'): Glossary {
    const lines = text.split(/\r?\n/);
    const begin = lines.findIndex((l) => l.trim() === '# begin glossary');
    const end = lines.findIndex((l, i) => i > begin && l.trim() === '# end glossary');
    if (begin < 0) return new Glossary([]);
    const block = [lines[0], ...lines.slice(begin + 1, end < 0 ? undefined : end)].join('\n');
    const rows: LayTerm[] = parseLayTerms(block, file);
    return new Glossary(
      rows.filter((r) => r.kind !== 'abbreviation').map((r) => ({ clinical: r.expansion, plain: r.term, source: r.source })),
      rows.filter((r) => r.kind === 'abbreviation').map((r) => ({ clinical: r.term, plain: r.expansion, source: r.source })),
    );
  }

  /** Phrases of `text` the glossary knows, left to right, longest first, not overlapping, whole words only. */
  matches(text: string): GlossaryMatch[] {
    const lower = text.toLowerCase();
    const words = [...lower.matchAll(WORD)].map((m) => ({ w: m[0], start: m.index!, end: m.index! + m[0].length }));
    const out: GlossaryMatch[] = [];
    for (let i = 0; i < words.length; i++) {
      const first = words[i].w;
      const candidates = [...(this.byFirst.get(first) ?? []), ...(first.endsWith('s') ? (this.byFirst.get(first.slice(0, -1)) ?? []) : [])];
      for (const e of candidates) {
        const parts = e.clinical.split(' ');
        if (i + parts.length > words.length) continue;
        if (!parts.every((p, j) => words[i + j].w === p || words[i + j].w === `${p}s` || `${words[i + j].w}s` === p)) continue;
        // Only spaces, commas or hyphens between the words of a phrase: "(primary)" does not join two phrases.
        const span = lower.slice(words[i].start, words[i + parts.length - 1].end);
        if (/[()[\];:]/.test(span)) continue;
        const end = words[i + parts.length - 1].end;
        // A plural in the text ("neoplasms") gets a plural plain word ("tumors").
        const last = words[i + parts.length - 1].w;
        const plural = last !== parts.at(-1) && last === `${parts.at(-1)}s` && !e.plain.endsWith('s');
        out.push({ ...e, plain: plural ? `${e.plain}s` : e.plain, text: text.slice(words[i].start, end), start: words[i].start, end });
        i += parts.length - 1;
        break;
      }
    }
    return out;
  }

  /** The text with each known phrase replaced by its plain words (keeping a capital first letter). */
  rewrite(text: string): { text: string; used: GlossaryMatch[] } {
    const used = this.matches(text);
    let out = '';
    let at = 0;
    for (const m of used) {
      const plain = /^[A-Z]/.test(m.text) && m.start === 0 ? m.plain[0].toUpperCase() + m.plain.slice(1) : m.plain;
      out += text.slice(at, m.start) + plain;
      at = m.end;
    }
    return { text: out + text.slice(at), used };
  }
}

let defaultGlossary: Glossary | undefined;

/** The glossary of the bundled lay-term table, read once. */
export function glossary(): Glossary {
  defaultGlossary ??= existsSync(LAY_TERMS_PATH)
    ? Glossary.fromTsv(readFileSync(LAY_TERMS_PATH, 'utf8'), LAY_TERMS_PATH)
    : new Glossary([]);
  return defaultGlossary;
}

// ---------------------------------------------------------------------------------------------

type Doc = Omit<CodeDocument, 'article' | 'similar'>;

/** One line of the explanation: a part of the code, what it says in plain words, and where that comes from. */
export interface ExplainedPart {
  label: string;
  /** The official text this part rests on (a title, a character's value), shown beside the plain words. */
  official?: string;
  text: string;
  source: string;
}

export interface Explanation {
  /** The official title. */
  title: string;
  /** The title in plain words (glossary applied); absent when the glossary changes nothing. */
  plainTitle?: string;
  /** One or two sentences for the Summary: what the code is, in plain words. */
  summary: string;
  /** The plain-words sentences of the summary without its "<code> is a … code" opening; absent when the glossary and the code's parts add nothing to the title. */
  meaning?: string;
  /** What each part of the code says. */
  parts: ExplainedPart[];
  /** The glossary rows used, with their sources. */
  terms: GlossaryEntry[];
  /** How the text was made. */
  provenance: string;
}

const GUIDELINES = 'ICD-10-CM Official Guidelines for Coding and Reporting';
const PCS_GUIDELINES = 'ICD-10-PCS Official Guidelines for Coding and Reporting';

/**
 * The seventh character's encounter, in words, from the ICD-10-CM Official Guidelines I.C.19.a
 * (initial: active treatment; subsequent: after active treatment, healing or recovery; sequela:
 * complications or conditions that arise as a direct result of the injury).
 */
function encounterWords(text: string): string | undefined {
  const t = text.toLowerCase();
  const fracture = /closed fracture/.test(t)
    ? ' The fracture is a closed one.'
    : /open fracture/.test(t)
      ? ' The fracture is an open one.'
      : '';
  const healing = /routine healing/.test(t)
    ? ' The break is healing as expected.'
    : /delayed healing/.test(t)
      ? ' The break is healing more slowly than expected.'
      : /nonunion/.test(t)
        ? ' The broken ends have not joined (nonunion).'
        : /malunion/.test(t)
          ? ' The bone has joined in a wrong position (malunion).'
          : '';
  if (/^initial encounter/.test(t))
    return `The first stage of care, while the patient is receiving active treatment for the condition.${fracture}`;
  if (/^subsequent encounter/.test(t))
    return `A later stage of care, after active treatment, while the patient receives routine care during healing or recovery.${fracture}${healing}`;
  if (/^sequela/.test(t)) return 'A late effect, a condition that arises as a direct result of the original injury or condition.';
  return undefined;
}

const SIDES: [RegExp, string][] = [
  [/\bbilateral\b/i, 'Both sides.'],
  [/\bright\b/i, 'The right side.'],
  [/\bleft\b/i, 'The left side.'],
];

function icdParts(doc: Doc, parts: ExplainedPart[]) {
  const title = doc.display;
  const cm = doc.system === 'icd10cm';
  // ICD-9-CM has conventions of its own; the section numbers are those of the ICD-10-CM guidelines.
  const cite = (section: string) => (cm ? `${GUIDELINES}, ${section}` : `${doc.systemName} conventions`);
  if (/\bunspecified side\b/i.test(title))
    parts.push({ label: 'Side', official: 'unspecified side', text: 'The record does not say which side.', source: cite('I.B.13') });
  else {
    for (const [re, words] of SIDES) {
      const m = re.exec(title);
      if (m) {
        parts.push({ label: 'Side', official: m[0], text: words, source: cite('I.B.13 (laterality)') });
        break;
      }
    }
  }
  // "unspecified part of neck of right femur" → which part of neck of right femur; a trailing ", unspecified" says no more.
  const unspec = [...title.matchAll(/\bunspecified\b([^,;()]*)/gi)].filter((m) => !/^\s*side\b/i.test(m[1]));
  if (unspec.length) {
    const what = unspec
      .map((m) => m[1].split(/\s+(?:with|without|due|in|and|following|complicating)\s+/i)[0].trim())
      .filter((w) => w && w.split(/\s+/).length <= 8);
    parts.push({
      label: 'Unspecified',
      official: unspec.map((m) => `unspecified${m[1]}`.trim()).join('; '),
      text: `${what.length ? `The record does not say which ${what.join(', or which ')}. ` : 'The record does not give more detail. '}An “unspecified” code is for when the medical record is not specific enough for a more specific code.`,
      source: cite('I.A.9.b'),
    });
  }
  // NOS and NEC in the title or in an inclusion term; the official words are the phrase that has them.
  const texts = [title, ...doc.notes.filter((n) => n.kind === 'inclusionTerm').map((n) => n.text)];
  const allText = texts.join(' ');
  const nos = texts.find((t) => /\bNOS\b/.test(t));
  if (nos)
    parts.push({
      label: 'NOS',
      official: nos === title ? 'NOS' : nos,
      text: '“Not otherwise specified”: the same as unspecified, used when nothing more specific is recorded.',
      source: cite('I.A.5'),
    });
  if (/\bNEC\b|not elsewhere classified/i.test(allText))
    parts.push({
      label: 'NEC',
      official:
        texts.find((t) => /\bNEC\b|not elsewhere classified/i.test(t)) === title
          ? /\bNEC\b/.test(title)
            ? 'NEC'
            : 'not elsewhere classified'
          : texts.find((t) => /\bNEC\b|not elsewhere classified/i.test(t)),
      text: '“Not elsewhere classified”: the record names a specific kind of condition that has no code of its own, so it is coded here.',
      source: cite('I.A.5'),
    });
  if (/^other\b|\bother specified\b/i.test(title))
    parts.push({
      label: 'Other',
      official: /other specified/i.test(title) ? 'other specified' : 'other',
      text: 'Used when the record names a specific kind of condition that has no code of its own.',
      source: cite('I.A.9.a'),
    });
  if (/\bin diseases classified elsewhere\b/i.test(title))
    parts.push({
      label: 'Manifestation',
      official: 'in diseases classified elsewhere',
      text: 'Describes a result of another disease: it is never listed first; the underlying disease is coded first.',
      source: cite('I.A.13'),
    });
  if (cm && /^[A-Z]\d\d\.[0-9A-Z]*X/.test(doc.code))
    parts.push({
      label: 'Placeholder X',
      official: 'X',
      text: 'A placeholder character: it keeps the seventh character in the seventh place and says nothing about the condition.',
      source: cite('I.A.4'),
    });
  const seventh = doc.notes.find((n) => n.kind === 'sevenChrDef' && n.selected);
  if (seventh?.char) {
    const words = encounterWords(seventh.text);
    parts.push({
      label: `7th character ${seventh.char}`,
      official: seventh.text,
      text: words ?? `The seventh character says: ${seventh.text}.`,
      source: words
        ? `${doc.systemName} Tabular${seventh.from ? ` (${seventh.from})` : ''}; ${GUIDELINES}, I.C.19.a`
        : `${doc.systemName} Tabular`,
    });
  }
}

/** The plain words of a PCS axis value: its official definition, or the value itself. */
function pcsParts(doc: Doc, parts: ExplainedPart[], g: Glossary, used: GlossaryEntry[]): string | undefined {
  const axes = Array.isArray(doc.properties?.axes) ? (doc.properties.axes as PcsDefinedAxis[]) : undefined;
  if (!axes?.length) return undefined;
  const defs = `${doc.systemName} Definitions`;
  const plainOf = (label: string) => {
    const r = g.rewrite(label);
    used.push(...r.used);
    return r.text;
  };
  const op = axes.find((a) => a.pos === 3);
  const body = axes.find((a) => a.axis === 'Body Part' || a.axis === 'Body Region' || a.axis === 'Body System / Region');
  const approach = axes.find((a) => a.axis === 'Approach');
  const device = axes.find((a) => a.axis === 'Device');
  const qualifier = axes.find((a) => a.axis === 'Qualifier');
  const section = axes.find((a) => a.pos === 1);
  if (section)
    parts.push({ label: 'Section', official: section.label, text: `A procedure of the ${section.label} section.`, source: doc.systemName });
  if (op)
    parts.push({
      label: op.pos === 3 && section?.char === '0' ? 'Root operation' : op.axis,
      official: op.label,
      text: op.definition ? `${lowerFirst(op.definition)}.${op.explanation ? ` ${op.explanation}.` : ''}` : op.label,
      source: op.definition ? defs : doc.systemName,
    });
  if (body) {
    const plain = plainOf(body.label);
    parts.push({
      label: body.axis,
      official: body.label,
      text: `${plain === body.label ? body.label : `${plain} (${body.label})`}.${body.includes?.length ? ` Includes: ${body.includes.join('; ')}.` : ''}`,
      source: body.includes?.length ? `${defs} (body part key)` : doc.systemName,
    });
  }
  if (approach)
    parts.push({
      label: 'Approach',
      official: approach.label,
      text: approach.definition ? `${lowerFirst(approach.definition)}.` : approach.label,
      source: approach.definition ? defs : doc.systemName,
    });
  if (device)
    parts.push({
      label: 'Device',
      official: device.label,
      text:
        device.char === 'Z'
          ? 'No device remains in the body after the procedure.'
          : `${device.definition ? `${device.label}: ${lowerFirst(device.definition)}` : device.label}. The device remains after the procedure.`,
      source: `${PCS_GUIDELINES}, B6.1a`,
    });
  if (qualifier)
    parts.push({
      label: 'Qualifier',
      official: qualifier.label,
      text:
        qualifier.char === 'Z'
          ? 'No further detail.'
          : qualifier.label === 'Diagnostic'
            ? 'Diagnostic: the procedure takes a sample (a biopsy) for diagnosis.'
            : `${qualifier.label}${qualifier.definition ? `: ${lowerFirst(qualifier.definition)}` : ''}.`,
      source: qualifier.label === 'Diagnostic' ? `${PCS_GUIDELINES}, B3.4a` : doc.systemName,
    });
  // The summary: the operation's definition applied to the body part, by the approach.
  if (op?.definition && body) {
    const where = plainOf(body.label).toLowerCase();
    // The definition speaks of "a body part": this code names which one.
    const what = lowerFirst(op.definition).replace(/\ba body part\b/, `the ${where}`);
    let how = '';
    if (approach) {
      const phrase = `${approach.label} Approach`;
      const plain = plainOf(phrase);
      how = plain === phrase ? `, ${approach.label.toLowerCase()} approach` : `, by ${plain.toLowerCase()} (${phrase.toLowerCase()})`;
    }
    return `${op.label} of the ${where}: ${what}${how}.`;
  }
  return undefined;
}

/** HCPCS units of a drug code's descriptor: the amount one unit of service stands for. */
const UNIT =
  /^(?:(up to|per|each|over)\s+)?((?:[\d,.]+\s*)?(?:mg|mcg|microgram|micrograms|milligrams?|gm?|grams?|units?|iu|ml|cc|meq|mci|millicuries?|[\d,.]+\s*\S+)(?:\b.*)?)$/i;
const FORMS = /^(injection|infusion|inhalation solution|drug|vaccine|immune globulin)\b/i;

function hcpcsParts(doc: Doc, parts: ExplainedPart[], g: Glossary, used: GlossaryEntry[]): string | undefined {
  const p = doc.properties ?? {};
  const meaning = (v: unknown): string | undefined =>
    typeof v === 'object' && v !== null && typeof (v as { meaning?: unknown }).meaning === 'string'
      ? (v as { meaning: string }).meaning
      : undefined;
  const pricing = Array.isArray(p.pricingIndicators) ? p.pricingIndicators.map(meaning).filter(Boolean) : [];
  const segments = doc.display.split(/,\s+/);
  const isDrug = pricing.some((m) => /drug/i.test(m!)) || (FORMS.test(segments[0]) && segments.length >= 3);
  const layout = 'HCPCS record layout';
  if (isDrug && segments.length >= 2) {
    const last = segments.at(-1)!;
    const unit = UNIT.exec(last) && /\d|^per\b|^each\b/i.test(last) ? last : undefined;
    const form = FORMS.test(segments[0]) ? segments[0] : undefined;
    const drugSegments = segments.slice(form ? 1 : 0, unit ? -1 : undefined);
    const route =
      drugSegments.length > 1
        ? drugSegments.find((s) => /^(oral|intravenous|intramuscular|subcutaneous|topical|for .*|via .*)$/i.test(s))
        : undefined;
    const drug = drugSegments.filter((s) => s !== route).join(', ');
    if (form)
      parts.push({
        label: 'Form',
        official: form,
        text: `${form[0].toUpperCase()}${form.slice(1).toLowerCase()}.`,
        source: 'HCPCS descriptor',
      });
    if (drug) {
      const r = g.rewrite(drug);
      used.push(...r.used);
      parts.push({ label: 'Drug', official: drug, text: r.text === drug ? drug : `${drug} (${r.text})`, source: 'HCPCS descriptor' });
    }
    if (route) parts.push({ label: 'Route', official: route, text: route, source: 'HCPCS descriptor' });
    if (unit) {
      const expanded = unit.replace(/\b(mcg|mg|gm|g|ml|cc|iu|meq|mci)\b/gi, (u) => {
        const a = g.abbreviations.get(u.toLowerCase());
        if (a) used.push(a);
        return a ? a.plain : u;
      });
      const upTo = /^up to\b/i.test(unit);
      // "1 milligrams" → "1 milligram"
      const one = expanded.replace(/^((?:up to |per |each )?1 )([a-z ]+?)s\b/i, '$1$2');
      parts.push({
        label: 'Billing unit',
        official: unit,
        text: upTo
          ? `One unit of this code stands for ${one} of the drug: the claim gives the number of units.`
          : `One unit of this code stands for ${one.replace(/^(per|each)\s+/i, '')} of the drug: the claim gives the number of units.`,
        source: 'HCPCS descriptor (the amount in the descriptor is one unit of service)',
      });
    }
  } else if (doc.kind === 'code') {
    const [item, ...rest] = segments;
    const r = g.rewrite(item);
    used.push(...r.used);
    parts.push({
      label: 'Item or service',
      official: item,
      text: r.text === item ? item : `${item} (${r.text})`,
      source: 'HCPCS descriptor',
    });
    if (rest.length) {
      const d = g.rewrite(rest.join(', '));
      used.push(...d.used);
      parts.push({ label: 'Details', official: rest.join(', '), text: d.text, source: 'HCPCS descriptor' });
    }
  }
  const group = Array.isArray(p.pricingIndicators)
    ? p.pricingIndicators
        .map((x: unknown) => (typeof x === 'object' && x !== null ? (x as { group?: unknown }).group : undefined))
        .find((x): x is string => typeof x === 'string')
    : undefined;
  let lead: string | undefined;
  const drugPart = parts.find((x) => x.label === 'Drug');
  const unitPart = parts.find((x) => x.label === 'Billing unit');
  const formPart = parts.find((x) => x.label === 'Form');
  if (drugPart)
    lead = `a drug: ${drugPart.official}${formPart ? `, given as ${formPart.official!.toLowerCase() === 'injection' ? 'an injection' : formPart.official!.toLowerCase()}` : ''}${unitPart ? `, billed in units of ${unitPart.official}` : ''}`;
  else if (doc.kind === 'code' && group && /durable medical equipment/i.test(group) && /DME/.test(meaning(p.betos) ?? ''))
    lead = `durable medical equipment (DME): ${lowerFirst(doc.display)}`;
  else if (doc.kind === 'code' && group) lead = `${group.split(/,/)[0].toLowerCase()}: ${lowerFirst(doc.display)}`;
  const betos = meaning(p.betos);
  if (betos) parts.push({ label: 'Category', official: betos, text: `${betos} (BETOS category).`, source: layout });
  const tos = Array.isArray(p.typesOfService) ? p.typesOfService.map(meaning).filter((x): x is string => !!x) : [];
  if (tos.length) parts.push({ label: 'Type of service', official: tos.join('; '), text: `${tos.join('; ')}.`, source: layout });
  const coverage = meaning(p.coverage);
  if (coverage) parts.push({ label: 'Medicare coverage', official: coverage, text: `${coverage}.`, source: layout });
  return lead;
}

const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s);
const upperFirst = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);
const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/** What kind of thing the code names, for the summary. */
function kindWords(doc: Doc): string {
  const domain = SYSTEMS[doc.system].domain;
  if (doc.kind === 'chapter' || doc.kind === 'block' || doc.kind === 'group' || doc.kind === 'table') return 'a group of codes';
  if (doc.kind === 'modifier') return 'a modifier';
  if (doc.system === 'hcpcs') return 'a code for a supply, drug or service';
  switch (domain) {
    case 'diagnosis':
      return 'a diagnosis code';
    case 'procedure':
      return 'a procedure code';
    case 'lab':
      return 'a lab test or observation code';
    case 'drug':
      return 'a drug code';
    case 'provider':
      return 'a provider type code';
    default:
      return 'a code';
  }
}

/**
 * Explain one code. Pure: the same document and glossary always give the same text.
 */
export function explainCode(doc: Doc, g: Glossary = glossary()): Explanation {
  const parts: ExplainedPart[] = [];
  const used: GlossaryEntry[] = [];
  const title = doc.display;
  const rewritten = g.rewrite(title);
  used.push(...rewritten.used);
  const plainTitle = rewritten.text !== title ? rewritten.text : undefined;
  let lead: string | undefined;
  if (doc.system === 'icd10cm' || doc.system === 'icd9cm') icdParts(doc, parts);
  else if (doc.system === 'icd10pcs') lead = pcsParts(doc, parts, g, used);
  else if (doc.system === 'hcpcs') lead = hcpcsParts(doc, parts, g, used);
  const seventh = doc.notes.find((n) => n.kind === 'sevenChrDef' && n.selected);
  // The summary: what the code names, in plain words; the official title is beside it on the page.
  const what = kindWords(doc);
  let meaning = lead ? sentence(upperFirst(lead)) : plainTitle ? `In plain words: ${sentence(lowerFirst(plainTitle))}` : undefined;
  if (seventh?.char) {
    const enc = encounterWords(seventh.text);
    if (enc)
      meaning = `${meaning ? `${meaning} ` : ''}Its seventh character ${seventh.char} means “${seventh.text}”: ${lowerFirst(enc.split(/(?<=\.)\s/)[0])}`;
  }
  const summary =
    doc.system === 'hcpcs' && lead
      ? `${doc.code} is a code for ${sentence(lead)}`
      : meaning
        ? `${doc.code} is ${what}. ${meaning}`
        : `${doc.code} is ${what}: ${sentence(lowerFirst(title))}`;
  const unique = new Map<string, GlossaryEntry>();
  for (const u of used) if (!unique.has(u.clinical)) unique.set(u.clinical, { clinical: u.clinical, plain: u.plain, source: u.source });
  return {
    title,
    ...(plainTitle ? { plainTitle: upperFirst(plainTitle) } : {}),
    summary,
    ...(meaning ? { meaning } : {}),
    parts,
    terms: [...unique.values()],
    provenance: `Derived from the official text of ${doc.systemName} ${doc.version} and the MedCodes glossary (data/lay-terms.tsv); not reviewed by a clinician`,
  };
}
