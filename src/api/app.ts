import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Store } from '../store/store.js';
import { MedCodesError, type ErrorCode } from '../errors.js';
import { resolveSystem } from '../systems.js';
import type { SystemId } from '../model.js';
import { limitsFromEnv, type Limits } from '../config.js';
import { pages } from '../web/pages.js';
import { apiPage, type OpenApiLike } from '../web/api-page.js';
import { pcsRoutes } from './pcs-routes.js';
import { clinicalTablesRoutes } from './clinical-tables.js';
import { validateRoutes } from './validate-routes.js';
import { fhirRoutes } from '../fhir/routes.js';
import { toOutcome } from '../fhir/outcome.js';
import { v1Routes } from './v1-routes.js';
import { mcpRoutes } from '../mcp/http.js';
import { conditionalGet } from './caching.js';
import { allowedMethods } from './allow.js';
import { OPENAPI_INFO, catalogHook } from './openapi.js';
import { Scheduler, scheduled } from './scheduler.js';
import {
  INTERNAL_REQUEST,
  bodySizeLimit,
  corsFor,
  discardUnreadBody,
  isClientAbort,
  queryLengthLimit,
  rateLimit,
  requestTimeout,
  resourcePolicy,
  securityHeaders,
} from './limits.js';

export interface AppDeps {
  /** The store to serve; a getter so that a swapped-in database is picked up. */
  store: () => Store;
  /** Limits and safety settings; each one left out comes from the environment (config.ts). */
  limits?: Partial<Limits>;
  /** Readiness for GET /ready (serve.ts: the index is loaded); without it, ready once the store answers. */
  ready?: () => { ready: boolean; [k: string]: unknown };
}

/** HTTP statuses that reach the error handler as framework exceptions, as catalog codes. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'bad_request',
  429: 'rate_limited',
  503: 'timeout',
  504: 'timeout',
};

/**
 * The one place where errors become HTTP responses: `{error: {code, message}}` with the catalog
 * code's status, or, under /fhir, an OperationOutcome carrying the same code and message.
 */
export function errorResponse(c: Context, e: unknown): Response {
  let err: MedCodesError;
  if (e instanceof MedCodesError) err = e;
  else if (e instanceof HTTPException && e.cause instanceof MedCodesError) err = e.cause;
  else if (e instanceof HTTPException && STATUS_CODES[e.status])
    err = new MedCodesError(STATUS_CODES[e.status], e.message || 'the request was refused');
  else if (isClientAbort(e)) {
    // A client that closed its upload: one line, not a stack; nobody reads the answer.
    console.warn(`client aborted ${c.req.method} ${c.req.path}: ${(e as Error).message.slice(0, 80)}`);
    err = new MedCodesError('bad_request', 'the request was aborted by the client');
  } else {
    console.error(e);
    // Never a stack trace in a response.
    err = new MedCodesError('internal', 'An unexpected error occurred.');
  }
  const status = err.httpStatus as 400;
  const path = c.req.path;
  if (path === '/fhir' || path.startsWith('/fhir/')) {
    // The same OperationOutcome shape as the FHIR routes' own errors (src/fhir/outcome.ts).
    return c.body(JSON.stringify(toOutcome(err).body), status, { 'Content-Type': 'application/fhir+json; charset=utf-8' });
  }
  return c.json({ error: { code: err.code, message: err.message } }, status);
}

export function systemsParam(value: string | undefined): SystemId[] | undefined {
  if (!value) return undefined;
  return value.split(',').map((s) => {
    const id = resolveSystem(s);
    if (!id) throw new MedCodesError('unknown_system', `unknown code system "${s.slice(0, 40)}"`);
    return id;
  });
}

/** Paths of the machine interfaces: CORS, rate limits, body limits and time limits apply to them. */
const MACHINE_PATHS = ['/api/*', '/fhir/*', '/openapi.json', '/mcp'];
const isMachinePath = (p: string) =>
  p === '/api' || p.startsWith('/api/') || p === '/fhir' || p.startsWith('/fhir/') || p === '/openapi.json' || p === '/mcp';

