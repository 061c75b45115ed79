import { z } from 'zod';
import type { SystemId } from '../model.js';
import type { CodeRow, Store } from '../store/store.js';
import { toRef } from '../store/store.js';
import { codeKey } from '../codes.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS, SYSTEM_IDS, resolveSystem } from '../systems.js';
import { codeMappings, lookup, type CodeDocument } from '../lookup.js';
import { search, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH, type SearchHit } from '../search/search.js';
import { candidateSystems, formatValidation, MAX_VALIDATE_CODES, VALIDATE_STATUSES, validateCodes } from '../validate.js';
import { stats } from '../stats.js';
import { ReleaseSchema, licenceOf, releaseLine, releaseOf, releasesOf, type ReleaseInfo } from './release.js';

/**
 * The MCP tools: each is a zod input schema (published as the tool's JSON Schema), an output schema
 * (the structuredContent's, MCP 2025-06-18 "Structured Content"), and a function over the same core
 * the REST API calls (lookup.ts, search/, validate.ts, stats.ts). A tool returns its structured
 * result and a text rendering of it (for clients that only read `content`); failures are thrown as
 * catalog errors (errors.ts) and become tool errors in server.ts.
 */

// ---------------------------------------------------------------------------------------------
// Shared pieces

const SYSTEM_LIST = SYSTEM_IDS.join(', ');
const SystemArg = z
  .string()
  .min(1)
  .max(200)
  .describe(`A code system: ${SYSTEM_LIST}, or its FHIR URI (http://hl7.org/fhir/sid/icd-10-cm).`);
const CodeArg = z.string().min(1).max(40).describe('The code in any shape: with or without its dot, any case (E11.9, e119).');

/** Most list entries a tool result carries; the total is given beside a cut list. */
export const MAX_LIST = 100;

/** The page of a code on this server, as an MCP resource (resources.ts). */
export const codeUri = (system: string, code: string) => `medcodes://${system}/${encodeURIComponent(code)}`;

const RefSchema = z.object({
  system: z.string(),
  code: z.string(),
  display: z.string(),
  kind: z.string(),
  billable: z.boolean(),
  status: z.string(),
});

/** A system named by a caller, which must be known and loaded. */
export function loadedSystem(store: Store, text: string): SystemId {
  const id = resolveSystem(text);
  if (!id) throw new MedCodesError('unknown_system', `unknown code system "${text.slice(0, 40)}"; known: ${SYSTEM_LIST}`);
  if (!store.releases().some((r) => r.system === id))
    throw new MedCodesError('unknown_system', `${SYSTEMS[id].name} is not loaded on this server${notLoadedHint(id)}`);
  return id;
}

/**
 * The record for a code, in the system given or, without one, in the loaded systems whose code shape
 * it has (validate.ts), then any other loaded system. Also returns the other systems that have it
 * (undotted ICD-10-CM and HCPCS codes share shapes).
 */
export function resolveCode(store: Store, systemText: string | undefined, codeText: string): { row: CodeRow; alsoIn: SystemId[] } {
  const code = codeText.trim();
  if (!code || code.length > 40) throw new MedCodesError('invalid_parameter', `code: "${codeText.slice(0, 40)}" is not a code`);
  if (systemText !== undefined) {
    const system = loadedSystem(store, systemText);
    const row = store.get(system, codeKey(system, code));
    if (!row) throw new MedCodesError('not_found', `${SYSTEMS[system].name} has no code "${code}"`);
    return { row, alsoIn: [] };
  }
  const loaded = store.releases().map((r) => r.system);
  const order = [...candidateSystems(code).filter((s) => loaded.includes(s)), ...loaded];
  const found: CodeRow[] = [];
  for (const s of new Set(order)) {
    const row = store.get(s, codeKey(s, code));
    if (row) found.push(row);
  }
  if (!found.length) throw new MedCodesError('not_found', `no loaded code system has the code "${code}"`);
  const best = found.find((r) => r.status === 'active') ?? found[0];
  return { row: best, alsoIn: found.filter((r) => r !== best).map((r) => r.system) };
}

