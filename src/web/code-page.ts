import { licensedDetails, licensedStatus, relationsSection, RELATION_SOURCES } from './licensed-sections.js';
import { html } from 'hono/html';
import type { CodeDocument } from '../lookup.js';
import type { Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import { SYSTEMS } from '../systems.js';
import { codeKey } from '../codes.js';
import { HCPCS_FIELD_NAMES, type HcpcsLine } from '../importers/hcpcs/record.js';
import { isPcsTableStructure, valueDefinition, type PcsDefinedAxis, type PcsTableStructure } from '../importers/icd10pcs/builder.js';
import type { ArticleSection } from '../articles/sections.js';
import { NOTE_MEANING } from '../articles/official.js';
import { explainCode, type Explanation } from '../articles/explain.js';
import { RETIRED_NOTE, builderHref, codeHref, layout, noticeSection, searchForm, textWithBreaks, type H } from './layout.js';

/**
 * The page of one code: the lookup document (src/lookup.ts) laid out for reading, with each code
 * set's own details: HCPCS record fields, ICD-10-PCS characters and the link to the code builder,
 * the NUCC taxonomy columns, GEM crosswalks in both directions, and the release notice.
 */

const NOTE_LABELS: Record<string, string> = {
  inclusionTerm: 'Inclusion terms',
  includes: 'Includes',
  excludes1: 'Excludes1',
  excludes2: 'Excludes2',
  codeFirst: 'Code first',
  useAdditionalCode: 'Use additional code',
  codeAlso: 'Code also',
  notes: 'Notes',
  sevenChrNote: 'Seventh character',
  sevenChrDef: 'Seventh character values',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const isoDate = (iso: string): H => html`<time datetime="${iso}">${iso}</time>`;

// ---------------------------------------------------------------------------------------------
// Status line

/** What the concept is, by code set and kind, and whether it may be reported. */
function statusLine(doc: CodeDocument): H {
  const p = doc.properties ?? {};
  const info = SYSTEMS[doc.system];
  const parts: H[] = [html`<span class="badge">${doc.systemName}</span>`];
  if (info.retired) parts.push(html`<span class="retired">${RETIRED_NOTE}</span>`);
  if (doc.status === 'deleted') parts.push(deletedStatus(doc));
  else parts.push(html`<span>${activeStatus(doc, p)}</span>`);
  return html`<p class="status">${parts.map((x, i) => html`${i ? ' ' : ''}${x}`)} <span class="muted">· ${doc.version}</span></p>`;
}

function activeStatus(doc: CodeDocument, p: Record<string, unknown>): string {
  const licensed = licensedStatus(doc);
  if (licensed) return licensed;
  switch (doc.system) {
    case 'hcpcs':
      if (doc.kind === 'modifier') return 'Modifier: appended to a procedure code to qualify it; not reported alone';
      if (doc.kind === 'group') {
        return typeof p.count === 'number' && str(p.first)
          ? `Group of ${p.count.toLocaleString('en-US')} ${doc.code === 'Modifiers' ? 'modifiers' : 'codes'}, ${String(p.first)} to ${String(p.last)}`
          : 'Group of codes';
      }
      return doc.billable ? 'Billable code' : 'Not billable';
    case 'icd10pcs':
      if (doc.kind === 'chapter') return 'Section (character 1): not a code';
      if (doc.kind === 'block') return 'Body system (characters 1-2): not a code';
      if (doc.kind === 'table') {
        const n = isPcsTableStructure(p) ? ` of ${p.validCodes.toLocaleString('en-US')} valid codes` : '';
        return `Table (characters 1-3)${n}: not a code; choose characters 4-7 to build one`;
      }
      return doc.billable ? 'Valid code (billable)' : 'Header: not valid for billing; use a more specific code';
    case 'icd9cm':
    case 'icd9pcs':
      return doc.billable ? `Valid code in release ${doc.version}` : 'Header: not a valid code';
    case 'nucc':
      if (doc.kind === 'group')
        return p.codeless
          ? 'Classification (Level II) without a taxonomy code of its own'
          : 'Grouping (Level I): no taxonomy code of its own';
      return `Active taxonomy code${str(p.level) ? ` (${String(p.level)} level)` : ''}`;
    default:
      if (doc.kind === 'chapter') return 'Chapter: not a code';
      if (doc.kind === 'block') return 'Block of categories: not a code';
      return doc.billable ? 'Billable' : 'Header: not valid for billing; use a more specific code';
  }
}

/** "Deleted code", when (the HCPCS termination date, else the release of the deletion), and the replacements. */
function deletedStatus(doc: CodeDocument): H {
  const deletion = [...doc.history].reverse().find((h) => h.action === 'deleted');
  const terminated = doc.system === 'hcpcs' ? str(doc.properties?.terminationDate) : undefined;
  const when = terminated
    ? html`: terminated ${isoDate(terminated)} (the last date it may be used)`
    : deletion
      ? html` ${/^\d{4}-\d{2}-\d{2}$/.test(deletion.version) ? html`on ${isoDate(deletion.version)}` : `in ${deletion.version}`}`
      : '';
  const repl = deletion?.replacedBy?.length
    ? html`; replaced by ${deletion.replacedBy.map((r, i) => html`${i ? ', ' : ''}${r.display ? html`<a class="code" href="${codeHref(doc.system, r.code)}">${r.code}</a>` : html`<span class="code">${r.code}</span>`}`)}`
    : '';
  const noun = doc.kind === 'table' || doc.kind === 'modifier' ? doc.kind : 'code';
  return html`<span class="deleted">Deleted ${noun}</span><span>${when}${repl}</span>`;
}

// ---------------------------------------------------------------------------------------------
// HCPCS

interface Coded {
  code: string;
  meaning?: string;
  group?: string | Coded;
}

const isCoded = (v: unknown): v is Coded => typeof v === 'object' && v !== null && typeof (v as Coded).code === 'string';

function codedValue(v: Coded): H {
  const group =
    typeof v.group === 'string'
      ? html`<br><span class="muted">Group: ${v.group}</span>`
      : isCoded(v.group)
        ? html`<br><span class="muted">Part of <span class="code">${v.group.code}</span> ${v.group.meaning ?? ''}</span>`
        : '';
  const meaning = v.meaning ?? html`<span class="muted">(not in the code list of the 2019 record layout)</span>`;
  return html`${v.code ? html`<span class="code">${v.code}</span> ` : ''}${meaning}${group}`;
}

/** Fields of HcpcsLine that are the concept's own columns, not record details. */
const HCPCS_OWN: ReadonlySet<string> = new Set(['code', 'sequence', 'longDescription', 'shortDescription']);
const HCPCS_DATES: ReadonlySet<string> = new Set([
  'ascEffectiveDate',
  'mogEffectiveDate',
  'addedDate',
  'actionEffectiveDate',
  'terminationDate',
]);

/**
 * The record's fields in the layout's order and with its field names (HCPCS_FIELD_NAMES, from the
 * "HCPCS Contractor Record - 2019"); coded fields with their meaning from the layout's tables, as the
 * importer decoded them. The record identification code is stored as `recordType`.
 */
function hcpcsSection(doc: CodeDocument, store: Store): H {
  const p = doc.properties;
  if (!p || doc.kind === 'group') return html``;
  const rows: H[] = [];
  for (const field of Object.keys(HCPCS_FIELD_NAMES) as (keyof HcpcsLine)[]) {
    if (HCPCS_OWN.has(field)) continue;
    const value = field === 'recordId' ? p.recordType : p[field];
    if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
    rows.push(html`<tr><th scope="row">${HCPCS_FIELD_NAMES[field]}</th><td>${hcpcsValue(field, value, store)}</td></tr>`);
  }
  if (!rows.length) return html``;
  return html`<h2>HCPCS record</h2>
<table><caption class="vh">Fields of the HCPCS record of ${doc.code}</caption><thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function hcpcsValue(field: keyof HcpcsLine, value: unknown, store: Store): H {
  const one = (v: unknown): H => {
    if (isCoded(v)) return codedValue(v);
    if (field === 'crossReferences' && typeof v === 'string') return codeRefAny(store, v);
    if (HCPCS_DATES.has(field) && typeof v === 'string') return isoDate(v);
    return html`${String(v)}`;
  };
  if (Array.isArray(value)) return html`${value.map((v, i) => html`${i ? html`<br>` : ''}${one(v)}`)}`;
  return one(value);
}

/** An HCPCS cross-reference: an HCPCS code, or a CPT code when CPT is loaded; plain text when neither has it. */
function codeRefAny(store: Store, code: string): H {
  for (const system of ['hcpcs', 'cpt'] as const) {
    const row = store.get(system, codeKey(system, code));
    if (row) return html`<a class="code" href="${codeHref(system, row.code)}">${row.code}</a> ${row.display}`;
  }
  return html`<span class="code">${code}</span> <span class="muted">(not loaded)</span>`;
}

// ---------------------------------------------------------------------------------------------
// ICD-10-PCS

interface CharacterRow {
  pos: number;
  axis: string;
  char: string;
  label: string;
  term?: string;
  definition?: string;
  explanation?: string;
  includes?: string[];
}

/** The characters of a code or a table: position, axis, character, value, and the official definition. */
export function charactersTable(caption: string, rows: CharacterRow[]): H {
  return html`<table class="chars"><caption class="vh">${caption}</caption><thead><tr><th scope="col">Position</th><th scope="col">Axis</th><th scope="col">Character</th><th scope="col">Value</th><th scope="col">Definition</th></tr></thead>
<tbody>${rows.map(
    (a) =>
      html`<tr><td>${a.pos}</td><td>${a.axis}</td><td class="code">${a.char}</td><td>${a.label}</td><td class="def">${definitionCell(a)}</td></tr>`,
  )}</tbody></table>`;
}

function definitionCell(a: Omit<CharacterRow, 'pos' | 'axis' | 'char' | 'label'>): H {
  const parts: H[] = [];
  if (a.definition) parts.push(html`<p>${a.definition}</p>`);
  if (a.explanation) parts.push(html`<p><span class="muted">Explanation:</span> ${a.explanation}</p>`);
  if (a.includes?.length) parts.push(html`<p><span class="muted">Includes:</span> ${a.includes.join('; ')}</p>`);
  if (a.term && parts.length) parts.push(html`<p class="muted">Definitions entry: ${a.term}</p>`);
  return html`${parts}`;
}

/** The characters 1-3 of a stored table, with the operation's definition (as the code builder API gives them). */
export function tableHeaderRows(t: PcsTableStructure): CharacterRow[] {
  return t.axes.map((a) => ({ ...a, ...(a.pos === 3 ? (valueDefinition(t, 3, a.label) ?? {}) : {}) }));
}

function pcsSection(doc: CodeDocument, store: Store): H {
  if (doc.kind === 'table') {
    if (!isPcsTableStructure(doc.properties)) return html``;
    return html`<h2>Characters</h2>${charactersTable(`Characters 1-3 of table ${doc.code}`, tableHeaderRows(doc.properties))}
<p><a href="${builderHref(doc.code)}">Build a code in table ${doc.code}</a></p>`;
  }
  const axes = Array.isArray(doc.properties?.axes) ? (doc.properties.axes as PcsDefinedAxis[]) : undefined;
  const table = doc.parents.at(-1);
  const tableRow = table?.kind === 'table' ? store.get('icd10pcs', table.code) : undefined;
  const builder =
    tableRow && tableRow.status === 'active' && isPcsTableStructure(tableRow.properties)
      ? html`<p><a href="${builderHref(tableRow.code)}">Build a code in table ${tableRow.code}</a></p>`
      : '';
  if (!axes) return builder ? html`<h2>Code builder</h2>${builder}` : html``;
  return html`<h2>Characters</h2>${charactersTable(`The seven characters of ${doc.code}`, axes)}${builder}`;
}

// ---------------------------------------------------------------------------------------------
// NUCC

const NUCC_FIELDS: [string, string][] = [
  ['grouping', 'Grouping'],
  ['classification', 'Classification'],
  ['specialization', 'Specialization'],
  ['definition', 'Definition'],
  ['notes', 'Notes'],
  ['section', 'Section'],
  ['level', 'Level'],
  ['inactiveSince', 'Inactive since'],
];

/** The taxonomy's columns; Definition and Notes keep NUCC's line breaks (textWithBreaks). */
function nuccSection(doc: CodeDocument): H {
  const p = doc.properties;
  if (!p) return html``;
  const rows = NUCC_FIELDS.filter(([k]) => str(p[k])).map(
    ([k, label]) =>
      html`<tr><th scope="row">${label}</th><td>${k === 'definition' || k === 'notes' ? textWithBreaks(String(p[k])) : String(p[k])}</td></tr>`,
  );
  if (!rows.length) return html``;
  return html`<h2>Taxonomy</h2><table><caption class="vh">NUCC taxonomy fields of ${doc.code}</caption><tbody>${rows}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// Crosswalks (GEMs)

type MappingRow = CodeDocument['mappings'][number];

interface GemFlags {
  approximate?: boolean;
  noMap?: boolean;
  combination?: boolean;
  scenario?: number;
  choiceList?: number;
}

const flagsOf = (m: { flags: Record<string, unknown> | null }): GemFlags => (m.flags ?? {}) as GemFlags;

/** One target of a combination, with its choice list; `self` marks the code whose page this is. */
interface ComboPart {
  system: SystemId;
  code: string;
  display?: string;
  choiceList: number;
  self?: boolean;
}

/**
 * A combination of the GEMs (flag "combination"): within one scenario, one target from each choice
 * list together translate the source; targets of one choice list are alternatives. Shown as the
 * lists joined with "+", the alternatives of a list with "or".
 */
function combination(parts: ComboPart[]): H {
  const lists = [...new Set(parts.map((p) => p.choiceList))].sort((a, b) => a - b);
  const one = (p: ComboPart): H =>
    p.self
      ? html`<strong class="code">${p.code}</strong>`
      : p.display
        ? html`<a class="code" href="${codeHref(p.system, p.code)}">${p.code}</a> ${p.display}`
        : html`<span class="code">${p.code}</span>`;
  return html`${lists.map((l, i) => {
    const alts = parts.filter((p) => p.choiceList === l);
    const body = html`${alts.map((a, j) => html`${j ? ' or ' : ''}${one(a)}`)}`;
    return html`${i ? ' + ' : ''}${alts.length > 1 && lists.length > 1 ? html`(${body})` : body}`;
  })}`;
}

const exactness = (f: GemFlags) => (f.approximate ? 'approximate' : 'exact match');

/** Rows where this code is the source (direction `to`): its translations into the other system. */
function forwardItems(rows: MappingRow[]): H[] {
  const items: H[] = [];
  const target = SYSTEMS[rows[0].system].label;
  if (rows.some((m) => flagsOf(m).noMap)) items.push(html`<li>No ${target} equivalent</li>`);
  for (const m of rows) {
    const f = flagsOf(m);
    if (f.noMap || f.combination) continue;
    const ref = m.display
      ? html`<a class="code" href="${codeHref(m.system, m.code)}">${m.code}</a> ${m.display}`
      : html`<span class="code">${m.code}</span>`;
    items.push(html`<li>${ref} <span class="muted">(${exactness(f)})</span></li>`);
  }
  const scenarios = new Map<number, MappingRow[]>();
  for (const m of rows) {
    const f = flagsOf(m);
    if (f.noMap || !f.combination) continue;
    const s = f.scenario ?? 0;
    if (!scenarios.has(s)) scenarios.set(s, []);
    scenarios.get(s)!.push(m);
  }
  for (const [s, ms] of [...scenarios].sort((a, b) => a[0] - b[0])) {
    const parts = ms.map(
      (m): ComboPart => ({
        system: m.system,
        code: m.code,
        ...(m.display ? { display: m.display } : {}),
        choiceList: flagsOf(m).choiceList ?? 0,
      }),
    );
    items.push(
      html`<li>Combination${scenarios.size > 1 ? ` (scenario ${s})` : ''}: ${combination(parts)} <span class="muted">(${exactness(flagsOf(ms[0]))})</span></li>`,
    );
  }
  return items;
}

/**
 * Rows where this code is a target (direction `from`): codes of the other system that translate into
 * it, the first `limit` of them. When it is one part of a combination, the whole combination of that
 * scenario is shown, read from the source code's own mappings.
 */
function backwardItems(doc: CodeDocument, rows: MappingRow[], store: Store, limit: number): { items: H[]; sources: number } {
  const items: H[] = [];
  const bySource = new Map<string, MappingRow[]>();
  for (const m of rows) {
    if (!bySource.has(m.code)) bySource.set(m.code, []);
    bySource.get(m.code)!.push(m);
  }
  const selfKey = codeKey(doc.system, doc.code);
  for (const [code, ms] of [...bySource].slice(0, limit)) {
    const first = ms[0];
    const source = first.display
      ? html`<a class="code" href="${codeHref(first.system, code)}">${code}</a> ${first.display}`
      : html`<span class="code">${code}</span>`;
    const plain = ms.filter((m) => !flagsOf(m).combination);
    const scenarios = [...new Set(ms.filter((m) => flagsOf(m).combination).map((m) => flagsOf(m).scenario ?? 0))].sort((a, b) => a - b);
    const lines: H[] = plain.map((m) => html`${source} <span class="muted">(${exactness(flagsOf(m))})</span>`);
    if (scenarios.length) {
      const all = store
        .mappings(first.system, codeKey(first.system, code))
        .filter((m) => m.direction === 'to' && m.system === doc.system && m.flags?.combination);
      for (const s of scenarios) {
        const parts = all
          .filter((m) => (m.flags?.scenario ?? 0) === s)
          .map((m): ComboPart => {
            const row = store.get(m.system, m.key);
            return {
              system: m.system,
              code: row?.code ?? m.key,
              ...(row ? { display: row.display } : {}),
              choiceList: Number(m.flags?.choiceList ?? 0),
              ...(m.key === selfKey ? { self: true } : {}),
            };
          });
        lines.push(
          html`${source}, as part of the combination${scenarios.length > 1 ? ` (scenario ${s})` : ''}: ${combination(parts)} <span class="muted">(approximate)</span>`,
        );
      }
    }
    for (const l of lines) items.push(html`<li>${l}</li>`);
  }
  return { items, sources: bySource.size };
}

/**
 * Most codes have a few crosswalks, some thousands (ICD-9-CM 00.40 is a part of 4,402 ICD-10-PCS
 * translations): a page lists the first CROSSWALK_LIMIT entries of each direction and points to the
 * API for the rest.
 */
export const CROSSWALK_LIMIT = 100;

function crosswalkSection(doc: CodeDocument, store: Store): H {
  const mappings = doc.mappings.filter((m) => !RELATION_SOURCES.has(m.source));
  if (!mappings.length) return html``;
  const groups = new Map<string, MappingRow[]>();
  for (const m of [...mappings].sort((a, b) => (a.direction === b.direction ? 0 : a.direction === 'to' ? -1 : 1))) {
    const k = `${m.direction}\t${m.system}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(m);
  }
  const self = SYSTEMS[doc.system].label;
  const sources = [...new Set(mappings.map((m) => `${m.source === 'gems' ? 'GEMs' : m.source} ${m.version}`))].join(', ');
  const api = `/api/v1/codes/${doc.system}/${encodeURIComponent(doc.code)}`;
  return html`<h2>Crosswalks</h2>
<p class="muted">From the General Equivalence Mappings (${sources}). “Approximate”: the codes do not mean exactly the same. A combination needs all of its parts: one code from each part joined with +.</p>
${[...groups.values()].map((rows) => {
  const other = SYSTEMS[rows[0].system].label;
  const forward = rows[0].direction === 'to';
  let items: H[];
  let more = '';
  if (forward) {
    const all = forwardItems(rows);
    items = all.slice(0, CROSSWALK_LIMIT);
    if (all.length > items.length) more = `${(all.length - items.length).toLocaleString('en-US')} more translations`;
  } else {
    const b = backwardItems(doc, rows, store, CROSSWALK_LIMIT);
    items = b.items;
    if (b.sources > CROSSWALK_LIMIT) more = `${(b.sources - CROSSWALK_LIMIT).toLocaleString('en-US')} more ${other} codes`;
  }
  return html`<h3>${forward ? `${self} → ${other}` : `${other} → ${self}`}</h3><ul>${items}</ul>${more ? html`<p class="muted">And ${more}: all of them are in <a href="${api}">the API answer for ${doc.code}</a>.</p>` : ''}`;
})}`;
}

// ---------------------------------------------------------------------------------------------
// Shared sections

/**
 * The coding notes in the order a coder reads them: what may never go with the code first
 * (Excludes1), then what may (Excludes2), sequencing (Code first, Use additional code, Code also),
 * then what the code covers (Includes, inclusion terms) and general notes (ICD-10-CM Official
 * Guidelines I.A.12-I.A.13 and I.B.7). The seventh characters have their own section.
 */
const NOTE_ORDER = ['excludes1', 'excludes2', 'codeFirst', 'useAdditionalCode', 'codeAlso', 'includes', 'inclusionTerm', 'notes'];

/** ICD-10-CM code references as the Tabular writes them in notes: E11.9, O24.4- (more characters), E08.- (the category), N18.1-N18.6 (a range). */
const ICD10_REF = /\b([A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?:-([A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?))?(\.-|-)?(?![0-9A-Za-z])/g;

/** Path of a search for a range of codes of one code set (the search takes `A00-B99` as a range filter). */
export const rangeHref = (system: SystemId, from: string, to: string) =>
  `/search?q=${encodeURIComponent(`${from}-${to}`)}&system=${system}`;

/**
 * A note's text with every code it names linked: a code to its page, a dash (I22.-, O24.4-) to the
 * category or subcategory it continues, a range (N18.1-N18.6, P70-P74) to its block when the
 * classification has one with exactly that range, else to the search of that range. Codes the loaded
 * release does not have stay text.
 */
export function linkCodes(text: string, system: SystemId, store: Store): H {
  if (system !== 'icd10cm') return html`${text}`;
  const out: H[] = [];
  let at = 0;
  for (const m of text.matchAll(ICD10_REF)) {
    const [whole, from, to] = m;
    let href: string | undefined;
    if (to) {
      const block = store.get(system, codeKey(system, `${from}-${to}`));
      href = block ? codeHref(system, block.code) : store.get(system, codeKey(system, from)) ? rangeHref(system, from, to) : undefined;
    } else {
      const row = store.get(system, codeKey(system, from));
      if (row) href = codeHref(system, row.code);
    }
    if (!href) continue;
    out.push(html`${text.slice(at, m.index)}<a class="code" href="${href}">${whole}</a>`);
    at = m.index! + whole.length;
  }
  out.push(html`${text.slice(at)}`);
  return html`${out}`;
}

/** "(ICD-10-CM Tabular FY2017)": the releases the notes were read from, from their version labels. */
function notesRelease(doc: CodeDocument, notes: { version: string }[]): string {
  const versions = [...new Set(notes.map((n) => n.version).filter(Boolean))].sort();
  if (!versions.length) return '';
  const tabular = ['icd10cm', 'icd9cm'].includes(doc.system) ? `${doc.systemName} Tabular` : doc.systemName;
  return `${tabular} ${versions.join(', ')}`;
}

function notesSection(doc: CodeDocument, store: Store): H {
  const all = [...doc.notes, ...doc.inheritedNotes].filter((n) => n.kind !== 'sevenChrDef' && n.kind !== 'sevenChrNote');
  // A code newer than the loaded Tabular: say that its notes are not in it (lookup.ts notesRelease).
  const missing = doc.notesRelease?.missing;
  if (!all.length) return missing ? html`<h2>Coding notes</h2><p class="muted">${missing}</p>` : html``;
  const groups = new Map<string, typeof all>();
  const rank = (k: string) => (NOTE_ORDER.includes(k) ? NOTE_ORDER.indexOf(k) : NOTE_ORDER.length);
  for (const n of [...all].sort((a, b) => rank(a.kind) - rank(b.kind))) {
    if (!groups.has(n.kind)) groups.set(n.kind, []);
    groups.get(n.kind)!.push(n);
  }
  // What each kind of note asks of the coder (the official article's Coding notes, which the page does not repeat).
  const meaning = (kind: string) => /\((.*)\)$/.exec(NOTE_MEANING[kind] ?? '')?.[1];
  // Coding notes are the classifications' instructions to coders; other sets' notes (a LOINC term's
  // definition, a third-party notice) are notes about the concept.
  const heading = ['icd10cm', 'icd10pcs', 'icd9cm', 'icd9pcs', 'hcpcs', 'cpt', 'cdt'].includes(doc.system) ? 'Coding notes' : 'Notes';
  const release = notesRelease(doc, all);
  return html`<section aria-labelledby="notes-h"><h2 id="notes-h">${heading}</h2>${release ? html`<p class="muted notes-release">From the ${release}.</p>` : ''}${missing ? html`<p class="muted">${missing}</p>` : ''}${[
    ...groups,
  ].map(
    ([kind, ns]) =>
      html`<h3>${NOTE_LABELS[kind] ?? kind}</h3>${meaning(kind) ? html`<p class="muted">${meaning(kind)![0].toUpperCase()}${meaning(kind)!.slice(1)}.</p>` : ''}<ul>${ns.map(
        (n) =>
          html`<li>${linkCodes(n.text, doc.system, store)} <span class="muted">(${n.from ? html`from <a class="code" href="${codeHref(doc.system, n.from)}">${n.from}</a>, ` : ''}${n.version})</span></li>`,
      )}</ul>`,
  )}</section>`;
}

/** The seventh characters that complete the code, the one this code carries marked. */
function seventhSection(doc: CodeDocument, store: Store): H {
  const defs = doc.notes.filter((n) => n.kind === 'sevenChrDef');
  const intro = doc.notes.filter((n) => n.kind === 'sevenChrNote');
  if (!defs.length && !intro.length) return html``;
  const from = defs[0]?.from ?? intro[0]?.from;
  return html`<section aria-labelledby="seventh-h"><h2 id="seventh-h">7th characters</h2>${intro.map((n) => html`<p>${linkCodes(n.text, doc.system, store)}</p>`)}
${defs.length ? html`<table class="seventh"><caption class="vh">Seventh characters${from ? ` defined at ${from}` : ''}</caption><thead><tr><th scope="col">Character</th><th scope="col">Meaning</th></tr></thead><tbody>${defs.map((n) => html`<tr${n.selected ? html` class="selected" aria-current="true"` : ''}><td class="code">${n.char}</td><td>${n.text}${n.selected ? html` <strong>(this code)</strong>` : ''}</td></tr>`)}</tbody></table>` : ''}
${from ? html`<p class="muted">Defined at <a class="code" href="${codeHref(doc.system, from)}">${from}</a> (${defs[0]?.version ?? intro[0]?.version}).</p>` : ''}</section>`;
}

/**
 * The code's history, one line per release: the changes the importer recorded, and for code sets
 * released once a fiscal year (FY2016, FY2017, …) the years in between as "no change", from the
 * first release the code is in to the loaded one (or its deletion).
 */
export function historyLines(doc: CodeDocument): { version: string; entry?: CodeDocument['history'][number] }[] {
  const fy = (v: string) => /^FY(\d{4})$/.exec(v)?.[1];
  const lines: { version: string; entry?: CodeDocument['history'][number] }[] = doc.history.map((h) => ({ version: h.version, entry: h }));
  if (!doc.history.length || !doc.history.every((h) => fy(h.version))) return lines;
  const first = Number(fy(doc.history[0].version));
  const deleted = doc.history.find((h) => h.action === 'deleted');
  const last = Number(fy(deleted ? deleted.version : doc.version) ?? first);
  const have = new Set(doc.history.map((h) => h.version));
  for (let y = first; y <= last; y++) if (!have.has(`FY${y}`)) lines.push({ version: `FY${y}` });
  return lines.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

function historySection(doc: CodeDocument): H {
  if (!doc.history.length) return html``;
  return html`<h2>History</h2><ul class="history">${historyLines(doc).map(({ version, entry: h }) =>
    h
      ? html`<li>${version}: ${h.action}${h.previousDisplay ? html` (was “${h.previousDisplay}”)` : ''}${
          h.replacedBy?.length
            ? html`; replaced by ${h.replacedBy.map((r, i) => html`${i ? ', ' : ''}${r.display ? html`<a class="code" href="${codeHref(doc.system, r.code)}">${r.code}</a> ${r.display}` : html`<span class="code">${r.code}</span>`}`)}`
            : ''
        }</li>`
      : html`<li>${version}: <span class="muted">no change</span></li>`,
  )}</ul>`;
}

function detailsSection(doc: CodeDocument, store: Store): H {
  switch (doc.system) {
    case 'hcpcs':
      return hcpcsSection(doc, store);
    case 'icd10pcs':
      return pcsSection(doc, store);
    case 'nucc':
      return nuccSection(doc);
    default:
      return licensedDetails(doc);
  }
}

// ---------------------------------------------------------------------------------------------
// Article (src/articles/) and similar codes (src/similar/)

/**
 * Official sections the page already shows in a richer form further down (the notes list, the
 * Characters table, the HCPCS record, the NUCC taxonomy): the API serves them, the page does not
 * repeat them.
 */
const SHOWN_BELOW: Record<string, ReadonlySet<string>> = {
  codingNotes: new Set(['icd10cm', 'icd9cm']),
  procedureDescription: new Set(['icd10pcs']),
  billingNotes: new Set(['hcpcs']),
  description: new Set(['hcpcs']),
  scope: new Set(['nucc']),
};

/** Plain text with "- " bullets and "1. " steps, as stored (articles/parse.ts), as paragraphs and lists. */
export function articleText(text: string): H {
  const out: H[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;
  let para: string[] = [];
  const flushPara = () => {
    if (para.length) out.push(html`<p>${para.join(' ')}</p>`);
    para = [];
  };
  const flushList = () => {
    if (!list) return;
    const items = list.items.map((i) => html`<li>${i}</li>`);
    out.push(list.tag === 'ul' ? html`<ul>${items}</ul>` : html`<ol>${items}</ol>`);
    list = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const bullet = /^[-*•]\s+(.*)$/.exec(line);
    const step = /^\d+[.)]\s+(.*)$/.exec(line);
    if (bullet || step) {
      flushPara();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? step)![1]);
    } else if (!line) {
      flushPara();
      flushList();
    } else {
      flushList();
      para.push(line);
    }
  }
  flushPara();
  flushList();
  return html`${out}`;
}

const SOURCE_LABEL: Record<ArticleSection['source'], string> = {
  official: 'From the official data',
  curated: 'Curated',
  generated: 'Generated by a language model',
};

function provenance(s: ArticleSection): H {
  const date = s.date ? html`, ${/^\d{4}-\d{2}-\d{2}$/.test(s.date) ? isoDate(s.date) : s.date}` : '';
  const who = s.source === 'official' ? html`${s.author}` : s.source === 'generated' ? html`model ${s.author}` : html`by ${s.author}`;
  const review =
    s.source === 'official'
      ? ''
      : s.review === 'reviewed'
        ? s.reviewer
          ? html`, reviewed by ${s.reviewer}${s.reviewedAt ? html` on ${isoDate(s.reviewedAt)}` : ''}`
          : ', reviewed'
        : s.source === 'generated'
          ? ', not reviewed by a person'
          : ', draft';
  return html`<p class="provenance">${SOURCE_LABEL[s.source]}: ${who}${date}${review}</p>`;
}

function articleSections(doc: CodeDocument): H {
  const a = doc.article;
  if (!a) return html``;
  const shown = a.sections.filter((s) => !(s.source === 'official' && SHOWN_BELOW[s.id]?.has(doc.system)));
  if (!shown.length) return html``;
  const models = [...new Set(shown.filter((s) => s.source === 'generated').map((s) => `${s.author} (${s.date})`))];
  const notice = models.length
    ? html`<aside class="generated" aria-label="About generated text"><p><strong>Not medical advice.</strong> Sections marked “Generated” were written by a language model (${models.join(', ')}) from this code's official data and have not been checked by a clinician. They may be wrong or incomplete: do not use them to diagnose, treat or code. Ask a qualified professional.</p></aside>`
    : '';
  return html`${notice}${shown.map(
    (
      s,
    ) => html`<section class="article-section${s.source === 'generated' ? ' generated' : ''}" aria-labelledby="art-${s.id}"><h2 id="art-${s.id}">${s.heading}</h2>
${articleText(s.text)}${provenance(s)}</section>`,
  )}`;
}

function similarSection(doc: CodeDocument): H {
  if (!doc.similar.length) return html``;
  return html`<h2>Similar codes</h2><ul class="similar">${doc.similar.map(
    (c) =>
      html`<li><a class="code" href="${codeHref(c.system, c.code)}">${c.code}</a> ${c.display}${c.status === 'deleted' ? html` <span class="deleted">deleted</span>` : ''}${!c.billable && c.status !== 'deleted' ? html` <span class="muted">(header)</span>` : ''}<br><span class="muted">${c.reason}</span></li>`,
  )}</ul>`;
}

/** The first sentence of the summary, for the page's meta description. */
function description(doc: CodeDocument): string {
  const summary = doc.article?.sections.find((s) => s.id === 'summary')?.text;
  // Sentences up to a useful length: "E11.9 is a billable ICD-10-CM code." alone says little.
  let first = '';
  for (const s of summary?.split(/(?<=[.!?])\s/) ?? []) {
    if (first.length >= 80 || first.length + s.length > 300) break;
    first = first ? `${first} ${s}` : s;
  }
  return (first || `${doc.code}: ${doc.display || doc.article?.title || ''} (${doc.systemName})`).trim();
}

/**
 * A code of a code set that is not loaded (CPT is licensed), with a stored article: the article and
 * what is known for certain, the code and its code set. The heading uses the article's own name for
 * the concept, marked as the article's; the official descriptor is never made up.
 */
function articleOnlyPage(doc: CodeDocument): H {
  const a = doc.article!;
  const info = SYSTEMS[doc.system];
  const titleSource = a.sections.find((s) => s.source === 'curated') ?? a.sections[0];
  return layout(
    `${doc.code}${a.title ? ` ${a.title}` : ''}`,
    html`${searchForm()}
<nav class="crumbs" aria-label="Breadcrumb"><a href="/codes">Code sets</a> › ${doc.systemName}</nav>
<h1><span class="code">${doc.code}</span>${a.title ? html` ${a.title}` : ''}</h1>
<p class="status"><span class="badge">${doc.systemName}</span> <span>Code set not loaded</span></p>
<div class="notice" role="note"><p>${info.name} is not loaded in this MedCodes${info.bundled ? '' : html` (it is licensed by the ${info.publisher} and never bundled; import your licensed release files to see the official descriptor, notes and history)`}. This page shows only the stored article${a.title ? html`; the name above is the article's own (${titleSource.source}, ${titleSource.author}), not the official descriptor` : ''}.</p></div>
${articleSections(doc)}`,
    { description: description(doc), canonical: codeHref(doc.system, doc.code), jsonLd: medicalCodeJsonLd(doc) },
  );
}

/**
 * Code sets whose licence notice must come before their content: the AMA's CPT licence terms ask
 * for the copyright notice before the first CPT content shown; other notices close the page.
 */
const NOTICE_FIRST: ReadonlySet<string> = new Set(['cpt']);

/**
 * "What this code means" (src/articles/explain.ts): the official title beside its plain words, what
 * each part of the code says with the convention or definition it comes from, the glossary words
 * used with their sources, and how the text was made.
 */
function meaningSection(doc: CodeDocument, e: Explanation): H {
  if (!e.plainTitle && !e.parts.length && !e.terms.length) return html``;
  const cap = (t: string) => (t ? t[0].toUpperCase() + t.slice(1) : t);
  return html`<section class="meaning" aria-labelledby="meaning-h"><h2 id="meaning-h">What this code means</h2>
<dl class="titles"><dt>Official title</dt><dd>${doc.display}</dd>${e.plainTitle ? html`<dt>In plain words</dt><dd>${e.plainTitle}</dd>` : ''}</dl>
${
  e.parts.length
    ? html`<h3>What each part says</h3><dl class="parts">${e.parts.map(
        (p) =>
          html`<dt>${p.label}${p.official && p.official !== p.label && !p.text.toLowerCase().startsWith(p.official.toLowerCase()) ? html` <span class="official">“${p.official}”</span>` : ''}</dt><dd>${cap(p.text)} <span class="muted source">(${p.source})</span></dd>`,
      )}</dl>`
    : ''
}
${
  e.terms.length
    ? html`<h3>Words in the title</h3><ul class="glossary">${e.terms.map(
        (t) => html`<li><span class="term">${t.clinical}</span>: ${t.plain} <span class="muted source">(${t.source})</span></li>`,
      )}</ul>`
    : ''
}
<p class="provenance">${e.provenance}.</p></section>`;
}

/**
 * Schema.org MedicalCode (https://schema.org/MedicalCode) for the page's head: the code, its code
 * set and title, with the canonical URL. JSON-LD is a data block that browsers never execute, so the
 * Content-Security-Policy's script-src does not apply to it.
 */
export function medicalCodeJsonLd(doc: CodeDocument, summary?: string): Record<string, unknown> {
  return {
    '@context': 'https://schema.org',
    '@type': 'MedicalCode',
    codeValue: doc.code,
    codingSystem: doc.systemName,
    // Never the article's own name for a code set that is not loaded: that is not the official title.
    name: doc.display || doc.code,
    url: codeHref(doc.system, doc.code),
    ...(summary ? { description: summary } : {}),
    ...(doc.version ? { version: doc.version } : {}),
  };
}

/** Code sets whose notes are coding instructions, read before everything else but the summary. */
const CLAIM_SETS: ReadonlySet<string> = new Set(['icd10cm', 'icd10pcs', 'icd9cm', 'icd9pcs', 'hcpcs', 'cpt', 'cdt']);

/**
 * The code page: coders first, then everyone. Title, code set and status; the Summary and "What this
 * code means"; for claim code sets the coding notes in the order coders read them and the 7th
 * characters, then the code set's details (HCPCS record, PCS characters, taxonomy) and the codes
 * under it; then the rest of the article; then index terms, crosswalks, history; similar codes last,
 * as on the reference page.
 */
export function codePage(doc: CodeDocument, store: Store): H {
  if (doc.loaded === false) return articleOnlyPage(doc);
  const e = explainCode(doc);
  const summary = doc.article?.sections.find((s) => s.id === 'summary');
  const claim = CLAIM_SETS.has(doc.system);
  const rest = doc.article ? { ...doc.article, sections: doc.article.sections.filter((s) => s.id !== 'summary') } : undefined;
  return layout(
    `${doc.code} ${doc.display}`,
    html`${searchForm()}
<nav class="crumbs" aria-label="Breadcrumb"><a href="/codes/${doc.system}">${doc.systemName}</a>${doc.parents.map((p) => html` › <a href="${codeHref(p.system, p.code)}">${p.code}</a>`)}</nav>
<h1><span class="code">${doc.code}</span> ${doc.display}</h1>
${statusLine(doc)}
${doc.shortDisplay && doc.shortDisplay !== doc.display ? html`<p class="muted">Short title: ${doc.shortDisplay}</p>` : ''}
${NOTICE_FIRST.has(doc.system) ? noticeSection(doc.notice) : ''}
${summary ? articleSections({ ...doc, article: { ...doc.article!, sections: [summary], generated: summary.source === 'generated' } }) : ''}
${meaningSection(doc, e)}
${claim ? notesSection(doc, store) : ''}
${seventhSection(doc, store)}
${detailsSection(doc, store)}
${doc.children.length ? html`<h2>Codes under ${doc.code}</h2><ul>${doc.children.map((c) => html`<li><a class="code" href="${codeHref(c.system, c.code)}">${c.code}</a> ${c.display}${c.status === 'deleted' ? html` <span class="deleted">deleted</span>` : ''}</li>`)}</ul>` : ''}
${rest ? articleSections({ ...doc, article: rest }) : ''}
${claim ? '' : notesSection(doc, store)}
${doc.indexTerms.length ? html`<h2>Index terms</h2><ul>${doc.indexTerms.map((t) => html`<li>${t.path} <span class="muted">(${t.source} ${t.version})</span></li>`)}</ul>` : ''}
${crosswalkSection(doc, store)}
${relationsSection(doc)}
${historySection(doc)}
${similarSection(doc)}
${NOTICE_FIRST.has(doc.system) ? '' : noticeSection(doc.notice)}`,
    { description: description(doc), canonical: codeHref(doc.system, doc.code), jsonLd: medicalCodeJsonLd(doc, summary?.text) },
  );
}
