import type { InParam, OpParams } from '../params.js';
import { resolveSystem } from '../../systems.js';
import { TxContext, TxError, type TxIssue, issueJson, outcomeJson, vurl } from './context.js';
import { ENGINE_LIMITS, type ExpItem, type ExpandOptions, Expander, newIdentifier, standardsStatus } from './expand.js';
import { type CodeSystemModel, type Concept, type Json, primitive } from './model.js';

/**
 * The terminology operations over the engine's resources, answered the way the FHIR terminology
 * ecosystem IG expects (http://hl7.org/fhir/uv/tx-ecosystem): R5-style output parameters of
 * $validate-code (`code`, `system`, `version`, `display`, `result`, `message`, `issues` as an
 * OperationOutcome whose issues carry tx-issue-type codes), $expand and $lookup.
 *
 * The engine answers a request that supplies resources (`tx-resource`) or an inline `valueSet`;
 * other requests keep MedCodes' own handlers (src/fhir/codesystem.ts, valueset.ts).
 */

export interface EngineAnswer {
  status: number;
  body: Json;
}

type Out = Json[];

function txt(p: InParam | undefined): string | undefined {
  return p?.text;
}

class Req {
  constructor(readonly p: OpParams) {}
  str(name: string): string | undefined {
    return txt(this.p.all(name)[0]);
  }
  bool(name: string): boolean | undefined {
    const s = this.str(name);
    return s === undefined ? undefined : s === 'true';
  }
  int(name: string): number | undefined {
    const s = this.str(name);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0)
      throw new TxError(400, [
        {
          severity: 'error',
          code: 'invalid',
          txType: 'invalid-data',
          text: `parameter "${name}" must be a whole number; got "${s.slice(0, 20)}"`,
        },
      ]);
    return n;
  }
  res(name: string): Json | undefined {
    return this.p.all(name)[0]?.resource;
  }
  coding(name: string): Json | undefined {
    const p = this.p.all(name)[0];
    return p?.coding ?? (p?.text ? { code: p.text } : undefined);
  }
  versions(name: string): Map<string, string> {
    const m = new Map<string, string>();
    for (const x of this.p.all(name)) {
      const s = x.text ?? '';
      const i = s.lastIndexOf('|');
      if (i > 0) m.set(s.slice(0, i), s.slice(i + 1));
    }
    return m;
  }
}

/**
 * Whether the engine answers this request: it brings its own resources (`tx-resource`), or an
 * inline value set or code system over systems MedCodes does not import (a value set over
 * MedCodes' own code sets keeps the store-backed expansion of valueset.ts).
 */
export function engineHandles(p: OpParams): boolean {
  if (p.has('tx-resource') || p.has('codeSystem')) return true;
  const vs: Json | undefined = p.all('valueSet')[0]?.resource;
  if (!vs) return false;
  const parts = [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])];
  return !parts.some((inc: Json) => typeof inc?.system === 'string' && resolveSystem(inc.system) !== undefined);
}

export function contextOf(p: OpParams): TxContext {
  const resources = p.all('tx-resource').map((x) => x.resource ?? {});
  const ctx = new TxContext(resources);
  return ctx;
}

function expandOptions(r: Req): ExpandOptions {
  const count = r.int('count');
  const offset = r.int('offset');
  if (count !== undefined && count > ENGINE_LIMITS.maxCount)
    throw new TxError(422, [
      {
        severity: 'error',
        code: 'too-costly',
        txType: 'too-costly',
        text: `parameter "count" is ${count}; the limit is ${ENGINE_LIMITS.maxCount} per page`,
      },
    ]);
  if (offset !== undefined && offset > ENGINE_LIMITS.maxOffset)
    throw new TxError(422, [
      {
        severity: 'error',
        code: 'too-costly',
        txType: 'too-costly',
        text: `parameter "offset" is ${offset}; the limit is ${ENGINE_LIMITS.maxOffset}`,
      },
    ]);
  return {
    activeOnly: r.bool('activeOnly'),
    filter: r.str('filter'),
    count,
    offset,
    excludeNested: r.bool('excludeNested'),
    includeDesignations: r.bool('includeDesignations'),
    includeDefinition: r.bool('includeDefinition'),
    displayLanguage: r.str('displayLanguage'),
    systemVersion: r.versions('system-version'),
    forceSystemVersion: r.versions('force-system-version'),
    checkSystemVersion: r.versions('check-system-version'),
  };
}

