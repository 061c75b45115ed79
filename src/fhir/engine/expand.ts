import { randomUUID } from 'node:crypto';
import { RE2JS } from 're2js';
import { type TxContext, TxError, soft, vurl } from './context.js';
import { type CodeSystemModel, type Concept, type Json, primitive } from './model.js';

/**
 * ValueSet expansion over the engine's resources (R4 §4.9.8 "Value Set Expansion",
 * http://hl7.org/fhir/R4/valueset.html#expansion and $expand, http://hl7.org/fhir/R4/valueset-operation-expand.html):
 * `compose.include` entries (a whole system, a `concept` list, `filter`s, `valueSet` imports, or
 * both: the intersection), minus `compose.exclude`; then `activeOnly`, text `filter`, paging.
 */

/** Bounds of one expansion, checked before and during the work (issue 13: a bounded cost per request). */
export const ENGINE_LIMITS = { maxIncludes: 100, maxConcepts: 100_000, maxCount: 1000, maxOffset: 100_000, maxDepth: 20 };

export interface ExpandOptions {
  activeOnly?: boolean;
  filter?: string;
  count?: number;
  offset?: number;
  excludeNested?: boolean;
  includeDesignations?: boolean;
  includeDefinition?: boolean;
  displayLanguage?: string;
  /** system-version / force-system-version / check-system-version: system url → version. */
  systemVersion: Map<string, string>;
  forceSystemVersion: Map<string, string>;
  checkSystemVersion: Map<string, string>;
}

export interface ExpItem {
  system: string;
  version?: string;
  code: string;
  display?: string;
  abstract?: boolean;
  inactive?: boolean;
  concept?: Concept;
  cs?: CodeSystemModel;
  includeDisplay?: string;
  includeDesignations?: Json[];
}

export interface Expansion {
  items: ExpItem[];
  usedCodeSystems: Set<string>;
  usedValueSets: Set<string>;
  usedSupplements: Set<string>;
  warnings: { name: string; value: string }[];
}

const SYSTEM_FILTER_PROPS = new Set(['concept', 'code']);

export class Expander {
  private depth = 0;
  private seen: string[] = [];
  constructor(
    readonly ctx: TxContext,
    readonly opts: ExpandOptions,
  ) {}

  /** Pick the version of a system an include asks for, under the request's version rules. */
  resolveVersion(system: string, includeVersion?: string): string | undefined {
    const forced = this.opts.forceSystemVersion.get(system);
    if (forced) return forced;
    const pref = this.prefer.get(system);
    if (includeVersion) return pref && versionMatchesPattern(includeVersion, pref) ? pref : includeVersion;
    return pref ?? this.opts.systemVersion.get(system);
  }

  /** For $validate-code: the version each system's includes resolve to (the coding's, when compatible). */
  prefer = new Map<string, string>();
  /** For $validate-code: problems with an include are reported rather than thrown, and the include skipped. */
  problems?: { status: number; issues: import('./context.js').TxIssue[] }[];

  codeSystemFor(system: string, includeVersion: string | undefined, purpose: 'expand' | 'validate'): CodeSystemModel {
    const version = this.resolveVersion(system, includeVersion);
    const cs = this.ctx.codeSystem(system, version);
    if (!cs) {
      const known = this.ctx.codeSystemVersions(system);
      if (version && this.ctx.hasCodeSystem(system))
        throw soft(
          new TxError(422, [
            {
              severity: 'error',
              code: 'not-found',
              txType: 'not-found',
              text: `A definition for CodeSystem '${system}' version '${version}' could not be found, so the ${purpose === 'expand' ? 'value set cannot be expanded' : 'code cannot be validated'}. Valid versions: ${known.join(' or ')}`,
            },
          ]),
        );
      throw soft(
        new TxError(422, [
          {
            severity: 'error',
            code: 'not-found',
            txType: 'not-found',
            text: `A definition for CodeSystem '${system}'${version ? ` version '${version}'` : ''} could not be found, so the value set cannot be expanded`,
          },
        ]),
        true,
      );
    }
    const check = this.opts.checkSystemVersion.get(system);
    if (check && cs.version && !versionOk(check, cs.version))
      throw soft(
        new TxError(422, [
          {
            severity: 'error',
            code: 'exception',
            txType: 'version-error',
            text: `The version '${cs.version}' is not allowed for system '${system}': required to be '${check}' by a version-check parameter`,
          },
        ]),
      );
    for (const s of this.ctx.supplementsOf(system)) if (!cs.supplements.includes(s)) cs.addSupplement(s);
    return cs;
  }

