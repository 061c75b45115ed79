import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppDeps } from '../api/app.js';
import { FhirError, invalid, toOutcome } from './outcome.js';
import { OpParams } from './params.js';
import { loadedById, loadedSystems, type FhirContext } from './resources.js';
import { codeSystemResource, lookupOperation, subsumesOperation, validateCodeOperation } from './codesystem.js';
import {
  allImplicitValueSets,
  expandOperation,
  implicitValueSetResource,
  parseImplicitUrl,
  valueSetById,
  valueSetValidateCode,
} from './valueset.js';
import { conceptMapById, conceptMapResource, conceptMaps, translateOperation } from './conceptmap.js';
import { capabilityStatement, terminologyCapabilities } from './capability.js';
import { engineOperation } from './engine/index.js';

/**
 * The FHIR R4 terminology endpoint, mounted at /fhir (http://hl7.org/fhir/R4/http.html):
 *
 *   GET  metadata                               CapabilityStatement (mode=terminology: TerminologyCapabilities)
 *   GET  CodeSystem[?url=&_id=&name=&...]       search (Bundle)      GET CodeSystem/{id}  read
 *   GET|POST CodeSystem[/{id}]/$lookup | $validate-code | $subsumes
 *   GET  ValueSet[?url=...]                     search               GET ValueSet/{id}    read
 *   GET|POST ValueSet[/{id}]/$expand | $validate-code
 *   GET  ConceptMap[?url=&source-system=...]    search               GET ConceptMap/{id}  read
 *   GET|POST ConceptMap[/{id}]/$translate
 *
 * JSON only (`application/fhir+json`); `_format=xml` and XML-only Accept headers get 406. Bodies are
 * Parameters resources of at most 1 MB (413 beyond). Every error is an OperationOutcome.
 */

/** Largest accepted request body (a Parameters resource; a ValueSet with up to 1000 listed concepts fits). */
export const MAX_FHIR_BODY = 1_000_000;

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function send(c: Context, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const pretty = c.req.query('_pretty') === 'true';
  // Through c.body, not `new Response`: headers the app's middleware set before the route (CORS,
  // Cross-Origin-Resource-Policy) are kept only on responses the context builds.
  const text = c.req.method === 'HEAD' ? null : JSON.stringify(body, null, pretty ? 2 : undefined);
  return c.body(text as string, status as 200, { 'content-type': FHIR_JSON, 'cache-control': 'no-store', ...headers });
}

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);
const XML_FORMATS = /xml|turtle|ttl/i;

/**
 * Content negotiation (http://hl7.org/fhir/R4/http.html#mime-type): `_format` overrides Accept. A
 * `+` in a query is a space once decoded (`_format=application/fhir+json`), so spaces read as `+`.
 */
function negotiate(c: Context): void {
  const f = c.req.query('_format');
  if (f !== undefined) {
    const fmt = f.trim().toLowerCase().replace(/ /g, '+').split(';')[0];
    if (JSON_FORMATS.has(fmt)) return;
    throw new FhirError(
      406,
      'not-supported',
      `_format "${f.slice(0, 60)}" is not supported: this server answers JSON only (_format=json or application/fhir+json)${XML_FORMATS.test(fmt) ? '; XML is not produced' : ''}`,
      '_format',
    );
  }
  const accept = c.req.header('accept');
  if (!accept) return;
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  const ok = types.some(
    (t) => t === '*/*' || t === 'application/*' || t.includes('json') || t === 'text/html' || t === 'text/plain' || t === '',
  );
  if (!ok)
    throw new FhirError(
      406,
      'not-supported',
      `this server answers application/fhir+json only; the Accept header asks for ${accept.slice(0, 80)}`,
    );
}

/** The request body as text, stopped at MAX_FHIR_BODY even without a Content-Length. */
async function readBody(c: Context): Promise<string> {
  const tooLarge = () => new FhirError(413, 'too-long', `the request body is larger than ${MAX_FHIR_BODY} bytes`);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_FHIR_BODY) throw tooLarge();
  const reader = c.req.raw.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_FHIR_BODY) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw invalid('the request body is not valid UTF-8');
  }
}

