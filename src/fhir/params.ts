import { invalid } from './outcome.js';

/**
 * Operation input, read the same way from both forms FHIR allows (R4 §3.1.0.10 "Operations",
 * http://hl7.org/fhir/R4/operations.html#request): GET with primitive parameters in the query, and
 * POST with a Parameters resource. Complex inputs (`coding`) come as a Coding in a POST body; in a
 * query they are also accepted as a token `system|code`, as HAPI and Ontoserver do.
 */

export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}

/** One input parameter: a primitive as text, a Coding, a resource, or parts. */
export interface InParam {
  name: string;
  /** Primitive values as text (`valueString`, `valueCode`, `valueBoolean` true → "true", ...). */
  text?: string;
  coding?: Coding;
  resource?: Record<string, unknown>;
  part?: InParam[];
  /** Where it came from, for messages: `Parameters.parameter[2]` or `query parameter code`. */
  where: string;
}

const PRIMITIVE_KEYS = new Set([
  'valueString',
  'valueCode',
  'valueUri',
  'valueUrl',
  'valueCanonical',
  'valueId',
  'valueBoolean',
  'valueInteger',
  'valueUnsignedInt',
  'valuePositiveInt',
  'valueDecimal',
  'valueDate',
  'valueDateTime',
  'valueMarkdown',
]);

/** Bounds on what one request may carry, so a hostile body cannot make the server walk forever. */
const MAX_PARAMS = 1000;
const MAX_DEPTH = 4;

export class OpParams {
  constructor(readonly list: InParam[]) {}

  /** From a query string; `_format` and other `_` parameters are the transport's, not the operation's. */
  static fromQuery(query: URLSearchParams): OpParams {
    const list: InParam[] = [];
    for (const [name, value] of query) {
      if (name.startsWith('_')) continue;
      if (list.length >= MAX_PARAMS) throw invalid(`too many parameters (more than ${MAX_PARAMS})`);
      const where = `query parameter ${name}`;
      if (/^coding(A|B)?$/.test(name)) list.push({ name, coding: tokenCoding(value, where), where });
      else list.push({ name, text: value, where });
    }
    return new OpParams(list);
  }

  /** From a parsed JSON body that must be a Parameters resource. */
  static fromBody(body: unknown): OpParams {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw invalid('the request body must be a FHIR Parameters resource (a JSON object)');
    const rt = (body as Record<string, unknown>).resourceType;
    if (rt !== 'Parameters')
      throw invalid(
        `the request body must be a Parameters resource; got resourceType ${typeof rt === 'string' ? `"${rt.slice(0, 40)}"` : 'none'}`,
        'resourceType',
      );
    const params = (body as Record<string, unknown>).parameter;
    if (params === undefined) return new OpParams([]);
    const counter = { n: 0 };
    return new OpParams(readList(params, 'Parameters.parameter', 0, counter));
  }

  all(name: string): InParam[] {
    return this.list.filter((p) => p.name === name);
  }

  has(name: string): boolean {
    return this.list.some((p) => p.name === name);
  }

  private one(name: string): InParam | undefined {
    const found = this.all(name);
    if (found.length > 1) throw invalid(`parameter "${name}" is given ${found.length} times; it takes one value`, name);
    return found[0];
  }

  /** A primitive parameter as text; empty strings are refused rather than read as absent. */
  string(name: string): string | undefined {
    const p = this.one(name);
    if (!p) return undefined;
    if (p.text === undefined) throw invalid(`parameter "${name}" must be a primitive value (${p.where})`, name);
    if (p.text.length > 4096) throw invalid(`parameter "${name}" is longer than 4096 characters`, name);
    return p.text;
  }

  strings(name: string): string[] {
    return this.all(name).map((p) => {
      if (p.text === undefined) throw invalid(`parameter "${name}" must be a primitive value (${p.where})`, name);
      return p.text;
    });
  }

