import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import { codeKey } from '../codes.js';
import { search, codeToken, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH, type SearchHit } from '../search/search.js';
import { invalid, notFound, notSupported, tooCostly, validationIssues } from './outcome.js';
import type { OpParams } from './params.js';
import { findRow } from './codesystem.js';
import { loadedById, loadedSystems, resolveLoaded, type Loaded } from './resources.js';

/**
 * ValueSet/$expand (http://hl7.org/fhir/R4/valueset-operation-expand.html) over implicit value sets,
 * named as FHIR's terminology module names them for SNOMED CT and LOINC
 * (http://hl7.org/fhir/R4/snomedct.html#implicit, http://hl7.org/fhir/R4/loinc.html#implicit):
 *   {system}?fhir_vs             every concept of the code system
 *   {system}?fhir_vs=isa/{code}  the concept and all its descendants
 * plus a ValueSet resource given in the request whose compose includes whole systems, listed
 * concepts, or `concept is-a / descendent-of` filters.
 *
 * Without `filter` concepts come in classification order; with `filter` the text goes to the MedCodes
 * search engine, restricted to the code system (and subtree), so it behaves like the site's search:
 * words in any order, prefixes, lay terms, typos, codes in any shape, ranked by relevance.
 */

/** At most this many distinct compose.include entries are expanded in one request (issue 13). */
export const MAX_INCLUDES = 20;
/**
 * Subtree includes (is-a / descendent-of) per request: each one is a walk of its subtree, up to
 * ~55,000 codes for an ICD-10-CM chapter (about 0.6-1 s on a loaded 2-core machine).
 */
export const MAX_SUBTREE_INCLUDES = 3;
/** Entries in the request's compose.include, identical ones counted (the body is 1 MB at most anyway). */
export const MAX_INCLUDE_ENTRIES = 200;
/**
 * Rows one expansion may walk: each subtree include reads `offset + count` rows in classification
 * order, so a deep page over many includes is refused before it starts (issue 13).
 */
export const MAX_EXPAND_WORK = 200_000;

/** Largest page of one expansion; larger `count` values are lowered to it (echoed in expansion.parameter). */
export const MAX_EXPAND_COUNT = 1000;

export interface ImplicitValueSet {
  loaded: Loaded;
  /** Root of an is-a subtree (its key), or undefined for the whole system. */
  isa?: { key: string; code: string; display: string };
  url: string;
}

/** One part of a value set definition: concepts of a system, all or a subtree or a list. */
interface Include {
  loaded: Loaded;
  isa?: { key: string; code: string; display: string; self: boolean };
  concepts?: string[];
}

interface ExpandContains {
  system: string;
  version: string;
  code: string;
  display: string;
  abstract?: boolean;
  inactive?: boolean;
}

/** Parse an implicit value set URL; undefined when it is not one. Unknown systems and codes are errors. */
export function parseImplicitUrl(store: Store, url: string, version?: string): ImplicitValueSet | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const system = url.slice(0, q);
  const query = new URLSearchParams(url.slice(q + 1));
  if (!query.has('fhir_vs')) return undefined;
  const loaded = resolveLoaded(store, system, version, 'url');
  const spec = query.get('fhir_vs') ?? '';
  if (spec === '') return { loaded, url: `${loaded.info.uri}?fhir_vs` };
  const m = /^isa\/(.+)$/.exec(spec);
  if (!m) throw notSupported(`implicit value set "${url.slice(0, 200)}": only ?fhir_vs and ?fhir_vs=isa/{code} are supported`, 'url');
  const row = findRow(store, loaded.info.id, m[1], 'url');
  if (!row) throw notFound(`${loaded.info.name} has no code "${m[1].slice(0, 40)}" (value set ${url.slice(0, 200)})`, 'url');
  return { loaded, isa: { key: row.key, code: row.code, display: row.display }, url: `${loaded.info.uri}?fhir_vs=isa/${row.code}` };
}