function plural(n: number, word: string, many = `${word}s`) {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** Why a known set is not loaded, in words: licensed sets are imported by the operator from their own release. */
function notLoadedHint(system: SystemId): string {
  const info = SYSTEMS[system];
  if (info.bundled) return '';
  return licenceOf(system).startsWith('US public domain')
    ? ' (not bundled: the operator imports its release files)'
    : ' (a licensed set: the operator imports their own release files)';
}

export interface ToolResult<T> {
  structured: T;
  text: string;
}

export interface ToolDef<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  run(store: Store, args: z.output<I>): ToolResult<z.output<O>>;
}

const tool = <I extends z.ZodObject, O extends z.ZodObject>(d: ToolDef<I, O>) => d;

// ---------------------------------------------------------------------------------------------
// search_codes

const HitSchema = z.object({
  system: z.string(),
  code: z.string(),
  display: z.string(),
  billable: z.boolean().describe('Billable (reportable) code; false for headers that need more characters.'),
  status: z.string().describe('active or deleted.'),
  score: z.number(),
  matched: z.object({ field: z.string(), term: z.string() }).describe('Why it matched: the code, title, synonym, rewrite or fuzzy.'),
  uri: z.string().describe('The code page as an MCP resource.'),
});
const hit = (h: SearchHit) => ({
  system: h.system,
  code: h.code,
  display: h.display,
  billable: h.billable,
  status: h.status,
  score: h.score,
  matched: h.matched,
  uri: codeUri(h.system, h.code),
});

