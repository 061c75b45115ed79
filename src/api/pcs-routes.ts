import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from './app.js';
import { errorResponse } from './app.js';
import { apiRouter, errors } from './openapi.js';
import { PcsBuilderSchema, PcsTableSchema } from './schemas.js';
import type { Store } from '../store/store.js';
import { toRef } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS } from '../systems.js';
import {
  buildPcsCode,
  isPcsTableStructure,
  valueDefinition,
  type PcsBuildState,
  type PcsTableStructure,
  type PcsValueDefinition,
} from '../importers/icd10pcs/builder.js';

/**
 * ICD-10-PCS tables and the code builder over HTTP.
 *
 *   GET /api/v1/icd10pcs/tables/{table}            the table: characters 1-3 with their labels and
 *                                                   definitions, and its rows with the values of 4-7
 *   GET /api/v1/icd10pcs/tables/{table}?chars=J4   the builder: the characters chosen after the
 *                                                   first three, decoded; the next position's valid
 *                                                   values; and, once seven characters are chosen,
 *                                                   the code with its title
 *
 * Answers come from the table record the importer stores (src/importers/icd10pcs/builder.ts), so the
 * builder offers only combinations some row of the table allows.
 */

const TABLE_RE = /^[0-9A-HJ-NP-Z]{3}$/;

/**
 * A table record with its stored structure; 404 when the table does not exist or has no rows loaded.
 * Shared by the API and the builder page.
 */
export function loadTable(store: Store, text: string) {
  const key = text.trim().toUpperCase();
  if (!TABLE_RE.test(key)) {
    throw new MedCodesError(
      'invalid_parameter',
      `"${text.slice(0, 20)}" is not an ICD-10-PCS table: 3 characters of 0-9 and A-Z without I and O, e.g. 0DT`,
    );
  }
  const row = store.get('icd10pcs', key);
  if (!row || row.kind !== 'table') throw new MedCodesError('not_found', `ICD-10-PCS has no table "${key}"`);
  if (!isPcsTableStructure(row.properties)) {
    const why =
      row.status === 'deleted'
        ? `was deleted in ${String(row.properties?.deletedIn ?? 'a later release')}`
        : 'has no rows loaded (import the ICD-10-PCS Tables XML)';
    throw new MedCodesError('not_found', `ICD-10-PCS table ${key} ${why}`);
  }
  return { row, table: row.properties };
}

const defined = (t: PcsTableStructure, pos: number, label: string): PcsValueDefinition => valueDefinition(t, pos, label) ?? {};

function tableDocument(store: Store, row: ReturnType<typeof loadTable>['row'], t: PcsTableStructure) {
  return {
    system: 'icd10pcs' as const,
    systemUri: SYSTEMS.icd10pcs.uri,
    table: row.code,
    display: row.display,
    version: row.version,
    status: row.status,
    parents: store.ancestors(row).map(toRef),
    axes: t.axes.map((a) => ({ ...a, ...(a.pos === 3 ? defined(t, 3, a.label) : {}) })),
    rows: t.rows.map((r) => ({
      codes: r.codes,
      axes: r.axes.map((a) => ({ pos: a.pos, axis: a.axis, values: a.values.map((v) => ({ ...v, ...defined(t, a.pos, v.label) })) })),
    })),
    validCodes: t.validCodes,
  };
}

function builderDocument(store: Store, row: ReturnType<typeof loadTable>['row'], state: PcsBuildState) {
  const doc = {
    system: 'icd10pcs' as const,
    table: { code: row.code, display: row.display },
    chars: state.chars,
    prefix: state.prefix,
    chosen: state.chosen,
    rows: state.rows,
    complete: state.complete,
    valid: false,
    ...(state.next ? { next: state.next } : {}),
  };
  if (!state.complete || !state.code) return doc;
  // The table allows the code; it is valid when the loaded release has it as an active code.
  const code = store.get('icd10pcs', state.code);
  return {
    ...doc,
    valid: !!code && code.status === 'active' && code.billable,
    code: code ? { code: code.code, display: code.display, billable: code.billable, status: code.status } : { code: state.code },
  };
}

const tableRoute = createRoute({
  method: 'get',
  path: '/api/v1/icd10pcs/tables/{table}',
  tags: ['ICD-10-PCS'],
  summary: 'An ICD-10-PCS table, and the code builder',
  description:
    'Without `chars`: the table (characters 1-3 with labels and definitions, its rows with the values of characters 4-7). With `chars`: the builder: the characters chosen after the first three, decoded; the valid values of the next position; and, once seven characters are chosen, the code with its title. Only combinations some row of the table allows are offered.',
  request: {
    params: z.object({
      table: z
        .string()
        .min(1)
        .max(20)
        .openapi({ param: { name: 'table', in: 'path' }, description: 'The first three characters, e.g. 0DT.', example: '0DT' }),
    }),
    query: z.object({
      chars: z.string().max(10).optional().openapi({ description: 'Characters 4 to 7 chosen so far (0 to 4 characters).', example: 'J4' }),
    }),
  },
  responses: {
    200: {
      description: 'The table, or the builder state.',
      content: { 'application/json': { schema: z.union([PcsTableSchema, PcsBuilderSchema]) } },
    },
    ...errors(400, 404),
  },
});

export function pcsRoutes(deps: AppDeps): OpenAPIHono {
  const app = apiRouter();
  app.onError((e, c) => errorResponse(c, e));
  app.openapi(tableRoute, (c) => {
    const store = deps.store();
    const { row, table } = loadTable(store, c.req.valid('param').table);
    const chars = c.req.valid('query').chars;
    if (chars === undefined) return c.json(tableDocument(store, row, table) as z.infer<typeof PcsTableSchema>, 200);
    return c.json(builderDocument(store, row, buildPcsCode(table, chars)) as z.infer<typeof PcsBuilderSchema>, 200);
  });
  return app;
}