/** The ValueSet resource of an implicit value set (its definition, no expansion). */
export function implicitValueSetResource(vs: ImplicitValueSet): Record<string, unknown> {
  const { info, release } = vs.loaded;
  return {
    resourceType: 'ValueSet',
    ...(vs.isa ? {} : { id: info.id }),
    url: vs.url,
    version: release.version,
    name: vs.isa
      ? `${info.name.replace(/[^A-Za-z0-9]+/g, '_')}_isa_${vs.isa.code.replace(/[^A-Za-z0-9]+/g, '_')}`
      : `${info.name.replace(/[^A-Za-z0-9]+/g, '_')}_all`,
    title: vs.isa ? `${info.name} ${vs.isa.code} ${vs.isa.display} and its descendants` : `All codes of ${info.name}`,
    status: info.retired ? 'retired' : 'active',
    experimental: false,
    publisher: info.publisher,
    ...(release.notice ? { copyright: release.notice } : {}),
    compose: {
      include: [
        {
          system: info.uri,
          version: release.version,
          ...(vs.isa ? { filter: [{ property: 'concept', op: 'is-a', value: vs.isa.code }] } : {}),
        },
      ],
    },
  };
}

/** ValueSet resources this server defines by id: one per loaded code system (all its codes). */
export function valueSetById(store: Store, id: string): ImplicitValueSet {
  const loaded = loadedById(store, id);
  return { loaded, url: `${loaded.info.uri}?fhir_vs` };
}

export function allImplicitValueSets(store: Store): ImplicitValueSet[] {
  return loadedSystems(store).map((loaded) => ({ loaded, url: `${loaded.info.uri}?fhir_vs` }));
}

// ---- the definition to expand -------------------------------------------------------------------