function findValueSet(ctx: TxContext, r: Req): Json {
  const inline = r.res('valueSet');
  if (inline) return inline;
  const url = r.str('url') ?? r.str('context');
  if (!url)
    throw new TxError(400, [
      { severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'No value set was identified: give url or valueSet' },
    ]);
  const vs = ctx.valueSet(url, r.str('valueSetVersion'));
  if (!vs) {
    const v = r.str('valueSetVersion');
    throw new TxError(404, [
      {
        severity: 'error',
        code: 'not-found',
        txType: 'not-found',
        text: `A definition for the value Set '${url}${v ? `|${v}` : ''}' could not be found`,
      },
    ]);
  }
  return vs;
}

// ---- $expand ---------------------------------------------------------------------------------------

const ECHO = ['excludeNested', 'includeDesignations', 'includeDefinition', 'activeOnly', 'displayLanguage', 'filter', 'count', 'offset'];

export function engineExpand(p: OpParams, lang?: string): EngineAnswer {
  const r = new Req(p);
  const ctx = contextOf(p);
  const opts = expandOptions(r);
  if (!opts.displayLanguage && lang) opts.displayLanguage = lang;
  const vs = findValueSet(ctx, r);
  const exp = new Expander(ctx, opts).expand(vs);
  let items = exp.items;
  if (opts.activeOnly) items = items.filter((x) => !x.inactive);
  if (opts.filter) {
    const words = opts.filter.toLowerCase().split(/\s+/).filter(Boolean);
    items = items.filter((x) => {
      const texts = [x.code, x.display ?? '', ...(x.concept?.designation ?? []).map((d) => d.value)].map((s) => s.toLowerCase());
      return words.every((w) => texts.some((t) => t.split(/[^\p{L}\p{N}]+/u).some((tok) => tok.startsWith(w)) || t.startsWith(w)));
    });
  }
  const total = items.length;
  const offset = opts.offset ?? 0;
  const page = opts.count !== undefined ? items.slice(offset, offset + opts.count) : items.slice(offset);
  const parameter: Json[] = [];
  for (const name of ECHO) {
    const x = p.all(name)[0];
    if (!x || x.text === undefined) continue;
    const num = name === 'count' || name === 'offset';
    const bool = x.text === 'true' || x.text === 'false';
    if (name === 'displayLanguage') parameter.push({ name, valueCode: x.text });
    else
      parameter.push(
        num ? { name, valueInteger: Number(x.text) } : bool ? { name, valueBoolean: x.text === 'true' } : { name, valueString: x.text },
      );
  }
  if (!p.has('displayLanguage') && lang) parameter.push({ name: 'displayLanguage', valueCode: lang });
  for (const [name, m] of [
    ['system-version', opts.systemVersion],
    ['force-system-version', opts.forceSystemVersion],
    ['check-system-version', opts.checkSystemVersion],
  ] as const)
    for (const [s, v] of m) parameter.push({ name, valueUri: `${s}|${v}` });
  for (const u of exp.usedCodeSystems) parameter.push({ name: 'used-codesystem', valueUri: u });
  for (const u of exp.usedValueSets) parameter.push({ name: 'used-valueset', valueUri: u });
  for (const u of exp.usedSupplements) parameter.push({ name: 'used-supplement', valueUri: u });
  const seenW = new Set<string>();
  for (const w of exp.warnings) {
    const k = `${w.name}|${w.value}`;
    if (seenW.has(k)) continue;
    seenW.add(k);
    parameter.push({ name: w.name, valueUri: w.value });
  }
  const contains =
    opts.excludeNested === true || opts.count !== undefined || opts.offset ? page.map((x) => containsOf(x, opts)) : nest(page, opts);
  // The expanded value set carries its identity and status, not its definition (compose) or
  // narrative metadata, as tx.fhir.org answers.
  const rest: Json = {};
  for (const k of ['id', 'language', 'extension', 'url', 'version', 'name', 'title', 'status', 'experimental', 'date'])
    if (vs[k] !== undefined) rest[k] = vs[k];
  const body: Json = {
    resourceType: 'ValueSet',
    ...rest,
    expansion: {
      identifier: newIdentifier(),
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      total,
      ...(opts.offset !== undefined ? { offset } : {}),
      ...(parameter.length ? { parameter } : {}),
      ...(contains.length ? { contains } : {}),
    },
  };
  return { status: 200, body };
}

