import { join } from 'node:path';
import { PROJECT_ROOT } from './manifest.js';
import { MedCodesError } from './errors.js';

/** Where the database lives: MEDCODES_DB, or var/medcodes.db in the project folder. */
export function defaultDbPath(): string {
  return process.env.MEDCODES_DB || join(PROJECT_ROOT, 'var', 'medcodes.db');
}

export function defaultPort(): number {
  const p = Number(process.env.PORT || 8080);
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : 8080;
}

/**
 * Limits and safety settings of the HTTP server (docs/API.md, "Limits"). Every field has an
 * environment variable; `createApp` takes them as `deps.limits` so tests can set small values.
 */
export interface Limits {
  /** Requests per client IP per window on /api and /fhir (MEDCODES_RATE_LIMIT; 0 turns it off). */
  rateLimit: number;
  /** The rate limit's window in milliseconds (MEDCODES_RATE_WINDOW_MS). */
  rateWindowMs: number;
  /** Largest request body in bytes (MEDCODES_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Longest query string (the part after `?`) in bytes (MEDCODES_MAX_QUERY_BYTES). */
  maxQueryBytes: number;
  /** Time a request may take in the application, body upload included (MEDCODES_REQUEST_TIMEOUT_MS; 0 turns it off). */
  requestTimeoutMs: number;
  /** Origins allowed by CORS on /api and /fhir: `*`, a list, or none (MEDCODES_CORS_ORIGINS: `*`, comma-separated origins, or empty). */
  corsOrigins: '*' | string[];
  /**
   * How many reverse proxies in front of the server to trust (MEDCODES_TRUST_PROXY: a number, or
   * true = 1). 0: the client is the socket's address and X-Forwarded-For is ignored, since any
   * client can write it.
   */
  trustProxy: number;
  /** Requests that may wait for their turn (api/scheduler.ts; MEDCODES_QUEUE_LIMIT); over it, 503 overloaded with Retry-After. */
  queueLimit: number;
  /** Longest wait for a turn, and the deadline of a request's work from its admission (MEDCODES_QUEUE_WAIT_MS). */
  queueWaitMs: number;
  /**
   * The site's own origin for absolute URLs (sitemap.xml, robots.txt, canonical links), e.g.
   * https://codes.example.org (MEDCODES_PUBLIC_URL). Without it, a request's Host is used only when it
   * is in `allowedHosts` (MEDCODES_ALLOWED_HOSTS, comma-separated host[:port]), else localhost.
   */
  publicUrl: string | undefined;
  allowedHosts: string[];
  /** Node server timeouts (serve.ts), against slow or idle connections. */
  headersTimeoutMs: number;
  serverRequestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  rateLimit: 600,
  rateWindowMs: 60_000,
  maxBodyBytes: 1_000_000,
  maxQueryBytes: 4096,
  requestTimeoutMs: 30_000,
  corsOrigins: '*',
  trustProxy: 0,
  queueLimit: 256,
  queueWaitMs: 10_000,
  publicUrl: undefined,
  allowedHosts: [],
  headersTimeoutMs: 20_000,
  serverRequestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
});

function intVar(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return def;
  if (!/^\d{1,12}$/.test(v.trim()))
    throw new MedCodesError('invalid_config', `${name} must be a whole number from ${min} to ${max}; got "${v.slice(0, 40)}"`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new MedCodesError('invalid_config', `${name} must be from ${min} to ${max}; got ${n}`);
  return n;
}

function corsVar(env: NodeJS.ProcessEnv): '*' | string[] {
  const v = env.MEDCODES_CORS_ORIGINS;
  if (v === undefined) return DEFAULT_LIMITS.corsOrigins;
  if (v.trim() === '*') return '*';
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    // An origin is scheme://host[:port] (RFC 6454), no path: what browsers send in Origin.
    if (!/^https?:\/\/[^/\s]+$/.test(o))
      throw new MedCodesError('invalid_config', `MEDCODES_CORS_ORIGINS: "${o.slice(0, 60)}" is not an origin like https://example.org`);
  }
  return list;
}

function trustProxyVar(env: NodeJS.ProcessEnv): number {
  const v = env.MEDCODES_TRUST_PROXY?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'false' || v === '0') return 0;
  if (v === 'true' || v === 'yes') return 1;
  return intVar(env, 'MEDCODES_TRUST_PROXY', 0, 0, 10);
}

function publicUrlVar(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.MEDCODES_PUBLIC_URL?.trim();
  if (!v) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new MedCodesError('invalid_config', `MEDCODES_PUBLIC_URL: "${v.slice(0, 60)}" is not a URL like https://codes.example.org`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new MedCodesError('invalid_config', `MEDCODES_PUBLIC_URL: "${v.slice(0, 60)}" must be http or https`);
  // The origin and any path prefix, without a trailing slash: URLs are built as publicUrl + '/codes/...'.
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function allowedHostsVar(env: NodeJS.ProcessEnv): string[] {
  const list = (env.MEDCODES_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const h of list)
    if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(h))
      throw new MedCodesError('invalid_config', `MEDCODES_ALLOWED_HOSTS: "${h.slice(0, 60)}" is not a host[:port]`);
  return list;
}

/** The limits from the environment, over the defaults; a malformed value is an `invalid_config` error naming the variable. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Limits {
  const d = DEFAULT_LIMITS;
  return {
    rateLimit: intVar(env, 'MEDCODES_RATE_LIMIT', d.rateLimit, 0, 1_000_000_000),
    rateWindowMs: intVar(env, 'MEDCODES_RATE_WINDOW_MS', d.rateWindowMs, 1, 86_400_000),
    maxBodyBytes: intVar(env, 'MEDCODES_MAX_BODY_BYTES', d.maxBodyBytes, 1, 1_000_000_000),
    maxQueryBytes: intVar(env, 'MEDCODES_MAX_QUERY_BYTES', d.maxQueryBytes, 256, 65_536),
    requestTimeoutMs: intVar(env, 'MEDCODES_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 0, 3_600_000),
    corsOrigins: corsVar(env),
    trustProxy: trustProxyVar(env),
    queueLimit: intVar(env, 'MEDCODES_QUEUE_LIMIT', d.queueLimit, 1, 1_000_000),
    queueWaitMs: intVar(env, 'MEDCODES_QUEUE_WAIT_MS', d.queueWaitMs, 1, 3_600_000),
    publicUrl: publicUrlVar(env),
    allowedHosts: allowedHostsVar(env),
    headersTimeoutMs: intVar(env, 'MEDCODES_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 1, 3_600_000),
    serverRequestTimeoutMs: intVar(env, 'MEDCODES_SERVER_REQUEST_TIMEOUT_MS', d.serverRequestTimeoutMs, 0, 3_600_000),
    keepAliveTimeoutMs: intVar(env, 'MEDCODES_KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 0, 3_600_000),
  };
}
