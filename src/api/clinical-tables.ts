import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppDeps } from './app.js';
import { errorResponse } from './app.js';
import { apiRouter, errors } from './openapi.js';
import type { CodeRow, Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import { MedCodesError } from '../errors.js';
import { codeKey } from '../codes.js';
import { engineFor, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH } from '../search/search.js';
import { yieldTurn } from './scheduler.js';

/**
 * NLM Clinical Tables compatible search, so an application built on NLM's autocompleter
 * (https://clinicaltables.nlm.nih.gov/, API version 3) can point at MedCodes unchanged:
 *
 *   GET /api/{table}/v3/search?terms=...&maxList=&count=&offset=&q=&df=&sf=&cf=&ef=
 *
 * The answer is NLM's array: [total, codes, extraDataHash | null, displayStrings], where codes are the
 * `cf` field of each hit, displayStrings has one array per hit with the `df` fields, and
 * extraDataHash maps each `ef` field (or its alias, `field:alias`) to one value per hit. NLM adds a
 * fifth element only for tables that mix code systems; none of these does, so there are four.
 *
 * Parameters as NLM documents them (apidoc/{table}/v3/doc.html): terms is required; maxList defaults
 * to 7, an empty maxList means 500, at most 500; count (page size, default 7, at most 500) and offset
 * (0-based) paginate, and offset + count may not exceed 7,500. Ranking is MedCodes' own engine
 * (typo tolerance, index synonyms, lay terms), restricted to the table's system.
 *
 * Differences from NLM, kept small and documented:
 *  - `sf` restricts matching: every word of `terms` must be the start of a word of one of the
 *    `sf` fields (NLM's implicit prefix-AND). Without `sf`, the engine's wider matching applies.
 *  - `q` is not Elasticsearch syntax: it takes clauses `field:value` (AND-ed, separated by spaces or
 *    `AND`); a value may be "quoted" and may use `*` as a wildcard; a bare word must start a word of
 *    any field. Unknown fields are a 400.
 *  - Errors are MedCodes' catalog JSON (`{error: {code, message}}`), not NLM's plain text.
 *  - When a filter (sf, q, or the table's own kind filter) rejects engine hits, the total is exact
 *    when all hits were examined and otherwise the engine's count minus the rejected ones seen.
 */

type Value = string | boolean | null;

interface TableDef {
  system: SystemId;
  /** Field name -> value of a stored record. */
  fields: Record<string, (r: CodeRow) => Value>;
  /** NLM's defaults for the table (sf is documentation: without sf the engine matches code, titles and synonyms). */
  defaults: { sf: string[]; df: string[]; cf: string };
  /** The engine filters for the table's population. */
  status: 'active' | 'all';
  billable?: boolean;
  /** Record kinds the table holds (drops headers, groups, modifiers). */
  kinds: string[];
}

const prop = (r: CodeRow, name: string): Value => {
  const v = r.properties?.[name];
  if (v === undefined || v === null) return null;
  return typeof v === 'string' || typeof v === 'boolean' ? v : String(v);
};

/**
 * HCPCS "not otherwise classified" codes: NLM's is_noc flag. The CMS record has no such field, so it
 * is read from the descriptors, where CMS writes "not otherwise classified/specified" or "NOC".
 */
const NOC = /\b(NOC|NOS|not otherwise (classified|specified))\b/i;

const icd9Fields: TableDef['fields'] = {
  code: (r) => r.key,
  code_dotted: (r) => r.code,
  long_name: (r) => r.display,
  short_name: (r) => r.shortDisplay ?? r.display,
};

export const CLINICAL_TABLES: Record<string, TableDef> = {
  // NLM icd10cm: billable (leaf) diagnosis codes, fields code and name.
  icd10cm: {
    system: 'icd10cm',
    fields: { code: (r) => r.code, name: (r) => r.display },
    defaults: { sf: ['code', 'name'], df: ['code', 'name'], cf: 'code' },
    status: 'active',
    billable: true,
    kinds: ['code', 'category'],
  },
  // NLM hcpcs: HCPCS Level II codes, obsolete ones included and flagged.
  hcpcs: {
    system: 'hcpcs',
    fields: {
      code: (r) => r.code,
      display: (r) => r.display,
      short_desc: (r) => r.shortDisplay ?? r.display,
      long_desc: (r) => r.display,
      add_dt: (r) => prop(r, 'addedDate'),
      term_dt: (r) => prop(r, 'terminationDate'),
      act_eff_dt: (r) => prop(r, 'actionEffectiveDate'),
      obsolete: (r) => r.status === 'deleted',
      is_noc: (r) => NOC.test(r.display) || NOC.test(r.shortDisplay ?? ''),
    },
    defaults: { sf: ['code', 'short_desc', 'long_desc'], df: ['code', 'display'], cf: 'code' },
    status: 'all',
    kinds: ['code'],
  },
  // NLM icd9cm_dx / icd9cm_sg: code without dot, code_dotted, long and short names.
  icd9cm_dx: {
    system: 'icd9cm',
    fields: icd9Fields,
    defaults: { sf: ['code_dotted', 'long_name'], df: ['code_dotted', 'long_name'], cf: 'code' },
    status: 'all',
    kinds: ['code', 'category'],
  },
  icd9cm_sg: {
    system: 'icd9pcs',
    fields: icd9Fields,
    defaults: { sf: ['code_dotted', 'long_name'], df: ['code_dotted', 'long_name'], cf: 'code' },
    status: 'all',
    kinds: ['code', 'category'],
  },
  // MedCodes extras in the same shape: valid ICD-10-PCS codes and the NUCC provider taxonomy.
  icd10pcs: {
    system: 'icd10pcs',
    fields: { code: (r) => r.code, name: (r) => r.display, short_name: (r) => r.shortDisplay ?? r.display },
    defaults: { sf: ['code', 'name'], df: ['code', 'name'], cf: 'code' },
    status: 'active',
    billable: true,
    kinds: ['code'],
  },
  nucc: {
    system: 'nucc',
    fields: {
      code: (r) => r.code,
      name: (r) => r.display,
      grouping: (r) => prop(r, 'grouping'),
      classification: (r) => prop(r, 'classification'),
      specialization: (r) => prop(r, 'specialization'),
      definition: (r) => prop(r, 'definition'),
      section: (r) => prop(r, 'section'),
      level: (r) => prop(r, 'level'),
    },
    defaults: { sf: ['code', 'name'], df: ['code', 'name'], cf: 'code' },
    status: 'active',
    kinds: ['code'],
  },
};

/** NLM: "the current limit on the total number of results that can be retrieved (offset + count) is 7,500". */
export const MAX_WINDOW = 7500;
const MAX_PAGE = 500;

function intParam(c: Context, name: string, def: number, max: number, emptyMeans = def): number {
  const v = c.req.query(name);
  if (v === undefined) return def;
  if (v === '') return emptyMeans;
  if (!/^\d{1,9}$/.test(v))
    throw new MedCodesError('invalid_parameter', `${name} must be a whole number from 0 to ${max}; got "${v.slice(0, 20)}"`);
  const n = Number(v);
  if (n > max) throw new MedCodesError('invalid_parameter', `${name} must be at most ${max}; got ${n}`);
  return n;
}

function fieldList(table: string, def: TableDef, name: string, value: string | undefined, fallback: string[]): string[] {
  if (value === undefined || value.trim() === '') return fallback;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Each listed field is read for each returned row: a repeated list multiplies the answer's work.
  if (list.length > CT_LIMITS.fields) throw tooComplex(`${name}: fields`, CT_LIMITS.fields, list.length);
  for (const f of list) {
    if (!(f in def.fields)) {
      throw new MedCodesError(
        'invalid_parameter',
        `${name}: table ${table} has no field "${f.slice(0, 40)}"; fields are ${Object.keys(def.fields).join(', ')}`,
      );
    }
  }
  return list;
}

/** Lower-cased words of a value, split where NLM's tokenizer splits (anything but letters and digits). */
const words = (v: Value): string[] =>
  v === null
    ? []
    : String(v)
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean);

