import { z } from 'zod';
import type { SystemId } from '../model.js';
import { SYSTEMS } from '../systems.js';

/**
 * The article model: the plain-language sections of a code page, per kind of code. Procedures follow
 * the product's reference page (docs/ARTICLES.md, test/fixtures/articles/cpt-64491.md) section for
 * section and in its order; the other kinds have sets fitted to what their codes name.
 *
 * Every section carries its provenance: where the text comes from (`official` = assembled from the
 * official release files, `curated` = imported by a user, `generated` = written by a language model),
 * who or what wrote it, when, and whether a person reviewed it.
 */

export type ArticleKind = 'procedure' | 'diagnosis' | 'supply' | 'lab' | 'drug' | 'provider' | 'other';

export interface SectionDef {
  /** Stable id, used in JSON and in the database. */
  id: string;
  /** Heading as shown, and as written in a Markdown article. */
  heading: string;
  /** What the section should say: the prompt of the generator and the guide of a curator. */
  guide: string;
  /** Written as a list (bullets, or numbered steps) rather than prose. */
  list?: 'bullets' | 'steps';
}

const S = (id: string, heading: string, guide: string, list?: SectionDef['list']): SectionDef => ({
  id,
  heading,
  guide,
  ...(list ? { list } : {}),
});

const SUMMARY = S('summary', 'Summary', 'Two or three sentences: what the code describes, in plain language.');

/** The reference page's sections, in its order. */
const PROCEDURE: SectionDef[] = [
  SUMMARY,
  S('purpose', 'Purpose', 'Why the procedure is done: what it diagnoses or treats and what it aims to achieve.'),
  S('indications', 'Indications', 'Conditions or situations in which the procedure is done.', 'bullets'),
  S('preparation', 'Preparation', 'What the patient does or is asked to do before the procedure.', 'bullets'),
  S('procedureDescription', 'Procedure Description', 'The steps of the procedure, in order.', 'steps'),
  S('duration', 'Duration', 'How long the procedure typically takes.'),
  S('setting', 'Setting', 'Where the procedure is usually performed.'),
  S('personnel', 'Personnel', 'Who performs or assists.', 'bullets'),
  S('risksAndComplications', 'Risks and Complications', 'Common and rare risks.', 'bullets'),
  S('benefits', 'Benefits', 'Expected benefits.', 'bullets'),
  S('recovery', 'Recovery', 'What happens after the procedure and how recovery goes.', 'bullets'),
  S('alternatives', 'Alternatives', 'Other options to consider.', 'bullets'),
  S('patientExperience', 'Patient Experience', 'What the patient feels during and after the procedure.'),
];

const DIAGNOSIS: SectionDef[] = [
  SUMMARY,
  S('causes', 'Causes', 'What causes the condition, and risk factors.', 'bullets'),
  S('symptoms', 'Symptoms', 'Typical signs and symptoms.', 'bullets'),
  S('diagnosis', 'Diagnosis', 'How clinicians establish the diagnosis.', 'bullets'),
  S('treatment', 'Treatment', 'Usual treatment options.', 'bullets'),
  S('outlook', 'Outlook', 'The usual course and prognosis.'),
  S('codingNotes', 'Coding notes', 'What a coder must know: what the code includes and excludes, what to code with it.', 'bullets'),
];

const SUPPLY: SectionDef[] = [
  SUMMARY,
  S('description', 'Description', 'What the item, drug or service is.'),
  S('uses', 'Uses', 'What it is used for.', 'bullets'),
  S('whoUsesIt', 'Who uses it', 'Which patients and providers use or supply it.', 'bullets'),
  S('billingNotes', 'Billing notes', 'Units, pricing and coverage facts from the official record.', 'bullets'),
  S('alternatives', 'Alternatives', 'Related items or services.', 'bullets'),
];

const LAB: SectionDef[] = [
  SUMMARY,
  S('purpose', 'Purpose', 'What the test measures and why it is ordered.'),
  S('specimen', 'Specimen', 'What is collected and how.'),
  S('preparation', 'Preparation', 'What the patient does before the test.', 'bullets'),
  S('results', 'Results', 'What results mean, in general terms.'),
  S('relatedTests', 'Related tests', 'Tests often ordered with or instead of it.', 'bullets'),
];

const DRUG: SectionDef[] = [
  SUMMARY,
  S('uses', 'Uses', 'What the drug is used for.', 'bullets'),
  S('howItWorks', 'How it works', 'Its mechanism, in plain language.'),
  S('sideEffects', 'Side effects', 'Common and serious side effects.', 'bullets'),
  S('precautions', 'Precautions', 'Who should not take it, interactions.', 'bullets'),
];

