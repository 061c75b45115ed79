import { MedCodesError, type ErrorCode } from '../errors.js';

/**
 * FHIR errors: every failure under /fhir answers an OperationOutcome (FHIR R4 §3.1.0.4,
 * http://hl7.org/fhir/R4/operationoutcome.html) with an IssueType code
 * (http://hl7.org/fhir/R4/valueset-issue-type.html) and the HTTP status the RESTful API suggests
 * (http://hl7.org/fhir/R4/http.html#Status-Codes): 400 for a malformed request, 404 for an unknown
 * resource, code or system, 422 when the request is well formed but cannot be processed (too costly,
 * unsupported content), 406 for a format the server does not produce, 413 for a body too large.
 */

export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'not-found'
  | 'not-supported'
  | 'processing'
  | 'too-costly'
  | 'too-long'
  | 'code-invalid'
  | 'throttled'
  | 'exception'
  | 'transient'
  | 'timeout';

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: {
    severity: IssueSeverity;
    code: IssueType;
    details?: { text: string; coding?: { system: string; code: string }[] };
    diagnostics?: string;
    expression?: string[];
  }[];
}

/** An error raised by the FHIR layer itself, with its FHIR issue type and HTTP status. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issue: IssueType,
    message: string,
    /** FHIRPath of the offending parameter, e.g. `Parameters.parameter[0]` or `code`. */
    readonly expression?: string,
  ) {
    super(message);
    this.name = 'FhirError';
  }
}

/** The catalog's codes as FHIR issue types; statuses stay the catalog's. */
const ISSUE_OF: Partial<Record<ErrorCode | string, IssueType>> = {
  not_found: 'not-found',
  unknown_system: 'not-found',
  bad_request: 'invalid',
  invalid_parameter: 'invalid',
  query_too_long: 'too-long',
  payload_too_large: 'too-long',
  rate_limited: 'throttled',
  method_not_allowed: 'not-supported',
  file_not_found: 'invalid',
  unknown_format: 'invalid',
  corrupt_file: 'invalid',
  parse_error: 'invalid',
  checksum_mismatch: 'invalid',
  check_failed: 'exception',
  no_database: 'transient',
  internal: 'exception',
  uri_too_long: 'too-long',
  timeout: 'timeout',
  invalid_config: 'exception',
};

/** Where the catalog code of an error is kept: OperationOutcome.issue.details.coding. */
export const ERROR_CODE_SYSTEM = 'urn:medcodes:error-code';

export function outcome(
  severity: IssueSeverity,
  code: IssueType,
  text: string,
  opts: { errorCode?: string; expression?: string } = {},
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity,
        code,
        details: { text, ...(opts.errorCode ? { coding: [{ system: ERROR_CODE_SYSTEM, code: opts.errorCode }] } : {}) },
        ...(opts.expression ? { expression: [opts.expression] } : {}),
      },
    ],
  };
}

/** Any thrown value as (HTTP status, OperationOutcome). Unknown errors never leak a stack trace. */
export function toOutcome(e: unknown): { status: number; body: OperationOutcome } {
  if (e instanceof FhirError)
    return { status: e.status, body: outcome(e.status >= 500 ? 'fatal' : 'error', e.issue, e.message, { expression: e.expression }) };
  if (e instanceof MedCodesError)
    return {
      status: e.httpStatus,
      body: outcome(
        e.httpStatus >= 500 ? 'fatal' : 'error',
        ISSUE_OF[e.code] ?? (e.httpStatus >= 500 ? 'exception' : 'invalid'),
        e.message,
        { errorCode: e.code },
      ),
    };
  console.error(e);
  return { status: 500, body: outcome('fatal', 'exception', 'An unexpected error occurred.', { errorCode: 'internal' }) };
}

// Shorthands for the common cases.
export const invalid = (message: string, expression?: string) => new FhirError(400, 'invalid', message, expression);
export const notFound = (message: string, expression?: string) => new FhirError(404, 'not-found', message, expression);
export const notSupported = (message: string, expression?: string) => new FhirError(422, 'not-supported', message, expression);
export const tooCostly = (message: string) => new FhirError(422, 'too-costly', message);

/**
 * The `issues` output parameter of $validate-code (R5 CodeSystem/ValueSet $validate-code): one error
 * issue typed with the tx-issue-type code system (http://hl7.org/fhir/tools/CodeSystem/tx-issue-type)
 * at the element that is wrong.
 */
export function validationIssues(message: string, txType: string, issueCode: string, field: string) {
  return {
    name: 'issues',
    resource: {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: issueCode,
          details: { coding: [{ system: 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type', code: txType }], text: message },
          expression: [field],
        },
      ],
    },
  };
}
