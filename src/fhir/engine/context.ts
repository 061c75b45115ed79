import { CodeSystemModel, compareVersions, type Json, versionMatches } from './model.js';

/**
 * The resources one request can see: those it supplies as `tx-resource` and those stored on the
 * server, each canonical resource by `url` and `version` (FHIR canonical references,
 * http://hl7.org/fhir/R4/references.html#canonical: `url|version`).
 */

/** An issue for an OperationOutcome, with the tx-issue-type code (http://hl7.org/fhir/tools/CodeSystem/tx-issue-type). */
export interface TxIssue {
  severity: 'error' | 'warning' | 'information' | 'fatal';
  code: string;
  txType: string;
  text: string;
  path?: string;
}

export class TxError extends Error {
  /** A problem with one include's code system (unknown version, version check): $validate-code reports it and goes on. */
  soft = false;
  /** Soft and already reported where the coding names the same system. */
  silent = false;
  constructor(
    readonly status: number,
    readonly issues: TxIssue[],
  ) {
    super(issues[0]?.text);
  }
}

export function soft(e: TxError, silent = false): TxError {
  e.soft = true;
  e.silent = silent;
  return e;
}

export function issueJson(i: TxIssue): Json {
  return {
    severity: i.severity,
    code: i.code,
    details: { coding: [{ system: 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type', code: i.txType }], text: i.text },
    ...(i.path ? { location: [i.path], expression: [i.path] } : {}),
  };
}

export function outcomeJson(issues: TxIssue[]): Json {
  return { resourceType: 'OperationOutcome', issue: issues.map(issueJson) };
}

export class TxContext {
  private cs = new Map<string, Json[]>();
  private vs = new Map<string, Json[]>();
  private models = new WeakMap<Json, CodeSystemModel>();

  constructor(resources: Json[]) {
    for (const r of resources) this.add(r);
  }

  add(r: Json): void {
    if (!r || typeof r.url !== 'string') return;
    const map = r.resourceType === 'CodeSystem' ? this.cs : r.resourceType === 'ValueSet' ? this.vs : undefined;
    if (!map) return;
    const list = map.get(r.url) ?? [];
    // A later resource with the same url and version replaces the earlier one.
    const i = list.findIndex((x) => (x.version ?? '') === (r.version ?? ''));
    if (i >= 0) list[i] = r;
    else list.push(r);
    map.set(r.url, list);
  }

  hasCodeSystem(url: string): boolean {
    return (this.cs.get(url) ?? []).some((r) => r.content !== 'supplement');
  }

  codeSystemVersions(url: string): string[] {
    return (this.cs.get(url) ?? [])
      .filter((r) => r.content !== 'supplement')
      .map((r) => r.version)
      .filter((v): v is string => typeof v === 'string')
      .sort(compareVersions);
  }

  rawCodeSystem(url: string, version?: string): Json | undefined {
    const list = (this.cs.get(url) ?? []).filter((r) => r.content !== 'supplement');
    if (!list.length) return undefined;
    if (version)
      return (
        list.find((r) => r.version === version) ??
        list
          .filter((r) => r.version && versionMatches(version, r.version))
          .sort(byVersion)
          .at(-1)
      );
    return [...list].sort(byVersion).at(-1);
  }

  /** The code system `url` at `version` (a pattern such as 1.0.x allowed), else its latest version. */
  codeSystem(url: string, version?: string): CodeSystemModel | undefined {
    const r = this.rawCodeSystem(url, version);
    if (!r) return undefined;
    let m = this.models.get(r);
    if (!m) {
      m = new CodeSystemModel(r);
      this.models.set(r, m);
    }
    return m;
  }

  supplement(url: string): Json | undefined {
    const [u, v] = url.split('|');
    const list = (this.cs.get(u) ?? []).filter((r) => r.content === 'supplement');
    return v ? list.find((r) => r.version === v) : list.sort(byVersion).at(-1);
  }

  supplementsOf(url: string): Json[] {
    const out: Json[] = [];
    for (const list of this.cs.values())
      for (const r of list)
        if (r.content === 'supplement' && typeof r.supplements === 'string' && r.supplements.split('|')[0] === url) out.push(r);
    return out;
  }

  /** A value set by `url` or `url|version`. */
  valueSet(ref: string, version?: string): Json | undefined {
    const i = ref.indexOf('|');
    const url = i >= 0 ? ref.slice(0, i) : ref;
    const v = version ?? (i >= 0 ? ref.slice(i + 1) : undefined);
    const list = this.vs.get(url) ?? [];
    if (v)
      return (
        list.find((r) => r.version === v) ??
        list
          .filter((r) => r.version && versionMatches(v, r.version))
          .sort(byVersion)
          .at(-1)
      );
    return [...list].sort(byVersion).at(-1);
  }

  isValueSetUrl(url: string): boolean {
    return this.vs.has(url.split('|')[0]);
  }
}

function byVersion(a: Json, b: Json): number {
  return compareVersions(a.version ?? '', b.version ?? '');
}

export function vurl(r: Json): string {
  return r.version ? `${r.url}|${r.version}` : r.url;
}
