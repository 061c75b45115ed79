/**
 * A terminology engine over any FHIR CodeSystem and ValueSet resource (FHIR R4/R5
 * CodeSystem, http://hl7.org/fhir/R4/codesystem.html; ValueSet, http://hl7.org/fhir/R4/valueset.html):
 * the resources supplied with a request as `tx-resource` parameters (the terminology ecosystem IG's
 * convention, http://hl7.org/fhir/uv/tx-ecosystem) and those stored on the server.
 *
 * This file holds the code system model: concepts flattened from the nested `concept` tree (and the
 * `parent`/`subsumedBy` properties), with status, abstract and deprecated flags read the way the
 * spec's concept-properties define them (http://hl7.org/fhir/concept-properties).
 */

export type Json = Record<string, any>;

export interface Designation {
  language?: string;
  use?: Json;
  value: string;
}

export interface Concept {
  code: string;
  display?: string;
  definition?: string;
  designation: Designation[];
  property: { code: string; value: Json }[];
  parents: string[];
  children: string[];
  extension?: Json[];
  /** Position in the code system's own (depth-first) order. */
  order: number;
}

const STATUS_INACTIVE = new Set(['retired', 'inactive']);

/** The value of a property or parameter (`valueCode`, `valueBoolean`, ...) as [key, value]. */
export function valueEntry(o: Json | undefined): [string, any] | undefined {
  if (!o) return undefined;
  for (const [k, v] of Object.entries(o)) if (k.startsWith('value')) return [k, v];
  return undefined;
}

export function primitive(o: Json | undefined): string | undefined {
  const v = valueEntry(o);
  if (!v) return undefined;
  const x = v[1];
  if (x === null || typeof x === 'object') {
    if (x && typeof x === 'object' && typeof x.code === 'string') return x.code;
    return undefined;
  }
  return String(x);
}

/** A CodeSystem resource made ready to answer: concepts by code, hierarchy, flags. */
export class CodeSystemModel {
  readonly url: string;
  readonly version?: string;
  readonly caseSensitive: boolean;
  readonly content: string;
  readonly concepts = new Map<string, Concept>();
  private lower?: Map<string, Concept>;
  readonly roots: string[] = [];
  readonly supplements: Json[] = [];

  constructor(readonly res: Json) {
    this.url = res.url;
    this.version = res.version;
    this.caseSensitive = res.caseSensitive !== false;
    this.content = res.content ?? 'complete';
    let n = 0;
    const walk = (list: Json[] | undefined, parent?: string) => {
      for (const c of list ?? []) {
        if (typeof c?.code !== 'string') continue;
        const concept: Concept = {
          code: c.code,
          display: c.display,
          definition: c.definition,
          designation: Array.isArray(c.designation) ? c.designation : [],
          property: Array.isArray(c.property) ? c.property : [],
          parents: parent ? [parent] : [],
          children: [],
          extension: c.extension,
          order: n++,
        };
        this.concepts.set(c.code, concept);
        if (parent) this.concepts.get(parent)!.children.push(c.code);
        else this.roots.push(c.code);
        walk(c.concept, c.code);
      }
    };
    walk(res.concept);
    // Hierarchy given by properties rather than nesting (R5 §4.8.8 "parent"/"subsumedBy").
    const parentProps = new Set(['parent', 'subsumedBy']);
    for (const p of res.property ?? [])
      if (p?.uri === 'http://hl7.org/fhir/concept-properties#parent' && typeof p.code === 'string') parentProps.add(p.code);
    for (const c of this.concepts.values()) {
      for (const p of c.property) {
        if (!parentProps.has(p.code)) continue;
        const v = primitive(p);
        if (!v || !this.concepts.has(v) || c.parents.includes(v)) continue;
        c.parents.push(v);
        this.concepts.get(v)!.children.push(c.code);
        const i = this.roots.indexOf(c.code);
        if (i >= 0) this.roots.splice(i, 1);
      }
    }
  }