/**
 * Cost limits of one Clinical Tables request (docs/API.md, "Limits"), checked before any work: a
 * request's cost is (clauses + words) x hits examined x field words, and each factor is capped here,
 * so no `q` can make a scan long (issue 13: 2,030 one-letter clauses froze a server for 11 s).
 */
export const CT_LIMITS = Object.freeze({
  /** Characters of `terms` (the engine's own query limit). */
  termsChars: MAX_QUERY_LENGTH,
  /** Words of `terms` when `sf` restricts them, and words of one bare `q` clause. */
  words: 16,
  /** Clauses of `q` (`AND` does not count). */
  clauses: 16,
  /** Characters of `q`. */
  qChars: 1024,
  /** Characters of one clause's value. */
  valueChars: 128,
  /** `*` wildcards in one clause's value. */
  wildcards: 4,
  /** Fields listed in `df`, `ef`, `sf` or `cf`. */
  fields: 32,
  /** Engine hits examined beyond the requested window when `sf` or `q` filter them. */
  filterScan: 1000,
});

function tooComplex(what: string, limit: number, got: number): MedCodesError {
  return new MedCodesError('query_too_complex', `${what}: at most ${limit}; got ${got}`, { limit, got });
}

/**
 * The words of every field of a row, computed once per row however many clauses read them (the
 * clauses share one cache per row: the cost is fields x words, not clauses x fields x words).
 */
