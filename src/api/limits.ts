import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import { HTTPException } from 'hono/http-exception';
import { rateLimiter } from 'hono-rate-limiter';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Limits } from '../config.js';
import { MedCodesError } from '../errors.js';

/**
 * Limits and safety middleware (docs/API.md, "Limits"). Every rejection is a catalog error
 * answered by the app's error handler, so a 413 or 429 looks like any other error.
 */

/**
 * Content-Security-Policy of every response. The pages load their style and script from /assets
 * and have no inline code (web/layout.ts), so nothing inline is allowed.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  styleSrc: ["'self'"],
  scriptSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** Security headers on every response (OWASP Secure Headers Project recommendations). */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    xFrameOptions: 'DENY',
    // Search URLs carry health questions: send no referrer to other sites.
    referrerPolicy: 'same-origin',
    // The API is meant to be called from other origins (CORS); pages stay same-origin.
    crossOriginResourcePolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [] },
  });
}

/**
 * Cross-Origin-Resource-Policy: the API and FHIR answers may be read by other sites, the pages not.
 * Set with c.header() before the handler runs: headers set on c.res afterwards make @hono/node-server
 * build a full Response instead of writing its light one, which halved throughput (measured with
 * autocannon, docs/PERFORMANCE.md).
 */
export function resourcePolicy(crossOrigin: (path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    c.header('Cross-Origin-Resource-Policy', crossOrigin(c.req.path) ? 'cross-origin' : 'same-origin');
    await next();
  };
}

const EXPOSED = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

/**
 * CORS for /api and /fhir: any origin by default (a public, read-only API), or the configured list.
 * Preflights (OPTIONS) go through hono/cors; on the requests themselves the two response headers
 * are set up front with c.header(), for the reason given at resourcePolicy (hono/cors sets them on
 * c.res, which cost 60% of the throughput of a cached search).
 */
export function corsFor(limits: Limits): MiddlewareHandler {
  if (Array.isArray(limits.corsOrigins) && limits.corsOrigins.length === 0) return async (_c, next) => next();
  const allowed = limits.corsOrigins;
  const allowOrigin = (origin: string) => (allowed === '*' ? '*' : allowed.includes(origin) ? origin : null);
  const preflight = cors({
    origin: allowed === '*' ? '*' : (origin) => allowOrigin(origin),
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    // What API, FHIR (SMART clients send Authorization) and MCP clients send (MCP Streamable HTTP:
    // Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID), and conditional requests (If-None-Match).
    allowHeaders: [
      'Content-Type',
      'Accept',
      'Authorization',
      'If-None-Match',
      'If-Modified-Since',
      'Cache-Control',
      'Prefer',
      'X-Requested-With',
      'Mcp-Session-Id',
      'Mcp-Protocol-Version',
      'Last-Event-ID',
    ],
    exposeHeaders: EXPOSED,
    maxAge: 86_400,
  });
  const exposed = EXPOSED.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    const origin = allowOrigin(c.req.header('origin') ?? '');
    if (origin) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Expose-Headers', exposed);
    }
    // A listed origin is echoed, so caches must key on it (Fetch standard, "CORS protocol and HTTP caches").
    if (allowed !== '*') c.header('Vary', 'Origin', { append: true });
    await next();
  };
}

/** Methods whose requests carry no body: body and upload-time limits have nothing to do for them. */
const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The client a rate limit counts for: the socket's address; with MEDCODES_TRUST_PROXY=n, the
 * address the n-th proxy from us saw, read from the right of X-Forwarded-For (the left part is
 * whatever the client wrote). In-process requests (`app.request()` in tests) have no socket and
 * share one key.
 */
export function clientKey(c: Context, trustProxy: number): string {
  if (trustProxy > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (chain.length) return chain[Math.max(0, chain.length - trustProxy)];
  }
  try {
    const addr = getConnInfo(c).remote.address;
    if (addr) return addr;
  } catch {
    // No Node socket (app.request()): fall through.
  }
  return 'local';
}

/** Marks the app's own in-process requests (the API page's examples) in `c.env`; no socket can set it. */
export const INTERNAL_REQUEST = Symbol('medcodes.internal');

