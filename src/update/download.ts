import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EnvHttpProxyAgent, fetch, type Dispatcher } from 'undici';
import { MedCodesError } from '../errors.js';

/**
 * Downloads of official release files, written for publishers' servers and the networks in front of
 * them: conditional requests (If-None-Match / If-Modified-Since, RFC 9110 §13.1) so an unchanged file
 * is not fetched twice; resume of an interrupted transfer with Range and If-Range (RFC 9110 §14.2,
 * §13.1.5); retries with exponential backoff on network errors, 5xx and 429; timeouts on the
 * connection, the headers and every stretch of the body; a bounded number of redirects with loop
 * detection; and HTTP(S)_PROXY / NO_PROXY from the environment through undici's EnvHttpProxyAgent.
 */

/** Where files are read from: the publishers, a mirror in the publishers' layout (host/path), or a folder. */
export type Origin = { kind: 'web' } | { kind: 'mirror'; base: string } | { kind: 'dir'; dir: string };

export interface FetchOptions {
  origin: Origin;
  /** Milliseconds to wait for a connection, for the headers, and between two pieces of the body. */
  timeoutMs?: number;
  /** Attempts after the first one. */
  retries?: number;
  /** First backoff delay; doubled at each retry. */
  backoffMs?: number;
  maxRedirects?: number;
  log?: (line: string) => void;
  dispatcher?: Dispatcher;
}

export interface Fetched {
  /** The catalogue URL (publisher's address). */
  url: string;
  /** Where the bytes came from (the mirror's or redirect target's address, or a local path). */
  from: string;
  path: string;
  sha256: string;
  bytes: number;
  /** downloaded, resumed (after an interruption), not-modified (the cached copy), copied (from a folder). */
  how: 'downloaded' | 'resumed' | 'not-modified' | 'copied';
  etag?: string;
  lastModified?: string;
}

/** Sidecar of a cached file: its source and validators for the next conditional request. */
interface Meta {
  url: string;
  from: string;
  sha256?: string;
  bytes?: number;
  etag?: string;
  lastModified?: string;
  fetchedAt?: string;
}

const metaPath = (p: string) => `${p}.source.json`;
const readMeta = (p: string): Meta | undefined => {
  try {
    return JSON.parse(readFileSync(metaPath(p), 'utf8')) as Meta;
  } catch {
    return undefined;
  }
};

export async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The address a catalogue URL has at an origin: itself, `<mirror>/<host>/<path>`, or `<dir>/<host>/<path>` (else `<dir>/<file name>`). */
export function locate(url: string, origin: Origin): string {
  if (origin.kind === 'web') return url;
  const u = new URL(url);
  if (origin.kind === 'mirror') return `${origin.base.replace(/\/+$/, '')}/${u.host}${u.pathname}`;
  const nested = join(origin.dir, u.host, decodeURIComponent(u.pathname));
  return existsSync(nested) ? nested : join(origin.dir, basename(decodeURIComponent(u.pathname)));
}

let sharedDispatcher: Dispatcher | undefined;
let sharedTimeout = -1;
function dispatcherFor(timeoutMs: number): Dispatcher {
  if (!sharedDispatcher || sharedTimeout !== timeoutMs) {
    // EnvHttpProxyAgent reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY (upper or lower case).
    sharedDispatcher = new EnvHttpProxyAgent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    sharedTimeout = timeoutMs;
  }
  return sharedDispatcher;
}

class Retryable extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return `timed out (${code})`;
  return err.cause?.message ? `${err.message}: ${err.cause.message}` : (err.message ?? String(e));
}

/** One request, following redirects by hand so that loops and long chains are refused by name. */
async function request(
  url: string,
  init: { method: string; headers: Record<string, string> },
  opts: Required<Pick<FetchOptions, 'maxRedirects'>> & { dispatcher: Dispatcher },
) {
  const seen = new Set<string>();
  let current = url;
  for (let hop = 0; ; hop++) {
    if (seen.has(current)) throw new MedCodesError('download_failed', `${url}: redirect loop (${[...seen, current].join(' -> ')})`);
    seen.add(current);
    const res = await fetch(current, { ...init, redirect: 'manual', dispatcher: opts.dispatcher });
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      const loc = res.headers.get('location');
      await res.body?.cancel();
      if (!loc) throw new MedCodesError('download_failed', `${current}: HTTP ${res.status} without a Location header`);
      if (hop >= opts.maxRedirects) throw new MedCodesError('download_failed', `${url}: more than ${opts.maxRedirects} redirects`);
      current = new URL(loc, current).toString();
      continue;
    }
    return { res, finalUrl: current };
  }
}

/** Whether a file exists at an origin (HEAD; a 404 or 410 says no). Used by `update --check`. */
export async function exists(url: string, opts: FetchOptions): Promise<boolean> {
  const where = locate(url, opts.origin);
  if (opts.origin.kind === 'dir') return existsSync(where);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dispatcher = opts.dispatcher ?? dispatcherFor(timeoutMs);
  const retries = opts.retries ?? 3;
  let last = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt) await sleep((opts.backoffMs ?? 1000) * 2 ** (attempt - 1));
    try {
      let { res } = await request(where, { method: 'HEAD', headers: {} }, { maxRedirects: opts.maxRedirects ?? 5, dispatcher });
      await res.body?.cancel();
      // A server that does not answer HEAD (405, 501) is asked for the first byte instead.
      if (res.status === 405 || res.status === 501) {
        ({ res } = await request(
          where,
          { method: 'GET', headers: { range: 'bytes=0-0' } },
          { maxRedirects: opts.maxRedirects ?? 5, dispatcher },
        ));
        await res.body?.cancel();
      }
      if (res.ok) return true;
      if (res.status === 404 || res.status === 410 || res.status === 403) return false;
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break;
    } catch (e) {
      if (e instanceof MedCodesError) throw e;
      last = describe(e);
    }
  }
  throw new MedCodesError('download_failed', `${where}: could not check (${last})`);
}

