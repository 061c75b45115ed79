import { html } from 'hono/html';
import type { CodeDocument } from '../lookup.js';
import { SYSTEMS } from '../systems.js';
import { codeHref, type H } from './layout.js';

/**
 * The code page's parts for the code sets a user imports from their own licensed or large releases
 * (CPT, LOINC, SNOMED CT, RxNorm, NDC; src/importers/<set>/): what the concept is, the release's own
 * fields under the names their documentation uses, and their relations (SNOMED CT further is-a
 * parents, RxNorm relationships and NDC links), which are not crosswalks.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** The status line's words for a concept of these sets, or undefined for other sets. */
export function licensedStatus(doc: CodeDocument): string | undefined {
  const p = doc.properties ?? {};
  switch (doc.system) {
    case 'cpt':
      if (doc.kind !== 'code') return 'Section or range of codes: not a code';
      return `CPT${str(p.category) ? ` Category ${str(p.category)}` : ''} code`;
    case 'loinc':
      if (doc.kind !== 'code') return 'LOINC class: a grouping of terms, not a term';
      return `LOINC term${str(p.status) ? `, status ${str(p.status)!.toLowerCase()}` : ''}${str(p.orderObs) ? ` (${orderObs(str(p.orderObs)!)})` : ''}`;
    case 'snomedct':
      return `SNOMED CT concept${str(p.semanticTag) ? ` (${str(p.semanticTag)})` : ''}${p.definitionStatus === 'defined' ? ', fully defined' : ''}`;
    case 'rxnorm':
      return `RxNorm concept${str(p.termType) ? `: ${str(p.termType)}` : ''}${str(p.tty) ? ` (${str(p.tty)})` : ''}`;
    case 'ndc':
      if (doc.kind === 'code') return 'NDC package code';
      if (doc.kind === 'category') return 'NDC product code: choose a package for an 11-digit NDC';
      return 'Labeler: the first segment of its NDCs';
    default:
      return undefined;
  }
}

/** LOINC ORDER_OBS values (LOINC Users' Guide, Appendix A). */
function orderObs(v: string): string {
  return { Order: 'orderable', Observation: 'result', Both: 'orderable and result', Subset: 'panel subset' }[v] ?? v;
}

/** Fields shown per set, in the order and with the names of each release's documentation. */
const FIELDS: Partial<Record<CodeDocument['system'], [string, string][]>> = {
  cpt: [
    ['category', 'Category'],
    ['mediumDescriptor', 'Medium descriptor'],
    ['shortDescriptor', 'Short descriptor'],
    ['consumerDescriptor', 'Consumer friendly descriptor'],
    ['clinicianDescriptors', 'Clinician descriptors'],
  ],
  // Loinc.csv column names (LOINC Users' Guide, Appendix A "LOINC Database Structure").
  loinc: [
    ['component', 'Component (COMPONENT)'],
    ['property', 'Property (PROPERTY)'],
    ['timeAspect', 'Time (TIME_ASPCT)'],
    ['system', 'System (SYSTEM)'],
    ['scale', 'Scale (SCALE_TYP)'],
    ['method', 'Method (METHOD_TYP)'],
    ['class', 'Class (CLASS)'],
    ['displayName', 'Display name (DisplayName)'],
    ['consumerName', 'Consumer name (CONSUMER_NAME)'],
    ['shortName', 'Short name (SHORTNAME)'],
    ['exampleUcumUnits', 'Example UCUM units'],
    ['relatedNames', 'Related names (RELATEDNAMES2)'],
    ['status', 'Status (STATUS)'],
    ['versionFirstReleased', 'First released in'],
    ['versionLastChanged', 'Last changed in'],
  ],
  // RF2 concept and description files (SNOMED CT Release File Specifications).
  snomedct: [
    ['fsn', 'Fully specified name'],
    ['semanticTag', 'Semantic tag'],
    ['definitionStatus', 'Definition status'],
    ['effectiveTime', 'Effective time'],
  ],
  rxnorm: [
    ['tty', 'Term type (TTY)'],
    ['termType', 'Term type name'],
  ],
  // FDA NDC Directory product.txt and package.txt columns.
  ndc: [
    ['ndc10', 'NDC (10-digit, as listed)'],
    ['ndc11', 'NDC (11-digit, 5-4-2)'],
    ['proprietaryName', 'Proprietary name'],
    ['nonproprietaryName', 'Nonproprietary name'],
    ['labeler', 'Labeler'],
    ['productType', 'Product type'],
    ['dosageForm', 'Dosage form'],
    ['route', 'Route'],
    ['substanceName', 'Substance'],
    ['strength', 'Strength'],
    ['strengthUnit', 'Strength unit'],
    ['pharmClasses', 'Pharmacologic classes'],
    ['marketingCategory', 'Marketing category'],
    ['applicationNumber', 'Application number'],
    ['packageDescription', 'Package description'],
    ['startMarketingDate', 'Marketing start date'],
    ['endMarketingDate', 'Marketing end date'],
    ['sample', 'Sample package'],
    ['deaSchedule', 'DEA schedule'],
  ],
};

