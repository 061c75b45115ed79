import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { ERROR_CODES, MedCodesError, type ErrorCode } from '../errors.js';

/**
 * The OpenAPI side of the REST API: every /api/v1 route is declared with @hono/zod-openapi, so the
 * zod schema that validates a request's path, query or body is the one published in /openapi.json.
 * Validation failures become catalog errors here and are answered by `errorResponse` (app.ts), the
 * one place where errors become HTTP.
 */

const TARGET_NAME: Record<string, string> = { query: 'query parameter', param: 'path parameter', json: 'body field', header: 'header' };

/** The first zod issue as a catalog error that names the parameter and what it must be. */
export function catalogError(target: string, error: ZodError, input?: Record<string, unknown>): MedCodesError {
  const issue = error.issues[0];
  const name = issue.path.map(String).join('.') || 'body';
  const given = issue.path.length && input ? input[String(issue.path[0])] : undefined;
  const got = typeof given === 'string' ? `; got "${given.slice(0, 40)}"` : '';
  const missing = input !== undefined && issue.code === 'invalid_type' && given === undefined && issue.path.length === 1;
  if (missing) return new MedCodesError('bad_request', `the ${name} ${TARGET_NAME[target] ?? 'parameter'} is required`);
  // A JSON body whose array is over its maximum is too large, as the 413 for a too-long body.
  if (target === 'json' && issue.code === 'too_big' && issue.origin === 'array')
    return new MedCodesError('payload_too_large', `${name}: ${issue.message}`);
  return new MedCodesError(target === 'json' ? 'bad_request' : 'invalid_parameter', `${name}: ${issue.message}${got}`);
}

/** The OpenAPIHono hook for failed validation: throw the catalog error, for the app's error handler. */
export const catalogHook: Hook<unknown, any, any, any> = (result, c) => {
  if (result.success) return;
  const input = result.target === 'query' ? c.req.query() : result.target === 'param' ? c.req.param() : undefined;
  throw catalogError(result.target, result.error, input as Record<string, unknown> | undefined);
};

/** A router whose validation failures are catalog errors. */
export function apiRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: catalogHook });
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z
        .enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]])
        .openapi({ description: 'A stable code from the error catalog (docs/API.md).' }),
      message: z.string().openapi({ description: 'What is wrong, naming the parameter or value.' }),
    }),
  })
  .openapi('Error', { description: 'Every error of the REST API: `{error: {code, message}}`.' });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The error responses a route can give, by status, for its `responses`. */
export function errors(...statuses: (400 | 404 | 405 | 413 | 414 | 429 | 503)[]) {
  const text: Record<number, string> = {
    400: 'Malformed request or invalid parameter (`bad_request`, `invalid_parameter`, `query_too_long`).',
    404: 'Not found (`not_found`, `unknown_system`).',
    405: 'Method not allowed (`method_not_allowed`).',
    413: 'Request body or batch too large (`payload_too_large`).',
    414: 'Query string too long (`uri_too_long`).',
    429: 'Too many requests from this client (`rate_limited`); see `Retry-After`.',
    503: 'The request took longer than the time limit (`timeout`).',
  };
  const all = [...new Set([...statuses, 414, 429, 503] as const)];
  return Object.fromEntries(all.map((s) => [s, errorResponse(text[s])]));
}

/** The document's head: everything but the paths, which come from the routes. */
export const OPENAPI_INFO: Parameters<OpenAPIHono['getOpenAPI31Document']>[0] = {
  openapi: '3.1.0',
  info: {
    title: 'MedCodes API',
    version: '1.0.0',
    description:
      'Search and look up medical codes (ICD-10-CM, ICD-10-PCS, HCPCS Level II, ICD-9-CM, NUCC and user-imported code sets) from the official release files. Errors are `{error: {code, message}}` with a stable code from the error catalog. Requests are limited per client (429 `rate_limited` with `Retry-After`), by body size (413) and query-string length (414).',
    license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
  },
  tags: [
    { name: 'Codes', description: 'Code systems, codes, their hierarchy, crosswalks and similar codes.' },
    { name: 'Search', description: 'Full-text and code search.' },
    { name: 'Validation', description: 'Batch validation of codes.' },
    { name: 'ICD-10-PCS', description: 'ICD-10-PCS tables and the code builder.' },
    { name: 'Clinical Tables', description: 'NLM Clinical Tables compatible search (https://clinicaltables.nlm.nih.gov/, API v3).' },
  ],
};
