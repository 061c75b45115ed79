import { z } from 'zod';
import type { SystemId } from '../model.js';
import type { Store } from '../store/store.js';
import { SYSTEMS } from '../systems.js';

/**
 * The release an answer comes from, with its licence, as every MCP result carries it: an agent that
 * quotes a code should be able to say from which release, and licensed content (CPT, SNOMED CT, …)
 * must travel with its notice (the notice the importer stored from the user's release files).
 */

/** Code sets in the US public domain (CMS, CDC-NCHS, FDA): no notice is required to reuse them. */
const PUBLIC_DOMAIN = new Set<SystemId>(['icd10cm', 'icd10pcs', 'hcpcs', 'icd9cm', 'icd9pcs', 'ndc']);

export function licenceOf(system: SystemId): string {
  const info = SYSTEMS[system];
  if (PUBLIC_DOMAIN.has(system)) return `US public domain (${info.publisher})`;
  if (info.bundled) return `© ${info.publisher}; redistributed unmodified with its notice`;
  return `Licensed by ${info.publisher}: imported by this server's operator from their own licensed release; use under that licence (see notice)`;
}

export const ReleaseSchema = z.object({
  system: z.string().describe('Short id of the code system.'),
  name: z.string(),
  version: z.string().describe('The loaded release, e.g. FY2026.'),
  effective: z.string().optional().describe('The first day the release is in effect (YYYY-MM-DD).'),
  licence: z.string(),
  notice: z.string().optional().describe('The notice that must accompany content of this release.'),
});
export type ReleaseInfo = z.infer<typeof ReleaseSchema>;

/** The loaded release of a system, or undefined when it is not loaded. */
export function releaseOf(store: Store, system: SystemId): ReleaseInfo | undefined {
  const r = store.releases().find((x) => x.system === system);
  if (!r) return undefined;
  return {
    system,
    name: SYSTEMS[system].name,
    version: r.version,
    ...(r.effective ? { effective: r.effective } : {}),
    licence: licenceOf(system),
    ...(r.notice ? { notice: r.notice } : {}),
  };
}

/** The releases of several systems, each once, in the order given. */
export function releasesOf(store: Store, systems: Iterable<SystemId>): ReleaseInfo[] {
  const out: ReleaseInfo[] = [];
  for (const s of new Set(systems)) {
    const r = releaseOf(store, s);
    if (r) out.push(r);
  }
  return out;
}

/** The one-line attribution under a text rendering. */
export function releaseLine(r: ReleaseInfo): string {
  return `Source: ${r.name} ${r.version}${r.effective ? ` (effective ${r.effective})` : ''}; ${r.licence}.${r.notice ? ` ${r.notice}` : ''}`;
}
