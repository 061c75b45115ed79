import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { gatherSources, sourceChunks } from '../sources.js';
import type { Mapping } from '../../model.js';
import type { StoreWriter } from '../../store/writer.js';
import { MedCodesError } from '../../errors.js';
import { listZip } from '../zip.js';
import { loadManifest, manifestEntryFor } from '../../manifest.js';
import { GEM_SYSTEMS, gemDirectionFromFileName, readGem, type GemDirection, type GemEntry } from './gems.js';

/**
 * The GEMs importer: the General Equivalence Mappings between ICD-9-CM and ICD-10-CM / ICD-10-PCS
 * (CMS / CDC-NCHS, 2018, the final release), from `Dxgem_2018.zip` (2018_I10gem.txt, 2018_I9gem.txt)
 * and the procedure GEMs gem_pcsi9.txt and gem_i9pcs.txt, bare or zipped.
 *
 * Every row of a GEM becomes one Mapping (from the source code to the target code, keys undotted as
 * the systems' keys are), with its flags decoded: approximate, noMap, combination, scenario and
 * choiceList, as in the file. Lookup shows a code's mappings in both directions, so the page of E11.9
 * lists 250.00 as its forward translation (I10gem: E119 -> 25000) and as a backward one (I9gem:
 * 25000 -> E119); the direction and the flags tell them apart.
 *
 * No-map rows ("no acceptable translation exists in the target system") are kept, so that a code page
 * can say "no ICD-9-CM equivalent" instead of showing nothing: they are written with an empty target
 * key (`toKey: ''`, never a code of any system) and `flags.noMap: true`. The filed target text (NoDx,
 * NoPCS, NoI9) is not a code and is not stored. In gem_pcsi9.txt 29 rows have the target NoI9 but
 * no-map flag 0 (flags 10000); they are no-map rows all the same (there is no target), written with
 * `noMap: true` and `filedFlags` holding the five flag digits as filed.
 *
 * This importer owns no code system: it writes mappings between systems other importers own. Its
 * mappings carry `source: 'gems'` and are replaced whole at each GEM import (see `clearGemMappings`).
 * No release row is written: `releases` has one row per code system, which is the ICD importers'.
 */

/** `source` of every mapping this importer writes. */
export const GEM_SOURCE = 'gems';

interface GemSource {
  file: string;
  member?: string;
  direction: GemDirection;
}

const label = (s: GemSource) => (s.member ? `${basename(s.file)}:${s.member}` : basename(s.file));

async function sourcesOf(file: string): Promise<GemSource[]> {
  const direct = gemDirectionFromFileName(file);
  if (direct) return [{ file, direction: direct }];
  if (!/\.zip$/i.test(file)) return [];
  let members;
  try {
    members = await listZip(file);
  } catch {
    return [];
  }
  return members.flatMap((m) => {
    const direction = gemDirectionFromFileName(m.name);
    return direction ? [{ file, member: m.name, direction }] : [];
  });
}

/**
 * The GEM release year: from the member's or the file's name (`2018_I10gem.txt`, `Dxgem_2018.zip`),
 * else from the data manifest for a bundled file (gem_i9pcs.txt has no year in its name), else
 * `undated`.
 */
export function gemVersion(s: { file: string; member?: string }): string {
  // The member's whole path (a folder inside the zip may carry the year), the file's own name only.
  for (const name of [s.member, basename(s.file)]) {
    const m = name && /(?:^|[^0-9])((?:19|20)\d{2})(?:[^0-9]|$)/.exec(name);
    if (m) return m[1];
  }
  try {
    const entry = manifestEntryFor(s.file, loadManifest());
    if (entry) return entry.version;
  } catch {
    // No manifest: a user's own file.
  }
  return 'undated';
}

/** The Mapping written for one GEM row (no-map rows included: see the module comment). */
export function gemMapping(e: GemEntry, direction: GemDirection, version: string): Mapping {
  const sys = GEM_SYSTEMS[direction];
  const noMap = e.target === null || e.noMap;
  return {
    fromSystem: sys.from,
    fromKey: e.source,
    toSystem: sys.to,
    toKey: e.target ?? '',
    flags: {
      approximate: e.approximate,
      noMap,
      combination: e.combination,
      scenario: e.scenario,
      choiceList: e.choiceList,
      ...(noMap !== e.noMap ? { filedFlags: e.flags } : {}),
    },
    source: GEM_SOURCE,
    version,
  };
}

/**
 * Removes the mappings of an earlier GEM import, so that importing GEMs again replaces them. The
 * writer clears by code system, and this importer has none of its own.
 */
export function clearGemMappings(writer: StoreWriter): number {
  return writer.clearMappings(GEM_SOURCE);
}

export const gemsImporter: Importer = {
  id: 'gems',
  systems: [],
  describe: 'General Equivalence Mappings ICD-9-CM <-> ICD-10-CM / ICD-10-PCS (2018)',
  async claim(file) {
    return (await sourcesOf(file)).length > 0;
  },
  async run(files, ctx) {
    return importGems(files, ctx);
  },
};

export async function importGems(files: string[], ctx: ImportContext): Promise<ImportSummary[]> {
  const { writer, progress } = ctx;
  const sources: GemSource[] = await gatherSources(files, ctx, 'GEMs', sourcesOf);
  if (!sources.length)
    throw new MedCodesError(
      'unknown_format',
      `no GEM file (2018_I10gem.txt, 2018_I9gem.txt, gem_pcsi9.txt, gem_i9pcs.txt) in ${files.map((f) => basename(f)).join(', ')}`,
    );
  for (const d of new Set(sources.map((s) => s.direction))) {
    const same = sources.filter((s) => s.direction === d);
    if (same.length > 1)
      throw new MedCodesError(
        'parse_error',
        `two GEM files of the same direction (${GEM_SYSTEMS[d].from} -> ${GEM_SYSTEMS[d].to}): ${same.map(label).join(', ')}`,
      );
  }

  const removed = clearGemMappings(writer);
  if (removed) progress.log(`  GEMs: replacing ${removed.toLocaleString('en-US')} mappings of an earlier import`);
  const summaries: ImportSummary[] = [];
  for (const s of sources) {
    const { from, to } = GEM_SYSTEMS[s.direction];
    const version = gemVersion(s);
    const p = progress.phase(`GEMs: ${label(s)}`, 0);
    let mapped = 0;
    let noMap = 0;
    for await (const e of readGem(sourceChunks(s), { file: label(s), direction: s.direction })) {
      const m = gemMapping(e, s.direction, version);
      writer.putMapping(m);
      if (m.toKey) mapped++;
      else noMap++;
      p.tick();
    }
    p.done();
    summaries.push({
      system: from,
      version: `GEMs ${version}`,
      imported: { [`mappings to ${to}`]: mapped, 'no-map rows': noMap },
      skipped: {},
      files: [s.file],
    });
  }
  return summaries;
}