/** Includes of a ValueSet resource given in the request (`valueSet` parameter). */
function includesOfCompose(store: Store, vs: Record<string, unknown>): Include[] {
  if (vs.resourceType !== 'ValueSet') throw invalid('parameter "valueSet" must be a ValueSet resource', 'valueSet');
  const compose = vs.compose as Record<string, unknown> | undefined;
  if (!compose || !Array.isArray(compose.include) || !compose.include.length)
    throw invalid('the ValueSet has no compose.include to expand', 'valueSet.compose');
  // Bounded cost before any work (issue 13): identical includes add nothing and are read once, and
  // at most MAX_INCLUDES distinct ones are expanded (each may be a subtree query).
  if (compose.include.length > MAX_INCLUDE_ENTRIES)
    throw tooCostly(`the ValueSet has ${compose.include.length} compose.include entries; the limit is ${MAX_INCLUDE_ENTRIES}`);
  const seen = new Set<string>();
  const distinct = compose.include.filter((inc: unknown) => {
    const k = JSON.stringify(inc);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (distinct.length > MAX_INCLUDES)
    throw tooCostly(`the ValueSet has ${distinct.length} distinct compose.include entries; the limit is ${MAX_INCLUDES}`);
  return entriesOf(store, distinct, 'include');
}

/**
 * compose.exclude entries of a ValueSet given in the request: concept lists and is-a /
 * descendent-of filters over MedCodes' code sets, as for include (R4 ValueSet.compose.exclude).
 */
function excludesOfCompose(store: Store, vs: Record<string, unknown>): Include[] {
  const compose = vs.compose as Record<string, unknown> | undefined;
  const list = compose?.exclude;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalid('valueSet.compose.exclude must be an array', 'valueSet.compose.exclude');
  if (list.length > MAX_INCLUDES) throw tooCostly(`the ValueSet has ${list.length} compose.exclude entries; the limit is ${MAX_INCLUDES}`);
  return entriesOf(store, list, 'exclude');
}

function entriesOf(store: Store, list: unknown[], kind: 'include' | 'exclude'): Include[] {
  return list.map((inc: any, i: number) => {
    const at = `valueSet.compose.${kind}[${i}]`;
    if (!inc || typeof inc !== 'object') throw invalid(`${at} must be an object`, at);
    if (inc.valueSet !== undefined) throw notSupported(`${at}.valueSet: including other value sets is not supported`, at);
    if (typeof inc.system !== 'string') throw invalid(`${at}.system is required`, at);
    const loaded = resolveLoaded(store, inc.system, typeof inc.version === 'string' ? inc.version : undefined, `${at}.system`);
    if (inc.concept !== undefined && inc.filter !== undefined)
      throw notSupported(`${at}: concept and filter together are not supported`, at);
    if (inc.concept !== undefined) {
      if (!Array.isArray(inc.concept) || inc.concept.length > MAX_EXPAND_COUNT)
        throw invalid(`${at}.concept must be a list of at most ${MAX_EXPAND_COUNT} concepts`, at);
      const concepts = inc.concept.map((c: any, j: number) => {
        if (!c || typeof c.code !== 'string') throw invalid(`${at}.concept[${j}].code is required`, at);
        return c.code as string;
      });
      return { loaded, concepts };
    }
    if (inc.filter !== undefined) {
      if (!Array.isArray(inc.filter) || inc.filter.length !== 1)
        throw notSupported(`${at}.filter: one filter per include is supported`, at);
      const f = inc.filter[0] ?? {};
      if (f.property !== 'concept' || !['is-a', 'descendent-of'].includes(f.op) || typeof f.value !== 'string') {
        throw notSupported(`${at}.filter: only property "concept" with op "is-a" or "descendent-of" is supported`, at);
      }
      const row = findRow(store, loaded.info.id, f.value, at);
      if (!row) throw notFound(`${loaded.info.name} has no code "${f.value.slice(0, 40)}" (${at}.filter)`, at);
      return { loaded, isa: { key: row.key, code: row.code, display: row.display, self: f.op === 'is-a' } };
    }
    return { loaded };
  });
}

// ---- enumerating concepts -----------------------------------------------------------------------

interface Page {
  total?: number;
  rows: ExpandContains[];
}

type Row = { key: string; code: string; display: string; billable: number; status: string };

function contains(loaded: Loaded, r: Row): ExpandContains {
  return {
    system: loaded.info.uri,
    version: loaded.release.version,
    code: r.code,
    display: r.display,
    // Headers (chapters, blocks, categories with subdivisions, tables) are for navigation, not selection.
    ...(r.billable ? {} : { abstract: true }),
    ...(r.status === 'deleted' ? { inactive: true } : {}),
  };
}

// The store has no paged reads in classification order; these two queries are the FHIR layer's own.
const statusSql = (activeOnly: boolean) => (activeOnly ? "AND status = 'active'" : '');

/**
 * One walk gives the page and the total (a window count): a page deep in a large set costs one pass.
 * A page past the end has no rows to carry the total, so then it is counted alone.
 */
function withTotal(db: Store['db'], sql: string, args: Record<string, unknown>, countSql: string): { total: number; rows: Row[] } {
  const rows = db.prepare(sql).all(args) as (Row & { total: number })[];
  const total = rows.length ? rows[0].total : (db.prepare(countSql).get(args) as { n: number }).n;
  return { total, rows };
}

/**
 * Row ids of a whole system in classification order, kept per open database: there is no index on
 * (system, sort), and sorting ~100,000 rows for every page of a whole-system expansion costs ~100 ms.
 */
const orderCache = new WeakMap<object, Map<string, Int32Array>>();

function systemOrder(store: Store, system: SystemId, activeOnly: boolean): Int32Array {
  let m = orderCache.get(store.db);
  if (!m) orderCache.set(store.db, (m = new Map()));
  const k = `${system}|${activeOnly}`;
  let ids = m.get(k);
  if (!ids) {
    const rows = store.db
      .prepare(`SELECT id FROM codes WHERE system = ? ${statusSql(activeOnly)} ORDER BY sort`)
      .pluck()
      .all(system) as number[];
    m.set(k, (ids = Int32Array.from(rows)));
  }
  return ids;
}

function systemPage(store: Store, inc: Include, activeOnly: boolean, offset: number, count: number): Page {
  const order = systemOrder(store, inc.loaded.info.id, activeOnly);
  const ids = Array.from(order.subarray(Math.min(offset, order.length), Math.min(offset + count, order.length)));
  const byId = new Map<number, Row>();
  if (ids.length) {
    for (const r of store.db
      .prepare(`SELECT id, key, code, display, billable, status FROM codes WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as (Row & { id: number })[])
      byId.set(r.id, r);
  }
  return { total: order.length, rows: ids.map((id) => contains(inc.loaded, byId.get(id)!)) };
}

/**
 * The subtree under a concept, walked by parent links over the codes_parent index. The walk carries
 * the columns it needs: joining back to codes by key lets SQLite pick a scan of the whole system.
 */
const SUBTREE = (activeOnly: boolean, poly = false) =>
  poly
    ? // SNOMED CT: a concept sits under each of its parents (the further ones are snomed-isa mappings),
      // so it can be reached twice: UNION keeps it once.
      `
  WITH RECURSIVE sub(key, code, display, billable, status, sort) AS (
    SELECT key, code, display, billable, status, sort FROM codes WHERE system = :system AND key = :root
    UNION
    SELECT c.key, c.code, c.display, c.billable, c.status, c.sort FROM sub JOIN codes c ON c.system = :system
      AND (c.parent_key = sub.key OR c.key IN (SELECT from_key FROM mappings WHERE to_system = :system AND to_key = sub.key AND from_system = :system AND source = 'snomed-isa'))
      ${activeOnly ? "AND c.status = 'active'" : ''}
  )`
    : `
  WITH RECURSIVE sub(key, code, display, billable, status, sort) AS (
    SELECT key, code, display, billable, status, sort FROM codes WHERE system = :system AND key = :root
    UNION ALL
    SELECT c.key, c.code, c.display, c.billable, c.status, c.sort FROM sub JOIN codes c ON c.system = :system AND c.parent_key = sub.key ${activeOnly ? "AND c.status = 'active'" : ''}
  )`;

function subtreePage(store: Store, inc: Include, activeOnly: boolean, offset: number, count: number): Page {
  const args = { system: inc.loaded.info.id, root: inc.isa!.key, self: inc.isa!.self ? 1 : 0, count: Math.max(count, 1), offset };
  const where = `WHERE (:self OR key <> :root) ${activeOnly ? "AND status = 'active'" : ''}`;
  const { total, rows } = withTotal(
    store.db,
    `${SUBTREE(activeOnly, inc.loaded.info.id === 'snomedct')} SELECT key, code, display, billable, status, count(*) OVER () AS total FROM sub ${where} ORDER BY sort LIMIT :count OFFSET :offset`,
    args,
    `${SUBTREE(activeOnly, inc.loaded.info.id === 'snomedct')} SELECT count(*) AS n FROM sub ${where}`,
  );
  return { total, rows: rows.slice(0, count).map((r) => contains(inc.loaded, r)) };
}

function subtreeKeys(store: Store, inc: Include, activeOnly: boolean): Set<string> {
  const rows = store.db
    .prepare(`${SUBTREE(activeOnly, inc.loaded.info.id === 'snomedct')} SELECT key FROM sub ${activeOnly ? "WHERE status = 'active'" : ''}`)
    .all({ system: inc.loaded.info.id, root: inc.isa!.key }) as { key: string }[];
  const keys = new Set(rows.map((r) => r.key));
  if (!inc.isa!.self) keys.delete(inc.isa!.key);
  return keys;
}

function conceptsPage(store: Store, inc: Include, activeOnly: boolean, offset: number, count: number): Page {
  const seen = new Set<string>();
  const all: ExpandContains[] = [];
  for (const c of inc.concepts!) {
    const row = findRow(store, inc.loaded.info.id, c, 'valueSet');
    if (!row || seen.has(row.key) || (activeOnly && row.status !== 'active')) continue;
    seen.add(row.key);
    all.push(
      contains(inc.loaded, { key: row.key, code: row.code, display: row.display, billable: row.billable ? 1 : 0, status: row.status }),
    );
  }
  return { total: all.length, rows: all.slice(offset, offset + count) };
}

/**
 * Text filter through the search engine, system (and subtree) restricted. The engine pages at most
 * MAX_LIMIT hits from at most MAX_OFFSET deep, so pages are read in turn; a subtree keeps the hits
 * inside it. The total is the engine's when the whole system is searched, and the number found when
 * the hits were read to the end.
 */
/** Search hits read at most when a text filter is applied inside a subtree the engine cannot range over. */
const MAX_SCAN = 2000;

/**
 * The engine's `range` filter (`E11-E11`: keys starting with E11; `E08-E13`: keys from E08 to E13)
 * for a subtree, when that range holds exactly the subtree: true where codes nest by prefix
 * (ICD-10-CM chapters, blocks and categories, ICD-10-PCS tables). Checked by counting, never
 * assumed, and remembered per database.
 */
const rangeCache = new WeakMap<object, Map<string, string | null>>();

function subtreeAsRange(store: Store, inc: Include, activeOnly: boolean): string | undefined {
  if (!inc.isa?.self) return undefined;
  const root = inc.isa.key;
  const [a, b] = root.includes('-') ? root.split('-') : [root, root];
  if (!codeToken(a) || !codeToken(b) || !/^[A-Z0-9]{3,7}$/.test(a) || !/^[A-Z0-9]{3,7}$/.test(b)) return undefined;
  let cache = rangeCache.get(store.db);
  if (!cache) rangeCache.set(store.db, (cache = new Map()));
  const ck = `${inc.loaded.info.id}|${root}|${activeOnly}`;
  const hit = cache.get(ck);
  if (hit !== undefined) return hit ?? undefined;
  const args = { system: inc.loaded.info.id, a, b, root };
  const inRange = (
    store.db
      .prepare(
        `SELECT count(*) AS n FROM codes WHERE system = :system AND key >= :a AND substr(key, 1, length(:b)) <= :b AND (instr(key, '-') = 0 OR key = :root) ${statusSql(activeOnly)}`,
      )
      .get(args) as { n: number }
  ).n;
  // Blocks inside a chapter are range-keyed headers the range filter leaves out: a text filter over a
  // chapter matches its categories and codes (the blocks stay reachable by is-a without a filter).
  const sub = store.db
    .prepare(
      `${SUBTREE(activeOnly, args.system === 'snomedct')} SELECT count(*) AS n, coalesce(sum(instr(key, '-') > 0 AND key <> :root), 0) AS blocks FROM sub`,
    )
    .get({ system: args.system, root }) as { n: number; blocks: number };
  const range = inRange === sub.n - sub.blocks ? `${a}-${b}` : null;
  if (cache.size > 1000) cache.clear();
  cache.set(ck, range);
  return range ?? undefined;
}

function filterPage(
  store: Store,
  inc: Include,
  text: string,
  activeOnly: boolean,
  offset: number,
  count: number,
  keep?: Set<string>,
  range?: string,
): Page {
  const sys = inc.loaded.info.id;
  const out: ExpandContains[] = [];
  const status = activeOnly ? 'active' : 'all';
  const hit = (h: SearchHit): ExpandContains => ({
    system: inc.loaded.info.uri,
    version: inc.loaded.release.version,
    code: h.code,
    display: h.display,
    ...(h.billable ? {} : { abstract: true }),
    ...(h.status === 'deleted' ? { inactive: true } : {}),
  });
  if (!keep) {
    // The whole system, or a subtree the engine's range filter holds exactly: the engine pages directly.
    if (offset > MAX_OFFSET)
      throw tooCostly(`a filtered expansion pages at most ${MAX_OFFSET} deep; got offset ${offset}: make the filter more specific`);
    let total = 0;
    do {
      const res = search(store, {
        q: text,
        systems: [sys],
        status,
        ...(range ? { range } : {}),
        limit: Math.max(1, Math.min(MAX_LIMIT, count - out.length)),
        offset: offset + out.length,
      });
      total = res.total;
      if (count) out.push(...res.results.map(hit));
      if (!res.results.length || offset + out.length > MAX_OFFSET) break;
    } while (out.length < count);
    return { total, rows: out };
  }
  let matched = 0;
  let exhausted = false;
  for (let engineOffset = 0; ; engineOffset += MAX_LIMIT) {
    // Bounded work: past MAX_SCAN hits the total stays unknown (a page still comes back).
    if (engineOffset >= MAX_SCAN) break;
    const res = search(store, { q: text, systems: [sys], status, limit: MAX_LIMIT, offset: engineOffset });
    for (const h of res.results) {
      if (!keep.has(codeKey(sys, h.code))) continue;
      if (matched++ < offset || out.length >= count) continue;
      out.push(hit(h));
    }
    if (res.results.length < MAX_LIMIT || engineOffset + MAX_LIMIT >= res.total) {
      exhausted = true;
      break;
    }
  }
  return { ...(exhausted ? { total: matched } : {}), rows: out };
}

function page(store: Store, inc: Include, filter: string | undefined, activeOnly: boolean, offset: number, count: number): Page {
  if (inc.concepts) {
    if (!filter) return conceptsPage(store, inc, activeOnly, offset, count);
    // The search over the system, keeping the listed codes.
    return filterPage(store, inc, filter, activeOnly, offset, count, new Set(inc.concepts.map((c) => codeKey(inc.loaded.info.id, c))));
  }
  if (filter && inc.isa) {
    const range = subtreeAsRange(store, inc, activeOnly);
    return range
      ? filterPage(store, inc, filter, activeOnly, offset, count, undefined, range)
      : filterPage(store, inc, filter, activeOnly, offset, count, subtreeKeys(store, inc, activeOnly));
  }
  if (filter) return filterPage(store, inc, filter, activeOnly, offset, count);
  return inc.isa ? subtreePage(store, inc, activeOnly, offset, count) : systemPage(store, inc, activeOnly, offset, count);
}

// ---- $expand -------------------------------------------------------------------------------------

export interface ExpandTarget {
  /** The value set as served: an implicit one, or the one given in the request. */
  resource: Record<string, unknown>;
  includes: Include[];
  /** compose.exclude of a value set given in the request. */
  excludes?: Include[];
}

/** What to expand: `url` (implicit value set), `valueSet` (a resource in the body), or an instance. */
export function expandTarget(store: Store, p: OpParams, instance?: ImplicitValueSet): ExpandTarget {
  const url = p.string('url');
  const given = p.resource('valueSet');
  const version = p.string('valueSetVersion');
  if ([instance, url, given].filter((x) => x !== undefined).length > 1)
    throw invalid('give one of "url" and "valueSet" (or call $expand on a ValueSet instance)', 'url');
  if (instance)
    return {
      resource: implicitValueSetResource(instance),
      includes: [{ loaded: instance.loaded, ...(instance.isa ? { isa: { ...instance.isa, self: true } } : {}) }],
    };
  if (url !== undefined) {
    const vs = parseImplicitUrl(store, url, version);
    if (!vs) {
      const bare = loadedSystems(store).find((l) => l.info.uri === url);
      throw notFound(
        `no value set "${url.slice(0, 200)}" on this server${bare ? `; the value set of all its codes is ${url}?fhir_vs` : '; implicit value sets are {system}?fhir_vs and {system}?fhir_vs=isa/{code}'}`,
        'url',
      );
    }
    return {
      resource: implicitValueSetResource(vs),
      includes: [{ loaded: vs.loaded, ...(vs.isa ? { isa: { ...vs.isa, self: true } } : {}) }],
    };
  }
  if (given) {
    const includes = includesOfCompose(store, given);
    const excludes = excludesOfCompose(store, given);
    const { expansion: _e, ...rest } = given as Record<string, unknown>;
    return { resource: rest, includes, excludes };
  }
  throw invalid('$expand needs a value set: "url" (e.g. http://hl7.org/fhir/sid/icd-10-cm?fhir_vs=isa/E11) or "valueSet"', 'url');
}

export function expandOperation(store: Store, p: OpParams, instance?: ImplicitValueSet): Record<string, unknown> {
  const target = expandTarget(store, p, instance);
  const filter = p.string('filter')?.trim() || undefined;
  if (filter && filter.length > MAX_QUERY_LENGTH)
    throw invalid(`parameter "filter" is longer than ${MAX_QUERY_LENGTH} characters`, 'filter');
  const offset = p.integer('offset', 0) ?? 0;
  const askedCount = p.integer('count', 0);
  const activeOnly = p.boolean('activeOnly') ?? true;
  const count = askedCount === undefined ? MAX_EXPAND_COUNT : Math.min(askedCount, MAX_EXPAND_COUNT);

  const subtrees = target.includes.filter((inc) => inc.isa).length;
  if (subtrees > MAX_SUBTREE_INCLUDES)
    throw tooCostly(
      `the ValueSet has ${subtrees} subtree (is-a / descendent-of) includes; the limit is ${MAX_SUBTREE_INCLUDES} per request`,
    );
  if (subtrees * (offset + count) > MAX_EXPAND_WORK)
    throw tooCostly(
      `offset ${offset} + count ${count} over ${subtrees} subtree include(s) would walk more than ${MAX_EXPAND_WORK} rows (the limit): page less deep or expand the includes one by one`,
    );
  if (target.excludes?.length) return expandWithExcludes(store, target, filter, activeOnly, offset, count, askedCount);
  // Includes are concatenated in order; paging runs across them.
  let skip = offset;
  let remaining = count;
  let total: number | undefined = 0;
  const rows: ExpandContains[] = [];
  for (const inc of target.includes) {
    const pg = page(store, inc, filter, activeOnly, skip, remaining);
    rows.push(...pg.rows);
    remaining -= pg.rows.length;
    if (pg.total === undefined) total = undefined;
    else {
      if (total !== undefined) total += pg.total;
      skip = Math.max(0, skip - pg.total);
    }
    if (pg.total === undefined && target.includes.length > 1)
      throw tooCostly('a text filter over a subtree with more than one include cannot be paged; expand the includes one by one');
  }
  // Without `count` the whole value set is asked for: refuse what is too large rather than cut it silently.
  if (askedCount === undefined && (total === undefined || total - offset > MAX_EXPAND_COUNT)) {
    throw tooCostly(
      `the expansion has ${total ?? 'more than ' + MAX_EXPAND_COUNT} concepts; the limit is ${MAX_EXPAND_COUNT} per request: page with "count" and "offset", or narrow it with "filter"`,
    );
  }
  const used: Record<string, unknown>[] = [];
  if (filter) used.push({ name: 'filter', valueString: filter });
  used.push({ name: 'offset', valueInteger: offset });
  used.push({ name: 'count', valueInteger: count });
  used.push({ name: 'activeOnly', valueBoolean: activeOnly });
  for (const inc of target.includes) used.push({ name: 'version', valueUri: `${inc.loaded.info.uri}|${inc.loaded.release.version}` });
  return {
    ...target.resource,
    resourceType: 'ValueSet',
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      ...(total !== undefined ? { total } : {}),
      offset,
      parameter: used,
      ...(rows.length ? { contains: rows } : {}),
    },
  };
}

/** Concepts an expansion with compose.exclude reads before removing the excluded ones (a bound on its cost). */
export const MAX_EXCLUDE_BASE = 10_000;

/**
 * A value set with compose.exclude (e.g. an ICD-10-CM subtree minus some codes): its includes are
 * read whole, at most MAX_EXCLUDE_BASE concepts, the excluded concepts removed, then paged.
 */
function expandWithExcludes(
  store: Store,
  target: ExpandTarget,
  filter: string | undefined,
  activeOnly: boolean,
  offset: number,
  count: number,
  askedCount: number | undefined,
): Record<string, unknown> {
  const all: ExpandContains[] = [];
  for (const inc of target.includes) {
    const pg = page(store, inc, filter, activeOnly, 0, MAX_EXCLUDE_BASE + 1);
    if (pg.total === undefined || pg.total > MAX_EXCLUDE_BASE || all.length + pg.rows.length > MAX_EXCLUDE_BASE)
      throw tooCostly(
        `a value set with compose.exclude is expanded whole before the exclusions; its includes have more than ${MAX_EXCLUDE_BASE} concepts (the limit): narrow the includes`,
      );
    all.push(...pg.rows);
  }
  const excluded = (c: ExpandContains) =>
    target.excludes!.some((ex) => {
      if (ex.loaded.info.uri !== c.system) return false;
      if (!ex.concepts && !ex.isa) return true;
      const row = store.get(ex.loaded.info.id, codeKey(ex.loaded.info.id, c.code));
      if (!row) return false;
      if (ex.concepts) return ex.concepts.some((k) => codeKey(ex.loaded.info.id, k) === row.key);
      return (ex.isa!.self && row.key === ex.isa!.key) || (row.key !== ex.isa!.key && store.isDescendantOf(row, ex.isa!.key));
    });
  const seen = new Set<string>();
  const kept = all.filter((c) => {
    const k = `${c.system}|${c.code}`;
    if (seen.has(k) || excluded(c)) return false;
    seen.add(k);
    return true;
  });
  if (askedCount === undefined && kept.length - offset > MAX_EXPAND_COUNT)
    throw tooCostly(
      `the expansion has ${kept.length} concepts; the limit is ${MAX_EXPAND_COUNT} per request: page with "count" and "offset", or narrow it with "filter"`,
    );
  const used: Record<string, unknown>[] = [];
  if (filter) used.push({ name: 'filter', valueString: filter });
  used.push(
    { name: 'offset', valueInteger: offset },
    { name: 'count', valueInteger: count },
    { name: 'activeOnly', valueBoolean: activeOnly },
  );
  const versions = new Set(target.includes.map((inc) => `${inc.loaded.info.uri}|${inc.loaded.release.version}`));
  for (const v of versions) used.push({ name: 'version', valueUri: v });
  const rows = kept.slice(offset, offset + count);
  return {
    ...target.resource,
    resourceType: 'ValueSet',
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: kept.length,
      offset,
      parameter: used,
      ...(rows.length ? { contains: rows } : {}),
    },
  };
}

/** ValueSet/$validate-code for the implicit value sets: is the code in the set? */
export function valueSetValidateCode(store: Store, p: OpParams, instance?: ImplicitValueSet): Record<string, unknown> {
  const url = p.string('url');
  const vs = instance ?? (url !== undefined ? parseImplicitUrl(store, url, p.string('valueSetVersion')) : undefined);
  if (!vs)
    throw url === undefined
      ? invalid('$validate-code needs "url" (an implicit value set such as http://hl7.org/fhir/sid/icd-10-cm?fhir_vs)', 'url')
      : notFound(`no value set "${url.slice(0, 200)}" on this server`, 'url');
  const coding = p.coding('coding');
  const code = coding?.code ?? p.string('code');
  const system = coding?.system ?? p.string('system');
  const display = coding?.display ?? p.string('display');
  if (!code) throw invalid('a code is required: "code" with "system", or "coding"', 'code');
  // R5 output parameters: code, system, version, and the reason as an OperationOutcome (issues).
  const identity = (c: string) => [
    { name: 'code', valueCode: c },
    { name: 'system', valueUri: vs.loaded.info.uri },
    { name: 'version', valueString: vs.loaded.release.version },
  ];
  const fail = (message: string, txType = 'not-in-vs', issueCode = 'code-invalid', c = code.trim()) => ({
    resourceType: 'Parameters',
    parameter: [
      { name: 'result', valueBoolean: false },
      { name: 'message', valueString: message },
      ...identity(c),
      validationIssues(message, txType, issueCode, 'code'),
    ],
  });
  if (system && resolveLoaded(store, system, undefined, 'system').info.id !== vs.loaded.info.id)
    return fail(`the code system ${system} is not in the value set ${vs.url}`);
  const sys: SystemId = vs.loaded.info.id;
  const row = findRow(store, sys, code);
  if (!row) return fail(`Unknown code "${code.trim().slice(0, 40)}" in ${vs.loaded.info.name}`, 'invalid-code');
  if (row.code.toUpperCase() !== code.trim().toUpperCase())
    return fail(`"${code.trim()}" is not how ${vs.loaded.info.name} writes this code: the code is "${row.code}"`, 'invalid-code');
  if (row.status !== 'active')
    return fail(`${row.code} is not an active code of ${vs.loaded.info.name}`, 'code-rule', 'business-rule', row.code);
  if (vs.isa && row.key !== vs.isa.key && !store.isDescendantOf(row, vs.isa.key))
    return fail(
      `${row.code} is not in the value set ${vs.url} (it is not ${vs.isa.code} or one of its descendants)`,
      'not-in-vs',
      'code-invalid',
      row.code,
    );
  if (
    display !== undefined &&
    ![row.display, row.shortDisplay ?? ''].some(
      (d) => d.toLowerCase().replace(/\s+/g, ' ').trim() === display.toLowerCase().replace(/\s+/g, ' ').trim(),
    )
  ) {
    return {
      resourceType: 'Parameters',
      parameter: [
        { name: 'result', valueBoolean: false },
        {
          name: 'message',
          valueString: `The display "${display.slice(0, 200)}" is not a valid display for ${row.code}; the display is "${row.display}"`,
        },
        { name: 'display', valueString: row.display },
        ...identity(row.code),
        validationIssues(
          `The display "${display.slice(0, 200)}" is not a valid display for ${row.code}; the display is "${row.display}"`,
          'invalid-display',
          'invalid',
          'display',
        ),
      ],
    };
  }
  return {
    resourceType: 'Parameters',
    parameter: [{ name: 'result', valueBoolean: true }, { name: 'display', valueString: row.display }, ...identity(row.code)],
  };
}
