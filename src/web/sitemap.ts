import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppDeps } from '../api/app.js';
import type { Store } from '../store/store.js';
import { resolveSystem } from '../systems.js';
import { codeHref } from './layout.js';
import { defaultPort, limitsFromEnv, type Limits } from '../config.js';

/**
 * Sitemaps by the sitemaps.org protocol (https://www.sitemaps.org/protocol.html): at most 50,000 URLs
 * per file, so /sitemap.xml is a sitemap index naming one file per code set and part
 * (/sitemaps/{system}-{n}.xml), each listing the code pages, deleted codes included (they keep their
 * page). URLs must be absolute: MEDCODES_PUBLIC_URL when set (a server behind a proxy); otherwise the
 * request's origin only when its Host is one of MEDCODES_ALLOWED_HOSTS; otherwise http://localhost:PORT.
 * The Host header is the client's word: echoing any Host would let one request put another site's
 * URLs into a cached sitemap or robots.txt (web cache poisoning).
 */
export const URLS_PER_SITEMAP = 49_999;

export function publicOrigin(c: Context, limits?: Partial<Pick<Limits, 'publicUrl' | 'allowedHosts'>>): string {
  const env = limits?.publicUrl !== undefined && limits?.allowedHosts !== undefined ? undefined : limitsFromEnv();
  const publicUrl = limits?.publicUrl ?? env?.publicUrl;
  const allowed = limits?.allowedHosts ?? env?.allowedHosts ?? [];
  if (publicUrl) return publicUrl;
  const url = new URL(c.req.url);
  if (allowed.includes(url.host.toLowerCase())) return url.origin;
  return `http://localhost:${defaultPort()}`;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function parts(store: Store): { system: string; part: number; lastmod: string }[] {
  const out: { system: string; part: number; lastmod: string }[] = [];
  const counts = store.counts();
  for (const r of store.releases()) {
    const n = counts[r.system]?.total ?? 0;
    const lastmod = r.importedAt.slice(0, 10);
    for (let p = 1; p <= Math.max(1, Math.ceil(n / URLS_PER_SITEMAP)); p++) out.push({ system: r.system, part: p, lastmod });
  }
  return out;
}

const xml = (c: Context, body: string) =>
  c.body(body, 200, { 'content-type': 'application/xml; charset=utf-8', 'cache-control': 'public, max-age=3600' });

export function sitemapRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/robots.txt', (c) =>
    c.text(
      `User-agent: *\nDisallow: /search\nDisallow: /api/\nSitemap: ${publicOrigin(c, deps.limits as Limits | undefined)}/sitemap.xml\n`,
    ),
  );

  app.get('/sitemap.xml', (c) => {
    const origin = publicOrigin(c, deps.limits as Limits | undefined);
    const entries = parts(deps.store()).map(
      (p) => `<sitemap><loc>${xmlEscape(`${origin}/sitemaps/${p.system}-${p.part}.xml`)}</loc><lastmod>${p.lastmod}</lastmod></sitemap>`,
    );
    return xml(
      c,
      `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</sitemapindex>\n`,
    );
  });

  app.get('/sitemaps/:file', (c) => {
    const m = /^([a-z0-9]+)-(\d{1,4})\.xml$/.exec(c.req.param('file'));
    const system = m && resolveSystem(m[1]);
    if (!m || !system) return c.notFound();
    const store = deps.store();
    const release = store.releases().find((r) => r.system === system);
    const part = Number(m[2]);
    if (!release || part < 1) return c.notFound();
    const rows = store.db
      .prepare('SELECT code FROM codes WHERE system = ? ORDER BY sort, key LIMIT ? OFFSET ?')
      .all(system, URLS_PER_SITEMAP, (part - 1) * URLS_PER_SITEMAP) as { code: string }[];
    if (!rows.length && part > 1) return c.notFound();
    const origin = publicOrigin(c, deps.limits as Limits | undefined);
    const lastmod = release.importedAt.slice(0, 10);
    // The code set's own browse page opens its first file (49,999 codes + 1 stays within the limit).
    const urls = part === 1 ? [`<url><loc>${xmlEscape(`${origin}/codes/${system}`)}</loc><lastmod>${lastmod}</lastmod></url>`] : [];
    for (const r of rows) urls.push(`<url><loc>${xmlEscape(origin + codeHref(system, r.code))}</loc><lastmod>${lastmod}</lastmod></url>`);
    return xml(
      c,
      `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`,
    );
  });

  return app;
}
