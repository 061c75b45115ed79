import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { MedCodesError, parseError } from '../../errors.js';
import { sourceLabel } from '../sources.js';
import { classifyAll, claims, dirHas, firstLine, headOf, linesWithProgress, Skips, type ReleaseLayout } from '../release.js';
import {
  FSN,
  GB_ENGLISH,
  IS_A,
  PREFERRED,
  readConcepts,
  readDescriptions,
  readLanguage,
  readRelationships,
  rf2HeaderProblem,
  rf2KindOf,
  rf2ReleaseOf,
  semanticTag,
  SYNONYM,
  US_ENGLISH,
  type Rf2Kind,
} from './rf2.js';

/**
 * The SNOMED CT importer: an RF2 release (International or a national edition such as the US Edition,
 * as zip or extracted folder), reading its Snapshot: concepts, descriptions, relationships and the
 * language reference sets. Full and Delta files are claimed and not read.
 *
 * The four files are joined in SQLite temporary tables (on disk, in the build database's temp
 * store), not in memory: a full International release has ~370k active concepts, ~1.6M descriptions
 * and ~3M relationships.
 *
 * Model:
 *  - one `code` per concept, key = SCTID; inactive concepts as status `deleted` (FHIR: inactive);
 *    display = the preferred term (synonym marked preferred in the language reference set: US
 *    English 900000000000509007 when present, else GB English, else the most used one); properties
 *    fsn (fully specified name), semanticTag, definitionStatus, parents (every is-a parent).
 *  - other acceptable synonyms as index terms (source `snomedct`); the FSN too when it differs from
 *    the preferred term by more than its semantic tag.
 *  - hierarchy: is-a (typeId 116680003) of the active inferred relationships. A concept may have several
 *    parents; `parentKey` holds the lowest SCTID (numerically) so the tree is stable across releases,
 *    properties.parents holds all, and each further parent is a mapping snomedct -> snomedct with
 *    source `snomed-isa` (flags.relation `is-a`), so the concept is reachable from every parent
 *    (store.children reads parent_key only: see docs/LICENSED.md for the change it needs).
 *  - release: version `<edition>-<YYYYMMDD>` from the file names (`INT-20250101`), SNOMED
 *    International's notice.
 */

// A release's root: the official layout (Snapshot/Terminology/...) or an extract that keeps only the
// Snapshot's folders (Terminology/, Refset/ at the top, as HL7's test subontology does).
const isSnomedRoot = (dir: string) =>
  dirHas(dir, 'Snapshot/Terminology', /^sct2_Concept_Snapshot_.+\.txt$/i) ||
  (dirHas(dir, 'Terminology', /^sct2_Concept_Snapshot_.+\.txt$/i) && !dirHas(dir, '../Terminology', /^sct2_Concept_Snapshot_.+\.txt$/i));

export const SNOMED_LAYOUT: ReleaseLayout<Rf2Kind> = {
  byName: rf2KindOf,
  isRoot: isSnomedRoot,
};

export function snomedNotice(version: string): string {
  return (
    `This material includes SNOMED Clinical Terms® (SNOMED CT®), release ${version}, which is used by permission of SNOMED International. ` +
    'All rights reserved. SNOMED CT® was originally created by the College of American Pathologists. "SNOMED" and "SNOMED CT" are registered ' +
    'trademarks of SNOMED International. Use of SNOMED CT requires a licence: an Affiliate Licence from SNOMED International (https://www.snomed.org), ' +
    'or in the United States the UMLS Metathesaurus License from the National Library of Medicine.'
  );
}

export const snomedImporter: Importer = {
  id: 'snomedct',
  systems: ['snomedct'],
  describe: 'SNOMED CT RF2 release, Snapshot (sct2_Concept/Description/Relationship_Snapshot, der2_cRefset_LanguageSnapshot)',
  claim: (file) => claims(file, SNOMED_LAYOUT),
  async run(files, ctx) {
    return [await importSnomed(files, ctx)];
  },
};

