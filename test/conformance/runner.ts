import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Comparer, scrubParams, scrubResource, sortOutcome, sortParameters, sortValueSet } from './compare.js';

/**
 * A runner for HL7's terminology ecosystem test suite (test/fixtures/hl7-tx-ecosystem/tests) and for
 * MedCodes' own suite in the same format (test/conformance/medcodes), written to the official
 * runner's rules (hapifhir org.hl7.fhir.core, org.hl7.fhir.validation.special.TxTester):
 *
 * - a suite runs when it has no mode or its mode is selected; a test likewise;
 * - the request is the test's request Parameters, plus every setup resource of the suite as a
 *   `tx-resource` parameter, plus the parameters of `parameters-default.json` (or the test's
 *   `profile`), POSTed to the operation; `Accept-Language` is sent when the test names one;
 * - a 2xx answer is scrubbed (meta, text, unmanaged extensions) and sorted, an error answer is an
 *   OperationOutcome (its text dropped for $validate-code); it is compared with the expected
 *   response (compare.ts) and the HTTP status class with `http-code` (default 2xx).
 *
 * The app is called in process (`app.request`), so no port is opened.
 */

export interface RequestApp {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

export interface TestResult {
  suite: string;
  test: string;
  operation: string;
  pass: boolean;
  reason?: string;
}

export interface SuiteSource {
  /** Folder holding test-cases.json and the files it names. */
  dir: string;
  /** Name of the tests file (test-cases.json). */
  file?: string;
}

const OPERATIONS: Record<string, string> = {
  expand: '/fhir/ValueSet/$expand',
  'validate-code': '/fhir/ValueSet/$validate-code',
  'cs-validate-code': '/fhir/CodeSystem/$validate-code',
  lookup: '/fhir/CodeSystem/$lookup',
  translate: '/fhir/ConceptMap/$translate',
  'batch-validate': '/fhir/ValueSet/$batch-validate-code',
};

function passesModes(obj: any, modes: Set<string>): boolean {
  if (Array.isArray(obj.modes) && obj.modes.some((m: string) => modes.has(m))) return true;
  if (obj.mode !== undefined) return modes.has(obj.mode);
  return true;
}

export class TxRunner {
  private cache = new Map<string, any>();
  constructor(
    readonly app: RequestApp,
    readonly modes: Set<string>,
  ) {}

  private load(dir: string, file: string): any {
    const path = join(dir, file);
    let v = this.cache.get(path);
    if (v === undefined) {
      v = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
      this.cache.set(path, v);
    }
    return JSON.parse(v);
  }

  /** Run every selected test of a source; `only` narrows to suite names. */
  async run(src: SuiteSource, only?: (suite: string, test: string) => boolean): Promise<TestResult[]> {
    const cases = this.load(src.dir, src.file ?? 'test-cases.json');
    const out: TestResult[] = [];
    for (const suite of cases.suites) {
      if (!passesModes(suite, this.modes) || suite.disabled) continue;
      for (const test of suite.tests) {
        if (!passesModes(test, this.modes) || test.disabled) continue;
        if (only && !only(suite.name, test.name)) continue;
        let r: TestResult;
        try {
          r = await this.runTest(src.dir, suite, test);
        } catch (e) {
          r = { suite: suite.name, test: test.name, operation: test.operation, pass: false, reason: `exception: ${(e as Error).message}` };
        }
        out.push(r);
      }
    }
    return out;
  }

  private choose(test: any, name: string): string | undefined {
    for (const m of this.modes) if (test[`${name}:${m}`]) return test[`${name}:${m}`];
    return test[name];
  }

  async runTest(dir: string, suite: any, test: any): Promise<TestResult> {
    const base = { suite: suite.name, test: test.name, operation: test.operation };
    const expected = this.load(dir, this.choose(test, 'response')!);
    const headers: Record<string, string> = {};
    if (test['Accept-Language']) headers['accept-language'] = test['Accept-Language'];
    if (test.header && (!test.header.mode || this.modes.has(test.header.mode))) headers[test.header.name.toLowerCase()] = test.header.value;
    const op = test.operation;
    let status: number;
    let actual: any;
    let pattern = false;
    if (op === 'metadata' || op === 'term-caps') {
      const res = await this.app.request(op === 'metadata' ? '/fhir/metadata' : '/fhir/metadata?mode=terminology', { headers });
      status = res.status;
      actual = await res.json();
      // The capability statements are compared in pattern mode and keep their extensions (the
      // ecosystem's feature declarations are what is checked); only text and meta are dropped.
      delete actual.text;
      delete actual.meta;
      pattern = true;
    } else {
      const path = OPERATIONS[op];
      if (!path) return { ...base, pass: false, reason: `operation ${op} is not run by this runner` };
      const reqFile = this.choose(test, 'request');
      const req = reqFile ? this.load(dir, reqFile) : { resourceType: 'Parameters', parameter: [] };
      req.parameter ??= [];
      for (const s of suite.setup ?? []) req.parameter.push({ name: 'tx-resource', resource: this.load(dir, s) });
      const profile = this.load(dir, test.profile ?? 'parameters-default.json');
      req.parameter.push(...(profile.parameter ?? []));
      const res = await this.app.request(path, {
        method: 'POST',
        body: JSON.stringify(req),
        headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...headers },
      });
      status = res.status;
      const text = await res.text();
      try {
        actual = JSON.parse(text);
      } catch {
        return { ...base, pass: false, reason: `answer is not JSON (HTTP ${status}): ${text.slice(0, 200)}` };
      }
      if (status >= 200 && status < 300) {
        if (actual.resourceType === 'ValueSet') {
          scrubResource(actual);
          sortValueSet(actual);
        } else if (actual.resourceType === 'Parameters') {
          scrubParams(actual);
          sortParameters(actual);
        } else if (actual.resourceType === 'OperationOutcome') {
          scrubResource(actual);
          sortOutcome(actual);
        }
      } else {
        scrubResource(actual);
        sortOutcome(actual);
      }
    }
    const comparer = new Comparer(this.modes, pattern, { version: '4.0.1' });
    const diff = comparer.compare('', expected, actual);
    const want = test['http-code'] ?? '2xx';
    const classOk = Math.floor(status / 100) === Number(want[0]);
    if (!classOk) return { ...base, pass: false, reason: `HTTP ${status}, expected ${want}${diff ? `; ${diff}` : ''}` };
    if (diff) return { ...base, pass: false, reason: diff };
    return { ...base, pass: true };
  }
}

/** Pass counts per suite, in the suites' order. */
export function tally(results: TestResult[]): { suite: string; pass: number; total: number }[] {
  const m = new Map<string, { suite: string; pass: number; total: number }>();
  for (const r of results) {
    const t = m.get(r.suite) ?? { suite: r.suite, pass: 0, total: 0 };
    t.total++;
    if (r.pass) t.pass++;
    m.set(r.suite, t);
  }
  return [...m.values()];
}
