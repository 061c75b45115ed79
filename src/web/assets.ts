import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Hono } from 'hono';

/**
 * The site's static files (style sheet, script, icon), read once from src/web/assets at start-up and
 * served with a content hash in their URL, so browsers may cache them for a year and still never
 * see a stale copy after an upgrade.
 */
const TYPES: Record<string, string> = {
  'site.css': 'text/css; charset=utf-8',
  'site.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const ASSETS = new Map<string, Asset>(
  Object.entries(TYPES).map(([name, type]) => {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
    return [name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) }];
  }),
);

/** URL of an asset, versioned by its content. */
export function assetHref(name: keyof typeof TYPES | string): string {
  const a = ASSETS.get(name);
  if (!a) throw new Error(`no asset ${name}`);
  return `/assets/${name}?v=${a.hash}`;
}

export function assetRoutes(): Hono {
  const app = new Hono();
  app.get('/assets/:name', (c) => {
    const a = ASSETS.get(c.req.param('name'));
    if (!a) return c.notFound();
    const versioned = c.req.query('v') === a.hash;
    return c.body(new Uint8Array(a.body), 200, {
      'content-type': a.type,
      'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      etag: `"${a.hash}"`,
    });
  });
  // Browsers ask for /favicon.ico whatever the page says.
  app.get('/favicon.ico', (c) => c.redirect(assetHref('favicon.svg'), 301));
  return app;
}