const HEADING: Partial<Record<CodeDocument['system'], string>> = {
  cpt: 'CPT descriptors',
  loinc: 'LOINC parts',
  snomedct: 'SNOMED CT concept',
  rxnorm: 'RxNorm concept',
  ndc: 'NDC Directory listing',
};

function value(v: unknown): H {
  if (typeof v === 'boolean') return html`${v ? 'Yes' : 'No'}`;
  if (Array.isArray(v)) return html`${v.map((x, i) => html`${i ? html`<br>` : ''}${String(x)}`)}`;
  return html`${String(v)}`;
}

/** The release's own fields of the concept, or nothing for other sets. */
export function licensedDetails(doc: CodeDocument): H {
  const fields = FIELDS[doc.system];
  const p = doc.properties;
  if (!fields || !p) return html``;
  const rows = fields
    .filter(([k]) => p[k] !== undefined && p[k] !== null && p[k] !== '' && !(Array.isArray(p[k]) && !(p[k] as unknown[]).length))
    .map(([k, label]) => html`<tr><th scope="row">${label}</th><td>${value(p[k])}</td></tr>`);
  if (!rows.length) return html``;
  return html`<h2>${HEADING[doc.system]}</h2><table><caption class="vh">${HEADING[doc.system]} fields of ${doc.code}</caption><tbody>${rows}</tbody></table>`;
}

type MappingRow = CodeDocument['mappings'][number];

/** RxNorm RELA names and their inverses (RxNorm Technical Documentation, "Relationships"). */
const INVERSE: Record<string, string> = {
  has_tradename: 'tradename_of',
  tradename_of: 'has_tradename',
  has_ingredient: 'ingredient_of',
  ingredient_of: 'has_ingredient',
  has_precise_ingredient: 'precise_ingredient_of',
  precise_ingredient_of: 'has_precise_ingredient',
  consists_of: 'constitutes',
  constitutes: 'consists_of',
  has_dose_form: 'dose_form_of',
  dose_form_of: 'has_dose_form',
  contains: 'contained_in',
  contained_in: 'contains',
  isa: 'inverse_isa',
  inverse_isa: 'isa',
  has_form: 'form_of',
  form_of: 'has_form',
  quantified_form_of: 'has_quantified_form',
  has_quantified_form: 'quantified_form_of',
  reformulation_of: 'reformulated_to',
  reformulated_to: 'reformulation_of',
};

const words = (rela: string) => rela.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** How a relation reads on this code's page. */
function relationLabel(doc: CodeDocument, m: MappingRow): string {
  const rela = typeof m.flags?.relation === 'string' ? m.flags.relation : undefined;
  if (m.source === 'snomed-isa') return m.direction === 'to' ? 'Also a subtype of' : 'Also a supertype of';
  if (m.system === 'ndc' && doc.system === 'rxnorm') return 'NDC packages';
  if (m.system === 'rxnorm' && doc.system === 'ndc') return 'RxNorm concept';
  if (rela) return words(m.direction === 'to' ? rela : (INVERSE[rela] ?? `${rela} (inverse)`));
  return `${SYSTEMS[m.system].label} (${m.source})`;
}

/** Sources of mappings that are relations of a licensed set rather than crosswalks. */
export const RELATION_SOURCES: ReadonlySet<string> = new Set(['snomed-isa', 'rxnorm']);

/**
 * RxNorm relationships, NDC links and further SNOMED CT parents, grouped by how they read from this
 * code. Concepts under this one by a further is-a parent are already listed as its children.
 */
export function relationsSection(doc: CodeDocument): H {
  const rows = doc.mappings.filter((m) => RELATION_SOURCES.has(m.source) && !(m.source === 'snomed-isa' && m.direction === 'from'));
  if (!rows.length) return html``;
  const groups = new Map<string, MappingRow[]>();
  for (const m of rows) {
    const label = relationLabel(doc, m);
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label)!.push(m);
  }
  const sources = [...new Set(rows.map((m) => `${m.source === 'snomed-isa' ? 'SNOMED CT' : 'RxNorm'} ${m.version}`))].join(', ');
  return html`<h2>Relations</h2><p class="muted">From ${sources}.</p>${[...groups].map(
    ([label, ms]) =>
      html`<h3>${label}</h3><ul>${ms.map(
        (m) =>
          html`<li>${m.display ? html`<a class="code" href="${codeHref(m.system, m.code)}">${m.code}</a> ${m.display}` : html`<span class="code">${m.code}</span> <span class="muted">(not loaded)</span>`}${m.system !== doc.system ? html` <span class="badge">${SYSTEMS[m.system].label}</span>` : ''}</li>`,
      )}</ul>`,
  )}`;
}
