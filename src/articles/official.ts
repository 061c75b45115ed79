import type { CodeDocument } from '../lookup.js';
import type { NoteOut } from '../store/store.js';
import type { PcsDefinedAxis } from '../importers/icd10pcs/builder.js';
import { isPcsTableStructure } from '../importers/icd10pcs/builder.js';
import { SYSTEMS } from '../systems.js';
import { provenanceLine, sectionsOf, articleKind, type ArticleSection } from './sections.js';
import { explainCode } from './explain.js';

/**
 * Official sections: assembled from the code's own official data, for every code, when its document
 * is read (cheap: the document is already loaded). Nothing here is invented: each sentence only
 * arranges what the release states (titles, the place in the classification, inclusion terms and
 * notes, ICD-10-PCS axis values with their definitions from the PCS Definitions, HCPCS record fields
 * as decoded with the record layout's tables), and says so in its provenance ("official: <release>").
 */

type Doc = Omit<CodeDocument, 'article' | 'similar'>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const quote = (s: string) => `“${s}”`;
const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);
const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s);

/** What kind of concept this is, in words, for the summary's first sentence. */
function what(doc: Doc): string {
  const name = doc.systemName;
  if (doc.status === 'deleted') return `a deleted ${name} code`;
  switch (doc.kind) {
    case 'chapter':
      return doc.system === 'icd10pcs' ? `a section of ${name}` : `a chapter of ${name}`;
    case 'block':
      return doc.system === 'icd10pcs' ? `a body system of ${name}` : `a block of ${name} categories`;
    case 'table':
      return `an ${name} table`;
    case 'modifier':
      return `an ${name} modifier`;
    case 'group':
      return `a group of ${name}`;
    default:
      if (doc.system === 'nucc') return `a ${name} code`;
      if (doc.system === 'icd10pcs') return doc.billable ? `a valid ${name} code` : `an ${name} header`;
      // Code sets that are not claim code sets: their concepts are terms, concepts or packages, not "billable".
      if (doc.system === 'loinc') return `a ${name} term`;
      if (doc.system === 'snomedct' || doc.system === 'rxnorm') return `a ${name} concept`;
      if (doc.system === 'ndc')
        return doc.kind === 'code'
          ? 'a National Drug Code (package)'
          : doc.kind === 'category'
            ? 'a National Drug Code product'
            : 'an NDC labeler';
      return doc.billable ? `a billable ${name} code` : `a header (not billable) ${name} code`;
  }
}

const KIND_WORD: Record<string, string> = { chapter: 'chapter', block: 'block', category: 'category', table: 'table', group: 'group' };

function placeSentence(doc: Doc): string | undefined {
  if (!doc.parents.length) return undefined;
  const path = doc.parents.map((p) => {
    const word =
      doc.system === 'icd10pcs'
        ? ({ chapter: 'section', block: 'body system', table: 'table' } as Record<string, string>)[p.kind]
        : (KIND_WORD[p.kind] ?? (p.kind === 'code' ? 'subcategory' : undefined));
    return `${word ?? 'under'} ${p.code} (${p.display})`;
  });
  // SNOMED CT and RxNorm are hierarchies of concepts (is-a), not classifications with levels.
  if (doc.system === 'snomedct') {
    const direct = [doc.parents.at(-1)!, ...doc.mappings.filter((m) => m.source === 'snomed-isa' && m.direction === 'to' && m.display)];
    return `It is a kind of ${direct.map((p) => `${p.display} (${p.code})`).join(' and of ')}.`;
  }
  if (doc.system === 'ndc') return `It is listed under ${doc.parents.map((p) => `${p.code} (${p.display})`).join(', ')}.`;
  return `It is classified in ${path.join(', ')}.`;
}

function summaryText(doc: Doc): string {
  // A code's summary says what it means in plain words (explain.ts) rather than restating the title
  // and the hierarchy, which the page shows above it; groups of codes keep their place.
  const meaning = doc.kind === 'code' ? explainCode(doc).meaning : undefined;
  const parts: string[] = [meaning ? `${doc.code} is ${what(doc)}. ${meaning}` : `${doc.code} is ${what(doc)}: ${quote(doc.display)}.`];
  const place = meaning && !['snomedct', 'ndc'].includes(doc.system) ? undefined : placeSentence(doc);
  if (place) parts.push(place);
  const inclusion = doc.notes.filter((n) => n.kind === 'inclusionTerm').map((n) => n.text);
  if (inclusion.length) parts.push(`The classification lists under it: ${inclusion.join('; ')}.`);
  const seventh = doc.notes.find((n) => n.kind === 'sevenChrDef' && n.selected);
  if (seventh && !meaning) parts.push(`Its seventh character ${seventh.char} means ${quote(seventh.text)}.`);
  if (
    doc.status === 'active' &&
    !doc.billable &&
    doc.children.length &&
    !['chapter', 'block', 'table', 'group', 'modifier'].includes(doc.kind)
  ) {
    parts.push(`It is not valid on a claim: one of its ${doc.children.length} more specific codes is reported instead.`);
  }
  if (doc.kind === 'table' && isPcsTableStructure(doc.properties)) {
    const op = doc.properties.axes.find((a) => a.pos === 3);
    if (op?.definition) parts.push(`${op.label}: ${lowerFirst(sentence(op.definition))}`);
    parts.push(`The table allows ${doc.properties.validCodes.toLocaleString('en-US')} valid codes.`);
  }
  if (doc.system === 'nucc') {
    const p = doc.properties ?? {};
    const bits = [
      str(p.grouping) && `grouping ${quote(str(p.grouping)!)}`,
      str(p.classification) && `classification ${quote(str(p.classification)!)}`,
      str(p.specialization) && `specialization ${quote(str(p.specialization)!)}`,
    ].filter(Boolean);
    if (bits.length) parts.push(`In the taxonomy it is ${bits.join(', ')}.`);
  }
  if (SYSTEMS[doc.system].retired) parts.push(`${doc.systemName} is retired: it was replaced by ICD-10-CM and ICD-10-PCS on 2015-10-01.`);
  const deleted = [...doc.history].reverse().find((h) => h.action === 'deleted');
  if (doc.status === 'deleted' && deleted) {
    parts.push(
      `It was deleted in ${deleted.version}${deleted.replacedBy?.length ? `; the conversion table replaces it by ${deleted.replacedBy.map((r) => r.code).join(', ')}` : ''}.`,
    );
  }
  return parts.join(' ');
}

