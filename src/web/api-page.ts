import { Hono } from 'hono';
import { html } from 'hono/html';
import { layout, type H } from './layout.js';
import { ERROR_CODES } from '../errors.js';
import type { Limits } from '../config.js';

/**
 * The readable API page (/api), generated from the OpenAPI document the API serves: every
 * operation with its parameters, an example request (curl) and the response the running server
 * gives to it (fetched in process once per database and shortened), then the error catalog and
 * the limits in force. FHIR and Clinical Tables get a short section with links.
 */

/** The parts of an OpenAPI 3.1 document the page reads. */
interface Schema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  example?: unknown;
  description?: string;
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiLike {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths?: Record<string, Record<string, Operation> | undefined>;
}

/** The request each operation is shown with; operations not listed get one built from their parameters' examples. */
const EXAMPLES: Record<string, { path: string; body?: { type: string; text: string } }> = {
  'GET /api/v1/systems': { path: '/api/v1/systems' },
  'GET /api/v1/systems/{system}': { path: '/api/v1/systems/icd10cm' },
  'GET /api/v1/codes/{system}/{code}': { path: '/api/v1/codes/icd10cm/E11.9' },
  'GET /api/v1/codes/{system}/{code}/children': { path: '/api/v1/codes/icd10cm/E11.6' },
  'GET /api/v1/codes/{system}/{code}/crosswalks': { path: '/api/v1/codes/icd10cm/E11.9/crosswalks?target=icd9cm' },
  'GET /api/v1/codes/{system}/{code}/similar': { path: '/api/v1/codes/icd10cm/E11.9/similar?limit=3' },
  'GET /api/v1/search': { path: '/api/v1/search?q=heart%20attack&limit=3' },
  'POST /api/v1/validate': {
    path: '/api/v1/validate',
    body: { type: 'application/json', text: '{"codes": ["E11.9", "E11", "H40.11X0"], "date": "2025-06-01"}' },
  },
  'GET /api/v1/icd10pcs/tables/{table}': { path: '/api/v1/icd10pcs/tables/0DT?chars=J4' },
  'GET /api/{table}/v3/search': { path: '/api/icd10cm/v3/search?terms=tuberc&maxList=3' },
};

function exampleFor(method: string, path: string, op: Operation): { path: string; body?: { type: string; text: string } } {
  const known = EXAMPLES[`${method.toUpperCase()} ${path}`];
  if (known) return known;
  let p = path;
  const query: string[] = [];
  for (const prm of op.parameters ?? []) {
    const ex = prm.schema?.example;
    if (ex === undefined) continue;
    if (prm.in === 'path') p = p.replace(`{${prm.name}}`, encodeURIComponent(String(ex)));
    else if (prm.in === 'query' && prm.required) query.push(`${prm.name}=${encodeURIComponent(String(ex))}`);
  }
  return { path: query.length ? `${p}?${query.join('&')}` : p };
}

/** A long answer shortened for reading: arrays keep their first items and say how many are left out. */
export function abbreviate(value: unknown, items = 3, depth = 0): unknown {
  if (Array.isArray(value)) {
    const kept = value.slice(0, items).map((v) => abbreviate(v, items, depth + 1));
    return value.length > items ? [...kept, `… ${value.length - items} more`] : kept;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, depth > 4 ? '…' : abbreviate(v, items, depth + 1)]));
  }
  if (typeof value === 'string' && value.length > 300) return `${value.slice(0, 300)}…`;
  return value;
}

