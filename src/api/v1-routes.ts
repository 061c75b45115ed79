import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from './app.js';
import { systemsParam } from './app.js';
import type { Store } from '../store/store.js';
import { toRef } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { codeMappings, findCode, lookup } from '../lookup.js';
import { search, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH } from '../search/search.js';
import { SYSTEMS, resolveSystem } from '../systems.js';
import { stats } from '../stats.js';
import { apiRouter, errors } from './openapi.js';
import {
  ChildrenSchema,
  CodeDocumentSchema,
  CrosswalksSchema,
  SearchResultSchema,
  SimilarSchema,
  SystemSchema,
  SystemsSchema,
} from './schemas.js';
import { similarCodes } from '../similar/similar.js';

/** Most similar codes one request may ask for. */
const MAX_SIMILAR = 50;

/**
 * The REST API's read routes (/api/v1): systems and their releases, one code, its children,
 * crosswalks and similar codes, and search. Each route's request schema validates the request and is published in
 * /openapi.json; failures are catalog errors (openapi.ts).
 */

/**
 * An integer query parameter: decimal digits only (not `1e2` or `0x10`, which Number() would
 * read); empty means the default, as when it is left out.
 */
export const intQuery = (min: number, max: number, def: number | undefined, description: string) => {
  const n = z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int()
    .min(min)
    .max(max);
  const read = (v: unknown) => (v === '' ? undefined : typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : v);
  return z.preprocess(read, def === undefined ? n.optional() : n.default(def)).openapi({ description });
};

export const SystemParam = z
  .string()
  .min(1)
  .max(200)
  .openapi({
    param: { name: 'system', in: 'path' },
    description: 'A system id (`icd10cm`, `icd10pcs`, `hcpcs`, `icd9cm`, `icd9pcs`, `nucc`, ...) or its FHIR URI.',
    example: 'icd10cm',
  });
export const CodeParam = z
  .string()
  .min(1)
  .max(40)
  .openapi({
    param: { name: 'code', in: 'path' },
    description: 'The code in any shape: with or without its dot, any case (`E11.9`, `e119`).',
    example: 'E11.9',
  });
export const CodePathParams = z.object({ system: SystemParam, code: CodeParam });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** Releases in the loaded history with their counts per action, per open database. */
const versionCache = new WeakMap<
  object,
  Map<string, { version: string; added: number; revised: number; deleted: number; reactivated: number }[]>
>();
function versions(store: Store, system: string) {
  let bySystem = versionCache.get(store.db);
  if (!bySystem) {
    bySystem = new Map();
    // One pass over the history table (read-only): the releases each system's history covers.
    const rows = store.db
      .prepare('SELECT system, version, action, count(*) AS n FROM history GROUP BY system, version, action ORDER BY system, version')
      .all() as { system: string; version: string; action: string; n: number }[];
    for (const r of rows) {
      let list = bySystem.get(r.system);
      if (!list) bySystem.set(r.system, (list = []));
      let v = list.at(-1);
      if (!v || v.version !== r.version) list.push((v = { version: r.version, added: 0, revised: 0, deleted: 0, reactivated: 0 }));
      if (r.action === 'added' || r.action === 'revised' || r.action === 'deleted' || r.action === 'reactivated') v[r.action] += r.n;
    }
    versionCache.set(store.db, bySystem);
  }
  return bySystem.get(system) ?? [];
}

/**
 * A code set that MedCodes knows but this server has not loaded (CPT and the other licensed sets
 * until their operator imports them) is `unknown_system`, not `not_found` (docs/API.md, Errors): a
 * client must not read "this code does not exist" when the server cannot tell.
 */
function notLoaded(store: Store, systemText: string): MedCodesError | undefined {
  const id = resolveSystem(systemText);
  if (!id || store.releases().some((r) => r.system === id)) return undefined;
  return new MedCodesError(
    'unknown_system',
    `${SYSTEMS[id].name} is not loaded on this server${SYSTEMS[id].bundled ? '' : ' (import your licensed release files)'}`,
  );
}

