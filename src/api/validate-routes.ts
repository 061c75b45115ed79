import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppDeps } from './app.js';
import { errorResponse } from './app.js';
import { MedCodesError } from '../errors.js';
import { DEFAULT_LIMITS } from '../config.js';
import { MAX_VALIDATE_CODES, parseCodeCsv, validateCodes, type ValidateRequest, type ValidateResponse } from '../validate.js';
import { yieldTurn } from './scheduler.js';
import { apiRouter, catalogError, errors } from './openapi.js';
import { ValidateBodySchema, ValidateResponseSchema } from './schemas.js';
import { bodySizeLimit } from './limits.js';

/**
 * Batch validation over HTTP.
 *
 *   POST /api/v1/validate
 *     application/json  {"codes": ["E11.9", {"system": "hcpcs", "code": "A4466"}], "system"?: "icd10cm", "date"?: "2025-06-01"}
 *     text/csv          one code per line, or system,code; optional header "code" or "system,code";
 *                       system and date as query parameters (?system=icd10cm&date=2025-06-01)
 *
 * Answers {date?, system?, count, summary: {valid, header, deleted, not_valid_on_date, unknown,
 * invalid}, results: [...]} (see src/validate.ts). Limits: the body limit (1 MB by default,
 * MEDCODES_MAX_BODY_BYTES) and 10,000 codes (413 payload_too_large); malformed bodies are 400
 * bad_request.
 */

/** Largest accepted body by default (MEDCODES_MAX_BODY_BYTES): 10,000 codes with systems and JSON quoting fit well inside it. */
export const MAX_VALIDATE_BYTES = DEFAULT_LIMITS.maxBodyBytes;

/** The body as UTF-8 text; its size is bounded by the body limit before it is read. */
async function readBody(c: Context): Promise<string> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MedCodesError('bad_request', 'the request body is not valid UTF-8');
  }
}

/** A JSON body, checked with the schema published in /openapi.json. */
function jsonRequest(text: string): ValidateRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new MedCodesError('bad_request', `the request body is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  const parsed = ValidateBodySchema.safeParse(body);
  if (!parsed.success)
    throw catalogError('json', parsed.error, body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined);
  return parsed.data as ValidateRequest;
}

/**
 * The route as published. It is registered for the document and handled below rather than by the
 * generated validator, because one route takes two media types (JSON and CSV) and streams its size
 * check; the JSON schema is the same object either way.
 */
export const validateRoute = createRoute({
  method: 'post',
  path: '/api/v1/validate',
  tags: ['Validation'],
  summary: 'Validate a batch of codes',
  description:
    'Checks each code: valid (billable), header (more characters needed), deleted (with its replacements), not valid on the date of service, unknown (with the closest code) or invalid (no system has codes of that shape). The system of a code without one is found from its shape. JSON or CSV (one code per line, or `system,code`, optional header).',
  request: {
    query: z.object({
      system: z.string().max(200).optional().openapi({ description: 'CSV bodies: default system for codes that name none.' }),
      date: z.string().max(20).optional().openapi({ description: 'CSV bodies: date of service, YYYY-MM-DD.' }),
    }),
    body: {
      required: true,
      content: {
        'application/json': { schema: ValidateBodySchema },
        'text/csv': { schema: z.string().openapi({ example: 'system,code\nicd10cm,E11.9\nhcpcs,A4466\n' }) },
      },
    },
  },
  responses: {
    200: {
      description: 'The result of each code, in order, and a summary.',
      content: { 'application/json': { schema: ValidateResponseSchema } },
    },
    ...errors(400, 404, 405, 413),
  },
});

/** Codes validated per turn of the event loop (a few milliseconds of work: api/scheduler.ts). */
export const VALIDATE_SLICE = 250;

/**
 * validateCodes over slices of the batch, yielding between slices, so that a 10,000-code batch never
 * holds the event loop; the answer is the one validateCodes gives for the whole batch.
 */
async function validateInSlices(deps: AppDeps, req: ValidateRequest, next: () => Promise<void>): Promise<ValidateResponse> {
  if (req.codes.length > MAX_VALIDATE_CODES || req.codes.length <= VALIDATE_SLICE) return validateCodes(deps.store(), req);
  let out: ValidateResponse | undefined;
  for (let i = 0; i < req.codes.length; i += VALIDATE_SLICE) {
    if (i) await next();
    const part = validateCodes(deps.store(), { ...req, codes: req.codes.slice(i, i + VALIDATE_SLICE) });
    if (!out) out = part;
    else {
      out.results.push(...part.results);
      out.count += part.count;
      for (const k of Object.keys(part.summary) as (keyof typeof part.summary)[]) out.summary[k] += part.summary[k];
    }
  }
  return out!;
}

export function validateRoutes(deps: AppDeps): OpenAPIHono {
  const app = apiRouter();
  app.onError((e, c) => errorResponse(c, e));
  app.openAPIRegistry.registerPath(validateRoute);
  app.post('/api/v1/validate', bodySizeLimit(deps.limits?.maxBodyBytes ?? MAX_VALIDATE_BYTES), async (c) => {
    try {
      const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const text = await readBody(c);
      let req: ValidateRequest;
      if (type === 'application/json') req = jsonRequest(text);
      else if (type === 'text/csv' || type === 'text/plain') {
        const query = validateRoute.request.query.safeParse(c.req.query());
        if (!query.success) throw catalogError('query', query.error, c.req.query());
        const { system, date } = query.data;
        req = { codes: parseCodeCsv(text), ...(system ? { system } : {}), ...(date ? { date } : {}) };
      } else {
        throw new MedCodesError(
          'bad_request',
          `send the codes as application/json or text/csv; got "${type.slice(0, 60) || 'no content type'}"`,
        );
      }
      if (!req.codes.length) throw new MedCodesError('bad_request', 'no codes to validate');
      return c.json(await validateInSlices(deps, req, () => yieldTurn(c)));
    } catch (e) {
      return errorResponse(c, e);
    }
  });
  app.on(['GET', 'PUT', 'DELETE', 'PATCH'], '/api/v1/validate', (c) =>
    errorResponse(c, new MedCodesError('method_not_allowed', 'use POST /api/v1/validate with a JSON or CSV body')),
  );
  return app;
}