/**
 * The expansion as a tree when nesting is not excluded (excludeNested, R4 $expand): a concept whose
 * parent is in the expansion is placed under it.
 */
function nest(items: ExpItem[], opts: ExpandOptions): Json[] {
  const nodes = new Map<string, Json>();
  const roots: Json[] = [];
  for (const x of items) nodes.set(`${x.system}|${x.code}`, containsOf(x, opts));
  for (const x of items) {
    const node = nodes.get(`${x.system}|${x.code}`)!;
    const parent = x.concept?.parents.map((p) => nodes.get(`${x.system}|${p}`)).find((n) => n && n !== node);
    if (parent) (parent.contains ??= []).push(node);
    else roots.push(node);
  }
  return roots;
}

function containsOf(x: ExpItem, opts: ExpandOptions): Json {
  const out: Json = { system: x.system };
  if (x.abstract) out.abstract = true;
  if (x.inactive) out.inactive = true;
  if (x.version && opts.forceSystemVersion.size) out.version = x.version;
  out.code = x.code;
  const display = pickDisplay(x.cs, x.concept, opts.displayLanguage) ?? x.includeDisplay ?? x.display;
  if (display !== undefined) out.display = display;
  if (opts.includeDesignations && x.concept) {
    const d = x.concept.designation.map((d) => ({
      ...(d.language ? { language: d.language } : {}),
      ...(d.use ? { use: d.use } : {}),
      value: d.value,
    }));
    if (d.length) out.designation = d;
  }
  return out;
}

/** The display in the asked language when a designation has it, else the concept's display. */
function pickDisplay(cs: CodeSystemModel | undefined, c: Concept | undefined, lang?: string): string | undefined {
  if (!c) return undefined;
  if (lang && cs) {
    const csLang = cs.res.language ?? 'en';
    for (const l of lang.split(',').map((s) => s.split(';')[0].trim().toLowerCase())) {
      if (!l || l === '*') continue;
      if (csLang.toLowerCase() === l || csLang.toLowerCase().startsWith(`${l}-`)) return c.display;
      const d = c.designation.find((d) => d.language && (d.language.toLowerCase() === l || d.language.toLowerCase().startsWith(`${l}-`)));
      if (d) return d.value;
    }
  }
  return c.display;
}

// ---- $validate-code ---------------------------------------------------------------------------------

interface Checked {
  issues: TxIssue[];
  messages: string[];
  valid: boolean;
  code?: string;
  system?: string;
  version?: string;
  display?: string;
  inactive?: boolean;
  status?: string;
  unknownSystems: string[];
}

function displays(cs: CodeSystemModel, c: Concept): { value: string; lang?: string }[] {
  const out: { value: string; lang?: string }[] = [];
  if (c.display) out.push({ value: c.display, lang: cs.res.language ?? 'en' });
  for (const d of c.designation)
    if (!out.some((o) => o.value === d.value && o.lang === d.language)) out.push({ value: d.value, lang: d.language });
  return out;
}

function langList(lang?: string): string[] {
  return (lang ?? '')
    .split(',')
    .map((s) => s.split(';')[0].trim())
    .filter((s) => s && s !== '*');
}

function langMatch(have: string | undefined, want: string): boolean {
  if (!have) return false;
  const h = have.toLowerCase();
  const w = want.toLowerCase();
  return h === w || h.startsWith(`${w}-`);
}