/** findCode for the routes on a code's parts: a set that is known but not loaded is unknown_system. */
function findLoadedCode(store: Store, system: string, code: string) {
  try {
    return findCode(store, system, code);
  } catch (e) {
    if (e instanceof MedCodesError && e.code === 'not_found') throw notLoaded(store, system) ?? e;
    throw e;
  }
}

export function v1Routes(deps: AppDeps): OpenAPIHono {
  const app = apiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/systems',
      tags: ['Codes'],
      summary: 'Loaded code systems',
      description: 'The loaded releases with their versions, effective dates, notices and concept counts.',
      responses: { 200: json(SystemsSchema, 'The loaded releases.'), ...errors() },
    }),
    (c) => c.json(stats(deps.store()) as z.infer<typeof SystemsSchema>, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/systems/{system}',
      tags: ['Codes'],
      summary: 'One code system and its releases',
      description:
        'What MedCodes knows about a system (URI, publisher, licence), whether it is loaded, its loaded release, and every release in its history with how many codes each added, revised, deleted and reactivated.',
      request: { params: z.object({ system: SystemParam }) },
      responses: { 200: json(SystemSchema, 'The system.'), ...errors(400, 404) },
    }),
    (c) => {
      const id = resolveSystem(c.req.valid('param').system);
      if (!id)
        throw new MedCodesError(
          'unknown_system',
          `unknown code system "${c.req.valid('param').system.slice(0, 40)}"; known: ${Object.keys(SYSTEMS).join(', ')}`,
        );
      const store = deps.store();
      const info = SYSTEMS[id];
      const release = stats(store).systems.find((r) => r.system === id) ?? null;
      return c.json(
        {
          system: id,
          uri: info.uri,
          name: info.name,
          label: info.label,
          publisher: info.publisher,
          bundled: info.bundled,
          retired: !!info.retired,
          domain: info.domain,
          loaded: !!release,
          release: release as z.infer<typeof SystemSchema>['release'],
          versions: versions(store, id),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/codes/{system}/{code}',
      tags: ['Codes'],
      summary: 'Look up a code',
      description:
        'The full document of a code: title, hierarchy, notes (own and inherited), index terms, history by release, crosswalks, and system-specific properties.',
      request: { params: CodePathParams },
      responses: { 200: json(CodeDocumentSchema, 'The code.'), ...errors(400, 404) },
    }),
    (c) => {
      const { system, code } = c.req.valid('param');
      const store = deps.store();
      let doc: ReturnType<typeof lookup>;
      try {
        // lookup() serves a stored article of a code of a set that is not loaded (loaded: false).
        doc = lookup(store, system, code);
      } catch (e) {
        // lookup()'s own message already says the set is not loaded and no article exists.
        if (e instanceof MedCodesError && e.code === 'not_found' && notLoaded(store, system))
          throw new MedCodesError('unknown_system', e.message);
        throw e;
      }
      return c.json(doc as unknown as z.infer<typeof CodeDocumentSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/codes/{system}/{code}/children',
      tags: ['Codes'],
      summary: 'Children of a code',
      description:
        'The codes directly below a code in classification order, with its ancestors. A deleted code lists its deleted children; an active one only active children.',
      request: { params: CodePathParams },
      responses: { 200: json(ChildrenSchema, 'The children.'), ...errors(400, 404) },
    }),
    (c) => {
      const { system, code } = c.req.valid('param');
      const store = deps.store();
      const row = findLoadedCode(store, system, code);
      return c.json(
        {
          system: row.system,
          code: row.code,
          display: row.display,
          kind: row.kind,
          parents: store.ancestors(row).map(toRef),
          children: store.children(row.system, row.key, row.status === 'deleted').map(toRef),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/codes/{system}/{code}/crosswalks',
      tags: ['Codes'],
      summary: 'Crosswalks of a code',
      description:
        'Mappings in both directions (GEMs between ICD-9-CM and ICD-10-CM/PCS, conversion tables): `to` rows map this code to another, `from` rows map another code to this one.',
      request: {
        params: CodePathParams,
        query: z.object({
          direction: z.enum(['to', 'from']).optional().openapi({ description: 'Only mappings in this direction.' }),
          target: z
            .string()
            .max(200)
            .optional()
            .openapi({ description: 'Only mappings with codes of this system (id or URI).', example: 'icd9cm' }),
        }),
      },
      responses: { 200: json(CrosswalksSchema, 'The mappings.'), ...errors(400, 404) },
    }),
    (c) => {
      const { system, code } = c.req.valid('param');
      const { direction, target } = c.req.valid('query');
      const targets = systemsParam(target);
      // The crosswalks alone: not the whole document (notes, article, similar codes).
      const store = deps.store();
      const row = findLoadedCode(store, system, code);
      const doc = { system: row.system, code: row.code, display: row.display };
      const mappings = codeMappings(store, row.system, row.key).filter(
        (m) => (!direction || m.direction === direction) && (!targets || targets.includes(m.system)),
      );
      return c.json({ system: doc.system, code: doc.code, display: doc.display, mappings } as z.infer<typeof CrosswalksSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/codes/{system}/{code}/similar',
      tags: ['Codes'],
      summary: 'Similar codes',
      description:
        'Codes a coder would weigh against this one, ranked, each with its relation (laterality, encounter, axis, level, variant, crosswalk, sibling, wording) and the reason in words.',
      request: { params: CodePathParams, query: z.object({ limit: intQuery(1, MAX_SIMILAR, 10, 'How many codes.') }) },
      responses: { 200: json(SimilarSchema, 'The similar codes, best first.'), ...errors(400, 404) },
    }),
    (c) => {
      const { system, code } = c.req.valid('param');
      const store = deps.store();
      const row = findLoadedCode(store, system, code);
      const similar = similarCodes(store, row.system, row.key, c.req.valid('query').limit as number);
      return c.json({ system: row.system, code: row.code, display: row.display, similar } as z.infer<typeof SimilarSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/search',
      tags: ['Search'],
      summary: 'Search codes',
      description:
        'Words in any order, lay terms, typos, and codes in any shape (`E11.9`, `e119`, a prefix `E11.`, a range `E08-E13`). Results are ranked, highlighted, faceted by system and paginated. When nothing matches: `didYouMean` and the `closest` codes. Results that match only some words carry `partial` (the words they lack) and `matchedAll` counts those that match every word; a code shaped like a set that is not loaded (CPT `99213`, modifier `59`) gets a `hints` entry saying what it is.',
      request: {
        query: z.object({
          q: z
            .string()
            .openapi({ description: `The query (at most ${MAX_QUERY_LENGTH} characters after cleaning).`, example: 'type 2 diabetes' }),
          system: z
            .string()
            .max(500)
            .optional()
            .openapi({ description: 'Only these systems: ids or URIs, comma-separated.', example: 'icd10cm' }),
          limit: intQuery(1, MAX_LIMIT, 20, 'Results per page.'),
          offset: intQuery(0, MAX_OFFSET, 0, 'Results to skip.'),
          status: z
            .enum(['active', 'deleted', 'all'])
            .optional()
            .openapi({ description: 'Active codes (default: active first, deleted last), deleted ones, or all.' }),
          billable: z.enum(['true', 'false']).optional().openapi({ description: 'Only billable codes (true) or only headers (false).' }),
          range: z.string().max(100).optional().openapi({ description: 'A code range (`E08-E13`) or a chapter or block key.' }),
          chapter: z.string().max(100).optional().openapi({ description: 'Same as range.' }),
          year: intQuery(2000, 2100, undefined, 'Only codes valid in this fiscal year (ICD-10-CM/PCS).'),
        }),
      },
      responses: { 200: json(SearchResultSchema, 'The results.'), ...errors(400, 404) },
    }),
    (c) => {
      const p = c.req.valid('query');
      const range = p.range || p.chapter;
      const result = search(deps.store(), {
        q: p.q,
        systems: systemsParam(p.system),
        limit: p.limit as number,
        offset: p.offset as number,
        ...(p.status ? { status: p.status } : {}),
        ...(p.billable ? { billable: p.billable === 'true' } : {}),
        ...(range ? { range } : {}),
        ...(p.year !== undefined ? { year: p.year as number } : {}),
      });
      return c.json(result as z.infer<typeof SearchResultSchema>, 200);
    },
  );

  return app;
}