/** SCTIDs compared as numbers (they exceed 2^53, so by length, then digits). */
export const bySctid = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export async function importSnomed(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const skips = new Skips();
  const sources = await classifyAll(files, SNOMED_LAYOUT, skips, 'other release files (Full, Delta, refsets: not read)');
  // A file that is not what its name says is refused first, naming it.
  for (const s of sources) {
    const problem = rf2HeaderProblem(firstLine(await headOf(s)), s.kind);
    if (problem) throw parseError(problem, { file: sourceLabel(s), line: 1 });
  }
  const of = (k: Rf2Kind) => sources.filter((s) => s.kind === k);
  for (const k of ['concept', 'description', 'relationship'] as const) {
    if (!of(k).length)
      throw new MedCodesError(
        'unknown_format',
        `no SNOMED CT RF2 ${k} Snapshot file (sct2_${k[0].toUpperCase()}${k.slice(1)}_Snapshot_*.txt) in ${files.map((f) => basename(f)).join(', ')}`,
      );
  }
  if (of('concept').length > 1 || of('relationship').length > 1)
    throw new MedCodesError(
      'unknown_format',
      `several SNOMED CT releases given (${[...of('concept'), ...of('relationship')].map(sourceLabel).join(', ')}): import one at a time`,
    );
  const rel = rf2ReleaseOf(basename(of('concept')[0].member ?? of('concept')[0].file));
  const version = rel ? `${rel.edition}-${rel.date}` : 'unversioned';
  const effective = rel ? `${rel.date.slice(0, 4)}-${rel.date.slice(4, 6)}-${rel.date.slice(6)}` : undefined;

  writer.clearMappings('snomed-isa');
  const db = writer.db;
  db.exec(`
    DROP TABLE IF EXISTS temp.sct_c; DROP TABLE IF EXISTS temp.sct_d; DROP TABLE IF EXISTS temp.sct_l; DROP TABLE IF EXISTS temp.sct_r; DROP TABLE IF EXISTS temp.sct_o;
    CREATE TEMP TABLE sct_c (id TEXT PRIMARY KEY, eff TEXT, module TEXT, def TEXT, active INTEGER) WITHOUT ROWID;
    CREATE TEMP TABLE sct_d (id TEXT PRIMARY KEY, concept TEXT, type TEXT, term TEXT) WITHOUT ROWID;
    CREATE TEMP TABLE sct_l (desc TEXT, refset TEXT, accept TEXT);
    CREATE TEMP TABLE sct_r (src TEXT, dst TEXT);
  `);
  const insC = db.prepare('INSERT OR REPLACE INTO sct_c VALUES (?, ?, ?, ?, ?)');
  const insD = db.prepare('INSERT OR REPLACE INTO sct_d VALUES (?, ?, ?, ?)');
  const insL = db.prepare('INSERT INTO sct_l VALUES (?, ?, ?)');
  const insR = db.prepare('INSERT INTO sct_r VALUES (?, ?)');

  let inactive = 0;
  for (const s of of('concept')) {
    for await (const c of readConcepts(linesWithProgress(s, progress, 'SNOMED CT: concepts'), sourceLabel(s))) {
      // Inactive concepts are imported too, as retired codes (status deleted: FHIR inactive), so a
      // code that was once valid is answered as inactive rather than unknown.
      if (!c.active) inactive++;
      insC.run(c.id, c.effectiveTime, c.moduleId, c.definitionStatusId, c.active ? 1 : 0);
    }
  }
  for (const s of of('description')) {
    for await (const d of readDescriptions(
      linesWithProgress(s, progress, `SNOMED CT: ${basename(s.member ?? s.file).slice(0, 30)}`),
      sourceLabel(s),
    )) {
      if (!d.active) skips.add('inactive descriptions');
      else insD.run(d.id, d.conceptId, d.typeId, d.term);
    }
  }
  for (const s of of('language')) {
    for await (const l of readLanguage(linesWithProgress(s, progress, 'SNOMED CT: language refset'), sourceLabel(s))) {
      if (l.active) insL.run(l.referencedComponentId, l.refsetId, l.acceptabilityId);
    }
  }
  for (const s of of('relationship')) {
    for await (const r of readRelationships(linesWithProgress(s, progress, 'SNOMED CT: relationships'), sourceLabel(s))) {
      if (r.active && r.typeId === IS_A) insR.run(r.sourceId, r.destinationId);
    }
  }
  db.exec(
    'CREATE INDEX temp.sct_d_concept ON sct_d (concept, type); CREATE INDEX temp.sct_l_desc ON sct_l (desc, refset); CREATE INDEX temp.sct_r_src ON sct_r (src);',
  );

  // The language reference set that decides preferred terms.
  const refsets = db.prepare('SELECT refset, count(*) AS n FROM sct_l GROUP BY refset ORDER BY n DESC').all() as {
    refset: string;
    n: number;
  }[];
  const refset =
    refsets.find((r) => r.refset === US_ENGLISH)?.refset ?? refsets.find((r) => r.refset === GB_ENGLISH)?.refset ?? refsets[0]?.refset;
  if (!refset) progress.log('  SNOMED CT: no language reference set given: preferred terms are the first synonym of each concept');
  // Term of a type: preferred in the refset, else (no refset) any.
  const pick = (type: string) =>
    refset
      ? `(SELECT d.term FROM sct_d d JOIN sct_l l ON l.desc = d.id AND l.refset = @refset AND l.accept = '${PREFERRED}' WHERE d.concept = c.id AND d.type = '${type}' LIMIT 1)`
      : `(SELECT d.term FROM sct_d d WHERE d.concept = c.id AND d.type = '${type}' ORDER BY d.id LIMIT 1)`;
  db.prepare(
    `CREATE TEMP TABLE sct_o AS SELECT id, eff, def, active, pt, fsn FROM (SELECT c.id, c.eff, c.def, c.active, ${pick(SYNONYM)} AS pt, ${pick(FSN)} AS fsn FROM sct_c c) ORDER BY coalesce(pt, fsn) COLLATE NOCASE, id`,
  ).run(refset ? { refset } : {});
  const total = (db.prepare('SELECT count(*) FROM sct_o').pluck().get() as number) ?? 0;
  const activeTotal = (db.prepare('SELECT count(*) FROM sct_o WHERE active = 1').pluck().get() as number) ?? 0;
  if (!activeTotal) throw parseError('no active concepts: not a SNOMED CT Snapshot?', { file: sourceLabel(of('concept')[0]) });

  const batch = db.prepare('SELECT rowid AS n, id, eff, def, active, pt, fsn FROM sct_o WHERE rowid > ? ORDER BY rowid LIMIT 2000');
  const synonymsOf = refset
    ? db
        .prepare(
          `SELECT DISTINCT d.term FROM sct_d d JOIN sct_l l ON l.desc = d.id AND l.refset = ? WHERE d.concept = ? AND d.type = '${SYNONYM}' ORDER BY d.term`,
        )
        .pluck()
    : db.prepare(`SELECT DISTINCT d.term FROM sct_d d WHERE d.concept = ? AND d.type = '${SYNONYM}' ORDER BY d.term`).pluck();
  const parentsOf = db.prepare('SELECT DISTINCT r.dst FROM sct_r r JOIN sct_c c ON c.id = r.dst WHERE r.src = ?').pluck();
  const bar = progress.phase('SNOMED CT: writing concepts', total);
  let last = 0;
  let codes = 0;
  let synonyms = 0;
  let multiParent = 0;
  let noTerm = 0;
  let inactiveCodes = 0;
  for (;;) {
    const rows = batch.all(last) as {
      n: number;
      id: string;
      eff: string;
      def: string;
      active: number;
      pt: string | null;
      fsn: string | null;
    }[];
    if (!rows.length) break;
    last = rows.at(-1)!.n;
    const prepared = rows.map((r) => ({
      r,
      syns: (refset ? synonymsOf.all(refset, r.id) : synonymsOf.all(r.id)) as string[],
      parents: (parentsOf.all(r.id) as string[]).sort(bySctid),
    }));
    for (const { r, syns, parents } of prepared) {
      const display = r.pt ?? r.fsn;
      if (!display) {
        noTerm++;
        continue;
      }
      const tag = r.fsn ? semanticTag(r.fsn) : undefined;
      writer.putCode({
        system: 'snomedct',
        key: r.id,
        code: r.id,
        display,
        kind: 'code',
        billable: true,
        status: r.active ? 'active' : 'deleted',
        ...(parents.length ? { parentKey: parents[0] } : {}),
        sort: r.n,
        version,
        properties: {
          ...(r.fsn ? { fsn: r.fsn } : {}),
          ...(tag ? { semanticTag: tag } : {}),
          definitionStatus: r.def === '900000000000073002' ? 'fully defined' : 'primitive',
          effectiveTime: r.eff,
          ...(parents.length ? { parents } : {}),
        },
      });
      if (r.active) codes++;
      else inactiveCodes++;
      if (parents.length > 1) multiParent++;
      for (const p of parents.slice(1))
        writer.putMapping({
          fromSystem: 'snomedct',
          fromKey: r.id,
          toSystem: 'snomedct',
          toKey: p,
          flags: { relation: 'is-a' },
          source: 'snomed-isa',
          version,
        });
      const seen = new Set([display.toLowerCase()]);
      const fsnText = r.fsn && tag ? r.fsn.replace(/\s*\([^()]+\)\s*$/, '') : r.fsn;
      for (const t of [...syns, ...(fsnText ? [fsnText] : [])]) {
        if (seen.has(t.toLowerCase())) continue;
        seen.add(t.toLowerCase());
        writer.putIndexTerm({ system: 'snomedct', key: r.id, path: t, source: 'snomedct', version });
        synonyms++;
      }
    }
    bar.tick(rows.length);
  }
  bar.done();
  if (noTerm) skips.add('concepts without an active description', noTerm);
  db.exec('DROP TABLE temp.sct_c; DROP TABLE temp.sct_d; DROP TABLE temp.sct_l; DROP TABLE temp.sct_r; DROP TABLE temp.sct_o;');

  const imported = { codes, inactiveCodes, synonyms, withSeveralParents: multiParent };
  writer.putRelease({ system: 'snomedct', version, ...(effective ? { effective } : {}), notice: snomedNotice(version) }, imported, [
    ...new Set(sources.map(sourceLabel)),
  ]);
  return { system: 'snomedct', version, imported, skipped: skips.counts, files };
}
