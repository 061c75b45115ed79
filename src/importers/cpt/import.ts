import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import type { CodeRecord } from '../../model.js';
import { MedCodesError } from '../../errors.js';
import { sourceLabel } from '../sources.js';
import { classifyAll, claims, dirHas, linesWithProgress, sourceLines, Skips, type ReleaseLayout } from '../release.js';
import {
  CPT_CATEGORY_GROUPS,
  CPT_SECTIONS,
  cptCategory,
  cptGroupOf,
  cptKindOf,
  readCptDescriptors,
  readCptExtra,
  type CptKind,
} from './record.js';

/**
 * The CPT importer: the AMA's CPT data files (zip or extracted folder; see record.ts for the files
 * and the variations read).
 *
 * Model:
 *  - one `code` per code of the long descriptor file (LONGULT.txt, else LONGUT.txt): display = long
 *    descriptor, shortDisplay = short descriptor (SHORTU.txt); properties.mediumDescriptor (MEDU.txt),
 *    consumerDescriptor (ConsumerDescriptor.txt), category (I, II, III, PLA, MAAA).
 *  - the consumer-friendly descriptor and every clinician descriptor are index terms (sources
 *    `cpt-consumer`, `cpt-clinician`), so lay words find the code.
 *  - groups for browsing: the sections of Category I (record.ts CPT_SECTIONS, by code number: the
 *    data files carry no section file) and one group per other category; modifiers (MODUL.txt)
 *    under a `Modifiers` group. Keys `S-...`, `C-...`: never a CPT code, never read as a range.
 *  - release: the year in the archive or folder name (`CPT 2026 data files`, `cpt2026.zip`), else the
 *    year of the AMA notice in the file plus one; the AMA notice (CPT_NOTICE) with the copyright year.
 *  The files are small (about 11,000 codes); the short, medium and consumer descriptors are held in
 *  maps while the long file is read.
 */

const isCptRoot = (dir: string) => dirHas(dir, '.', /^LONGU(L)?T\.txt$/i);

export const CPT_LAYOUT: ReleaseLayout<CptKind> = {
  byName: cptKindOf,
  isRoot: isCptRoot,
};

export const MODIFIERS_KEY = 'Modifiers';

/** The notice the AMA requires with CPT content (its standard licensee notice and disclaimer). */
export function cptNotice(copyrightYear: number): string {
  return (
    `CPT® copyright ${copyrightYear} American Medical Association. All rights reserved. ` +
    'Fee schedules, relative value units, conversion factors and/or related components are not assigned by the AMA, are not part of CPT, ' +
    'and the AMA is not recommending their use. The AMA does not directly or indirectly practice medicine or dispense medical services. ' +
    'The AMA assumes no liability for data contained or not contained herein. CPT is a registered trademark of the American Medical Association. ' +
    "Applicable FARS/DFARS restrictions apply to government use. CPT content is shown here from the licensee's own CPT data files."
  );
}

export const cptImporter: Importer = {
  id: 'cpt',
  systems: ['cpt'],
  describe: 'AMA CPT data files (LONGULT.txt, MEDU.txt, SHORTU.txt, ConsumerDescriptor.txt, ...)',
  claim: (file) => claims(file, CPT_LAYOUT),
  async run(files, ctx) {
    return [await importCpt(files, ctx)];
  },
};

export function cptYearInPath(path: string): number | undefined {
  const m = /(?:^|[^0-9])(20\d{2})(?:[^0-9]|$)/.exec(path);
  return m ? Number(m[1]) : undefined;
}