/** Requests per client per window; over it, 429 rate_limited with Retry-After (RFC 6585, RFC 9110 10.2.3). */
export function rateLimit(limits: Limits): MiddlewareHandler {
  if (limits.rateLimit <= 0) return async (_c, next) => next();
  return rateLimiter({
    windowMs: limits.rateWindowMs,
    limit: limits.rateLimit,
    standardHeaders: 'draft-6',
    // CORS preflights are not requests for data.
    skip: (c) => c.req.method === 'OPTIONS' || (c.env as Record<symbol, unknown> | undefined)?.[INTERNAL_REQUEST] === true,
    keyGenerator: (c) => clientKey(c, limits.trustProxy),
    handler: (c) => {
      const reset = (c.get as (key: string) => { resetTime?: Date } | undefined)('rateLimit')?.resetTime;
      const wait = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : Math.ceil(limits.rateWindowMs / 1000);
      throw new MedCodesError(
        'rate_limited',
        `more than ${limits.rateLimit} requests in ${limits.rateWindowMs / 1000} s from this client; retry in ${wait} s`,
      );
    },
  });
}

/** Bodies over the limit get 413 payload_too_large, whether they declare a length or are chunked. */
export function bodySizeLimit(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new MedCodesError('payload_too_large', `the request body is larger than ${maxBytes} bytes`);
    },
  });
  // hono/body-limit looks at the request's body, which makes @hono/node-server build a full Request:
  // skipped for requests that cannot have one.
  return async (c, next) => (NO_BODY.has(c.req.method) ? next() : limit(c, next));
}

/** Query strings over the limit get 414 uri_too_long before anything parses them. */
export function queryLengthLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const url = c.req.url;
    const q = url.indexOf('?');
    if (q >= 0 && url.length - q - 1 > maxBytes)
      throw new MedCodesError('uri_too_long', `the query string is longer than ${maxBytes} bytes`);
    await next();
  };
}

/**
 * A time limit on the asynchronous part of a request (reading the body, awaiting anything). The
 * handlers over SQLite are synchronous and bounded by their own limits; slow connections are also
 * cut by the Node server's timeouts (serve.ts).
 */
export function requestTimeout(ms: number): MiddlewareHandler {
  if (ms <= 0) return async (_c, next) => next();
  const limit = timeout(
    ms,
    () => new HTTPException(503, { message: 'timeout', cause: new MedCodesError('timeout', `the request took longer than ${ms} ms`) }),
  );
  // Only uploads can be slow in the application (GET handlers are synchronous); a timer per GET cost
  // throughput for nothing.
  return async (c, next) => (NO_BODY.has(c.req.method) ? next() : limit(c, next));
}

/** The Node request under @hono/node-server (absent in `app.request()`). */
type Incoming = import('node:http').IncomingMessage;
const incomingOf = (c: Context): Incoming | undefined => (c.env as { incoming?: Incoming } | undefined)?.incoming;

/** Read and discard the rest of a request body: true when it ended within `maxBytes` and `waitMs`. */
function discard(incoming: Incoming, maxBytes: number, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let n = 0;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      n += chunk.length;
      if (n > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), waitMs);
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.resume();
  });
}

/**
 * A connection stays usable after an answer given before the body was read (a 415, a 404, a
 * validation error): the rest of the body is read and discarded before the answer goes out, so the
 * client's next request on the keep-alive connection is parsed as a request (RFC 9112 9.3, 6.3). A
 * body too large or too slow to discard is not read: the answer then says `Connection: close`
 * (RFC 9112 9.6) instead of promising a connection that is about to be closed.
 */
export function discardUnreadBody(maxBytes: number, waitMs = 2000): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (NO_BODY.has(c.req.method)) return;
    const incoming = incomingOf(c);
    if (!incoming || incoming.complete || incoming.readableEnded) return;
    const declared = Number(incoming.headers['content-length']);
    const ok = !incoming.destroyed && !(declared > maxBytes) && (await discard(incoming, maxBytes, waitMs));
    if (!ok) {
      try {
        c.res.headers.set('Connection', 'close');
      } catch {
        // An immutable Response (a static one): the socket is closed by Node all the same.
      }
    }
  };
}

/** Errors that only mean the client went away while its body was being read. */
export function isClientAbort(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: string }).code ?? (e.cause as { code?: string } | undefined)?.code;
  return (
    e.name === 'AbortError' ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    /^(aborted|terminated|Client connection prematurely closed\.?)$/i.test(e.message)
  );
}
