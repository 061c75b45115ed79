import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppDeps } from './app.js';
import { errorResponse } from './app.js';
import { MedCodesError } from '../errors.js';
import { MAX_VALIDATE_CODES, parseCodeCsv, validateCodes, type ValidateItem, type ValidateRequest } from '../validate.js';

/**
 * Batch validation over HTTP.
 *
 *   POST /api/v1/validate
 *     application/json  {"codes": ["E11.9", {"system": "hcpcs", "code": "A4466"}], "system"?: "icd10cm", "date"?: "2025-06-01"}
 *     text/csv          one code per line, or system,code; optional header "code" or "system,code";
 *                       system and date as query parameters (?system=icd10cm&date=2025-06-01)
 *
 * Answers {date?, system?, count, summary: {valid, header, deleted, not_valid_on_date, unknown,
 * invalid}, results: [...]} (see src/validate.ts). Limits: 1 MB of body and 10,000 codes (413
 * payload_too_large); malformed bodies are 400 bad_request.
 */

/** Largest accepted body: 10,000 codes with systems and JSON quoting fit well inside it. */
export const MAX_VALIDATE_BYTES = 1_000_000;

async function readBody(c: Context): Promise<string> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_VALIDATE_BYTES) {
    throw new MedCodesError('payload_too_large', `the request body is larger than ${MAX_VALIDATE_BYTES} bytes`);
  }
  // Read by chunks so that a body without a length (chunked) is stopped at the limit too.
  const reader = c.req.raw.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_VALIDATE_BYTES) {
      await reader.cancel();
      throw new MedCodesError('payload_too_large', `the request body is larger than ${MAX_VALIDATE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new MedCodesError('bad_request', 'the request body is not valid UTF-8');
  }
}

function jsonRequest(text: string): ValidateRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new MedCodesError('bad_request', `the request body is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new MedCodesError('bad_request', 'the JSON body must be an object {"codes": [...]}');
  const { codes, system, date } = body as Record<string, unknown>;
  if (!Array.isArray(codes)) throw new MedCodesError('bad_request', 'the JSON body needs "codes": an array of codes or {system, code} objects');
  if (codes.length > MAX_VALIDATE_CODES) throw new MedCodesError('payload_too_large', `at most ${MAX_VALIDATE_CODES} codes per request; got ${codes.length}`);
  if (system !== undefined && typeof system !== 'string') throw new MedCodesError('invalid_parameter', '"system" must be a string (a system id or URI)');
  if (date !== undefined && typeof date !== 'string') throw new MedCodesError('invalid_parameter', '"date" must be a string YYYY-MM-DD');
  const items = codes.map((item, i): string | ValidateItem => {
    if (typeof item === 'string') return item;
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const o = item as Record<string, unknown>;
      if (typeof o.code === 'string' && (o.system === undefined || typeof o.system === 'string')) {
        return o.system === undefined ? { code: o.code } : { system: o.system, code: o.code };
      }
    }
    throw new MedCodesError('bad_request', `codes[${i}] must be a string or an object {"system"?: string, "code": string}`);
  });
  return { codes: items, ...(system !== undefined ? { system } : {}), ...(date !== undefined ? { date } : {}) };
}

export function validateRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.post('/api/v1/validate', async (c) => {
    try {
      const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const text = await readBody(c);
      let req: ValidateRequest;
      if (type === 'application/json') req = jsonRequest(text);
      else if (type === 'text/csv' || type === 'text/plain') {
        const system = c.req.query('system');
        const date = c.req.query('date');
        req = { codes: parseCodeCsv(text), ...(system ? { system } : {}), ...(date ? { date } : {}) };
      } else {
        throw new MedCodesError('bad_request', `send the codes as application/json or text/csv; got "${type.slice(0, 60) || 'no content type'}"`);
      }
      if (!req.codes.length) throw new MedCodesError('bad_request', 'no codes to validate');
      return c.json(validateCodes(deps.store(), req));
    } catch (e) {
      return errorResponse(c, e);
    }
  });
  app.on(['GET', 'PUT', 'DELETE', 'PATCH'], '/api/v1/validate', (c) =>
    errorResponse(c, new MedCodesError('method_not_allowed', 'use POST /api/v1/validate with a JSON or CSV body')),
  );
  return app;
}