type RowWords = Map<string, string[]>;
const rowWords = new WeakMap<CodeRow, RowWords>();
function wordsOf(def: TableDef, r: CodeRow, field: string): string[] {
  let m = rowWords.get(r);
  if (!m) rowWords.set(r, (m = new Map()));
  let w = m.get(field);
  if (!w) m.set(field, (w = words(def.fields[field](r))));
  return w;
}

type Predicate = (r: CodeRow) => boolean;

/** Every word of `want` starts some word of `have` (NLM's implicit prefix-AND). */
const prefixAll = (want: string[], have: string[]) => want.every((w) => have.some((h) => h.startsWith(w)));

/** `terms` restricted to the `sf` fields: each word starts a word of some sf field. */
function sfPredicate(def: TableDef, sf: string[], terms: string): Predicate {
  const want = words(terms);
  if (want.length > CT_LIMITS.words) throw tooComplex('terms with sf: words', CT_LIMITS.words, want.length);
  return (r) =>
    prefixAll(
      want,
      sf.flatMap((f) => wordsOf(def, r, f)),
    );
}

/**
 * `value` with `*` wildcards against `text`, case-insensitive, without a regular expression (no
 * backtracking blow-up): the classic greedy glob match with one resume point, O(|value| x |text|).
 */
export function globMatch(value: string, text: string): boolean {
  const p = value.toLowerCase();
  const t = text.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < t.length) {
    if (i < p.length && p[i] !== '*' && p[i] === t[j]) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

/** The `q` clauses (see the module comment), checked against CT_LIMITS before anything runs. */
export function qPredicate(table: string, def: TableDef, q: string): Predicate {
  if (q.length > CT_LIMITS.qChars) throw tooComplex('q: characters', CT_LIMITS.qChars, q.length);
  const clauses: Predicate[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*):)?(?:"([^"]*)"|([^\s"]+))\s*/y;
  const text = q.trim();
  const allFields = Object.keys(def.fields);
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    const m = re.exec(text);
    if (!m) throw new MedCodesError('invalid_parameter', `q: cannot read "${text.slice(at, at + 40)}"`);
    const [, field, quoted, bare] = m;
    const raw = quoted ?? bare;
    if (!field && quoted === undefined && /^(AND|&&)$/.test(raw)) continue;
    if (!field && quoted === undefined && /^(OR|NOT|\|\||!)$/.test(raw)) {
      throw new MedCodesError('invalid_parameter', `q: only AND-ed field:value clauses are supported, not ${raw}`);
    }
    if (clauses.length >= CT_LIMITS.clauses) {
      // Count them all for the message, cheaply (the regex is linear and sticky).
      let n = clauses.length + 1;
      while (re.lastIndex < text.length && re.exec(text)) n++;
      throw tooComplex('q: clauses', CT_LIMITS.clauses, n);
    }
    if (raw.length > CT_LIMITS.valueChars)
      throw tooComplex(`q: characters of the value "${raw.slice(0, 20)}..."`, CT_LIMITS.valueChars, raw.length);
    if (field) {
      const get = def.fields[field];
      if (!get)
        throw new MedCodesError(
          'invalid_parameter',
          `q: table ${table} has no field "${field.slice(0, 40)}"; fields are ${allFields.join(', ')}`,
        );
      const stars = raw.split('*').length - 1;
      if (stars > CT_LIMITS.wildcards) throw tooComplex(`q: wildcards in ${field}:${raw.slice(0, 20)}`, CT_LIMITS.wildcards, stars);
      clauses.push((r) => {
        const v = get(r);
        return v !== null && globMatch(raw, String(v));
      });
    } else {
      const want = words(raw);
      if (want.length > CT_LIMITS.words) throw tooComplex('q: words of a clause', CT_LIMITS.words, want.length);
      clauses.push((r) =>
        prefixAll(
          want,
          allFields.flatMap((f) => wordsOf(def, r, f)),
        ),
      );
    }
  }
  return (r) => clauses.every((p) => p(r));
}