  /** The concept for a code; case-insensitive code systems also match another case. */
  locate(code: string): Concept | undefined {
    const c = this.concepts.get(code);
    if (c || this.caseSensitive) return c;
    if (!this.lower) {
      this.lower = new Map();
      for (const x of this.concepts.values()) this.lower.set(x.code.toLowerCase(), x);
    }
    return this.lower.get(code.toLowerCase());
  }

  /** The property definition's code for a standard property URI, or the code itself. */
  private prop(c: Concept, code: string): Json | undefined {
    return c.property.find((p) => p.code === code);
  }

  status(c: Concept): string | undefined {
    const s = primitive(this.prop(c, 'status'));
    if (s) return s;
    const inactive = this.prop(c, 'inactive');
    if (inactive && primitive(inactive) === 'true') return 'inactive';
    return undefined;
  }

  isInactive(c: Concept): boolean {
    const inactive = this.prop(c, 'inactive');
    if (inactive) return primitive(inactive) === 'true';
    const s = primitive(this.prop(c, 'status'));
    return !!s && STATUS_INACTIVE.has(s);
  }

  isDeprecated(c: Concept): boolean {
    const s = primitive(this.prop(c, 'status'));
    if (s === 'deprecated') return true;
    return !!c.extension?.some(
      (e) => e.url === 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status' && e.valueCode === 'deprecated',
    );
  }

  isAbstract(c: Concept): boolean {
    for (const p of c.property) {
      if (p.code === 'notSelectable' || p.code === 'abstract') return primitive(p) === 'true';
    }
    return false;
  }

  /** The concept and everything under it, in the code system's order. */
  descendants(code: string, self: boolean): Concept[] {
    const out: Concept[] = [];
    const seen = new Set<string>();
    const walk = (k: string, include: boolean) => {
      if (seen.has(k)) return;
      seen.add(k);
      const c = this.concepts.get(k);
      if (!c) return;
      if (include) out.push(c);
      for (const ch of c.children) walk(ch, true);
    };
    walk(code, self);
    return out.sort((a, b) => a.order - b.order);
  }

  ancestors(code: string): Set<string> {
    const out = new Set<string>();
    const walk = (k: string) => {
      for (const p of this.concepts.get(k)?.parents ?? []) {
        if (out.has(p)) continue;
        out.add(p);
        walk(p);
      }
    };
    walk(code);
    return out;
  }

  all(): Concept[] {
    return [...this.concepts.values()].sort((a, b) => a.order - b.order);
  }

  /** Apply a supplement: its designations and properties join the base concepts. */
  addSupplement(s: Json): void {
    this.supplements.push(s);
    const walk = (list: Json[] | undefined) => {
      for (const sc of list ?? []) {
        const c = this.concepts.get(sc.code);
        if (c) {
          if (Array.isArray(sc.designation)) c.designation = [...c.designation, ...sc.designation];
          if (Array.isArray(sc.property)) c.property = [...c.property, ...sc.property];
          if (Array.isArray(sc.extension)) c.extension = [...(c.extension ?? []), ...sc.extension];
        }
        walk(sc.concept);
      }
    };
    walk(s.concept);
  }
}

/** Compare versions: dotted numbers numerically, otherwise as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

/** A version pattern with `x` or `*` wildcards (`1.0.x`) matches the versions it stands for. */
export function versionMatches(pattern: string, version: string): boolean {
  if (pattern === version) return true;
  if (!/(^|\.)(x|\*)(\.|$)/.test(pattern)) {
    // A shorter pattern matches a more detailed version (1.0 → 1.0.0), as semver readers do.
    return version.startsWith(`${pattern}.`);
  }
  const pp = pattern.split('.');
  const vp = version.split('.');
  for (let i = 0; i < pp.length; i++) {
    if (pp[i] === 'x' || pp[i] === '*') continue;
    if (pp[i] !== vp[i]) return false;
  }
  return true;
}
