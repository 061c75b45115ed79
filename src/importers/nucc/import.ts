import { basename } from 'node:path';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import type { CodeRecord, HistoryEvent } from '../../model.js';
import { MedCodesError } from '../../errors.js';
import { NUCC_COLUMNS, nuccNotice, readNuccTaxonomy, type NuccTaxonomyRecord } from './taxonomy.js';

/**
 * The NUCC Health Care Provider Taxonomy importer (CSV edition, `nucc_taxonomy_251.csv`).
 *
 * Hierarchy, as NUCC's three levels: Grouping (Level I) > Classification (Level II) > Specialization
 * (Level III). Groupings have no code, so each becomes a `group` concept; classification-level codes
 * (no specialization) hang under their grouping, specialization codes under the classification-level
 * code of the same grouping and classification. For 6 classifications (70 specializations in 25.1,
 * e.g. Psychiatry & Neurology, Radiology) NUCC publishes no classification-level code; they get a
 * `group` concept of their own, titled with the official Classification text and marked
 * `properties.codeless: true`, rather than hanging their specializations straight under the grouping
 * (the 23 Psychiatry & Neurology specializations would otherwise mix with the grouping's 30
 * classification-level codes).
 *
 * Keys of those concepts cannot meet a taxonomy code (10 letters or digits ending in X, no dash), are
 * URL-safe (A-Z, 0-9, -), survive `codeKey` (upper case, no dots or blanks) and fit lookup's 40-character
 * limit on codes:
 *   grouping:        `G-` + slug of the grouping         `G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS`
 *   classification:  `C-` + slug of the classification   `C-PSYCHIATRY-NEUROLOGY`
 * Slug: upper case, every run of characters other than A-Z and 0-9 one dash, cut after the last whole
 * word within 36 characters (`Respiratory, Developmental, Rehabilitative and Restorative Service
 * Providers` -> `RESPIRATORY-DEVELOPMENTAL`). A slug depends on its own name only, so keys stay put
 * when NUCC adds groupings; two names that would share a key stop the import (check_failed) rather
 * than merge. The one-letter prefix keeps `codeKey` from reading a key as a range. The code shown for
 * these concepts is the key.
 *
 * Codes: display = Display Name (every 25.1 row has one) else the specialization or classification;
 * shortDisplay = the specialization, or the classification for a classification-level code, when it
 * differs; properties = grouping, classification, specialization, definition, notes (as filed, with
 * NUCC's `<br/>` line breaks), section. Taxonomy codes are reported on claims (billing and rendering
 * provider), so active codes are billable. Inactive codes (NUCC marks them in Notes, e.g. `[1/1/2007:
 * marked inactive, use 103G00000X]`) are `deleted`, with a `deleted` history event dated as the Notes
 * date it (ISO date; the release version when undated) and the code NUCC says to use as replacement.
 *
 * Release: version from the file name (`_251` -> 25.1; NUCC releases x.0 on January 1 and x.1 on
 * July 1 of 20x), else the newest date in the Notes; NUCC_NOTICE-style notice for it, shown on every
 * code page and in the API.
 */

/** `nucc_taxonomy_251.csv` -> 25.1. */
const NAME = /nucc_taxonomy_(\d{2,3})\.csv$/i;

/** Longest slug: with its 2-character prefix a key stays within lookup's 40-character limit. */
const SLUG_MAX = 36;

/** Slug of a grouping or classification name for keys (see the module comment). */
export function nuccSlug(name: string): string {
  const full = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  if (full.length <= SLUG_MAX) return full;
  const cut = full.slice(0, SLUG_MAX + 1);
  const lastDash = cut.lastIndexOf('-');
  return lastDash > 0 ? cut.slice(0, lastDash) : full.slice(0, SLUG_MAX);
}

export const groupingKey = (grouping: string) => `G-${nuccSlug(grouping)}`;
export const classificationKey = (classification: string) => `C-${nuccSlug(classification)}`;

/** Version and effective date from a NUCC release number as in file names (`251`). */
export function nuccRelease(digits: string): { version: string; effective: string; year: number } {
  const major = Number(digits.slice(0, -1));
  const minor = Number(digits.slice(-1));
  // NUCC publishes x.0 (January 1) and x.1 (July 1) only; any other number is an edition we do not know.
  if (minor > 1 || major < 1)
    throw new MedCodesError(
      'unknown_format',
      `nucc_taxonomy_${digits}.csv: release ${major}.${minor} is not a NUCC release number (NUCC publishes x.0 on January 1 and x.1 on July 1)`,
    );
  const year = 2000 + major;
  return { version: `${major}.${minor}`, effective: `${year}-${minor === 0 ? '01' : '07'}-01`, year };
}

/** The newest `M/D/YYYY` date NUCC wrote in the Notes: the release of a file whose name lacks it. */
function releaseFromNotes(records: NuccTaxonomyRecord[], file: string): { version: string; effective: string; year: number } {
  let newest = '';
  for (const r of records) {
    for (const m of r.notes.matchAll(/(\d{1,2})\/(\d{1,2})\/(\d{4})/g)) {
      const iso = `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}`;
      if (iso > newest) newest = iso;
    }
  }
  if (!newest)
    throw new MedCodesError(
      'parse_error',
      `${file}: no release number in the file name (nucc_taxonomy_NNN.csv) and no dated note to tell the release by`,
    );
  const year = Number(newest.slice(0, 4));
  const minor = Number(newest.slice(5, 7)) >= 7 ? 1 : 0;
  return nuccRelease(`${year - 2000}${minor}`);
}