/**
 * Hits of the engine for the table, filtered, in rank order: the window [offset, offset + size).
 * Engine pages are read one per scheduler turn (`next`), so a long window never holds the event loop;
 * with filters, at most CT_LIMITS.filterScan hits past the window are examined.
 */
async function collect(
  store: Store,
  def: TableDef,
  terms: string,
  offset: number,
  size: number,
  extra: Predicate[],
  next: () => Promise<void>,
): Promise<{ total: number; rows: CodeRow[] }> {
  const engine = engineFor(store);
  const kinds = new Set(def.kinds);
  const accept = (r: CodeRow) => kinds.has(r.kind) && extra.every((p) => p(r));
  const rows: CodeRow[] = [];
  let accepted = 0;
  let rejected = 0;
  let engineTotal = 0;
  let exhausted = false;
  // Without filters each hit is accepted or dropped by kind only: read up to the window; with filters
  // read on past it (for an exact total on ordinary queries), but never more than filterScan hits.
  const scanLimit = Math.min(MAX_OFFSET, offset + size + (extra.length ? CT_LIMITS.filterScan : 0));
  // One engine page at least, so that maxList=0 still answers the total.
  for (let from = 0; from <= scanLimit; from += MAX_LIMIT) {
    if (from > 0) await next();
    const page = engine.search({
      q: terms,
      systems: [def.system],
      status: def.status,
      ...(def.billable ? { billable: true } : {}),
      limit: MAX_LIMIT,
      offset: from,
    });
    engineTotal = page.total;
    for (const hit of page.results) {
      const row = store.get(def.system, codeKey(def.system, hit.code));
      if (!row || !accept(row)) {
        rejected++;
        continue;
      }
      if (accepted >= offset && accepted < offset + size) rows.push(row);
      accepted++;
    }
    if (page.results.length < MAX_LIMIT || from + MAX_LIMIT >= page.total) {
      exhausted = true;
      break;
    }
    if (accepted >= offset + size && !extra.length) break;
  }
  return { total: exhausted ? accepted : Math.max(accepted, engineTotal - rejected), rows };
}

const Value = z.union([z.string(), z.boolean(), z.null()]);

/**
 * The route as published in /openapi.json. It is registered for the document only: the parameters
 * keep NLM's own semantics (an empty maxList means 500, an unknown table is a 404), which the
 * handler below checks.
 */