  expand(vs: Json): Expansion {
    const exp: Expansion = { items: [], usedCodeSystems: new Set(), usedValueSets: new Set(), usedSupplements: new Set(), warnings: [] };
    const key = vurl(vs);
    if (this.seen.includes(key))
      throw new TxError(400, [
        {
          severity: 'error',
          code: 'processing',
          txType: 'vs-invalid',
          text: `Circular reference to value set ${key} in ${this.seen.join(', ')}`,
        },
      ]);
    if (++this.depth > ENGINE_LIMITS.maxDepth)
      throw new TxError(422, [
        {
          severity: 'error',
          code: 'too-costly',
          txType: 'too-costly',
          text: `value sets import each other more than ${ENGINE_LIMITS.maxDepth} deep`,
        },
      ]);
    this.seen.push(key);
    const std = standardsStatus(vs);
    if (std === 'deprecated' || std === 'withdrawn') exp.warnings.push({ name: `warning-${std}`, value: key });
    try {
      const compose = vs.compose ?? {};
      const includes: Json[] = Array.isArray(compose.include) ? compose.include : [];
      const excludes: Json[] = Array.isArray(compose.exclude) ? compose.exclude : [];
      if (includes.length + excludes.length > ENGINE_LIMITS.maxIncludes)
        throw new TxError(422, [
          {
            severity: 'error',
            code: 'too-costly',
            txType: 'too-costly',
            text: `the value set has ${includes.length + excludes.length} include/exclude entries; the limit is ${ENGINE_LIMITS.maxIncludes}`,
          },
        ]);
      if (!includes.length && Array.isArray(vs.expansion?.contains)) {
        for (const c of flattenContains(vs.expansion.contains))
          exp.items.push({ system: c.system, version: c.version, code: c.code, display: c.display });
        return exp;
      }
      const seenInc = new Set<string>();
      const out = new Map<string, ExpItem>();
      for (const inc of includes) {
        // Identical includes add nothing: evaluated once (issue 13).
        const k = JSON.stringify(inc);
        if (seenInc.has(k)) continue;
        seenInc.add(k);
        for (const it of this.guarded(() => this.conceptSet(inc, exp))) {
          const id = `${it.system}|${it.code}`;
          if (!out.has(id)) out.set(id, it);
          if (out.size > ENGINE_LIMITS.maxConcepts) throw tooMany();
        }
      }
      for (const ex of excludes) {
        for (const it of this.guarded(() => this.conceptSet(ex, exp))) out.delete(`${it.system}|${it.code}`);
      }
      exp.items = [...out.values()];
      return exp;
    } finally {
      this.seen.pop();
      this.depth--;
    }
  }

  private guarded(f: () => ExpItem[]): ExpItem[] {
    if (!this.problems) return f();
    try {
      return f();
    } catch (e) {
      if (!(e instanceof TxError) || !e.soft) throw e;
      if (!e.silent) this.problems.push({ status: e.status, issues: e.issues });
      return [];
    }
  }