function checkDisplay(cs: CodeSystemModel, c: Concept, given: string, path: string, lenient: boolean, out: Checked, lang?: string): void {
  const all = displays(cs, c);
  const langs = langList(lang);
  const csLang = cs.res.language as string | undefined;
  const inLang = langs.length ? all.filter((d) => langs.some((l) => langMatch(d.lang ?? csLang, l))) : all;
  const severity = lenient ? 'warning' : 'error';
  if (inLang.some((d) => d.value === given)) return;
  if (langs.length && !inLang.length) {
    // No display in the asked language: the default language's displays decide.
    if (all.some((d) => d.value === given)) {
      const text = `There are no valid display names found for the code ${cs.url}#${c.code} for language(s) '${langs.join(',')}'. The display is '${given}' which is a valid display for the default language`;
      out.issues.push({ severity: 'information', code: 'invalid', txType: 'invalid-display', text, path });
      out.messages.push(text);
      return;
    }
    const text = `Wrong Display Name '${given}' for ${cs.url}#${c.code}. There are no valid display names found for language(s) '${langs.join(',')}'. Default display is '${c.display}'`;
    out.issues.push({ severity, code: 'invalid', txType: 'invalid-display', text, path });
    out.messages.push(text);
    if (severity === 'error') out.valid = false;
    return;
  }
  const shown = inLang;
  const choices = shown.map((d) => `'${d.value}'${(d.lang ?? csLang) ? ` (${d.lang ?? csLang})` : ''}`);
  const valid =
    shown.length === 1 ? `Valid display is ${choices[0]}` : `Valid display is one of ${shown.length} choices: ${choices.join(' or ')}`;
  const text = `Wrong Display Name '${given}' for ${cs.url}#${c.code}. ${valid} (for the language(s) '${langs.length ? langs.join(',') : '--'}')`;
  out.issues.push({ severity, code: 'invalid', txType: 'invalid-display', text, path });
  out.messages.push(text);
  if (severity === 'error') out.valid = false;
}

function codingPaths(mode: 'code' | 'coding' | 'cc', i: number) {
  if (mode === 'code') return { code: 'code', system: 'system', display: 'display', version: 'version', base: 'code' };
  const b = mode === 'coding' ? 'Coding' : `CodeableConcept.coding[${i}]`;
  return { code: `${b}.code`, system: `${b}.system`, display: `${b}.display`, version: `${b}.version`, base: b };
}