function typeText(s: Schema | undefined): string {
  if (!s) return '';
  if (s.$ref) return s.$ref.split('/').at(-1) ?? '';
  const parts: string[] = [Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any')];
  if (s.enum) parts.push(`one of ${s.enum.map(String).join(', ')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ''}…${s.maximum ?? ''}`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join('; ');
}

/** Text with `code spans` as the document writes them (CommonMark backticks), as HTML. */
export function inline(text: string | undefined): H {
  const parts = (text ?? '').split('`');
  // An unmatched backtick stays text.
  if (parts.length % 2 === 0) return html`${text}`;
  return html`${parts.map((p, i) => (i % 2 ? html`<code>${p}</code>` : html`${p}`))}`;
}

const anchor = (method: string, path: string) =>
  `${method}-${path}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+$/, '');

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;
type Example = { status: number; text: string };

function curl(origin: string, method: string, ex: { path: string; body?: { type: string; text: string } }): string {
  const url = `'${origin}${ex.path}'`;
  if (!ex.body) return `curl ${url}`;
  return `curl -X ${method.toUpperCase()} ${url} \\\n  -H 'Content-Type: ${ex.body.type}' \\\n  -d '${ex.body.text}'`;
}

function operationSection(method: string, path: string, op: Operation, origin: string, example: Example | undefined): H {
  const ex = exampleFor(method, path, op);
  const params = op.parameters ?? [];
  const body = op.requestBody?.content;
  const ok = op.responses?.['200'];
  const okSchema = ok?.content?.['application/json']?.schema;
  return html`<section class="operation" aria-labelledby="${anchor(method, path)}">
<h3 id="${anchor(method, path)}"><code>${method.toUpperCase()} ${path}</code></h3>
${op.summary ? html`<p><strong>${op.summary}.</strong> ${inline(op.description)}</p>` : ''}
${
  params.length
    ? html`<table><caption class="vh">Parameters of ${method.toUpperCase()} ${path}</caption><thead><tr><th scope="col">Parameter</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead><tbody>
${params.map((p) => html`<tr><td><code>${p.name}</code>${p.required ? html` <span class="muted">(required)</span>` : ''}</td><td>${p.in}</td><td>${typeText(p.schema)}</td><td>${inline(p.description ?? p.schema?.description)}</td></tr>`)}</tbody></table>`
    : ''
}
${body ? html`<p>Request body: ${Object.entries(body).map(([type, c], i) => html`${i ? ', ' : ''}<code>${type}</code>${c.schema ? html` (${typeText(c.schema)})` : ''}`)}.</p>` : ''}
${ok ? html`<p>Response 200: ${inline(ok.description)}${okSchema ? html` <span class="muted">Schema: ${typeText(okSchema)}.</span>` : ''}</p>` : ''}
<h4>Example request</h4><pre><code>${curl(origin, method, ex)}</code></pre>
${example ? html`<details><summary>Example response <span class="muted">(${example.status}; long lists shortened)</span></summary><pre><code>${example.text}</code></pre></details>` : ''}
</section>`;
}

function errorTable(): H {
  return html`<table><caption class="vh">Error codes</caption><thead><tr><th scope="col">Code</th><th scope="col">HTTP status</th><th scope="col">Meaning</th></tr></thead><tbody>
${Object.entries(ERROR_CODES).map(([code, e]) => html`<tr><td><code>${code}</code></td><td>${e.http}</td><td>${e.summary}</td></tr>`)}</tbody></table>`;
}

function limitsList(l: Limits): H {
  const origins = l.corsOrigins === '*' ? 'any origin' : l.corsOrigins.length ? l.corsOrigins.join(', ') : 'none (CORS off)';
  return html`<ul>
<li>${l.rateLimit > 0 ? html`${l.rateLimit} requests per ${l.rateWindowMs / 1000} s per client on /api and /fhir; over it, 429 <code>rate_limited</code> with <code>Retry-After</code> and <code>RateLimit-*</code> headers.` : 'No rate limit.'}</li>
<li>Request bodies up to ${l.maxBodyBytes.toLocaleString('en-US')} bytes (413 <code>payload_too_large</code>); query strings up to ${l.maxQueryBytes.toLocaleString('en-US')} bytes (414 <code>uri_too_long</code>).</li>
<li>${l.requestTimeoutMs > 0 ? html`Requests must complete within ${l.requestTimeoutMs / 1000} s (503 <code>timeout</code>).` : 'No request time limit.'}</li>
<li>CORS: ${origins}.</li></ul>`;
}

export interface ApiPageDeps {
  /** The OpenAPI document the app serves at /openapi.json. */
  document: () => OpenApiLike;
  /** Runs an example request in process (no rate limit). */
  fetchExample: Fetch;
  /** What the examples were fetched from: they are fetched again when it changes (a new database). */
  dataKey: () => object;
  limits: Limits;
}

export function apiPage(deps: ApiPageDeps): Hono {
  const app = new Hono();
  const cache = new WeakMap<object, Promise<Map<string, Example>>>();

  /** Each operation's example response, fetched once per database. */
  const examples = (ops: [string, string, Operation][]) => {
    const key = deps.dataKey();
    let p = cache.get(key);
    if (!p) {
      p = (async () => {
        const out = new Map<string, Example>();
        for (const [method, path, op] of ops) {
          const ex = exampleFor(method, path, op);
          try {
            const res = await deps.fetchExample(
              ex.path,
              ex.body ? { method: method.toUpperCase(), body: ex.body.text, headers: { 'content-type': ex.body.type } } : undefined,
            );
            const text = await res.text();
            let shown = text;
            try {
              shown = JSON.stringify(abbreviate(JSON.parse(text)), null, 2);
            } catch {
              // Not JSON: shown as is.
            }
            out.set(`${method} ${path}`, { status: res.status, text: shown });
          } catch {
            // An example that fails is left out rather than failing the page.
          }
        }
        return out;
      })();
      cache.set(key, p);
    }
    return p;
  };

  app.get('/api', async (c) => {
    const doc = deps.document();
    const origin = new URL(c.req.url).origin;
    const ops: [string, string, Operation][] = [];
    for (const [path, item] of Object.entries(doc.paths ?? {}))
      for (const [method, op] of Object.entries(item ?? {})) ops.push([method, path, op]);
    const ex = await examples(ops);
    const tags = (doc.tags ?? []).filter((t) => ops.some(([, , op]) => op.tags?.includes(t.name)));
    const untagged = ops.filter(([, , op]) => !op.tags?.length);
    return c.html(
      layout(
        'API',
        html`<h1>${doc.info.title} <span class="muted">${doc.info.version}</span></h1>
<p>${inline(doc.info.description)}</p>
<p>The machine-readable description is the OpenAPI 3.1 document at <a href="/openapi.json"><code>/openapi.json</code></a>: its schemas are the ones that check each request. Every answer is JSON; every error is <code>{"error": {"code", "message"}}</code> with a code from the <a href="#errors">error catalog</a>.</p>
<nav aria-label="Operations"><ul>${tags.map(
          (t) =>
            html`<li>${t.name}<ul>${ops.filter(([, , op]) => op.tags?.includes(t.name)).map(([m, p, op]) => html`<li><a href="#${anchor(m, p)}"><code>${m.toUpperCase()} ${p}</code></a> ${op.summary ?? ''}</li>`)}</ul></li>`,
        )}
<li><a href="#fhir">FHIR terminology server</a></li><li><a href="#errors">Errors</a></li><li><a href="#limits">Limits</a></li></ul></nav>
${tags.map(
  (t) => html`<h2>${t.name}</h2>${t.description ? html`<p>${inline(t.description)}</p>` : ''}
${ops.filter(([, , op]) => op.tags?.includes(t.name)).map(([m, p, op]) => operationSection(m, p, op, origin, ex.get(`${m} ${p}`)))}`,
)}
${untagged.map(([m, p, op]) => operationSection(m, p, op, origin, ex.get(`${m} ${p}`)))}
<h2 id="fhir">FHIR terminology server</h2>
<p>The same codes are served as a FHIR R4 terminology server under <code>/fhir</code>: CodeSystem <code>$lookup</code> and <code>$validate-code</code>, ValueSet <code>$expand</code>, ConceptMap <code>$translate</code>. Systems are named by their FHIR URIs (e.g. <code>http://hl7.org/fhir/sid/icd-10-cm</code>); errors are OperationOutcome resources. The server's CapabilityStatement lists what it supports: <a href="/fhir/metadata"><code>/fhir/metadata</code></a>. Example: <a href="/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&amp;code=E11.9"><code>/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&amp;code=E11.9</code></a>.</p>
<h2 id="clinical-tables">NLM Clinical Tables</h2>
<p>Applications built on the NLM Clinical Tables autocompleter (<a href="https://clinicaltables.nlm.nih.gov/">clinicaltables.nlm.nih.gov</a>) can point at MedCodes unchanged: <code>/api/{table}/v3/search</code> answers in NLM's format for the tables icd10cm, icd10pcs, hcpcs, icd9cm_dx, icd9cm_sg and nucc. Example: <a href="/api/icd10cm/v3/search?terms=tuberc"><code>/api/icd10cm/v3/search?terms=tuberc</code></a>.</p>
<h2 id="errors">Errors</h2>
<p>Errors have a stable code; the message names the parameter or value at fault. Responses never carry stack traces.</p>
${errorTable()}
<h2 id="limits">Limits</h2>
${limitsList(deps.limits)}`,
        {
          description: 'The MedCodes REST API: search, code lookup, hierarchy, crosswalks, batch validation; OpenAPI 3.1.',
          canonical: '/api',
        },
      ),
    );
  });
  return app;
}