export async function importCpt(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const skips = new Skips();
  const sources = await classifyAll(files, CPT_LAYOUT, skips);
  const of = (k: CptKind) => {
    const s = sources.filter((x) => x.kind === k);
    if (s.length > 1)
      throw new MedCodesError(
        'unknown_format',
        `several ${basename(s[0].member ?? s[0].file)} given (${s.map(sourceLabel).join(', ')}): import one CPT release at a time`,
      );
    return s[0];
  };
  const long = of('long') ?? of('longUpper');
  if (!long)
    throw new MedCodesError('unknown_format', `no CPT long descriptor file (LONGULT.txt) in ${files.map((f) => basename(f)).join(', ')}`);
  if (of('long') && of('longUpper')) skips.add('upper-case long descriptor file (LONGULT.txt read instead)');

  const byCode = async (k: CptKind) => {
    const s = of(k);
    const m = new Map<string, string>();
    if (!s) return m;
    for await (const d of readCptDescriptors(sourceLines(s), sourceLabel(s))) m.set(d.code, d.text);
    return m;
  };
  const short = await byCode('short');
  const medium = await byCode('medium');
  const consumer = new Map<string, string>();
  const consumerSrc = of('consumer');
  if (consumerSrc)
    for await (const d of readCptExtra(sourceLines(consumerSrc), sourceLabel(consumerSrc), 'consumer')) consumer.set(d.code, d.text);

  const notice: string[] = [];
  const path = long.member ? `${long.file}/${long.member}` : long.file;
  let year = cptYearInPath(path);
  const records: CodeRecord[] = [];
  const groups = new Map<string, number>();
  let n = 0;
  for await (const d of readCptDescriptors(linesWithProgress(long, progress, 'CPT: long descriptors'), sourceLabel(long), false, notice)) {
    const group = cptGroupOf(d.code);
    if (group) groups.set(group, (groups.get(group) ?? 0) + 1);
    records.push({
      system: 'cpt',
      key: d.code,
      code: d.code,
      display: d.text,
      ...(short.get(d.code) ? { shortDisplay: short.get(d.code) } : {}),
      kind: 'code',
      billable: true,
      status: 'active',
      ...(group ? { parentKey: group } : {}),
      sort: n++,
      version: '',
      properties: {
        category: cptCategory(d.code),
        ...(medium.get(d.code) ? { mediumDescriptor: medium.get(d.code) } : {}),
        ...(consumer.get(d.code) ? { consumerDescriptor: consumer.get(d.code) } : {}),
      },
    });
  }
  const noticeYear = Number(
    /copyright\D{0,20}((?:19|20)\d{2})(?:\s*-\s*((?:19|20)\d{2}))?/i.exec(notice.join(' '))?.slice(1).filter(Boolean).at(-1) ?? NaN,
  );
  if (!year && noticeYear) year = noticeYear + 1;
  const version = year ? String(year) : 'unversioned';
  const copyrightYear = noticeYear || (year ? year - 1 : new Date().getUTCFullYear());

  const seenCodes = new Set<string>();
  for (const r of records) {
    if (seenCodes.has(r.key)) throw new MedCodesError('check_failed', `${sourceLabel(long)}: CPT code ${r.code} is listed twice`);
    seenCodes.add(r.key);
    writer.putCode({ ...r, version });
  }
  let sort = -100;
  for (const s of CPT_SECTIONS) {
    if (groups.has(s.key))
      writer.putCode({
        system: 'cpt',
        key: s.key,
        code: s.key,
        display: `${s.title} (Category I)`,
        shortDisplay: s.title,
        kind: 'block',
        billable: false,
        status: 'active',
        sort: sort++,
        version,
        properties: { count: groups.get(s.key) },
      });
  }
  for (const [cat, title] of Object.entries(CPT_CATEGORY_GROUPS)) {
    const key = `C-${cat}`;
    if (groups.has(key))
      writer.putCode({
        system: 'cpt',
        key,
        code: key,
        display: title,
        kind: 'block',
        billable: false,
        status: 'active',
        sort: sort++,
        version,
        properties: { count: groups.get(key) },
      });
  }

  let terms = 0;
  for (const [code, text] of consumer) {
    if (!seenCodes.has(code)) {
      skips.add('consumer descriptors of codes not in the long descriptor file');
      continue;
    }
    writer.putIndexTerm({ system: 'cpt', key: code, path: text, source: 'cpt-consumer', version });
    terms++;
  }
  const clinician = of('clinician');
  if (clinician) {
    for await (const d of readCptExtra(sourceLines(clinician), sourceLabel(clinician), 'clinician')) {
      if (!seenCodes.has(d.code)) {
        skips.add('clinician descriptors of codes not in the long descriptor file');
        continue;
      }
      writer.putIndexTerm({ system: 'cpt', key: d.code, path: d.text, source: 'cpt-clinician', version });
      terms++;
    }
  }

  let modifiers = 0;
  const mod = of('modifier');
  if (mod) {
    writer.putCode({
      system: 'cpt',
      key: MODIFIERS_KEY.toUpperCase(),
      code: MODIFIERS_KEY,
      display: 'CPT modifiers',
      kind: 'block',
      billable: false,
      status: 'active',
      sort: sort++,
      version,
    });
    for await (const d of readCptDescriptors(sourceLines(mod), sourceLabel(mod), true)) {
      writer.putCode({
        system: 'cpt',
        key: d.code,
        code: d.code,
        display: d.text,
        kind: 'modifier',
        billable: false,
        status: 'active',
        parentKey: MODIFIERS_KEY.toUpperCase(),
        sort: modifiers++,
        version,
      });
    }
  }

  const imported = {
    codes: records.length,
    modifiers,
    synonyms: terms,
    withShortDescriptor: records.filter((r) => r.shortDisplay).length,
    withConsumerDescriptor: consumer.size,
  };
  writer.putRelease({ system: 'cpt', version, notice: cptNotice(copyrightYear) }, imported, [...new Set(sources.map(sourceLabel))]);
  return { system: 'cpt', version, imported, skipped: skips.counts, files };
}
