import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Store } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { lookup } from '../lookup.js';
import { search, MAX_LIMIT, MAX_OFFSET } from '../search/search.js';
import { resolveSystem } from '../systems.js';
import type { SystemId } from '../model.js';
import { stats } from '../stats.js';
import { pages } from '../web/pages.js';
import { pcsRoutes } from './pcs-routes.js';
import { clinicalTablesRoutes } from './clinical-tables.js';
import { validateRoutes } from './validate-routes.js';

export interface AppDeps {
  /** The store to serve; a getter so that a swapped-in database is picked up. */
  store: () => Store;
}

/** The one place where catalog errors become HTTP responses (`{error: {code, message}}`). */
export function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof MedCodesError) return c.json({ error: { code: e.code, message: e.message } }, e.httpStatus as 400);
  console.error(e);
  // Never a stack trace in a response.
  return c.json({ error: { code: 'internal', message: 'An unexpected error occurred.' } }, 500);
}

function intParam(c: Context, name: string, def: number, min: number, max: number): number {
  const v = c.req.query(name);
  if (v === undefined || v === '') return def;
  if (!/^\d{1,9}$/.test(v)) throw new MedCodesError('invalid_parameter', `${name} must be a whole number from ${min} to ${max}; got "${v.slice(0, 20)}"`);
  const n = Number(v);
  if (n < min || n > max) throw new MedCodesError('invalid_parameter', `${name} must be from ${min} to ${max}; got ${n}`);
  return n;
}

export function systemsParam(value: string | undefined): SystemId[] | undefined {
  if (!value) return undefined;
  return value.split(',').map((s) => {
    const id = resolveSystem(s);
    if (!id) throw new MedCodesError('unknown_system', `unknown code system "${s.slice(0, 40)}"`);
    return id;
  });
}

/** Build the HTTP application. It never listens: serve.ts does, tests call `app.request()`. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.onError((e, c) => errorResponse(c, e));

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/api/v1/systems', (c) => c.json(stats(deps.store())));

  app.get('/api/v1/codes/:system/:code', (c) => c.json(lookup(deps.store(), c.req.param('system'), c.req.param('code'))));

  app.get('/api/v1/search', (c) => {
    const q = c.req.query('q');
    if (q === undefined) throw new MedCodesError('bad_request', 'the q parameter is required');
    const status = c.req.query('status');
    if (status !== undefined && !['active', 'deleted', 'all'].includes(status)) throw new MedCodesError('invalid_parameter', `status must be active, deleted or all; got "${status.slice(0, 20)}"`);
    const billable = c.req.query('billable');
    if (billable !== undefined && !['true', 'false'].includes(billable)) throw new MedCodesError('invalid_parameter', `billable must be true or false; got "${billable.slice(0, 20)}"`);
    const yearText = c.req.query('year');
    const result = search(deps.store(), {
      q,
      systems: systemsParam(c.req.query('system')),
      limit: intParam(c, 'limit', 20, 1, MAX_LIMIT),
      offset: intParam(c, 'offset', 0, 0, MAX_OFFSET),
      ...(status ? { status: status as 'active' | 'deleted' | 'all' } : {}),
      ...(billable ? { billable: billable === 'true' } : {}),
      ...(c.req.query('range') || c.req.query('chapter') ? { range: c.req.query('range') || c.req.query('chapter') } : {}),
      ...(yearText !== undefined ? { year: intParam(c, 'year', 0, 2000, 2100) } : {}),
    });
    return c.json(result);
  });

  app.route('/', pcsRoutes(deps));
  app.route('/', clinicalTablesRoutes(deps));
  app.route('/', validateRoutes(deps));

  app.all('/api/*', (c) => errorResponse(c, new MedCodesError('not_found', `no API route ${c.req.method} ${new URL(c.req.url).pathname}`)));

  app.route('/', pages(deps));
  return app;
}
