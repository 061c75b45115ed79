import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import type { CodeRecord } from '../../model.js';
import { MedCodesError, parseError } from '../../errors.js';
import { sourceLabel } from '../sources.js';
import { ndcKey } from '../../codes.js';
import { classifyAll, claims, dirHas, linesWithProgress, Skips, type ReleaseLayout } from '../release.js';
import {
  parseConso,
  parseRel,
  parseSat,
  readRrf,
  rxnormReleaseInPath,
  RXNORM_CONCEPT_TTYS,
  RXNORM_RELATIONS,
  RXNORM_SYNONYM_TTYS,
  type RxnConso,
} from './rrf.js';
import { deriveHcpcsBrandTerms } from './brands.js';

/**
 * The RxNorm importer: a monthly full release (`RxNorm_full_MMDDYYYY.zip`), the prescribable subset
 * (`RxNorm_full_prescribe_MMDDYYYY.zip`) or their extracted folder; reads `rrf/RXNCONSO.RRF`,
 * `rrf/RXNREL.RRF` and `rrf/RXNSAT.RRF`, streamed line by line (the full RXNSAT is over a GB).
 *
 * Model (only SAB=RXNORM rows: RxNorm's normalized names and relations; other sources' names in the
 * full release are counted and skipped, their licences differ):
 *  - one `code` per RXCUI, display = its normalized name (the atom whose TTY names a concept: IN,
 *    PIN, MIN, BN, SCD, SBD, SCDC, ...), properties.tty / termType. Suppressed or obsolete atoms
 *    (SUPPRESS O, Y, E) are skipped.
 *  - synonyms (SY, TMSY, PSN, ET) as index terms with source `rxnorm`.
 *  - browse hierarchy: one group per term type (`T-IN` "Ingredient (IN)", ...) over its concepts in
 *    RXCUI order. RxNorm has no is-a tree; its graph is kept as relations.
 *  - relations (RXNREL, SAB=RXNORM, the RELAs of RXNORM_RELATIONS) as mappings rxnorm -> rxnorm with
 *    source `rxnorm` and flags.relation, read "from RELA to" (IN has_tradename BN; SCD
 *    has_ingredient IN ...), one row each.
 *  - NDCs (RXNSAT ATN=NDC, SAB=RXNORM, 11-digit) as mappings rxnorm -> ndc with source `rxnorm`; the
 *    store serves one mapping row from both ends, so the NDC's page shows its RxNorm concept.
 *  - HCPCS brand-name synonyms are derived afterwards (brands.ts).
 *  - release: date from the archive or folder name, NLM's notice.
 */

type Kind = 'conso' | 'rel' | 'sat';

const isRxnormRoot = (dir: string) => dirHas(dir, 'rrf', /^RXNCONSO\.RRF$/i) || dirHas(dir, '.', /^RXNCONSO\.RRF$/i);

export const RXNORM_LAYOUT: ReleaseLayout<Kind> = {
  byName: (n) => (/^RXNCONSO\.RRF$/i.test(n) ? 'conso' : /^RXNREL\.RRF$/i.test(n) ? 'rel' : /^RXNSAT\.RRF$/i.test(n) ? 'sat' : undefined),
  isRoot: isRxnormRoot,
};

/**
 * NLM's terms for RxNorm (RxNorm Technical Documentation, "Licensing"; UMLS Metathesaurus License,
 * Appendix 1): RxNorm's own content (SAB=RXNORM) is free to use with attribution; content of other
 * sources requires a UMLS licence, so only SAB=RXNORM is imported.
 */
export function rxnormNotice(version: string): string {
  return (
    `This product uses RxNorm, release ${version}, from the U.S. National Library of Medicine (NLM), https://www.nlm.nih.gov/research/umls/rxnorm/. ` +
    'NLM is not responsible for the product and does not endorse or recommend it. Only RxNorm normalized names and relations (SAB=RXNORM) are included; ' +
    'names from other sources in the release are subject to the UMLS Metathesaurus License and are not imported.'
  );
}

export const rxnormImporter: Importer = {
  id: 'rxnorm',
  systems: ['rxnorm'],
  describe: 'RxNorm RRF release (RxNorm_full_MMDDYYYY.zip or folder: RXNCONSO.RRF, RXNREL.RRF, RXNSAT.RRF)',
  claim: (file) => claims(file, RXNORM_LAYOUT),
  async run(files, ctx) {
    return [await importRxnorm(files, ctx)];
  },
};