/** The seven characters as steps: each axis with its value and the value's official definition. */
function pcsDescription(axes: PcsDefinedAxis[]): string {
  return axes
    .map(
      (a, i) =>
        `${i + 1}. ${a.axis} (character ${a.pos}, ${a.char}): ${a.label}${a.definition ? ` — ${sentence(a.definition)}` : ''}${a.explanation ? ` ${sentence(a.explanation)}` : ''}`,
    )
    .join('\n');
}

/** How each kind of Tabular note is used, from the ICD-10-CM Official Guidelines, Section I.A. */
export const NOTE_MEANING: Record<string, string> = {
  includes: 'Includes (further defines or gives examples of the content)',
  excludes1: 'Excludes1 (never coded together with this code)',
  excludes2: 'Excludes2 (not part of this condition; both may be coded when both are present)',
  codeFirst: 'Code first (the underlying condition is sequenced first)',
  useAdditionalCode: 'Use additional code (a second code gives the full picture)',
  codeAlso: 'Code also (another code may be needed; sequencing depends on the circumstances)',
  notes: 'Note',
  sevenChrNote: 'Seventh character',
};

function codingNotes(doc: Doc): string | undefined {
  const lines: string[] = [];
  const all: NoteOut[] = [...doc.notes, ...doc.inheritedNotes];
  for (const kind of Object.keys(NOTE_MEANING)) {
    const ns = all.filter((n) => n.kind === kind);
    if (!ns.length) continue;
    lines.push(`- ${NOTE_MEANING[kind]}: ${ns.map((n) => `${n.text}${n.from ? ` (from ${n.from})` : ''}`).join('; ')}`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

/** HCPCS: the record's decoded coded fields, as facts a biller reads. */
function hcpcsBilling(doc: Doc): string | undefined {
  const p = doc.properties ?? {};
  const meaning = (v: unknown): string | undefined =>
    typeof v === 'object' && v !== null ? str((v as { meaning?: unknown }).meaning) : undefined;
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(meaning).filter((x): x is string => !!x) : meaning(v) ? [meaning(v)!] : [];
  const lines: string[] = [];
  const add = (label: string, values: string[]) => values.length && lines.push(`- ${label}: ${values.join('; ')}`);
  add('Pricing', list(p.pricingIndicators));
  add('Coverage', list(p.coverage));
  add('Type of service', list(p.typesOfService));
  add('BETOS category', list(p.betos));
  add('ASC payment group', list(p.ascPaymentGroup));
  if (str(p.addedDate)) lines.push(`- Added to HCPCS on ${str(p.addedDate)}`);
  if (str(p.terminationDate)) lines.push(`- Terminated on ${str(p.terminationDate)}`);
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * The official sections of a code, in its kind's section order. `effective` is the loaded release's
 * effective date, used as the sections' date, and `releaseVersion` its version.
 */
export function officialSections(doc: Doc, effective?: string, releaseVersion?: string): ArticleSection[] {
  const kind = articleKind(doc.system);
  // The loaded release the text is assembled from (for a deleted code its last release is older, but
  // its deletion and replacements come from the current one, as does the effective date).
  const author = `${doc.systemName} ${releaseVersion ?? doc.version}`;
  const date = effective ?? '';
  const texts = new Map<string, string>();
  texts.set('summary', summaryText(doc));
  if (doc.system === 'icd10pcs') {
    const axes = Array.isArray(doc.properties?.axes) ? (doc.properties.axes as PcsDefinedAxis[]) : undefined;
    if (axes?.length) texts.set('procedureDescription', pcsDescription(axes));
  }
  if (kind === 'diagnosis') {
    const notes = codingNotes(doc);
    if (notes) texts.set('codingNotes', notes);
  }
  if (doc.system === 'hcpcs') {
    const billing = hcpcsBilling(doc);
    if (billing) texts.set('billingNotes', billing);
    if (str(doc.shortDisplay) && doc.kind === 'code') texts.set('description', `${doc.display} (short description: ${doc.shortDisplay}).`);
  }
  if (doc.system === 'nucc' && str(doc.properties?.definition)) {
    // NUCC's definition, unchanged but for its line breaks (the page shows it with them).
    texts.set(
      'scope',
      String(doc.properties!.definition)
        .replace(/<br\s*\/?>/gi, '\n')
        .replace(/<[^>]+>/g, '')
        .trim(),
    );
  }
  return sectionsOf(kind)
    .filter((s) => texts.has(s.id))
    .map((s) => {
      const base = { source: 'official' as const, author, date, review: 'reviewed' as const };
      return { id: s.id, heading: s.heading, text: texts.get(s.id)!, ...base, provenance: provenanceLine(base) };
    });
}