export const searchCodes = tool({
  name: 'search_codes',
  title: 'Search medical codes',
  description:
    'Find codes from words or a code: diagnoses (ICD-10-CM), procedures (ICD-10-PCS), supplies/drugs/services (HCPCS Level II), retired ICD-9-CM, provider taxonomy (NUCC) and any licensed set this server has loaded (CPT, LOINC, SNOMED CT, RxNorm, NDC). ' +
    'Use it first when you have a clinical description and need candidate codes, or a partial code (E11., a range E08-E13). Takes words in any order, lay terms ("heart attack"), abbreviations and typos. ' +
    'Results are ranked; billable=false marks headers that need more characters. Then use lookup_code on a candidate to read its coding notes before choosing it.',
  input: z.object({
    query: z
      .string()
      .min(1)
      .max(MAX_QUERY_LENGTH)
      .describe('Words or a code, e.g. "type 2 diabetes with kidney disease", "E11.2", "E08-E13".'),
    systems: z.array(SystemArg).max(20).optional().describe('Only these code systems (default: all loaded).'),
    billable: z.boolean().optional().describe('true: only billable codes; false: only headers.'),
    status: z.enum(['active', 'deleted', 'all']).optional().describe('active (default: deleted codes last), deleted, or all.'),
    range: z.string().max(100).optional().describe('Only codes in this range or chapter/block, e.g. E08-E13.'),
    year: z.number().int().min(2000).max(2100).optional().describe('Only codes valid in this fiscal year (ICD-10-CM/PCS).'),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(10).describe('How many results (default 10).'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('Results to skip, for the next page.'),
  }),
  output: z.object({
    query: z.string(),
    total: z.number().int(),
    offset: z.number().int(),
    results: z.array(HitSchema),
    facets: z.object({ systems: z.record(z.string(), z.number().int()) }).describe('Matches per code system.'),
    didYouMean: z.string().optional(),
    closest: z.array(HitSchema).optional().describe('When nothing matched: the closest codes.'),
    releases: z.array(ReleaseSchema).describe('The releases the results come from.'),
  }),
  run(store, a) {
    const systems = a.systems?.map((s) => loadedSystem(store, s));
    const r = search(store, {
      q: a.query,
      limit: a.limit,
      offset: a.offset,
      ...(systems ? { systems } : {}),
      ...(a.billable !== undefined ? { billable: a.billable } : {}),
      ...(a.status ? { status: a.status } : {}),
      ...(a.range ? { range: a.range } : {}),
      ...(a.year !== undefined ? { year: a.year } : {}),
    });
    const results = r.results.map(hit);
    const closest = r.closest?.map(hit);
    const releases = releasesOf(
      store,
      [...results, ...(closest ?? [])].map((h) => h.system as SystemId),
    );
    const structured = {
      query: r.query,
      total: r.total,
      offset: a.offset,
      results,
      facets: { systems: r.facets.systems as Record<string, number> },
      ...(r.didYouMean ? { didYouMean: r.didYouMean } : {}),
      ...(closest ? { closest } : {}),
      releases,
    };
    const line = (h: ReturnType<typeof hit>) =>
      `- ${h.code} (${SYSTEMS[h.system as SystemId].label}${h.status === 'deleted' ? ', deleted' : h.billable ? '' : ', header: not billable'}): ${h.display}`;
    const lines: string[] = [];
    if (results.length) {
      lines.push(
        `${plural(r.total, 'match', 'matches')} for "${r.query}"; ${a.offset ? `results ${a.offset + 1}-${a.offset + results.length}` : `top ${results.length}`}:`,
      );
      lines.push(...results.map(line));
      if (r.didYouMean) lines.push(`(searched for: ${r.didYouMean})`);
    } else {
      lines.push(`No code matches "${r.query}".`);
      if (r.didYouMean) lines.push(`Did you mean: ${r.didYouMean}`);
      if (closest?.length) lines.push('Closest codes:', ...closest.map(line));
    }
    lines.push(...releases.map(releaseLine));
    return { structured, text: lines.join('\n') };
  },
});

// ---------------------------------------------------------------------------------------------
// lookup_code

const NoteSchema = z.object({
  kind: z
    .string()
    .describe(
      'inclusionTerm, includes, excludes1 (never coded together), excludes2 (not included here, may be coded together), codeFirst, useAdditionalCode, codeAlso, notes, sevenChrNote, sevenChrDef.',
    ),
  text: z.string(),
  char: z.string().optional(),
  version: z.string().describe('The release the note is read from (the Tabular List version).'),
  from: z.string().optional().describe('Inherited notes: the ancestor the note is written on.'),
  selected: z.boolean().optional(),
});
const MappingOut = z.object({
  direction: z.enum(['to', 'from']).describe('to: this code maps to the other; from: the other code maps to this one.'),
  system: z.string(),
  code: z.string().describe('The other code; empty for a no-map row.'),
  display: z.string().optional(),
  flags: z.record(z.string(), z.unknown()).nullable().describe('GEMs flags: approximate, noMap, combination, scenario, choiceList.'),
  source: z.string().describe('gems (CMS/CDC General Equivalence Mappings), snomed-isa, rxnorm, …'),
  version: z.string(),
});
const SimilarOut = z.object({
  system: z.string(),
  code: z.string(),
  display: z.string(),
  billable: z.boolean(),
  status: z.string(),
  relation: z.string().describe('laterality, encounter, axis, level, variant, crosswalk, sibling, wording, …'),
  reason: z.string().describe('Why a coder would weigh it against this code, in words.'),
});
const HistoryOutSchema = z.object({
  version: z.string(),
  action: z.string().describe('added, revised, deleted or reactivated.'),
  display: z.string().optional(),
  previousDisplay: z.string().optional(),
  billableChange: z.object({ from: z.boolean(), to: z.boolean() }).optional(),
  replacedBy: z.array(z.object({ code: z.string(), display: z.string().optional() })).optional(),
  effective: z.string().optional().describe('The first day the change applied (YYYY-MM-DD), when the version is not a date itself.'),
});

const cut = <T>(list: T[]) => list.slice(0, MAX_LIST);

export const lookupCode = tool({
  name: 'lookup_code',
  title: 'Look up a code',
  description:
    'Everything the official release says about one code: title, status (active/deleted), whether it is billable, its place in the hierarchy (chapter, block, category), coding notes with the release they come from (includes, Excludes1/Excludes2, code first, use additional code, code also), notes inherited from its ancestors, seventh characters, Alphabetic Index terms, history by release (added, revised, deleted, replaced by), crosswalks (GEMs) and similar codes with the reason each is similar. ' +
    'Use it to check a candidate before choosing it: Excludes1 notes, a missing seventh character or a header (billable=false) mean another code is needed. Without a system, the code is looked up in the loaded systems whose code shape it has.',
  input: z.object({
    code: CodeArg,
    system: SystemArg.optional().describe(`The code system (${SYSTEM_LIST}, or a FHIR URI); optional: found from the code's shape.`),
  }),
  output: z.object({
    system: z.string(),
    systemName: z.string(),
    code: z.string(),
    display: z.string(),
    shortDisplay: z.string().optional(),
    kind: z.string().describe('chapter, block, category, code, modifier, table or group.'),
    billable: z.boolean(),
    status: z.string(),
    version: z.string().describe('The release the code was last seen in.'),
    uri: z.string(),
    release: ReleaseSchema,
    alsoIn: z.array(z.string()).optional().describe('Other loaded systems that have the same code.'),
    parents: z.array(RefSchema).describe('Ancestors from the top (chapter) down to the direct parent.'),
    children: z.array(RefSchema),
    childCount: z.number().int(),
    notes: z.array(NoteSchema),
    inheritedNotes: z.array(NoteSchema),
    seventhCharacters: z
      .array(z.object({ char: z.string(), text: z.string(), from: z.string().optional(), selected: z.boolean().optional() }))
      .describe('ICD-10-CM seventh characters that apply to this code (from the nearest ancestor that defines them).'),
    indexTerms: z.array(z.object({ path: z.string(), source: z.string(), version: z.string() })),
    indexTermCount: z.number().int(),
    history: z.array(HistoryOutSchema),
    mappings: z.array(MappingOut),
    mappingCount: z.number().int(),
    similar: z.array(SimilarOut),
    properties: z.record(z.string(), z.unknown()).optional().describe('Fields of the code set (ICD-10-PCS axes, HCPCS record fields, …).'),
  }),
  run(store, a) {
    const { row, alsoIn } = resolveCode(store, a.system, a.code);
    const d = lookup(store, row.system, row.code);
    const release = releaseOf(store, d.system)!;
    const structured = {
      system: d.system,
      systemName: d.systemName,
      code: d.code,
      display: d.display,
      ...(d.shortDisplay ? { shortDisplay: d.shortDisplay } : {}),
      kind: d.kind,
      billable: d.billable,
      status: d.status,
      version: d.version,
      uri: codeUri(d.system, d.code),
      release,
      ...(alsoIn.length ? { alsoIn } : {}),
      parents: d.parents,
      children: cut(d.children),
      childCount: d.children.length,
      notes: d.notes.filter((n) => n.kind !== 'sevenChrDef'),
      inheritedNotes: d.inheritedNotes,
      seventhCharacters: d.notes
        .filter((n) => n.kind === 'sevenChrDef')
        .map((n) => ({ char: n.char ?? '', text: n.text, ...(n.from ? { from: n.from } : {}), ...(n.selected ? { selected: true } : {}) })),
      indexTerms: cut(d.indexTerms),
      indexTermCount: d.indexTerms.length,
      history: d.history,
      mappings: cut(d.mappings),
      mappingCount: d.mappings.length,
      similar: d.similar.map(({ score: _score, ...s }) => s),
      ...(d.properties ? { properties: d.properties } : {}),
    };
    return { structured, text: renderDocument(d, release, alsoIn) };
  },
});

/** A code document as Markdown: the lookup_code text and the code page resource. */
export function renderDocument(d: CodeDocument, release: ReleaseInfo | undefined, alsoIn: SystemId[] = [], withArticle = false): string {
  const out: string[] = [`# ${d.code} — ${d.display}`, ''];
  const state =
    d.status === 'deleted'
      ? 'DELETED'
      : d.billable
        ? 'billable'
        : d.kind === 'code' || d.kind === 'category'
          ? 'header: not billable, a more specific code is needed'
          : d.kind;
  out.push(`${d.systemName} ${d.version} · ${state}`);
  if (d.shortDisplay) out.push(`Short title: ${d.shortDisplay}`);
  if (alsoIn.length) out.push(`The same code also exists in: ${alsoIn.map((s) => SYSTEMS[s].name).join(', ')}`);
  if (d.parents.length) out.push(`Hierarchy: ${d.parents.map((p) => `${p.code} ${p.display}`).join(' > ')}`);
  if (d.children.length) {
    out.push('', `## Children (${d.children.length})`);
    for (const c of cut(d.children)) out.push(`- ${c.code} ${c.display}${c.billable ? '' : ' (header)'}`);
    if (d.children.length > MAX_LIST) out.push(`- … ${d.children.length - MAX_LIST} more`);
  }
  const seventh = d.notes.filter((n) => n.kind === 'sevenChrDef');
  const notes = d.notes.filter((n) => n.kind !== 'sevenChrDef');
  if (notes.length || d.inheritedNotes.length) {
    out.push('', '## Coding notes');
    for (const n of notes) out.push(`- ${n.kind}: ${n.text} [${n.version}${n.from ? `, from ${n.from}` : ''}]`);
    for (const n of d.inheritedNotes) out.push(`- ${n.kind} (from ${n.from}): ${n.text} [${n.version}]`);
  }
  if (seventh.length) {
    out.push('', `## Seventh characters${seventh[0].from ? ` (defined at ${seventh[0].from})` : ''}`);
    for (const n of seventh) out.push(`- ${n.char}: ${n.text}${n.selected ? ' ← this code' : ''}`);
  }
  if (d.indexTerms.length) {
    out.push('', `## Index terms (${d.indexTerms.length})`);
    for (const t of d.indexTerms.slice(0, 30)) out.push(`- ${t.path}`);
    if (d.indexTerms.length > 30) out.push(`- … ${d.indexTerms.length - 30} more`);
  }
  if (d.history.length) {
    out.push('', '## History');
    for (const h of d.history)
      out.push(
        `- ${h.version} ${h.action}${h.previousDisplay ? ` (was: ${h.previousDisplay})` : ''}${h.billableChange ? ` (billable ${h.billableChange.from} → ${h.billableChange.to})` : ''}${h.replacedBy?.length ? ` → replaced by ${h.replacedBy.map((r) => r.code).join(', ')}` : ''}`,
      );
  }
  if (d.mappings.length) {
    out.push('', `## Crosswalks (${d.mappings.length})`);
    for (const m of cut(d.mappings)) out.push(`- ${mappingLine(m)}`);
  }
  if (d.similar.length) {
    out.push('', '## Similar codes');
    for (const s of d.similar) out.push(`- ${s.code} ${s.display} — ${s.reason}`);
  }
  if (withArticle && d.article?.sections.length) {
    for (const s of d.article.sections) out.push('', `## ${s.heading}`, s.text, `(${s.provenance})`);
  }
  if (release) out.push('', releaseLine(release));
  return out.join('\n');
}

function mappingLine(m: CodeDocument['mappings'][number]): string {
  const f = m.flags ?? {};
  const flags = [
    f.noMap && 'no map',
    f.approximate ? 'approximate' : m.source === 'gems' && 'exact',
    f.combination && `combination (scenario ${f.scenario}, choice list ${f.choiceList})`,
  ].filter(Boolean);
  const target = m.code ? `${SYSTEMS[m.system].label} ${m.code}${m.display ? ` ${m.display}` : ''}` : `${SYSTEMS[m.system].label} (none)`;
  return `${m.direction === 'to' ? '→' : '←'} ${target} [${m.source} ${m.version}${flags.length ? `; ${flags.join(', ')}` : ''}]`;
}

// ---------------------------------------------------------------------------------------------
// validate_codes

const BriefOut = z.object({ code: z.string(), display: z.string().optional() });

export const validateCodesTool = tool({
  name: 'validate_codes',
  title: 'Validate codes',
  description:
    'Check a list of codes, optionally on a date of service: for each, whether it is valid (reportable), a header that needs more characters (with its children), deleted (with the release that deleted it and its official replacements), not valid on that date (with the periods it was valid), unknown (with the closest existing code) or invalid (not shaped like a code). ' +
    `Use it before returning codes to a user or a claim. Up to ${MAX_VALIDATE_CODES.toLocaleString('en-US')} codes; each may name its system, else it is found from the code's shape.`,
  input: z.object({
    codes: z
      .array(z.union([z.string().max(200), z.object({ system: SystemArg.optional(), code: z.string().max(200) })]))
      .min(1)
      .max(MAX_VALIDATE_CODES)
      .describe('Codes as strings ("E11.9") or {system, code}.'),
    system: SystemArg.optional().describe('Default system for codes that name none.'),
    date: z
      .string()
      .max(20)
      .optional()
      .describe('Date of service, YYYY-MM-DD: codes must be in effect on that day (ICD-10 fiscal years start on October 1).'),
  }),
  output: z.object({
    date: z.string().optional(),
    system: z.string().optional(),
    count: z.number().int(),
    summary: z.object(
      Object.fromEntries(VALIDATE_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof VALIDATE_STATUSES)[number], z.ZodNumber>,
    ),
    results: z.array(
      z.object({
        input: z.string(),
        system: z.string().nullable(),
        code: z.string(),
        status: z.enum(VALIDATE_STATUSES),
        display: z.string().nullable(),
        children: z.array(BriefOut).optional(),
        childCount: z.number().int().optional(),
        deletedIn: z.object({ version: z.string(), effective: z.string().optional() }).optional(),
        replacedBy: z.array(BriefOut).optional(),
        validPeriods: z.array(z.object({ from: z.string().optional(), to: z.string().optional() })).optional(),
        closest: BriefOut.optional(),
        alsoIn: z.array(z.string()).optional(),
        message: z.string().optional(),
      }),
    ),
    releases: z.array(ReleaseSchema),
  }),
  run(store, a) {
    const r = validateCodes(store, {
      codes: a.codes.map((c) => (typeof c === 'string' ? c : { code: c.code, ...(c.system !== undefined ? { system: c.system } : {}) })),
      ...(a.system !== undefined ? { system: a.system } : {}),
      ...(a.date !== undefined ? { date: a.date } : {}),
    });
    const releases = releasesOf(
      store,
      r.results.flatMap((x) => (x.system ? [x.system] : [])),
    );
    return { structured: { ...r, releases }, text: [formatValidation(r), ...releases.map(releaseLine)].join('\n') };
  },
});

// ---------------------------------------------------------------------------------------------
// translate_code

/** Mapping sources that are crosswalks between code systems (not relations inside one). */
const CROSSWALK_SOURCES = new Set(['gems']);

export const translateCode = tool({
  name: 'translate_code',
  title: 'Translate a code (GEMs)',
  description:
    'Map a code between ICD-9-CM and ICD-10-CM/PCS with the CMS/CDC General Equivalence Mappings (GEMs), in both directions. Each mapping says whether it is approximate, a no-map, or part of a combination (all codes of one scenario and one from each choice list are needed together). ' +
    'Use it to convert old ICD-9 codes, or to see which ICD-9 codes an ICD-10 code replaced. A GEM is a starting point, not a coding decision: check the target with lookup_code.',
  input: z.object({
    code: CodeArg,
    system: SystemArg.describe('The system of the code: icd10cm, icd10pcs, icd9cm or icd9pcs (or a FHIR URI).'),
    direction: z
      .enum(['to', 'from', 'both'])
      .default('both')
      .describe(
        'to: the code maps to the targets (forward GEM from this system); from: targets that map to this code (the backward GEM); both (default).',
      ),
    target: SystemArg.optional().describe('Only mappings with codes of this system.'),
  }),
  output: z.object({
    system: z.string(),
    code: z.string(),
    display: z.string(),
    status: z.string(),
    mappings: z.array(
      MappingOut.extend({
        approximate: z.boolean().optional(),
        noMap: z.boolean().optional(),
        combination: z.boolean().optional(),
        scenario: z.number().int().optional(),
        choiceList: z.number().int().optional(),
      }),
    ),
    releases: z.array(ReleaseSchema),
  }),
  run(store, a) {
    const { row } = resolveCode(store, a.system, a.code);
    const target = a.target !== undefined ? loadedSystem(store, a.target) : undefined;
    const mappings = codeMappings(store, row.system, row.key)
      .filter((m) => CROSSWALK_SOURCES.has(m.source))
      .filter((m) => (a.direction === 'both' || m.direction === a.direction) && (!target || m.system === target))
      .map((m) => {
        const f = m.flags ?? {};
        return {
          ...m,
          ...(typeof f.approximate === 'boolean' ? { approximate: f.approximate } : {}),
          ...(typeof f.noMap === 'boolean' ? { noMap: f.noMap } : {}),
          ...(typeof f.combination === 'boolean' ? { combination: f.combination } : {}),
          ...(typeof f.scenario === 'number' ? { scenario: f.scenario } : {}),
          ...(typeof f.choiceList === 'number' ? { choiceList: f.choiceList } : {}),
        };
      });
    const releases = releasesOf(store, [row.system, ...mappings.map((m) => m.system)]);
    const lines = [`${row.code} ${row.display} (${SYSTEMS[row.system].name}${row.status === 'deleted' ? ', deleted' : ''})`];
    if (mappings.length) lines.push(...mappings.map((m) => `- ${mappingLine(m)}`));
    else
      lines.push(
        `No GEM mapping${a.direction === 'both' ? '' : ` in direction "${a.direction}"`}${target ? ` with ${SYSTEMS[target].name}` : ''}.`,
      );
    lines.push(...releases.map(releaseLine));
    return {
      structured: { system: row.system, code: row.code, display: row.display, status: row.status, mappings, releases },
      text: lines.join('\n'),
    };
  },
});

// ---------------------------------------------------------------------------------------------
// list_children

export const listChildren = tool({
  name: 'list_children',
  title: 'List the children of a code',
  description:
    'The codes directly below a code in classification order (a chapter’s blocks, a category’s subcategories, a header’s billable codes), with the code’s ancestors; without a code, the top level of the code system (its chapters, sections or groups). ' +
    'Use it to browse down from a header to the specific billable code, or to see the structure of a code set.',
  input: z.object({
    system: SystemArg,
    code: CodeArg.optional().describe('The parent code; leave it out for the top level of the system.'),
  }),
  output: z.object({
    system: z.string(),
    code: z.string().optional(),
    display: z.string().optional(),
    kind: z.string().optional(),
    parents: z.array(RefSchema),
    children: z.array(RefSchema),
    childCount: z.number().int(),
    release: ReleaseSchema,
  }),
  run(store, a) {
    let rows: CodeRow[];
    let head: { system: SystemId; code?: string; display?: string; kind?: string; parents: ReturnType<typeof toRef>[] };
    if (a.code === undefined) {
      const system = loadedSystem(store, a.system);
      rows = store.roots(system);
      head = { system, parents: [] };
    } else {
      const { row } = resolveCode(store, a.system, a.code);
      rows = store.children(row.system, row.key, row.status === 'deleted');
      head = { system: row.system, code: row.code, display: row.display, kind: row.kind, parents: store.ancestors(row).map(toRef) };
    }
    const release = releaseOf(store, head.system)!;
    const children = cut(rows).map(toRef);
    const lines = [
      head.code
        ? `${head.code} ${head.display}: ${plural(rows.length, 'child', 'children')}`
        : `${SYSTEMS[head.system].name}: ${plural(rows.length, 'top-level entry', 'top-level entries')}`,
    ];
    if (head.parents.length) lines.push(`in: ${head.parents.map((p) => p.code).join(' > ')}`);
    lines.push(...children.map((c) => `- ${c.code} ${c.display}${c.billable ? ' (billable)' : ''}`));
    if (rows.length > MAX_LIST) lines.push(`- … ${rows.length - MAX_LIST} more`);
    lines.push(releaseLine(release));
    return { structured: { ...head, children, childCount: rows.length, release }, text: lines.join('\n') };
  },
});

// ---------------------------------------------------------------------------------------------
// explain_code

export const explainCode = tool({
  name: 'explain_code',
  title: 'Explain a code in plain language',
  description:
    'The plain-language article of a code, in sections (for a procedure: Summary, Purpose, Procedure description, …; for a diagnosis: Summary, Causes, Coding notes, …), each with its provenance: "official" sections only rearrange the release’s own text, "curated" ones were written by a named person, "generated" ones by a language model (reviewed or not). ' +
    'Use it to explain a code to a patient or a non-coder, and quote the provenance with the text.',
  input: z.object({ code: CodeArg, system: SystemArg.optional().describe('The code system; optional: found from the code’s shape.') }),
  output: z.object({
    system: z.string(),
    code: z.string(),
    display: z.string().describe('The official title; empty when the code set is not loaded.'),
    kind: z.string().describe('The kind of article: procedure, diagnosis, supply, lab, drug, provider, other.'),
    title: z.string().optional().describe('The name a curated or generated article gives the concept (never the official title).'),
    sections: z.array(
      z.object({
        id: z.string(),
        heading: z.string(),
        text: z.string(),
        source: z.enum(['official', 'curated', 'generated']),
        author: z.string(),
        date: z.string(),
        review: z.string(),
        reviewer: z.string().optional(),
        reviewedAt: z.string().optional(),
        provenance: z.string(),
      }),
    ),
    generated: z.boolean().describe('True when a section is generated text: say so, it is not medical advice.'),
    loaded: z.boolean().describe('False when the code set is not loaded and only a stored article exists.'),
    release: ReleaseSchema.optional(),
  }),
  run(store, a) {
    let doc: CodeDocument;
    try {
      const { row } = resolveCode(store, a.system, a.code);
      doc = lookup(store, row.system, row.code);
    } catch (e) {
      // A stored article for a code of a set that is not loaded (a licensed set): lookup() serves it.
      if (!(e instanceof MedCodesError) || e.code !== 'unknown_system' || a.system === undefined || !resolveSystem(a.system)) throw e;
      try {
        doc = lookup(store, a.system, a.code);
      } catch {
        throw e;
      }
    }
    const release = releaseOf(store, doc.system);
    const article = doc.article;
    const sections = article?.sections ?? [];
    const structured = {
      system: doc.system,
      code: doc.code,
      display: doc.display,
      kind: article?.kind ?? 'other',
      ...(article?.title ? { title: article.title } : {}),
      sections,
      generated: !!article?.generated,
      loaded: doc.loaded !== false,
      ...(release ? { release } : {}),
    };
    const out = [`# ${doc.code}${doc.display ? ` — ${doc.display}` : article?.title ? ` — ${article.title}` : ''}`];
    if (doc.loaded === false) out.push(`(${SYSTEMS[doc.system].name} is not loaded on this server: only a stored article is available.)`);
    for (const s of sections) out.push('', `## ${s.heading}`, s.text, `(${s.provenance})`);
    if (!sections.length) out.push('', 'No plain-language section exists for this code.');
    if (article?.generated) out.push('', 'Generated text is not medical advice.');
    if (release) out.push('', releaseLine(release));
    return { structured, text: out.join('\n') };
  },
});

// ---------------------------------------------------------------------------------------------
// list_code_systems

export const listCodeSystems = tool({
  name: 'list_code_systems',
  title: 'List the code systems',
  description:
    'The code systems MedCodes knows, whether each is loaded on this server, and for loaded ones the release, its effective date, licence and notice, and how many codes (active, billable, headers, deleted). ' +
    'Use it to learn which systems you can search and which release answers, before naming a system in another tool.',
  input: z.object({}),
  output: z.object({
    systems: z.array(
      z.object({
        system: z.string(),
        uri: z.string(),
        name: z.string(),
        publisher: z.string(),
        domain: z.string(),
        bundled: z.boolean().describe('Shipped with MedCodes (public releases); the others are imported by the operator.'),
        retired: z.boolean(),
        loaded: z.boolean(),
        release: ReleaseSchema.optional(),
        counts: z
          .object({
            total: z.number().int(),
            active: z.number().int(),
            billable: z.number().int(),
            headers: z.number().int(),
            deleted: z.number().int(),
          })
          .optional(),
      }),
    ),
  }),
  run(store) {
    const loaded = new Map(stats(store).systems.map((r) => [r.system, r]));
    const systems = SYSTEM_IDS.map((id) => {
      const info = SYSTEMS[id];
      const r = loaded.get(id);
      const release = r ? releaseOf(store, id) : undefined;
      const c = r?.concepts;
      return {
        system: id,
        uri: info.uri,
        name: info.name,
        publisher: info.publisher,
        domain: info.domain,
        bundled: info.bundled,
        retired: !!info.retired,
        loaded: !!r,
        ...(release ? { release } : {}),
        ...(c ? { counts: { total: c.total, active: c.active, billable: c.billable, headers: c.headers, deleted: c.deleted } } : {}),
      };
    });
    const lines = systems.map(
      (s) =>
        `- ${s.system}: ${s.name}${s.retired ? ' (retired)' : ''} — ${s.loaded ? `loaded, ${s.release!.version}${s.counts ? `, ${s.counts.active.toLocaleString('en-US')} active codes` : ''}` : `not loaded${notLoadedHint(s.system as SystemId)}`}`,
    );
    return { structured: { systems }, text: lines.join('\n') };
  },
});

/** Every tool, in the order they are listed. */
export const TOOLS = [searchCodes, lookupCode, validateCodesTool, translateCode, listChildren, explainCode, listCodeSystems] as const;