async function looksLikeNuccCsv(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)[0];
    return (
      first
        .split(',')
        .map((f) => f.trim())
        .join(',') === NUCC_COLUMNS.join(',')
    );
  } finally {
    await fh.close();
  }
}

export const nuccImporter: Importer = {
  id: 'nucc',
  systems: ['nucc'],
  describe: 'NUCC Health Care Provider Taxonomy (CSV edition)',
  async claim(file) {
    if (NAME.test(basename(file))) return true;
    return /\.csv$/i.test(file) && looksLikeNuccCsv(file);
  },
  async run(files, ctx) {
    return [await importNucc(files, ctx)];
  },
};

export async function importNucc(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const check = progress.phase('NUCC: checking files', files.length);
  for (const f of files) {
    await ctx.verify(f);
    check.tick();
  }
  check.done();
  // One release at a time: the newest by the number in its name.
  const ranked = [...files].sort((a, b) => Number(NAME.exec(basename(a))?.[1] ?? 0) - Number(NAME.exec(basename(b))?.[1] ?? 0));
  const file = ranked.at(-1)!;
  const skipped: Record<string, number> = {};
  if (ranked.length > 1) {
    skipped['files of older releases'] = ranked.length - 1;
    progress.log(
      `  NUCC: ${ranked
        .slice(0, -1)
        .map((f) => basename(f))
        .join(', ')} not imported: ${basename(file)} is newer`,
    );
  }

  const p = progress.phase(`NUCC: ${basename(file)}`, 0);
  const rows: NuccTaxonomyRecord[] = [];
  for await (const r of readNuccTaxonomy(createReadStream(file), { file: basename(file) })) rows.push(r);
  p.done();
  const digits = NAME.exec(basename(file))?.[1];
  const release = digits ? nuccRelease(digits) : releaseFromNotes(rows, basename(file));
  const { version, effective } = release;

  // Level I and II concepts. Two names with one slug would make two concepts with one key.
  const slugs = new Map<string, string>();
  const keyFor = (key: string, name: string) => {
    const seen = slugs.get(key);
    if (seen !== undefined && seen !== name)
      throw new MedCodesError('check_failed', `${basename(file)}: "${seen}" and "${name}" give the same key ${key}`);
    slugs.set(key, name);
    return key;
  };
  const classCode = new Map<string, string>();
  for (const r of rows) if (!r.specialization) classCode.set(`${r.grouping}\t${r.classification}`, r.code);

  const records: CodeRecord[] = [];
  const groupings = new Map<string, CodeRecord>();
  const codeless = new Map<string, CodeRecord>();
  const history: HistoryEvent[] = [];
  let inactive = 0;
  for (const r of rows) {
    const sort = r.line * 10;
    const gKey = keyFor(groupingKey(r.grouping), r.grouping);
    if (!groupings.has(gKey)) {
      groupings.set(gKey, {
        system: 'nucc',
        key: gKey,
        code: gKey,
        display: r.grouping,
        kind: 'group',
        billable: false,
        status: 'active',
        sort: sort - 3,
        version,
        properties: { grouping: r.grouping, level: 'Grouping' },
      });
    }
    let parentKey = gKey;
    if (r.specialization) {
      const own = classCode.get(`${r.grouping}\t${r.classification}`);
      if (own) parentKey = own;
      else {
        const cKey = keyFor(classificationKey(r.classification), `${r.classification} (${r.grouping})`);
        if (!codeless.has(cKey)) {
          codeless.set(cKey, {
            system: 'nucc',
            key: cKey,
            code: cKey,
            display: r.classification,
            kind: 'group',
            billable: false,
            status: 'active',
            parentKey: gKey,
            sort: sort - 1,
            version,
            properties: { grouping: r.grouping, classification: r.classification, level: 'Classification', codeless: true },
          });
        }
        parentKey = cKey;
      }
    }
    const level = r.specialization || r.classification;
    const display = r.displayName || level;
    const status = r.inactive ? 'deleted' : 'active';
    records.push({
      system: 'nucc',
      key: r.code,
      code: r.code,
      display,
      ...(level !== display ? { shortDisplay: level } : {}),
      kind: 'code',
      billable: !r.inactive,
      status,
      parentKey,
      sort,
      version,
      properties: {
        grouping: r.grouping,
        classification: r.classification,
        ...(r.specialization ? { specialization: r.specialization } : {}),
        ...(r.definition ? { definition: r.definition } : {}),
        ...(r.notes ? { notes: r.notes } : {}),
        section: r.section,
        level: r.specialization ? 'Specialization' : 'Classification',
        ...(r.inactiveSince ? { inactiveSince: r.inactiveSince } : {}),
      },
    });
    if (r.inactive) {
      inactive++;
      history.push({
        system: 'nucc',
        key: r.code,
        version: r.inactiveSince ?? version,
        action: 'deleted',
        display,
        ...(r.replacedBy ? { replacedBy: [r.replacedBy] } : {}),
      });
    }
  }

  const all = [...groupings.values(), ...codeless.values(), ...records];
  writer.putCodes(all, progress.phase('NUCC: writing codes', all.length));
  for (const h of history) writer.putHistory(h);

  const imported = {
    codes: rows.length,
    active: rows.length - inactive,
    inactive,
    groupings: groupings.size,
    classificationsWithoutCode: codeless.size,
    specializationsUnderThem: records.filter((r) => r.parentKey?.startsWith('C-')).length,
  };
  writer.putRelease({ system: 'nucc', version, effective, notice: nuccNotice(version, release.year) }, imported, [basename(file)]);
  return { system: 'nucc', version, imported, skipped, files };
}