  /** One include or exclude entry: its system's concepts (listed or filtered) ∩ its imported value sets. */
  private conceptSet(inc: Json, exp: Expansion): ExpItem[] {
    let items: ExpItem[] | undefined;
    if (typeof inc.system === 'string') {
      const cs = this.codeSystemFor(inc.system, inc.version, 'expand');
      exp.usedCodeSystems.add(vurl(cs.res));
      for (const s of cs.supplements) exp.usedSupplements.add(vurl(s));
      for (const [kind, name] of [
        ['deprecated', 'warning-deprecated'],
        ['withdrawn', 'warning-withdrawn'],
      ]) {
        if (standardsStatus(cs.res) === kind) exp.warnings.push({ name, value: vurl(cs.res) });
      }
      if (cs.res.status === 'draft') exp.warnings.push({ name: 'warning-draft', value: vurl(cs.res) });
      if (cs.res.experimental === true) exp.warnings.push({ name: 'warning-experimental', value: vurl(cs.res) });
      let concepts: { c: Concept; display?: string; designation?: Json[] }[];
      if (Array.isArray(inc.concept)) {
        concepts = [];
        for (const ref of inc.concept) {
          const c = typeof ref?.code === 'string' ? cs.locate(ref.code) : undefined;
          if (c) concepts.push({ c, display: ref.display, designation: ref.designation });
        }
      } else concepts = cs.all().map((c) => ({ c }));
      for (const f of Array.isArray(inc.filter) ? inc.filter : []) {
        const keep = this.filter(cs, f);
        concepts = concepts.filter((x) => keep(x.c));
      }
      items = concepts.map(({ c, display, designation }) => ({
        system: cs.url,
        version: cs.version,
        code: c.code,
        display: c.display,
        abstract: cs.isAbstract(c) || undefined,
        inactive: cs.isInactive(c) || undefined,
        concept: c,
        cs,
        includeDisplay: display,
        includeDesignations: designation,
      }));
    }
    for (const ref of Array.isArray(inc.valueSet) ? inc.valueSet : []) {
      const vs = this.ctx.valueSet(ref);
      if (!vs)
        throw new TxError(422, [
          { severity: 'error', code: 'not-found', txType: 'not-found', text: `A definition for the value Set '${ref}' could not be found` },
        ]);
      exp.usedValueSets.add(vurl(vs));
      const sub = this.expand(vs);
      for (const s of sub.usedCodeSystems) exp.usedCodeSystems.add(s);
      exp.warnings.push(...sub.warnings);
      const keys = new Set(sub.items.map((x) => `${x.system}|${x.code}`));
      items = items ? items.filter((x) => keys.has(`${x.system}|${x.code}`)) : sub.items;
    }
    return items ?? [];
  }

  /** A compose filter as a predicate (R4 filter-operator, http://hl7.org/fhir/R4/valueset-filter-operator.html). */
  filter(cs: CodeSystemModel, f: Json): (c: Concept) => boolean {
    const prop = String(f?.property ?? '');
    const op = String(f?.op ?? '');
    const value = f?.value;
    if (value === undefined || value === '')
      throw new TxError(422, [
        {
          severity: 'error',
          code: 'invalid',
          txType: 'vs-invalid',
          text: `The system ${cs.url} filter with property = ${prop}, op = ${op} has no value`,
        },
      ]);
    const v = String(value);
    if (SYSTEM_FILTER_PROPS.has(prop) || prop === 'parent' || prop === 'child') {
      switch (op) {
        case 'is-a': {
          const set = new Set(cs.descendants(v, true).map((c) => c.code));
          return (c) => set.has(c.code);
        }
        case 'descendent-of': {
          const set = new Set(cs.descendants(v, false).map((c) => c.code));
          return (c) => set.has(c.code);
        }
        case 'is-not-a': {
          const set = new Set(cs.descendants(v, true).map((c) => c.code));
          return (c) => !set.has(c.code);
        }
        case 'child-of':
          return (c) => c.parents.includes(v);
        case 'generalizes': {
          const set = cs.ancestors(v);
          set.add(v);
          return (c) => set.has(c.code);
        }
        case '=':
          return (c) => c.code === v;
        case 'in': {
          const set = new Set(v.split(',').map((s) => s.trim()));
          return (c) => set.has(c.code);
        }
        case 'not-in': {
          const set = new Set(v.split(',').map((s) => s.trim()));
          return (c) => !set.has(c.code);
        }
        case 'regex': {
          const re = safeRegex(v);
          return (c) => re.test(c.code);
        }
        case 'exists':
          return () => v === 'true';
      }
    }
    if (prop === 'display' || prop === 'definition') {
      const get = (c: Concept) => (prop === 'display' ? c.display : c.definition) ?? '';
      if (op === '=') return (c) => get(c) === v;
      if (op === 'regex') {
        const re = safeRegex(v);
        return (c) => re.test(get(c));
      }
      if (op === 'exists') return (c) => (get(c) !== '') === (v === 'true');
    }
    // Any other name is a concept property (CodeSystem.property.code).
    const values = (c: Concept) => c.property.filter((p) => p.code === prop).map((p) => primitive(p) ?? '');
    const statusLike = (c: Concept): string[] => {
      const own = values(c);
      if (own.length) return own;
      if (prop === 'inactive') return [String(cs.isInactive(c))];
      if (prop === 'notSelectable') return [String(cs.isAbstract(c))];
      return [];
    };
    switch (op) {
      case '=':
        return (c) => statusLike(c).includes(v);
      case 'in': {
        const set = new Set(v.split(',').map((s) => s.trim()));
        return (c) => statusLike(c).some((x) => set.has(x));
      }
      case 'not-in': {
        const set = new Set(v.split(',').map((s) => s.trim()));
        return (c) => !statusLike(c).some((x) => set.has(x));
      }
      case 'regex': {
        const re = safeRegex(v);
        return (c) => statusLike(c).some((x) => re.test(x));
      }
      case 'exists':
        return (c) => statusLike(c).length > 0 === (v === 'true');
    }
    throw new TxError(422, [
      {
        severity: 'error',
        code: 'not-supported',
        txType: 'vs-invalid',
        text: `The filter "${prop} ${op} ${v}" is not supported for ${cs.url}`,
      },
    ]);
  }
}

