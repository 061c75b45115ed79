/**
 * The methods a path of the REST API answers, read from the OpenAPI document the routes generate
 * (so the list cannot drift from the routes): a request with another method gets
 * `405 method_not_allowed` with an `Allow` header (RFC 9110 §15.5.6), not a 404.
 */

interface PathsDocument {
  paths?: Record<string, object | undefined>;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];
const templates = new WeakMap<object, { pattern: RegExp; methods: string[] }[]>();

export function allowedMethods(document: PathsDocument, path: string): string[] {
  let list = templates.get(document);
  if (!list) {
    list = Object.entries(document.paths ?? {}).map(([template, item]) => ({
      // /api/v1/codes/{system}/{code} -> ^/api/v1/codes/[^/]+/[^/]+$
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`),
      methods: Object.keys(item ?? {})
        .filter((m) => METHODS.includes(m))
        .map((m) => m.toUpperCase()),
    }));
    templates.set(document, list);
  }
  const methods = new Set(list.filter((t) => t.pattern.test(path)).flatMap((t) => t.methods));
  // A GET route answers HEAD too (Hono), and preflights are answered by CORS.
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}