/** Operation parameters: the query for GET, the Parameters body for POST. */
async function opParams(c: Context): Promise<OpParams> {
  if (c.req.method !== 'POST') return OpParams.fromQuery(new URL(c.req.url).searchParams);
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type && !['application/fhir+json', 'application/json', 'application/json+fhir'].includes(type)) {
    throw new FhirError(
      415,
      'not-supported',
      `content type "${type.slice(0, 60)}" is not supported: send a Parameters resource as application/fhir+json${XML_FORMATS.test(type) ? ' (XML is not read)' : ''}`,
    );
  }
  const text = await readBody(c);
  if (!text.trim()) throw invalid('the request body is empty: send a Parameters resource (or use GET with query parameters)');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new FhirError(400, 'structure', `the request body is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  return OpParams.fromBody(body);
}

// ---- search --------------------------------------------------------------------------------------

type Res = Record<string, unknown>;
type Matcher = (r: Res, value: string, modifier?: string) => boolean;

/** FHIR string search: starts-with, case- and accent-insensitive; `:exact` and `:contains` modifiers. */
const stringMatch =
  (field: string): Matcher =>
  (r, v, mod) => {
    const fold = (s: string) =>
      s
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase();
    const have = typeof r[field] === 'string' ? (r[field] as string) : '';
    if (mod === 'exact') return have === v;
    if (mod === 'contains') return fold(have).includes(fold(v));
    return fold(have).startsWith(fold(v));
  };
const tokenMatch =
  (field: string): Matcher =>
  (r, v) =>
    r[field] === v;
/** A uri parameter; `url|version` (canonical with version) also matches. */
const uriMatch =
  (field: string): Matcher =>
  (r, v) => {
    const [u, ver] = v.split('|');
    return r[field] === u && (ver === undefined || r.version === ver);
  };

const COMMON: Record<string, Matcher> = {
  _id: tokenMatch('id'),
  url: uriMatch('url'),
  name: stringMatch('name'),
  title: stringMatch('title'),
  version: tokenMatch('version'),
  status: tokenMatch('status'),
  publisher: stringMatch('publisher'),
};

/** Transport and result parameters, not filters. */
const RESULT_PARAMS = new Set(['_format', '_pretty', '_summary', '_elements', '_count', '_sort', '_total']);

function searchBundle(c: Context, ctx: FhirContext, type: string, all: Res[], extra: Record<string, Matcher> = {}): Response {
  const matchers = { ...COMMON, ...extra };
  const query = new URL(c.req.url).searchParams;
  const ignored: string[] = [];
  let found = all;
  for (const [rawName, value] of query) {
    if (RESULT_PARAMS.has(rawName)) continue;
    const [name, modifier] = rawName.split(':');
    const m = matchers[name];
    if (!m || (modifier && !['exact', 'contains'].includes(modifier))) {
      ignored.push(rawName);
      continue;
    }
    // Comma-separated values are alternatives (OR); repeated parameters all apply (AND).
    const values = value.split(',');
    found = found.filter((r) => values.some((v) => m(r, v, modifier)));
  }
  const summaryCount = c.req.query('_summary') === 'count';
  const entry: Res[] = summaryCount
    ? []
    : found.map((r) => ({ fullUrl: `${ctx.base}/${type}/${r.id}`, resource: r, search: { mode: 'match' } }));
  if (ignored.length) {
    // Lenient handling (http://hl7.org/fhir/R4/search.html#errors): say what was not used.
    entry.push({
      resource: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'warning',
            code: 'not-supported',
            details: { text: `search parameters not supported and ignored: ${ignored.map((s) => s.slice(0, 40)).join(', ')}` },
          },
        ],
      },
      search: { mode: 'outcome' },
    });
  }
  return send(c, 200, {
    resourceType: 'Bundle',
    type: 'searchset',
    total: found.length,
    link: [{ relation: 'self', url: c.req.url }],
    ...(entry.length ? { entry } : {}),
  });
}

// ---- dispatch ------------------------------------------------------------------------------------

const OPERATIONS: Record<string, Record<string, true>> = {
  CodeSystem: { lookup: true, 'validate-code': true, subsumes: true },
  ValueSet: { expand: true, 'validate-code': true },
  ConceptMap: { translate: true },
};

function segments(c: Context): string[] {
  const prefix = c.req.routePath.replace(/\/\*$/, '');
  const rel = c.req.path.slice(prefix.length);
  return rel
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw invalid(`the path segment "${s.slice(0, 40)}" is not valid percent-encoding`);
      }
    });
}

function methodNotAllowed(c: Context, allowed: string): never {
  throw Object.assign(
    new FhirError(405, 'not-supported', `${c.req.method} is not supported here; allowed: ${allowed}. This server is read-only.`),
    { allow: allowed },
  );
}

async function handle(c: Context, deps: AppDeps): Promise<Response> {
  negotiate(c);
  const ctx: FhirContext = { store: deps.store(), base: `${new URL(c.req.url).origin}${c.req.routePath.replace(/\/\*$/, '')}` };
  const store = ctx.store;
  const segs = segments(c);
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  const readOnly = () => {
    if (method !== 'GET') methodNotAllowed(c, 'GET, HEAD');
  };
  const operation = () => {
    if (method !== 'GET' && method !== 'POST') methodNotAllowed(c, 'GET, POST');
  };

  if (segs.length === 1 && segs[0] === 'metadata') {
    readOnly();
    const mode = c.req.query('mode');
    if (mode === 'terminology') return send(c, 200, terminologyCapabilities(ctx));
    if (mode !== undefined && mode !== 'full' && mode !== 'normative')
      throw invalid(`mode must be full, normative or terminology; got "${mode.slice(0, 20)}"`, 'mode');
    return send(c, 200, capabilityStatement(ctx));
  }

  // $versions (http://hl7.org/fhir/R4/capabilitystatement-operation-versions.html): the FHIR
  // versions this server speaks; the HL7 test runner asks it first.
  if (segs.length === 1 && segs[0] === '$versions') {
    operation();
    return send(c, 200, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'version', valueCode: '4.0' },
        { name: 'default', valueCode: '4.0' },
      ],
    });
  }

  const [type, second, third, ...rest] = segs;
  if (!type)
    throw new FhirError(
      404,
      'not-found',
      `no FHIR route ${c.req.method} ${c.req.path}: see ${ctx.base}/metadata for what this server offers`,
    );
  if (!(type in OPERATIONS))
    throw new FhirError(
      404,
      'not-supported',
      `resource type "${type.slice(0, 40)}" is not served here: this terminology server has CodeSystem, ValueSet and ConceptMap (see ${ctx.base}/metadata)`,
    );
  if (rest.length) throw new FhirError(404, 'not-found', `no FHIR route ${c.req.method} ${c.req.path}`);

  // Type-level operation: Type/$op; instance-level: Type/id/$op.
  const opSeg = second?.startsWith('$') && third === undefined ? second : third?.startsWith('$') ? third : undefined;
  const id = second?.startsWith('$') ? undefined : second;
  if (third !== undefined && !opSeg)
    throw new FhirError(404, 'not-found', `no FHIR route ${c.req.method} ${c.req.path} (history and compartments are not supported)`);

  if (opSeg) {
    const name = opSeg.slice(1);
    if (!OPERATIONS[type][name])
      throw new FhirError(
        404,
        'not-supported',
        `operation $${name.slice(0, 40)} is not supported on ${type}; supported: ${Object.keys(OPERATIONS[type])
          .map((o) => `$${o}`)
          .join(', ')}`,
      );
    operation();
    const p = await opParams(c);
    // Requests that bring their own CodeSystems/ValueSets (tx-resource, an inline valueSet) are
    // answered by the general terminology engine (src/fhir/engine).
    const answer = engineOperation(type, name, p, c.req.header('accept-language'));
    if (answer) return send(c, answer.status, answer.body);
    if (type === 'CodeSystem') {
      const fixed = id !== undefined ? loadedById(store, id) : undefined;
      if (name === 'lookup') return send(c, 200, lookupOperation(store, p, fixed));
      if (name === 'validate-code') return send(c, 200, validateCodeOperation(store, p, fixed));
      return send(c, 200, subsumesOperation(store, p, fixed));
    }
    if (type === 'ValueSet') {
      const instance = id !== undefined ? valueSetById(store, id) : undefined;
      if (name === 'expand') return send(c, 200, expandOperation(store, p, instance));
      return send(c, 200, valueSetValidateCode(store, p, instance));
    }
    return send(c, 200, translateOperation(ctx, p, id !== undefined ? conceptMapById(store, id) : undefined));
  }

  readOnly();
  if (type === 'CodeSystem') {
    if (id !== undefined) return send(c, 200, codeSystemResource(store, loadedById(store, id)));
    const all = loadedSystems(store).map((l) => codeSystemResource(store, l));
    // `system` is the code system's URI: the same as `url` for a CodeSystem (R4 search parameter CodeSystem-system).
    return searchBundle(c, ctx, type, all, { system: uriMatch('url') });
  }
  if (type === 'ValueSet') {
    if (id !== undefined) return send(c, 200, implicitValueSetResource(valueSetById(store, id)));
    const url = c.req.query('url');
    // Any implicit value set URL is a value set of this server, even when it is not listed.
    let implicit: ReturnType<typeof parseImplicitUrl>;
    try {
      implicit = url ? parseImplicitUrl(store, url.split('|')[0]) : undefined;
    } catch {
      // A search finds nothing rather than failing: an unknown system or code is an empty result.
      return searchBundle(c, ctx, type, []);
    }
    const all = implicit ? [implicitValueSetResource(implicit)] : allImplicitValueSets(store).map(implicitValueSetResource);
    // The implicit URL was matched by parsing it (E119 and E11.9 name the same subtree).
    return searchBundle(c, ctx, type, all, implicit ? { url: () => true } : {});
  }
  if (id !== undefined) return send(c, 200, conceptMapResource(ctx, conceptMapById(store, id)));
  const maps = conceptMaps(store);
  const all = maps.map((m) => conceptMapResource(ctx, m));
  const sideOf =
    (side: 'sourceUri' | 'targetUri'): Matcher =>
    (r, v) =>
      String(r[side]).replace(/\?fhir_vs$/, '') === v.replace(/\?fhir_vs$/, '');
  return searchBundle(c, ctx, type, all, {
    'source-system': sideOf('sourceUri'),
    'target-system': sideOf('targetUri'),
    'source-uri': (r, v) => r.sourceUri === v,
    'target-uri': (r, v) => r.targetUri === v,
  });
}

export function fhirRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.all('/*', async (c) => {
    try {
      return await handle(c, deps);
    } catch (e) {
      const { status, body } = toOutcome(e);
      const allow = (e as { allow?: string }).allow;
      return send(c, status, body, allow ? { allow } : {});
    }
  });
  return app;
}
