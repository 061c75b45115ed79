/**
 * The one error catalog. Every error the product reports has a stable code from this list; the HTTP
 * edge (api/errors.ts) maps codes to statuses, the CLI maps them to exit codes. Messages name the
 * problem (file, line, element, parameter) so a user can act on them.
 */
export const ERROR_CODES = {
  // Requests
  not_found: { http: 404, summary: 'The requested code, system or page does not exist.' },
  unknown_system: { http: 404, summary: 'The code system is not known or not loaded.' },
  bad_request: { http: 400, summary: 'The request is malformed.' },
  invalid_parameter: { http: 400, summary: 'A parameter has an invalid value.' },
  query_too_long: { http: 400, summary: 'The query is longer than the limit.' },
  payload_too_large: { http: 413, summary: 'The request body is larger than the limit.' },
  rate_limited: { http: 429, summary: 'Too many requests from this client.' },
  method_not_allowed: { http: 405, summary: 'The method is not allowed on this resource.' },
  uri_too_long: { http: 414, summary: 'The query string is longer than the limit.' },
  timeout: { http: 503, summary: 'The request took longer than the time limit (a slow upload, or an overloaded server).' },
  query_too_complex: {
    http: 400,
    summary: 'The query exceeds a cost limit (clauses, words, wildcards, includes, offset); the message names the limit.',
  },
  overloaded: { http: 503, summary: 'The server has too many requests waiting; retry after the Retry-After delay.' },
  // Import
  file_not_found: { http: 400, summary: 'An input file does not exist.' },
  unknown_format: { http: 400, summary: 'An input file is not in a format MedCodes can import.' },
  corrupt_file: { http: 400, summary: 'An input file is truncated or corrupt.' },
  parse_error: { http: 400, summary: 'An input file does not follow its official layout.' },
  checksum_mismatch: { http: 400, summary: 'A bundled file does not match the SHA-256 in the manifest.' },
  check_failed: { http: 500, summary: 'An imported release failed its consistency checks.' },
  empty_release: { http: 400, summary: 'A release file holds no records; nothing was changed.' },
  release_shrank: {
    http: 400,
    summary: 'A release file has far fewer records than the release being served (truncated?); nothing was changed.',
  },
  // Update (medcodes update)
  download_failed: { http: 502, summary: 'A release file could not be downloaded from its publisher or mirror.' },
  // Service
  no_database: { http: 503, summary: 'No database has been built yet.' },
  internal: { http: 500, summary: 'An unexpected error occurred.' },
  invalid_config: { http: 500, summary: 'A setting (environment variable) has an invalid value.' },
  corrupt_database: { http: 503, summary: 'The database file is corrupt or not a MedCodes database; rebuild it with "medcodes import".' },
  unreadable_database: { http: 503, summary: 'The database file cannot be opened (permissions, missing folder, locked).' },
  disk_full: { http: 507, summary: 'The disk holding the database is full; free space and retry.' },
  // MCP over HTTP
  forbidden: { http: 403, summary: 'The origin of the request is not allowed to call /mcp (MEDCODES_CORS_ORIGINS).' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MedCodesError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'MedCodesError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

/** Where in an input file a problem was found, for parse errors. */
export interface SourceLocation {
  file?: string;
  line?: number;
  /** XML element path or spreadsheet cell, e.g. `diag[name=A00.0]/excludes1`. */
  element?: string;
}

/** A parse error that names the file, line or element, and the problem. */
export function parseError(problem: string, where: SourceLocation = {}): MedCodesError {
  const parts: string[] = [];
  if (where.file) parts.push(where.file);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.element) parts.push(where.element);
  const prefix = parts.length ? `${parts.join(', ')}: ` : '';
  return new MedCodesError('parse_error', `${prefix}${problem}`, { ...where });
}