/** Check one coding against a code system (and, when given, value set membership). */
function checkCoding(
  ctx: TxContext,
  coding: Json,
  mode: 'code' | 'coding' | 'cc',
  i: number,
  opts: {
    lenient: boolean;
    displayLanguage?: string;
    /** The version the value set's include names for a system, if any. */
    includeVersion?: (system: string) => string | undefined;
    activeOnly?: boolean;
    exp?: Map<string, ExpItem>;
    vsRef?: string;
    membershipOnly?: boolean;
    abstractOk: boolean;
  },
): Checked {
  const path = codingPaths(mode, i);
  const out: Checked = { issues: [], messages: [], valid: true, unknownSystems: [] };
  const system: string | undefined = coding.system;
  const code: string | undefined = coding.code;
  out.code = code;
  out.system = system;
  const notInVs = () => {
    if (!opts.vsRef) return;
    const shown = `${system ?? ''}${coding.version ? `|${coding.version}` : ''}#${code}${typeof coding.display === 'string' ? ` ('${coding.display}')` : ''}`;
    const text = `The provided code '${shown}' was not found in the value set '${opts.vsRef}'`;
    if (mode === 'cc')
      out.issues.push({ severity: 'information', code: 'code-invalid', txType: 'this-code-not-in-vs', text, path: path.code });
    else {
      out.issues.push({ severity: 'error', code: 'code-invalid', txType: 'not-in-vs', text, path: path.code });
      out.messages.push(text);
    }
    out.valid = false;
  };
  if (!system) {
    const text =
      'Coding has no system. A code with no system has no defined meaning, and it cannot be validated. A system should be provided';
    out.issues.push({ severity: 'warning', code: 'invalid', txType: 'invalid-data', text, path: path.base });
    out.messages.push(text);
    notInVs();
    return out;
  }
  let cs = ctx.codeSystem(system, coding.version);
  if (!cs && coding.version && ctx.hasCodeSystem(system)) {
    // The coding names a version this server does not have: report it, and validate the code
    // against the version the value set (or the default) uses, as tx.fhir.org does.
    const fallback = ctx.codeSystem(system, opts.includeVersion?.(system))!;
    const text = `A definition for CodeSystem '${system}' version '${coding.version}' could not be found, so the code cannot be validated. Valid versions: ${ctx.codeSystemVersions(system).join(' or ')}`;
    out.issues.push({ severity: 'error', code: 'not-found', txType: 'not-found', text, path: path.system });
    out.messages.push(text);
    out.unknownSystems.push(`${system}|${coding.version}`);
    if (fallback.version && opts.vsRef) {
      const iv = opts.includeVersion?.(system);
      const t2 = iv
        ? `The code system '${system}' version '${iv}' in the ValueSet include is different to the one in the value ('${coding.version}')`
        : `The code system '${system}' version '${fallback.version}' for the versionless include in the ValueSet include is different to the one in the value ('${coding.version}')`;
      out.issues.push({ severity: iv ? 'error' : 'warning', code: 'invalid', txType: 'vs-invalid', text: t2, path: path.version });
      if (iv) out.messages.push(t2);
    }
    out.valid = false;
    cs = fallback;
    coding = { ...coding, version: undefined };
  }
  if (!cs) {
    if (ctx.isValueSetUrl(system)) {
      const text = `The Coding references a value set, not a code system ('${system}')`;
      out.issues.push({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, path: path.system });
      out.messages.push(text);
    } else {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(system)) {
        const t2 = 'Coding.system must be an absolute reference, not a local reference';
        out.issues.push({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: t2, path: path.system });
        out.messages.push(t2);
      }
      const versions = ctx.codeSystemVersions(system);
      let text: string;
      if (coding.version && ctx.hasCodeSystem(system))
        text = `A definition for CodeSystem '${system}' version '${coding.version}' could not be found, so the code cannot be validated. Valid versions: ${versions.join(' or ')}`;
      else if (coding.version)
        text = `A definition for CodeSystem '${system}' version '${coding.version}' could not be found, so the code cannot be validated. No versions of this code system are known`;
      else
        text = /^[a-z][a-z0-9+.-]*:/i.test(system)
          ? `A definition for CodeSystem ${system} could not be found, so the code cannot be validated`
          : `A definition for CodeSystem '${system}' could not be found, so the code cannot be validated`;
      out.issues.push({ severity: 'error', code: 'not-found', txType: 'not-found', text, path: path.system });
      out.messages.push(text);
      out.unknownSystems.push(coding.version ? `${system}|${coding.version}` : system);
    }
    out.valid = false;
    notInVs();
    return out;
  }
  if (cs.res.content === 'supplement') {
    const text = `CodeSystem ${vurl(cs.res)} is a supplement, so can't be used as a value in Coding.system`;
    out.issues.push({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, path: path.system });
    out.messages.push(text);
    out.valid = false;
    return out;
  }
  for (const s of ctx.supplementsOf(system)) if (!cs.supplements.includes(s)) cs.addSupplement(s);
  out.version = cs.version;
  const c = code !== undefined ? cs.locate(code) : undefined;
  if (!c) {
    const fragment = cs.content === 'fragment';
    const text = fragment
      ? `Unknown Code '${code}' in the CodeSystem '${cs.url}' version '${cs.version}' - note that the code system is labeled as a fragment, so the code may be valid in some other fragment`
      : `Unknown code '${code}' in the CodeSystem '${cs.url}'${cs.version ? ` version '${cs.version}'` : ''}`;
    out.issues.push({ severity: fragment ? 'warning' : 'error', code: 'code-invalid', txType: 'invalid-code', text, path: path.code });
    out.messages.push(text);
    if (!fragment) out.valid = false;
    if (opts.vsRef) notInVs();
    return out;
  }
  out.display = pickDisplay(cs, c, opts.displayLanguage);
  if (c.code !== code) {
    const text = `The code '${code}' differs from the correct code '${c.code}' by case. Although the code system '${vurl(cs.res)}' is case insensitive, implementers are strongly encouraged to use the correct case anyway`;
    out.issues.push({ severity: 'information', code: 'business-rule', txType: 'code-rule', text, path: path.code });
    out.code = c.code;
  }
  const inactive = cs.isInactive(c);
  if (inactive) {
    out.inactive = true;
    const status = cs.status(c);
    const text = `The concept '${c.code}' has a status of ${status && status !== 'inactive' ? `${status} and inactive` : 'inactive'} and its use should be reviewed`;
    out.issues.push({ severity: 'warning', code: 'business-rule', txType: 'code-comment', text, path: path.base });
    out.messages.push(text);
  } else if (cs.isDeprecated(c)) {
    out.status = 'deprecated';
    const text = `The concept '${c.code}' is deprecated and its use should be reviewed`;
    out.issues.push({ severity: 'warning', code: 'business-rule', txType: 'code-comment', text, path: path.base });
    out.messages.push(text);
  }
  if (opts.exp) {
    const inVs = opts.exp.get(`${system}|${c.code}`);
    if (!inVs || (opts.activeOnly && inactive)) {
      if (inVs && opts.activeOnly && inactive) {
        const text = `The concept '${c.code}' is valid but is not active`;
        out.issues.push({ severity: 'error', code: 'business-rule', txType: 'code-rule', text, path: path.code });
        out.messages.push(text);
      }
      notInVs();
    } else if (!opts.abstractOk && cs.isAbstract(c)) {
      const text = `Code '${system}#${c.code}' is abstract, and not allowed in this context`;
      out.issues.push({ severity: 'error', code: 'business-rule', txType: 'code-rule', text, path: path.code });
      out.messages.push(text);
      out.valid = false;
    }
  }
  if (typeof coding.display === 'string' && !opts.membershipOnly)
    checkDisplay(cs, c, coding.display, path.display, opts.lenient, out, opts.displayLanguage);
  return out;
}