/** Build the HTTP application. It never listens: serve.ts does, tests call `app.request()`. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const limits: Limits = { ...limitsFromEnv(), ...deps.limits };
  const d: AppDeps = { ...deps, limits };
  const app = new OpenAPIHono({ defaultHook: catalogHook });

  app.onError((e, c) => errorResponse(c, e));

  app.use('*', discardUnreadBody(limits.maxBodyBytes));
  app.use('*', securityHeaders());
  app.use('*', resourcePolicy(isMachinePath));
  app.use('*', queryLengthLimit(limits.maxQueryBytes));
  // One limiter for all machine paths and the HTML search, so a client's count is shared between them.
  const limiter = rateLimit(limits);
  const machine: MiddlewareHandler[] = [
    corsFor(limits),
    limiter,
    requestTimeout(limits.requestTimeoutMs),
    bodySizeLimit(limits.maxBodyBytes),
  ];
  for (const p of MACHINE_PATHS) for (const m of machine) app.use(p, m);
  app.use('/search', limiter);
  // Request work waits for its turn (api/scheduler.ts); health, readiness and static files never wait.
  const scheduler = new Scheduler({ maxQueue: limits.queueLimit, maxWaitMs: limits.queueWaitMs });
  app.use(
    '*',
    scheduled(scheduler, (p) => p === '/health' || p === '/ready' || p.startsWith('/assets/')),
  );

  // A 405 names the methods the route answers (RFC 9110 §15.5.6), whichever route raised it.
  app.use('/api/*', async (c, next) => {
    await next();
    if (c.res.status === 405 && !c.res.headers.has('Allow')) {
      const allow = allowedMethods(openApiDocument(), c.req.path);
      if (allow.length) c.res.headers.set('Allow', allow.join(', '));
    }
  });
  // ETag, Cache-Control and 304 on read answers (code documents, pages, FHIR reads, searches): caching.ts.
  const cached = conditionalGet(d.store);
  for (const p of ['/api/*', '/fhir', '/fhir/*', '/codes', '/codes/*']) app.use(p, cached);

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', (c) => {
    const r = deps.ready?.() ?? { ready: true };
    const releases = r.ready
      ? d
          .store()
          .releases()
          .map((x) => ({ system: x.system, version: x.version }))
      : [];
    return c.json({ ...r, releases, queued: scheduler.waiting }, r.ready ? 200 : 503);
  });

  app.route('/', v1Routes(d));
  app.route('/', pcsRoutes(d));
  app.route('/', clinicalTablesRoutes(d));
  app.route('/', validateRoutes(d));

  // The document is built once, from the routes' own schemas.
  let document: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document(OPENAPI_INFO));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.route(
    '/',
    apiPage({
      document: openApiDocument as () => OpenApiLike,
      // The page's example responses come from this app, in process and outside the rate limit.
      fetchExample: async (path, init) => app.request(path, init, { [INTERNAL_REQUEST]: true }),
      dataKey: () => d.store().db,
      limits,
    }),
  );

  // FHIR terminology routes mount here (app.route('/fhir', ...)), before the /api catch-all.
  app.route('/fhir', fhirRoutes(d));
  // MCP over Streamable HTTP (src/mcp/http.ts), under the same limits as /api.
  app.route('/mcp', mcpRoutes(d, { maxBodyBytes: limits.maxBodyBytes, corsOrigins: limits.corsOrigins }));
  app.all('/api/*', (c) => {
    const path = new URL(c.req.url).pathname;
    // A route that exists with other methods: 405 with Allow (allow.ts), not 404.
    const allow = allowedMethods(openApiDocument(), path);
    if (allow.length) {
      c.header('Allow', allow.join(', '));
      return errorResponse(
        c,
        new MedCodesError('method_not_allowed', `${c.req.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`),
      );
    }
    return errorResponse(c, new MedCodesError('not_found', `no API route ${c.req.method} ${path}`));
  });

  app.route('/', pages(d));
  return app;
}
