import type { Store, ReleaseOut } from '../store/store.js';
import type { SystemId } from '../model.js';
import { SYSTEMS, SYSTEM_IDS, type SystemInfo } from '../systems.js';
import { notFound, invalid } from './outcome.js';

/** Shared pieces of the FHIR layer: the request context, system resolution and Parameters output. */

export interface FhirContext {
  store: Store;
  /** Base URL of the FHIR endpoint as the client reached it, e.g. `http://localhost:8080/fhir`. */
  base: string;
}

export type ParamOut = { name: string; part?: ParamOut[]; resource?: unknown } & Record<string, unknown>;

export interface ParametersResource {
  resourceType: 'Parameters';
  parameter: ParamOut[];
}

export function parameters(list: ParamOut[]): ParametersResource {
  return { resourceType: 'Parameters', parameter: list };
}

/** Canonical URI with the scheme and a trailing slash ignored, so http/https spellings of one URI meet. */
const looseUri = (u: string) =>
  u
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '');

/** The registry entry whose canonical URI this is (FHIR `system` values are URIs, never short ids). */
export function systemByUri(uri: string): SystemInfo | undefined {
  const exact = Object.values(SYSTEMS).find((s) => s.uri === uri);
  if (exact) return exact;
  const l = looseUri(uri);
  return Object.values(SYSTEMS).find((s) => looseUri(s.uri) === l);
}

export interface Loaded {
  info: SystemInfo;
  release: ReleaseOut;
}

/** Releases per open database (they change only when a new database is swapped in). */
const releaseCache = new WeakMap<object, Map<SystemId, ReleaseOut>>();

export function releases(store: Store): Map<SystemId, ReleaseOut> {
  let m = releaseCache.get(store.db);
  if (!m) {
    m = new Map(store.releases().map((r) => [r.system, r]));
    releaseCache.set(store.db, m);
  }
  return m;
}

/** Number of concepts of the current release of a system (deleted codes are history, not counted). */
export function conceptCount(store: Store, system: SystemId): number {
  // Store.counts() is counted once per opened database.
  return store.counts()[system]?.active ?? 0;
}

/** Loaded systems in registry order. */
export function loadedSystems(store: Store): Loaded[] {
  const rel = releases(store);
  return SYSTEM_IDS.filter((id) => rel.has(id)).map((id) => ({ info: SYSTEMS[id], release: rel.get(id)! }));
}

/**
 * Resolve a `system`/`url` parameter to a loaded release. Unknown URIs, known systems that are not
 * loaded (licensed ones a user has not imported) and other versions each get their own message.
 */
export function resolveLoaded(store: Store, uri: string | undefined, version?: string, param = 'system'): Loaded {
  if (uri === undefined || uri === '') throw invalid(`parameter "${param}" (the code system URI) is required`, param);
  const info = systemByUri(uri);
  if (!info) {
    const byId = SYSTEMS[uri.trim().toLowerCase() as SystemId];
    const hint = byId
      ? `; the canonical URI of ${byId.name} is ${byId.uri}`
      : `; known: ${loadedSystems(store)
          .map((l) => l.info.uri)
          .join(', ')}`;
    throw notFound(`unknown code system "${uri.slice(0, 200)}"${hint}`, param);
  }
  const release = releases(store).get(info.id);
  if (!release) {
    const why = info.bundled
      ? 'it has not been imported'
      : 'it is licensed and not shipped: import your own release files with "npx medcodes import"';
    throw notFound(`${info.name} (${info.uri}) is not loaded on this server: ${why}`, param);
  }
  if (version !== undefined && version !== '' && version !== release.version) {
    throw notFound(`version "${version.slice(0, 60)}" of ${info.name} is not available; this server has ${release.version}`, 'version');
  }
  return { info, release };
}

/** Resolve a CodeSystem resource id (the short id) to a loaded release. */
export function loadedById(store: Store, id: string): Loaded {
  const info = SYSTEMS[id as SystemId];
  const release = info ? releases(store).get(info.id) : undefined;
  if (!info || !release)
    throw notFound(
      `no CodeSystem with id "${id.slice(0, 60)}"; this server has ${loadedSystems(store)
        .map((l) => l.info.id)
        .join(', ')}`,
    );
  return { info, release };
}