export function engineValidateCode(p: OpParams, kind: 'ValueSet' | 'CodeSystem'): EngineAnswer {
  const r = new Req(p);
  const ctx = contextOf(p);
  let vs: Json | undefined;
  let exp: Map<string, ExpItem> | undefined;
  let vsRef: string | undefined;
  const opts = expandOptions(r);
  const problems: TxIssue[] = [];
  const expandFor = (coding?: Json) => {
    const ex = new Expander(ctx, { ...opts, activeOnly: false });
    ex.problems = [];
    if (coding?.system && coding.version) ex.prefer.set(coding.system, coding.version);
    const e = ex.expand(vs!);
    for (const pr of ex.problems) for (const i of pr.issues) if (!problems.some((x) => x.text === i.text)) problems.push(i);
    return new Map(e.items.map((x) => [`${x.system}|${x.code}`, x]));
  };
  if (kind === 'ValueSet') {
    vs = findValueSet(ctx, r);
    vsRef = vurl(vs);
    exp = expandFor();
  } else {
    const cs = r.res('codeSystem');
    if (cs) ctx.add(cs);
  }
  const lenient = r.bool('lenient-display-validation') === true;
  const membershipOnly = r.bool('valueset-membership-only') === true;
  const abstractOk = r.bool('abstract') !== false;
  const activeOnly = r.bool('activeOnly');
  const cc = r.res('codeableConcept');
  const out: Out = [];
  let codings: Json[];
  let mode: 'code' | 'coding' | 'cc';
  if (cc) {
    mode = 'cc';
    codings = Array.isArray(cc.coding) ? cc.coding : [];
  } else if (p.has('coding')) {
    mode = 'coding';
    codings = [r.coding('coding')!];
  } else {
    mode = 'code';
    const system = r.str('system') ?? (kind === 'CodeSystem' ? r.str('url') : undefined);
    let sys = system;
    if (!sys && kind === 'ValueSet' && r.bool('inferSystem') && exp) {
      const code = r.str('code');
      const systems = [...new Set([...exp.values()].filter((x) => x.code === code).map((x) => x.system))];
      if (systems.length === 1) sys = systems[0];
      else {
        const text = `The System URI could not be determined for the code '${code}' in the ValueSet '${vsRef}'`;
        const notIn = `The provided code '#${code}' was not found in the value set '${vsRef}'`;
        return params([
          { name: 'code', valueCode: code },
          {
            name: 'issues',
            resource: outcomeJson([
              { severity: 'error', code: 'code-invalid', txType: 'not-in-vs', text: notIn, path: 'code' },
              { severity: 'error', code: 'not-found', txType: 'cannot-infer', text, path: 'code' },
            ]),
          },
          { name: 'message', valueString: [text, notIn].join('; ') },
          { name: 'result', valueBoolean: false },
        ]);
      }
    }
    codings = [{ system: sys, code: r.str('code'), version: r.str('systemVersion') ?? r.str('version'), display: r.str('display') }];
  }
  const checks = codings.map((c, i) =>
    checkCoding(ctx, c, mode, i, {
      lenient,
      displayLanguage: r.str('displayLanguage'),
      includeVersion: (sys: string) =>
        (vs?.compose?.include ?? []).find((i: Json) => i.system === sys && typeof i.version === 'string')?.version,
      activeOnly,
      exp: kind === 'ValueSet' && c?.version ? expandFor(c) : exp,
      vsRef,
      membershipOnly,
      abstractOk,
    }),
  );
  let result: boolean;
  let chosen: Checked | undefined;
  const issues: TxIssue[] = [];
  const messages: string[] = [];
  // Status of the resources used (tx.fhir.org's status-check issues, information only): a
  // deprecated, withdrawn or retired value set or code system, and an experimental or draft code
  // system used by a value set that is not itself experimental or draft.
  const statusIssue = (r: Json, type: string, source?: Json) => {
    const std = standardsStatus(r);
    const kind =
      std === 'deprecated' || std === 'withdrawn'
        ? std
        : r.status === 'retired'
          ? 'retired'
          : source && r.experimental === true && source.experimental !== true
            ? 'experimental'
            : source && (r.status === 'draft' || std === 'draft') && source.status !== 'draft' && standardsStatus(source) !== 'draft'
              ? 'draft'
              : undefined;
    if (kind)
      issues.push({
        severity: 'information',
        code: 'business-rule',
        txType: 'status-check',
        text: `Reference to ${kind} ${type} ${vurl(r)}`,
      });
  };
  const usedCs = checks.map((c) => (c.system ? ctx.codeSystem(c.system, c.version) : undefined)).filter((x) => !!x);
  for (const cs of new Set(usedCs)) statusIssue(cs!.res, 'CodeSystem', vs ?? {});
  if (vs) statusIssue(vs, 'ValueSet');
  // Includes that could not be evaluated (unknown version, version check) are reported as issues.
  for (const i of problems) {
    issues.push({ ...i, path: i.path ?? (mode === 'code' ? 'version' : undefined) });
    if (i.severity === 'error') messages.push(i.text);
  }
  if (mode === 'cc') {
    const good = checks.find((c) => c.valid && (!exp || exp.has(`${c.system}|${c.code}`)));
    // A coding with an unknown code makes the concept invalid even when another coding is fine
    // (tx.fhir.org: an error on any coding is an error of the CodeableConcept).
    result = !!good && !checks.some((c) => c.issues.some((i) => i.severity === 'error' && i.txType === 'invalid-code'));
    chosen = good;
    for (const c of checks) {
      issues.push(...c.issues);
      messages.push(...c.messages);
    }
    if (!good && vsRef) {
      const text = `No valid coding was found for the value set '${vsRef}'`;
      issues.unshift({ severity: 'error', code: 'code-invalid', txType: 'not-in-vs', text });
      messages.unshift(text);
    }
    // A CodeableConcept's codings that are fine are not reported as errors: errors of codings other than the
    // one that passed are downgraded to information when the whole passed (tx-ecosystem behaviour).
    out.push({ name: 'codeableConcept', valueCodeableConcept: cc });
  } else {
    const c = checks[0];
    chosen = c;
    result = c.valid;
    issues.push(...c.issues);
    messages.push(...c.messages);
  }
  if (chosen?.code !== undefined) out.push({ name: 'code', valueCode: chosen.code });
  if (chosen?.system) out.push({ name: 'system', valueUri: chosen.system });
  if (chosen?.version) out.push({ name: 'version', valueString: chosen.version });
  if (chosen?.display !== undefined) out.push({ name: 'display', valueString: chosen.display });
  if (chosen?.inactive) out.push({ name: 'inactive', valueBoolean: true });
  if (chosen?.status) out.push({ name: 'status', valueCode: chosen.status });
  if (issues.length) out.push({ name: 'issues', resource: outcomeJson(issues) });
  if (messages.length) out.push({ name: 'message', valueString: messages.join('; ') });
  if (problems.some((i) => i.severity === 'error')) result = false;
  out.push({ name: 'result', valueBoolean: result });
  // A system unknown at any version is x-unknown-system; a known system at an unknown version is
  // x-caused-by-unknown-system (tx.fhir.org's extension parameters, echoed by the suite).
  for (const c of checks)
    for (const u of c.unknownSystems)
      out.push({ name: u.includes('|') ? 'x-caused-by-unknown-system' : 'x-unknown-system', valueCanonical: u });
  return params(out);
}

