import type { Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import { SYSTEMS } from '../systems.js';
import { invalid, notFound } from './outcome.js';
import type { OpParams, Coding } from './params.js';
import { findRow } from './codesystem.js';
import { parameters, releases, resolveLoaded, type FhirContext, type ParamOut, type ParametersResource } from './resources.js';

/**
 * ConceptMaps for the crosswalks in the mappings table (the General Equivalence Mappings, one map per
 * direction: ICD-10-CM → ICD-9-CM, ICD-9-CM → ICD-10-CM, ICD-10-PCS → ICD-9-CM procedures and back),
 * and ConceptMap/$translate (http://hl7.org/fhir/R4/conceptmap-operation-translate.html).
 *
 * GEM flags (CMS, "2018 ICD-10-CM and GEMs" / "ICD-10-PCS and GEMs" documentation) become R4
 * ConceptMapEquivalence codes (http://hl7.org/fhir/R4/valueset-concept-map-equivalence.html):
 *   approximate flag 0 → equivalent; approximate flag 1 → inexact; no map flag 1 → unmatched.
 * A combination entry (scenario s, choice list c) needs one code of every choice list of its
 * scenario together: each match carries the codes of the other choice lists of the scenario as
 * `product` (R4: "another element that is the product of this mapping").
 */

export interface MapInfo {
  id: string;
  from: SystemId;
  to: SystemId;
  source: string;
  version: string;
  rows: number;
}

const mapCache = new WeakMap<object, MapInfo[]>();

/** The maps present in the database: one per (from, to, source). */
export function conceptMaps(store: Store): MapInfo[] {
  let maps = mapCache.get(store.db);
  if (!maps) {
    const rows = store.db
      .prepare(
        'SELECT from_system AS "from", to_system AS "to", source, max(version) AS version, count(*) AS n FROM mappings GROUP BY from_system, to_system, source ORDER BY source, from_system, to_system',
      )
      .all() as { from: SystemId; to: SystemId; source: string; version: string; n: number }[];
    maps = rows
      .filter((r) => SYSTEMS[r.from] && SYSTEMS[r.to])
      .map((r) => ({
        id: `${r.source}-${r.from}-to-${r.to}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
        from: r.from,
        to: r.to,
        source: r.source,
        version: r.version,
        rows: r.n,
      }));
    mapCache.set(store.db, maps);
  }
  return maps;
}

const mapTitle = (m: MapInfo) =>
  `${m.source === 'gems' ? 'General Equivalence Mappings' : m.source} ${SYSTEMS[m.from].name} to ${SYSTEMS[m.to].name}`;

export function conceptMapUrl(ctx: FhirContext, m: MapInfo): string {
  return `${ctx.base}/ConceptMap/${m.id}`;
}

export function conceptMapResource(ctx: FhirContext, m: MapInfo): Record<string, unknown> {
  const from = SYSTEMS[m.from];
  const to = SYSTEMS[m.to];
  return {
    resourceType: 'ConceptMap',
    id: m.id,
    url: conceptMapUrl(ctx, m),
    version: m.version,
    name: mapTitle(m).replace(/[^A-Za-z0-9]+/g, '_'),
    title: `${mapTitle(m)} (${m.version})`,
    status: 'active',
    experimental: false,
    publisher: 'Centers for Medicare & Medicaid Services',
    description: `${mapTitle(m)}, ${m.rows} entries, from the official ${m.source === 'gems' ? 'GEM' : m.source} files (version ${m.version}). Concepts are not inlined: use $translate.`,
    // The maps read whole code systems: their implicit value sets.
    sourceUri: `${from.uri}?fhir_vs`,
    targetUri: `${to.uri}?fhir_vs`,
  };
}

export function conceptMapById(store: Store, id: string): MapInfo {
  const m = conceptMaps(store).find((x) => x.id === id);
  if (!m)
    throw notFound(
      `no ConceptMap with id "${id.slice(0, 80)}"; this server has ${
        conceptMaps(store)
          .map((x) => x.id)
          .join(', ') || 'none'
      }`,
    );
  return m;
}

/** A map named by canonical URL: this server's URL for it, or any URL ending in /ConceptMap/{id}. */
export function conceptMapByUrl(ctx: FhirContext, url: string): MapInfo | undefined {
  const id = /\/ConceptMap\/([^/?#|]+)$/.exec(url.split('|')[0])?.[1] ?? url;
  return conceptMaps(ctx.store).find((m) => m.id === id || conceptMapUrl(ctx, m) === url);
}

/** An implicit value set URL (`{system}?fhir_vs`) or a bare system URI, as the system it covers. */
function systemOfValueSet(store: Store, uri: string, param: string): SystemId {
  return resolveLoaded(store, uri.replace(/\?fhir_vs.*$/, ''), undefined, param).info.id;
}

interface Flags {
  approximate?: boolean;
  noMap?: boolean;
  combination?: boolean;
  scenario?: number;
  choiceList?: number;
}

function equivalence(f: Flags): 'equivalent' | 'inexact' | 'unmatched' {
  if (f.noMap) return 'unmatched';
  return f.approximate ? 'inexact' : 'equivalent';
}

/**
 * $translate. The maps used: the instance, or `url`, or every map from the code's system (to it,
 * with `reverse`), narrowed by `targetsystem`, `target` and `source` (value set URLs).
 */
export function translateOperation(ctx: FhirContext, p: OpParams, instance?: MapInfo): ParametersResource {
  const store = ctx.store;
  const reverse = p.boolean('reverse') ?? false;
  const coding = p.coding('coding');
  const cc = p.codeableConcept('codeableConcept');
  const code = p.string('code');
  if ([coding, cc, code].filter((x) => x !== undefined).length !== 1)
    throw invalid('give one of "code" (with "system"), "coding" or "codeableConcept"', 'code');
  if (p.has('conceptMap'))
    throw invalid(
      'translating with a ConceptMap given in the request is not supported: name one of this server\'s maps with "url"',
      'conceptMap',
    );
  if (p.has('dependency')) throw invalid('"dependency" is not supported: the GEMs have no dependencies', 'dependency');
  const codings: Coding[] = cc ?? [coding ?? { code, system: p.string('system'), version: p.string('version') }];

  let maps = conceptMaps(store);
  const url = p.string('url');
  if (instance) maps = [instance];
  else if (url !== undefined) {
    const m = conceptMapByUrl(ctx, url);
    if (!m)
      throw notFound(
        `no ConceptMap "${url.slice(0, 200)}"; this server has ${
          conceptMaps(store)
            .map((x) => conceptMapUrl(ctx, x))
            .join(', ') || 'none'
        }`,
        'url',
      );
    maps = [m];
  }
  const mapVersion = p.string('conceptMapVersion');
  if (mapVersion !== undefined) maps = maps.filter((m) => m.version === mapVersion);
  const targetsystem = p.string('targetsystem');
  const target = p.string('target');
  const sourceVs = p.string('source');
  // With reverse the roles swap: the code is in the map's target system, the answers in its source.
  const answerSide = (m: MapInfo) => (reverse ? m.from : m.to);
  const codeSide = (m: MapInfo) => (reverse ? m.to : m.from);
  if (targetsystem !== undefined) {
    const t = resolveLoaded(store, targetsystem, undefined, 'targetsystem').info.id;
    maps = maps.filter((m) => answerSide(m) === t);
  }
  if (target !== undefined) {
    const t = systemOfValueSet(store, target, 'target');
    maps = maps.filter((m) => answerSide(m) === t);
  }
  if (sourceVs !== undefined) {
    const s = systemOfValueSet(store, sourceVs, 'source');
    maps = maps.filter((m) => codeSide(m) === s);
  }

  const matches: ParamOut[] = [];
  const messages: string[] = [];
  for (const c of codings) {
    if (!c.code || !c.code.trim()) throw invalid('the code to translate is empty', 'code');
    if (!c.system) throw invalid('"system" is required with "code" (the code system of the code to translate)', 'system');
    const loaded = resolveLoaded(store, c.system, c.version, 'system');
    const sys = loaded.info.id;
    const own = maps.filter((m) => codeSide(m) === sys);
    if (!own.length) {
      messages.push(
        `no ConceptMap on this server maps ${reverse ? 'to' : 'from'} ${loaded.info.name}${targetsystem || target ? ' to the target asked' : ''}`,
      );
      continue;
    }
    const row = findRow(store, sys, c.code, 'code');
    if (!row) {
      messages.push(`${loaded.info.name} has no code "${c.code.trim().slice(0, 40)}"`);
      continue;
    }
    const before = matches.length;
    for (const m of own) matches.push(...translateOne(ctx, m, row.key, reverse));
    if (matches.length === before) messages.push(`${row.code} has no entry in ${own.map(mapTitle).join(', ')}`);
  }
  const result = matches.some((m) => !['unmatched', 'disjoint'].includes(String(m.part![0].valueCode)));
  const unmatchedOnly = matches.length > 0 && !result;
  if (unmatchedOnly) messages.push('the map says there is no equivalent code (GEM "no map" entry)');
  return parameters([
    { name: 'result', valueBoolean: result },
    ...(messages.length ? [{ name: 'message', valueString: messages.join('; ') }] : []),
    ...matches,
  ]);
}

function translateOne(ctx: FhirContext, m: MapInfo, key: string, reverse: boolean): ParamOut[] {
  const store = ctx.store;
  const sql = reverse
    ? 'SELECT from_key AS other, flags FROM mappings WHERE to_system = ? AND to_key = ? AND from_system = ? AND source = ? ORDER BY rowid'
    : 'SELECT to_key AS other, flags FROM mappings WHERE from_system = ? AND from_key = ? AND to_system = ? AND source = ? ORDER BY rowid';
  const rows = (
    store.db.prepare(sql).all(reverse ? m.to : m.from, key, reverse ? m.from : m.to, m.source) as { other: string; flags: string | null }[]
  ).map((r) => ({ other: r.other, flags: (r.flags ? JSON.parse(r.flags) : {}) as Flags }));
  const answerSystem = reverse ? m.from : m.to;
  const uri = SYSTEMS[answerSystem].uri;
  const version = releases(store).get(answerSystem)?.version;
  const titles = new Map<string, { code: string; display: string } | undefined>();
  const title = (k: string) => {
    if (!titles.has(k)) titles.set(k, store.title(answerSystem, k));
    return titles.get(k);
  };
  const coding = (k: string) => {
    const t = title(k);
    return { system: uri, ...(version ? { version } : {}), code: t?.code ?? k, ...(t ? { display: t.display } : {}) };
  };
  const out: ParamOut[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const eq = equivalence(r.flags);
    // Products: the other choice lists of the same combination scenario (forward direction only).
    const products =
      !reverse && r.flags.combination && !r.flags.noMap
        ? rows.filter(
            (o) => o.flags.combination && o.flags.scenario === r.flags.scenario && o.flags.choiceList !== r.flags.choiceList && o.other,
          )
        : [];
    const sig = `${eq}|${r.other}|${products.map((o) => o.other).join(',')}`;
    if (seen.has(sig)) continue;
    seen.add(sig);
    const part: ParamOut[] = [{ name: 'equivalence', valueCode: eq }];
    if (r.other && eq !== 'unmatched') part.push({ name: 'concept', valueCoding: coding(r.other) });
    for (const o of products)
      part.push({
        name: 'product',
        part: [
          { name: 'element', valueUri: uri },
          { name: 'concept', valueCoding: coding(o.other) },
        ],
      });
    part.push({ name: 'source', valueUri: conceptMapUrl(ctx, m) });
    out.push({ name: 'match', part });
  }
  return out;
}