const PROVIDER: SectionDef[] = [
  SUMMARY,
  S('scope', 'Scope of practice', 'What these providers do.'),
  S('training', 'Training and credentials', 'Education, licensure and certification.', 'bullets'),
  S('settings', 'Settings', 'Where they work.', 'bullets'),
];

const OTHER: SectionDef[] = [SUMMARY, S('details', 'Details', 'What a reader needs to know about the concept.')];

export const ARTICLE_SECTIONS: Record<ArticleKind, SectionDef[]> = {
  procedure: PROCEDURE,
  diagnosis: DIAGNOSIS,
  supply: SUPPLY,
  lab: LAB,
  drug: DRUG,
  provider: PROVIDER,
  other: OTHER,
};

/** The article kind of a code: by its code set's domain (systems.ts); HCPCS drugs (J codes) are supplies too. */
export function articleKind(system: SystemId): ArticleKind {
  switch (SYSTEMS[system].domain) {
    case 'procedure':
      return 'procedure';
    case 'diagnosis':
      return 'diagnosis';
    case 'supply':
      return 'supply';
    case 'lab':
      return 'lab';
    case 'drug':
      return 'drug';
    case 'provider':
      return 'provider';
    default:
      return 'other';
  }
}

export function sectionsOf(kind: ArticleKind): SectionDef[] {
  return ARTICLE_SECTIONS[kind];
}

/** Find a section of a kind by id or by heading (any case, "&" for "and"). */
export function findSection(kind: ArticleKind, idOrHeading: string): SectionDef | undefined {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/&/g, 'and')
      .replace(/[^a-z0-9]/g, '');
  const n = norm(idOrHeading);
  return ARTICLE_SECTIONS[kind].find((s) => norm(s.id) === n || norm(s.heading) === n);
}

export const SOURCES = ['official', 'curated', 'generated'] as const;
export type ArticleSource = (typeof SOURCES)[number];
export const REVIEW_STATUSES = ['draft', 'reviewed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** One section as stored and served. Text is plain text; lists are lines starting with "- " or "1. ". */
export interface ArticleSection {
  id: string;
  heading: string;
  text: string;
  source: ArticleSource;
  /** Person or organisation (curated), model id (generated), or the release it is assembled from (official). */
  author: string;
  /** ISO date (YYYY-MM-DD) the text was written or generated. */
  date: string;
  review: ReviewStatus;
  /** Who marked the section reviewed, and when (`medcodes articles review`). */
  reviewer?: string;
  reviewedAt?: string;
  /** One line for readers: `official: ICD-10-CM FY2026`, `curated by …, reviewed`, `generated by … on …, reviewed by … on …`. */
  provenance: string;
}

/** The article of one code, as served under `article` in the code document. */
export interface Article {
  system: SystemId;
  code: string;
  kind: ArticleKind;
  /** The name the article's author gave the concept (curated/generated only; never the official title). */
  title?: string;
  sections: ArticleSection[];
  /** True when any section shown is generated: the page then shows the "not medical advice" notice. */
  generated: boolean;
}

export function provenanceLine(s: Pick<ArticleSection, 'source' | 'author' | 'date' | 'review' | 'reviewer' | 'reviewedAt'>): string {
  const by = s.review === 'reviewed' && s.reviewer ? `reviewed by ${s.reviewer}${s.reviewedAt ? ` on ${s.reviewedAt}` : ''}` : undefined;
  switch (s.source) {
    case 'official':
      return `official: ${s.author}`;
    case 'curated':
      return `curated by ${s.author}, ${s.date}, ${by ?? s.review}`;
    case 'generated':
      return `generated by ${s.author} on ${s.date}, ${by ?? (s.review === 'reviewed' ? 'reviewed' : 'not reviewed')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Input schema: what `articles import` reads (one JSON object per line, or a Markdown file) and what
// the generator must answer. Text limits keep a hostile file from filling the database.

export const MAX_SECTION_CHARS = 8000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const SectionInput = z.object({
  /** Section id or heading. */
  section: z.string().min(1).max(80),
  text: z.string().trim().min(1).max(MAX_SECTION_CHARS),
});

export const ArticleInput = z.object({
  system: z.string().min(1).max(40),
  code: z.string().trim().min(1).max(40),
  title: z.string().trim().min(1).max(500).optional(),
  author: z.string().trim().min(1).max(200),
  date: z.string().regex(ISO_DATE, 'date must be YYYY-MM-DD'),
  review: z.enum(REVIEW_STATUSES).default('draft'),
  sections: z.array(SectionInput).min(1).max(40),
});
export type ArticleInput = z.infer<typeof ArticleInput>;