const SKIP_SUPPRESS = new Set(['O', 'Y', 'E']);

export async function importRxnorm(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const skips = new Skips();
  const sources = await classifyAll(files, RXNORM_LAYOUT, skips);
  const one = (k: Kind) => {
    const s = sources.filter((x) => x.kind === k);
    if (s.length > 1)
      throw new MedCodesError(
        'unknown_format',
        `several ${k === 'conso' ? 'RXNCONSO' : k === 'rel' ? 'RXNREL' : 'RXNSAT'}.RRF given (${s.map(sourceLabel).join(', ')}): import one release at a time`,
      );
    return s[0];
  };
  const conso = one('conso');
  const rel = one('rel');
  const sat = one('sat');
  if (!conso)
    throw new MedCodesError(
      'unknown_format',
      `no RXNCONSO.RRF in ${files.map((f) => basename(f)).join(', ')}: RxNorm needs the RRF files of a release`,
    );
  const rel_ = rxnormReleaseInPath(conso.member ? `${conso.file}/${conso.member}` : conso.file);
  // A weekly release holds only the concepts changed that week: imported alone it would replace
  // RxNorm with a fragment.
  if (rel_?.kind === 'weekly')
    throw new MedCodesError(
      'unknown_format',
      `${sourceLabel(conso)} is from a weekly update (RxNorm_weekly_...), which holds only changed concepts: import a monthly full or prescribable release`,
    );
  const version = rel_?.date ?? 'unversioned';
  if (!rel_) progress.log(`  RxNorm: no release date in ${sourceLabel(conso)} (expected RxNorm_full_MMDDYYYY); version "unversioned"`);

  // Relations and NDC links belong to RxNorm (source `rxnorm`): replaced with it.
  writer.clearMappings('rxnorm');
  const db = writer.db;
  const exists = db.prepare("SELECT 1 FROM codes WHERE system = 'rxnorm' AND key = ?").pluck();
  const ttyCount = new Map<string, number>();
  let concepts = 0;
  let synonyms = 0;

  // Atoms of one RXCUI are consecutive in RXNCONSO (sorted by RXCUI): collected per RXCUI, so
  // synonyms can be compared with the concept's name; memory is one concept's atoms.
  let group: RxnConso[] = [];
  const flush = () => {
    if (!group.length) return;
    const main = group.find((a) => RXNORM_CONCEPT_TTYS[a.tty]);
    const seen = new Set<string>();
    if (main) {
      if (exists.get(main.rxcui)) {
        // A second normal-form name for a concept already written (file not sorted by RXCUI).
        skips.add('second normalized names of a concept (kept as synonyms)');
        writer.putIndexTerm({ system: 'rxnorm', key: main.rxcui, path: main.str, source: 'rxnorm', version });
      } else {
        writer.putCode(rxnormCode(main, version));
        concepts++;
        ttyCount.set(main.tty, (ttyCount.get(main.tty) ?? 0) + 1);
      }
      seen.add(main.str.toLowerCase());
    }
    for (const a of group) {
      if (a === main) continue;
      if (!RXNORM_SYNONYM_TTYS.has(a.tty)) {
        skips.add(`RXNORM names of term type ${a.tty}`);
        continue;
      }
      const k = a.str.toLowerCase();
      if (seen.has(k)) {
        skips.add('synonyms equal to the name');
        continue;
      }
      seen.add(k);
      writer.putIndexTerm({ system: 'rxnorm', key: a.rxcui, path: a.str, source: 'rxnorm', version });
      synonyms++;
    }
    group = [];
  };
  const cLabel = sourceLabel(conso);
  for await (const a of readRrf(linesWithProgress(conso, progress, 'RxNorm: RXNCONSO.RRF'), parseConso, cLabel)) {
    if (a.sab !== 'RXNORM') {
      skips.add('names of other sources (UMLS licence)');
      continue;
    }
    if (SKIP_SUPPRESS.has(a.suppress)) {
      skips.add('suppressed or obsolete names');
      continue;
    }
    if (group.length && group[0].rxcui !== a.rxcui) flush();
    group.push(a);
  }
  flush();
  if (!concepts)
    throw parseError('no RxNorm concepts (SAB=RXNORM rows with a concept term type): not an RxNorm RXNCONSO.RRF?', { file: cLabel });

  // Term-type groups for browsing.
  const ttys = Object.keys(RXNORM_CONCEPT_TTYS);
  for (const [tty, n] of ttyCount) {
    writer.putCode({
      system: 'rxnorm',
      key: `T-${tty}`,
      code: `T-${tty}`,
      display: `${RXNORM_CONCEPT_TTYS[tty]} (${tty})`,
      kind: 'group',
      billable: false,
      status: 'active',
      sort: ttys.indexOf(tty),
      version,
      properties: { tty, count: n },
    });
  }

  const mapped = db
    .prepare("SELECT 1 FROM mappings WHERE from_system = 'rxnorm' AND from_key = ? AND to_system = ? AND to_key = ? AND source = 'rxnorm'")
    .pluck();
  let relations = 0;
  if (rel) {
    for await (const r of readRrf(linesWithProgress(rel, progress, 'RxNorm: RXNREL.RRF'), parseRel, sourceLabel(rel))) {
      if (r.sab !== 'RXNORM') {
        skips.add('relations of other sources');
        continue;
      }
      if (!RXNORM_RELATIONS.has(r.rela)) {
        skips.add('relations of other kinds (inverse rows and others)');
        continue;
      }
      if (SKIP_SUPPRESS.has(r.suppress)) {
        skips.add('suppressed relations');
        continue;
      }
      // "RXCUI2 RELA RXCUI1" (RXNREL: the relation the second concept has to the first).
      const from = r.rxcui2;
      const to = r.rxcui1;
      if (!exists.get(from) || !exists.get(to)) {
        skips.add('relations to concepts not imported');
        continue;
      }
      if (mapped.get(from, 'rxnorm', to)) {
        skips.add('duplicate relations');
        continue;
      }
      writer.putMapping({
        fromSystem: 'rxnorm',
        fromKey: from,
        toSystem: 'rxnorm',
        toKey: to,
        flags: { relation: r.rela },
        source: 'rxnorm',
        version,
      });
      relations++;
    }
  } else progress.log('  RxNorm: no RXNREL.RRF given: no relations (ingredients, brand names)');

  let ndcs = 0;
  if (sat) {
    for await (const s of readRrf(linesWithProgress(sat, progress, 'RxNorm: RXNSAT.RRF'), parseSat, sourceLabel(sat))) {
      if (s.atn !== 'NDC') continue;
      if (s.sab !== 'RXNORM') {
        skips.add('NDCs of other sources');
        continue;
      }
      if (SKIP_SUPPRESS.has(s.suppress)) {
        skips.add('suppressed NDCs');
        continue;
      }
      if (!/^\d{11}$/.test(s.atv))
        throw parseError(`NDC "${s.atv.slice(0, 20)}" of RXCUI ${s.rxcui} is not the 11-digit form RxNorm gives`, {
          file: sourceLabel(sat),
          line: s.line,
        });
      if (!exists.get(s.rxcui)) {
        skips.add('NDCs of concepts not imported');
        continue;
      }
      const key = ndcKey(s.atv);
      if (mapped.get(s.rxcui, 'ndc', key)) {
        skips.add('duplicate NDCs');
        continue;
      }
      writer.putMapping({ fromSystem: 'rxnorm', fromKey: s.rxcui, toSystem: 'ndc', toKey: key, source: 'rxnorm', version });
      ndcs++;
    }
  } else progress.log('  RxNorm: no RXNSAT.RRF given: no NDCs');

  const brands = deriveHcpcsBrandTerms(db, version);
  if (brands.codes) progress.log(`  RxNorm: brand names added to ${brands.codes} HCPCS drug codes (${brands.terms} names)`);

  const imported = { codes: concepts, synonyms, relations, ndcs, termTypes: ttyCount.size, hcpcsCodesWithBrandNames: brands.codes };
  writer.putRelease({ system: 'rxnorm', version, ...(rel_ ? { effective: rel_.date } : {}), notice: rxnormNotice(version) }, imported, [
    ...new Set(sources.map(sourceLabel)),
  ]);
  return { system: 'rxnorm', version, imported, skipped: skips.counts, files };
}

export function rxnormCode(a: RxnConso, version: string): CodeRecord {
  return {
    system: 'rxnorm',
    key: a.rxcui,
    code: a.rxcui,
    display: a.str,
    kind: 'code',
    billable: true,
    status: 'active',
    parentKey: `T-${a.tty}`,
    sort: Number(a.rxcui),
    version,
    properties: { tty: a.tty, termType: RXNORM_CONCEPT_TTYS[a.tty] },
  };
}