function params(parameter: Out): EngineAnswer {
  return { status: 200, body: { resourceType: 'Parameters', parameter } };
}

// ---- $lookup ----------------------------------------------------------------------------------------

export function engineLookup(p: OpParams): EngineAnswer {
  const r = new Req(p);
  const ctx = contextOf(p);
  const coding = r.coding('coding') ?? { system: r.str('system'), code: r.str('code'), version: r.str('version') };
  if (!coding.system || !coding.code)
    throw new TxError(400, [
      { severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'No system and code were given to look up' },
    ]);
  const cs = ctx.codeSystem(coding.system, coding.version);
  if (!cs)
    throw new TxError(404, [
      {
        severity: 'error',
        code: 'not-found',
        txType: 'not-found',
        text: `A definition for CodeSystem '${coding.system}'${coding.version ? ` version '${coding.version}'` : ''} could not be found, so the code cannot be looked up`,
      },
    ]);
  for (const s of ctx.supplementsOf(coding.system)) if (!cs.supplements.includes(s)) cs.addSupplement(s);
  const c = cs.locate(coding.code);
  if (!c)
    throw new TxError(404, [
      {
        severity: 'error',
        code: 'not-found',
        txType: 'invalid-code',
        text: `Unknown code '${coding.code}' in the CodeSystem '${cs.url}'${cs.version ? ` version '${cs.version}'` : ''}`,
      },
    ]);
  const want = new Set(p.all('property').map((x) => x.text ?? ''));
  const wants = (k: string) => !want.size || want.has('*') || want.has(k);
  const out: Out = [];
  if (cs.res.name) out.push({ name: 'name', valueString: cs.res.name });
  if (cs.version) out.push({ name: 'version', valueString: cs.version });
  out.push({ name: 'code', valueCode: c.code }, { name: 'system', valueUri: cs.url });
  if (c.display) out.push({ name: 'display', valueString: c.display });
  if (c.definition && wants('definition')) out.push({ name: 'definition', valueString: c.definition });
  out.push({ name: 'abstract', valueBoolean: cs.isAbstract(c) });
  if (wants('designation'))
    for (const d of c.designation)
      out.push({
        name: 'designation',
        part: [
          ...(d.language ? [{ name: 'language', valueCode: d.language }] : []),
          ...(d.use ? [{ name: 'use', valueCoding: d.use }] : []),
          { name: 'value', valueString: d.value },
        ],
      });
  const prop = (code: string, value: Json, description?: string) =>
    out.push({
      name: 'property',
      part: [{ name: 'code', valueCode: code }, value, ...(description ? [{ name: 'description', valueString: description }] : [])],
    });
  if (wants('parent')) for (const x of c.parents) prop('parent', { name: 'value', valueCode: x }, cs.concepts.get(x)?.display);
  if (wants('child')) for (const x of c.children) prop('child', { name: 'value', valueCode: x }, cs.concepts.get(x)?.display);
  if (wants('inactive')) prop('inactive', { name: 'value', valueBoolean: cs.isInactive(c) });
  for (const x of c.property) {
    if (!wants(x.code) || x.code === 'parent' || x.code === 'child') continue;
    const v = Object.entries(x).find(([k]) => k.startsWith('value'));
    if (v) prop(x.code, { name: 'value', [v[0]]: v[1] });
  }
  return params(out);
}

export function engineError(e: TxError): EngineAnswer {
  return { status: e.status, body: outcomeJson(e.issues) };
}

export { issueJson, primitive };