  boolean(name: string): boolean | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw invalid(`parameter "${name}" must be true or false; got "${s.slice(0, 20)}"`, name);
  }

  /** A whole number within bounds; anything else is an error naming the bounds. */
  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const s = this.string(name);
    if (s === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(s.trim())) throw invalid(`parameter "${name}" must be a whole number; got "${s.slice(0, 20)}"`, name);
    const n = Number(s.trim());
    if (n < min || n > max)
      throw invalid(`parameter "${name}" must be from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}; got ${n}`, name);
    return n;
  }

  coding(name: string): Coding | undefined {
    const p = this.one(name);
    if (!p) return undefined;
    if (!p.coding) throw invalid(`parameter "${name}" must be a Coding (valueCoding) (${p.where})`, name);
    return p.coding;
  }

  /** A CodeableConcept parameter: its codings. */
  codeableConcept(name: string): Coding[] | undefined {
    const p = this.one(name);
    if (!p) return undefined;
    const cc = p.resource;
    if (!cc || !Array.isArray(cc.coding)) throw invalid(`parameter "${name}" must be a CodeableConcept with codings (${p.where})`, name);
    return cc.coding.map((c, i) => readCoding(c, `${p.where}.valueCodeableConcept.coding[${i}]`));
  }

  resource(name: string): Record<string, unknown> | undefined {
    const p = this.one(name);
    if (!p) return undefined;
    if (!p.resource) throw invalid(`parameter "${name}" must be a resource (${p.where})`, name);
    return p.resource;
  }
}

/** `system|code` (FHIR token syntax), or a bare code. */
function tokenCoding(value: string, where: string): Coding {
  const i = value.indexOf('|');
  if (i < 0) return { code: value };
  const system = value.slice(0, i);
  const code = value.slice(i + 1);
  if (!code) throw invalid(`${where}: "${value.slice(0, 80)}" has no code after "|"`);
  return system ? { system, code } : { code };
}

function readCoding(v: unknown, where: string): Coding {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${where} must be a Coding object`);
  const o = v as Record<string, unknown>;
  const out: Coding = {};
  for (const k of ['system', 'version', 'code', 'display'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'string') throw invalid(`${where}.${k} must be a string`);
    out[k] = o[k] as string;
  }
  return out;
}

function readList(v: unknown, where: string, depth: number, counter: { n: number }): InParam[] {
  if (!Array.isArray(v)) throw invalid(`${where} must be an array`);
  if (depth > MAX_DEPTH) throw invalid(`${where}: parameters nest deeper than ${MAX_DEPTH} levels`);
  return v.map((item, i) => {
    const at = `${where}[${i}]`;
    if (++counter.n > MAX_PARAMS) throw invalid(`too many parameters (more than ${MAX_PARAMS})`);
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw invalid(`${at} must be an object with a name`);
    const o = item as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name) throw invalid(`${at} has no name`);
    const valueKeys = Object.keys(o).filter((k) => k.startsWith('value'));
    const kinds = valueKeys.length + (o.resource !== undefined ? 1 : 0) + (o.part !== undefined ? 1 : 0);
    // Parameters.parameter: "A parameter must have one and only one of (value, resource, part)" (inv-1).
    if (kinds > 1) throw invalid(`${at} (${o.name}) has more than one of value[x], resource and part`);
    const out: InParam = { name: o.name, where: at };
    if (valueKeys.length) {
      const k = valueKeys[0];
      const val = o[k];
      if (PRIMITIVE_KEYS.has(k)) {
        if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') throw invalid(`${at}.${k} must be a primitive`);
        if (k === 'valueBoolean' && typeof val !== 'boolean') throw invalid(`${at}.valueBoolean must be true or false`);
        if ((k === 'valueInteger' || k === 'valueUnsignedInt' || k === 'valuePositiveInt') && !Number.isInteger(val))
          throw invalid(`${at}.${k} must be a whole number`);
        out.text = String(val);
      } else if (k === 'valueCoding') out.coding = readCoding(val, `${at}.valueCoding`);
      else if (k === 'valueCodeableConcept') {
        if (!val || typeof val !== 'object' || Array.isArray(val)) throw invalid(`${at}.valueCodeableConcept must be an object`);
        out.resource = val as Record<string, unknown>;
      } else if (val !== null && typeof val !== 'object') {
        // Any other primitive type (valueUuid, valueOid, valueInstant, ...) is read as text; an
        // operation ignores parameters it does not define (R4 §3.1.0.10), so none of these is a 400.
        out.text = String(val);
      }
    } else if (o.resource !== undefined) {
      if (!o.resource || typeof o.resource !== 'object' || Array.isArray(o.resource))
        throw invalid(`${at}.resource must be a resource object`);
      out.resource = o.resource as Record<string, unknown>;
    } else if (o.part !== undefined) out.part = readList(o.part, `${at}.part`, depth + 1, counter);
    return out;
  });
}