/**
 * A regex filter matches the whole value (FHIR regex filters are anchored, as XML Schema patterns
 * are). Matched by RE2 (re2js), whose time is linear in the input: a hostile pattern such as
 * `((a+)+)+` cannot hold the event loop the way a backtracking engine would (issue 13).
 */
function safeRegex(v: string): { test(s: string): boolean } {
  if (v.length > 500)
    throw new TxError(422, [
      { severity: 'error', code: 'too-costly', txType: 'too-costly', text: 'the regex filter is longer than 500 characters' },
    ]);
  try {
    const re = RE2JS.compile(v);
    return { test: (s: string) => re.matches(s) };
  } catch (e) {
    throw new TxError(400, [
      { severity: 'error', code: 'invalid', txType: 'vs-invalid', text: `The regex '${v}' is not valid: ${(e as Error).message}` },
    ]);
  }
}

function tooMany(): TxError {
  return new TxError(422, [
    {
      severity: 'error',
      code: 'too-costly',
      txType: 'too-costly',
      text: `The value set expansion has more than ${ENGINE_LIMITS.maxConcepts} concepts; the limit is ${ENGINE_LIMITS.maxConcepts}`,
    },
  ]);
}

export function standardsStatus(r: Json): string | undefined {
  return r.extension?.find((e: Json) => e.url === 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status')
    ?.valueCode;
}

/** An include's version (1.x.x, 1.0, 1.0.0) admits a concrete version. */
export function versionMatchesPattern(pattern: string, version: string): boolean {
  if (pattern === version) return true;
  const pp = pattern.split('.');
  const vp = version.split('.');
  if (pp.some((p) => p === 'x' || p === '*')) return pp.every((p, i) => p === 'x' || p === '*' || p === vp[i]);
  return version.startsWith(`${pattern}.`);
}

export function versionOk(pattern: string, version: string): boolean {
  if (pattern === version) return true;
  const pp = pattern.split('.');
  const vp = version.split('.');
  return pp.every((p, i) => p === 'x' || p === '*' || p === vp[i]);
}

function flattenContains(list: Json[]): Json[] {
  const out: Json[] = [];
  for (const c of list) {
    if (c.code) out.push(c);
    if (Array.isArray(c.contains)) out.push(...flattenContains(c.contains));
  }
  return out;
}

export function newIdentifier(): string {
  return `urn:uuid:${randomUUID()}`;
}