export const clinicalTablesRoute = createRoute({
  method: 'get',
  path: '/api/{table}/v3/search',
  tags: ['Clinical Tables'],
  summary: 'NLM Clinical Tables compatible search',
  description:
    "The API of NLM Clinical Tables (https://clinicaltables.nlm.nih.gov/, v3), so an application built on its autocompleter can point at MedCodes unchanged. Answers `[total, codes, extraDataHash | null, displayStrings]`. Ranking is MedCodes' engine restricted to the table's system. `q` takes AND-ed `field:value` clauses (quotes, `*` wildcards), not Elasticsearch syntax; errors are the catalog JSON.",
  request: {
    params: z.object({
      table: z
        .enum(Object.keys(CLINICAL_TABLES) as [string, ...string[]])
        .openapi({ param: { name: 'table', in: 'path' }, example: 'icd10cm' }),
    }),
    query: z.object({
      terms: z.string().openapi({ description: 'The search string (required).', example: 'tuberc' }),
      maxList: z
        .string()
        .optional()
        .openapi({ description: 'Results to return without pagination (default 7; empty means 500; at most 500).' }),
      count: z.string().optional().openapi({ description: 'Page size (default 7, at most 500).' }),
      offset: z
        .string()
        .optional()
        .openapi({ description: `0-based offset; offset + count at most ${MAX_WINDOW}.` }),
      q: z.string().optional().openapi({ description: 'Extra AND-ed clauses field:value.' }),
      df: z.string().optional().openapi({ description: 'Display fields, comma-separated.' }),
      sf: z.string().optional().openapi({ description: 'Fields the terms must match (each word starts a word of one of them).' }),
      cf: z.string().optional().openapi({ description: 'The code field.' }),
      ef: z.string().optional().openapi({ description: 'Extra fields, comma-separated, each optionally field:alias.' }),
    }),
  },
  responses: {
    200: {
      description: '[total, codes, extraDataHash | null, displayStrings]',
      content: {
        'application/json': {
          schema: z
            .tuple([z.number().int(), z.array(z.string()), z.record(z.string(), z.array(Value)).nullable(), z.array(z.array(z.string()))])
            .openapi('ClinicalTablesResult'),
        },
      },
    },
    ...errors(400, 404),
  },
});

export function clinicalTablesRoutes(deps: AppDeps): OpenAPIHono {
  const app = apiRouter();
  app.onError((e, c) => errorResponse(c, e));
  app.openAPIRegistry.registerPath(clinicalTablesRoute);

  app.get('/api/:table/v3/search', async (c) => {
    const table = c.req.param('table');
    const def = Object.hasOwn(CLINICAL_TABLES, table) ? CLINICAL_TABLES[table] : undefined;
    if (!def)
      throw new MedCodesError(
        'not_found',
        `no Clinical Tables table "${table.slice(0, 40)}"; tables are ${Object.keys(CLINICAL_TABLES).join(', ')}`,
      );

    const terms = c.req.query('terms');
    if (terms === undefined) throw new MedCodesError('bad_request', 'the terms parameter is required');
    if (terms.length > CT_LIMITS.termsChars)
      throw new MedCodesError('query_too_long', `terms: at most ${CT_LIMITS.termsChars} characters; got ${terms.length}`);

    // maxList (no pagination) wins over count when both are given, as its name suggests on NLM.
    const size = c.req.query('maxList') !== undefined ? intParam(c, 'maxList', 7, MAX_PAGE, MAX_PAGE) : intParam(c, 'count', 7, MAX_PAGE);
    const offset = intParam(c, 'offset', 0, MAX_WINDOW);
    if (offset + size > MAX_WINDOW)
      throw new MedCodesError('invalid_parameter', `offset + count may not exceed ${MAX_WINDOW}; got ${offset + size}`);

    const df = fieldList(table, def, 'df', c.req.query('df'), def.defaults.df);
    const cfList = fieldList(table, def, 'cf', c.req.query('cf'), [def.defaults.cf]);
    if (cfList.length !== 1) throw new MedCodesError('invalid_parameter', 'cf takes one field');
    const cf = cfList[0];
    const efSpec = c.req.query('ef');
    const ef = (efSpec ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [field, alias] = s.split(':');
        fieldList(table, def, 'ef', field, []);
        return { field, alias: alias?.trim() || field };
      });
    const filters: Predicate[] = [];
    const sfText = c.req.query('sf');
    if (sfText !== undefined && sfText.trim() !== '')
      filters.push(sfPredicate(def, fieldList(table, def, 'sf', sfText, def.defaults.sf), terms));
    const q = c.req.query('q');
    if (q !== undefined && q.trim() !== '') filters.push(qPredicate(table, def, q));

    const { total, rows } = await collect(deps.store(), def, terms, offset, size, filters, () => yieldTurn(c));

    const codes = rows.map((r) => String(def.fields[cf](r) ?? ''));
    const display = rows.map((r) => df.map((f) => String(def.fields[f](r) ?? '')));
    let extra: Record<string, Value[]> | null = null;
    if (ef.length) {
      extra = {};
      for (const { field, alias } of ef) extra[alias] = rows.map((r) => def.fields[field](r));
    }
    return c.json([total, codes, extra, display]);
  });

  return app;
}