/**
 * Fetch `url` (from the origin) into `dest`. A `dest.part` left by an interrupted run is resumed; a
 * complete `dest` with validators is revalidated (304 keeps it). 404/410 throw `not_found`.
 */
export async function download(url: string, dest: string, opts: FetchOptions): Promise<Fetched> {
  mkdirSync(dirname(dest), { recursive: true });
  const where = locate(url, opts.origin);
  if (opts.origin.kind === 'dir') {
    if (!existsSync(where))
      throw new MedCodesError('not_found', `${where}: not in the folder (looked for ${url} as host/path or by file name)`);
    copyFileSync(where, dest);
    const sha256 = await sha256Of(dest);
    const bytes = statSync(dest).size;
    writeFileSync(metaPath(dest), JSON.stringify({ url, from: where, sha256, bytes, fetchedAt: new Date().toISOString() }, null, 2));
    return { url, from: where, path: dest, sha256, bytes, how: 'copied' };
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dispatcher = opts.dispatcher ?? dispatcherFor(timeoutMs);
  const retries = opts.retries ?? 4;
  const backoff = opts.backoffMs ?? 1000;
  const part = `${dest}.part`;
  let last = '';
  let resumed = false;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt) {
      const wait = backoff * 2 ** (attempt - 1);
      opts.log?.(`  retry ${attempt}/${retries} of ${where} in ${wait} ms (${last})`);
      await sleep(wait);
    }
    const headers: Record<string, string> = { 'user-agent': 'MedCodes-update (+https://github.com/medcodes)' };
    const partMeta = existsSync(part) ? readMeta(part) : undefined;
    const have = existsSync(part) ? statSync(part).size : 0;
    const validator = partMeta?.etag ?? partMeta?.lastModified;
    if (have > 0 && validator) {
      headers.range = `bytes=${have}-`;
      headers['if-range'] = validator;
    } else if (existsSync(dest)) {
      const m = readMeta(dest);
      if (m?.url === url && m.etag) headers['if-none-match'] = m.etag;
      if (m?.url === url && m.lastModified) headers['if-modified-since'] = m.lastModified;
    }
    try {
      const { res, finalUrl } = await request(where, { method: 'GET', headers }, { maxRedirects: opts.maxRedirects ?? 5, dispatcher });
      if (res.status === 304 && existsSync(dest)) {
        await res.body?.cancel();
        const m = readMeta(dest)!;
        return {
          url,
          from: finalUrl,
          path: dest,
          sha256: m.sha256 ?? (await sha256Of(dest)),
          bytes: statSync(dest).size,
          how: 'not-modified',
          etag: m.etag,
          lastModified: m.lastModified,
        };
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        throw new MedCodesError('not_found', `${finalUrl}: HTTP ${res.status} (the file is not, or no longer, at this address)`);
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        throw new Retryable(`HTTP ${res.status}`);
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw new MedCodesError('download_failed', `${finalUrl}: HTTP ${res.status}`);
      }
      const etag = res.headers.get('etag') ?? undefined;
      const lastModified = res.headers.get('last-modified') ?? undefined;
      let append = false;
      let total: number | undefined;
      if (res.status === 206) {
        // Content-Range: bytes first-last/total; anything but a continuation of what we hold starts over.
        const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!cr || Number(cr[1]) !== have) {
          await res.body?.cancel();
          rmSync(part, { force: true });
          throw new Retryable(`unexpected Content-Range "${res.headers.get('content-range')}"`);
        }
        append = true;
        total = cr[3] === '*' ? undefined : Number(cr[3]);
        resumed = true;
      } else {
        const len = res.headers.get('content-length');
        total = len ? Number(len) : undefined;
      }
      writeFileSync(metaPath(part), JSON.stringify({ url, from: finalUrl, etag, lastModified }, null, 2));
      if (!res.body) throw new Retryable('empty body');
      try {
        await pipeline(
          Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
          createWriteStream(part, { flags: append ? 'a' : 'w' }),
        );
      } catch (e) {
        throw new Retryable(`transfer interrupted after ${existsSync(part) ? statSync(part).size : 0} bytes: ${describe(e)}`);
      }
      const size = statSync(part).size;
      if (total !== undefined && size !== total) throw new Retryable(`truncated: ${size} of ${total} bytes`);
      renameSync(part, dest);
      rmSync(metaPath(part), { force: true });
      const sha256 = await sha256Of(dest);
      const meta: Meta = { url, from: finalUrl, sha256, bytes: size, etag, lastModified, fetchedAt: new Date().toISOString() };
      writeFileSync(metaPath(dest), JSON.stringify(meta, null, 2));
      return { url, from: finalUrl, path: dest, sha256, bytes: size, how: resumed ? 'resumed' : 'downloaded', etag, lastModified };
    } catch (e) {
      if (e instanceof MedCodesError) throw e;
      last = e instanceof Retryable ? e.message : describe(e);
    }
  }
  throw new MedCodesError('download_failed', `${where}: gave up after ${retries + 1} attempts (${last})`, { url });
}
