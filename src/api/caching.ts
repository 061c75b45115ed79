import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { Store } from '../store/store.js';
import { assetHref } from '../web/assets.js';

/**
 * HTTP caching of read answers (RFC 9110 §8.8.3 ETag, §13.1.2 If-None-Match; RFC 9111 Cache-Control).
 *
 * Every answer of a GET is a function of the loaded data and the URL: the releases in the database,
 * the articles file beside it (curated and generated sections appear in code documents and pages),
 * and the server's own version (its pages name its assets). So the entity tag is a hash of those and
 * the URL, known before the handler runs: a request whose If-None-Match holds it is answered 304
 * without looking anything up. An import that swaps in a new release, or an article written, changes
 * every tag at once.
 *
 * Headers are set with c.header() before the handler (see limits.ts, resourcePolicy, for why); only
 * answers that are not 200, and FHIR answers (fhir/routes.ts sets its own Cache-Control), are
 * touched afterwards.
 */

export interface CachePolicy {
  /** Cache-Control for 200 answers. */
  cacheControl: string;
  /** Set the headers after the handler, over the handler's own. */
  override?: boolean;
}

/** Code documents, code pages, systems and FHIR reads change only with an import or an article. */
export const DOCUMENT_CACHE = 'public, max-age=3600';
/** Search answers: a few minutes, as a results page is shared and refreshed more often than a code's page. */
export const SEARCH_CACHE = 'public, max-age=300';

/** The part of every tag that only changes with the database: its releases, per open database. */
const dataTags = new WeakMap<object, string>();
let serverTag: string | undefined;

function dataTag(store: Store): string {
  let tag = dataTags.get(store.db);
  if (!tag) {
    const releases = store
      .releases()
      .map((r) => `${r.system}:${r.version}:${r.importedAt}`)
      .join(',');
    // The server's own version: pages name content-hashed assets, so a new build changes them.
    serverTag ??= [assetHref('site.js'), assetHref('site.css')].join(',');
    tag = `${releases}|${serverTag}`;
    dataTags.set(store.db, tag);
  }
  return tag;
}

/** The articles file's state (it is written by `medcodes articles …` while the server runs); one stat. */
function articlesTag(store: Store): string {
  try {
    const st = statSync(store.articlesPath);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'none';
  }
}

/** The entity tag of a URL's answer over this store. */
export function entityTag(store: Store, url: string): string {
  // The whole URL, origin included: FHIR answers and pages write absolute links from it.
  const hash = createHash('sha256')
    .update(`${dataTag(store)}|${articlesTag(store)}|${url}`)
    .digest('base64url')
    .slice(0, 27);
  return `"${hash}"`;
}

/** If-None-Match holds the tag (weak comparison, RFC 9110 §13.1.2), or is `*`. */
export function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = tag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === opaque);
}

/**
 * What is cached and how: code documents and their parts, systems, ICD-10-PCS tables, code pages
 * and FHIR reads for an hour; searches (REST and Clinical Tables) for five minutes; nothing else.
 */
export function cachePolicy(path: string): CachePolicy | undefined {
  if (path === '/api/v1/search' || /^\/api\/[^/]+\/v3\/search$/.test(path)) return { cacheControl: SEARCH_CACHE };
  if (
    path.startsWith('/api/v1/codes/') ||
    path === '/api/v1/systems' ||
    path.startsWith('/api/v1/systems/') ||
    path.startsWith('/api/v1/icd10pcs/')
  )
    return { cacheControl: DOCUMENT_CACHE };
  if (path === '/codes' || path.startsWith('/codes/')) return { cacheControl: DOCUMENT_CACHE };
  // fhir/routes.ts answers `Cache-Control: no-store` itself: set over it.
  if (path === '/fhir' || path.startsWith('/fhir/')) return { cacheControl: DOCUMENT_CACHE, override: true };
  return undefined;
}

/** ETag, Cache-Control and 304 for the GET answers of the paths it is mounted on. */
export function conditionalGet(store: () => Store, policy: (path: string) => CachePolicy | undefined = cachePolicy): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const p = policy(c.req.path);
    if (!p) return next();
    const tag = entityTag(store(), c.req.url);
    if (!p.override) {
      c.header('ETag', tag);
      c.header('Cache-Control', p.cacheControl);
    }
    // A 304 carries the headers a 200 would have (RFC 9110 §15.4.5): ETag, Cache-Control, Vary, CORS.
    if (matches(c.req.header('if-none-match'), tag)) {
      if (p.override) {
        c.header('ETag', tag);
        c.header('Cache-Control', p.cacheControl);
      }
      return c.body(null, 304);
    }
    await next();
    if (c.res.status !== 200) {
      // Errors and redirects are not tagged.
      if (!p.override) {
        c.res.headers.delete('ETag');
        c.res.headers.delete('Cache-Control');
      }
      return;
    }
    if (p.override) {
      c.res.headers.set('ETag', tag);
      c.res.headers.set('Cache-Control', p.cacheControl);
    }
  };
}
