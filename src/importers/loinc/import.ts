import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import type { CodeRecord } from '../../model.js';
import { MedCodesError, parseError } from '../../errors.js';
import { sourceLabel } from '../sources.js';
import { classifyAll, claims, dirHas, firstLine, headOf, linesWithProgress, sourceLines, Skips, type ReleaseLayout } from '../release.js';
import { loincHeaderProblem, readLoincMapTo, readLoincTable, type LoincRecord } from './record.js';

/**
 * The LOINC importer: the official release zip (`Loinc_2.80.zip`) or its extracted folder, reading
 * `LoincTable/Loinc.csv` (terms) and `LoincTable/MapTo.csv` (replacements of deprecated terms). Other
 * files of the release (part files, linguistic variants, accessory files) are claimed so that a whole
 * release folder imports, and counted as not read.
 *
 * Model:
 *  - one `code` per term, key = LOINC_NUM as written (`2345-7`; the dash is part of the code and a
 *    check digit follows it, so no two codes share a key); display = LONG_COMMON_NAME, short display
 *    = SHORTNAME; properties = the six axes, class, status and the other fields of record.ts.
 *  - hierarchy for browsing: class type (`T-1` "Laboratory terms", ...) > class (`C-` + slug of
 *    CLASS, e.g. `C-HEM-BC` for `HEM/BC`) > terms, in file order. LOINC's multiaxial component
 *    hierarchy (AccessoryFiles) is not read.
 *  - STATUS DEPRECATED -> status `deleted` with a `deleted` history event whose replacements come
 *    from MapTo.csv; TRIAL and DISCOURAGED stay active with their STATUS in properties.
 *  - search synonyms (index terms, source `loinc`): SHORTNAME, CONSUMER_NAME and DisplayName.
 *    RELATEDNAMES2 (up to dozens per term) stays in properties: indexing it would multiply the index
 *    several times for words that mostly repeat the axes.
 *  - DefinitionDescription becomes a note; EXTERNAL_COPYRIGHT_NOTICE becomes a note too (and stays in
 *    properties), so the third party's notice shows wherever the term does, as the LOINC licence asks.
 *  - release: version from the archive or folder name (`Loinc_2.80`), else the newest
 *    VersionLastChanged in the table; the Regenstrief notice (LOINC_NOTICE) on the release.
 */

type Kind = 'table' | 'mapTo';

const isLoincRoot = (dir: string) => dirHas(dir, 'LoincTable', /^Loinc\.csv$/i) || dirHas(dir, '.', /^Loinc\.csv$/i);

export const LOINC_LAYOUT: ReleaseLayout<Kind> = {
  byName: (n) => (/^Loinc\.csv$/i.test(n) ? 'table' : /^MapTo\.csv$/i.test(n) ? 'mapTo' : undefined),
  byContent: (head, name) => (/\.csv$/i.test(name) && !loincHeaderProblem(firstLine(head)) ? 'table' : undefined),
  isRoot: isLoincRoot,
};

/** Class types of LOINC (Users' Guide, CLASSTYPE). */
const CLASS_TYPES: Record<string, string> = {
  '1': 'Laboratory terms',
  '2': 'Clinical terms',
  '3': 'Claims attachment terms',
  '4': 'Survey terms',
};

/** The Regenstrief notice the LOINC licence (§§1, 4) requires with LOINC content. */
export function loincNotice(version: string): string {
  const year = new Date().getUTCFullYear();
  return (
    `This material contains content from LOINC (https://loinc.org), version ${version}. LOINC is copyright © 1995-${year}, ` +
    'Regenstrief Institute, Inc. and the Logical Observation Identifiers Names and Codes (LOINC) Committee and is available at ' +
    'no cost under the license at https://loinc.org/license. LOINC® is a registered United States trademark of Regenstrief Institute, Inc. ' +
    "Terms with third-party content show that party's copyright notice."
  );
}

/** `HEM/BC` -> `HEM-BC`. */
export const loincClassKey = (cls: string) =>
  `C-${
    cls
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'NONE'
  }`;

/** LOINC version in a path (`Loinc_2.80.zip`, `Loinc_2.80/LoincTable/Loinc.csv`). */
export function loincVersionInPath(path: string): string | undefined {
  return /Loinc[_ -]?(\d+\.\d+)/i.exec(path)?.[1];
}

export const loincImporter: Importer = {
  id: 'loinc',
  systems: ['loinc'],
  describe: 'LOINC release (Loinc_N.NN.zip or folder: LoincTable/Loinc.csv, MapTo.csv)',
  claim: (file) => claims(file, LOINC_LAYOUT),
  async run(files, ctx) {
    return [await importLoinc(files, ctx)];
  },
};

export async function importLoinc(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const skips = new Skips();
  const sources = await classifyAll(files, LOINC_LAYOUT, skips);
  // The table by its official name wins over a sniffed copy (LoincTableCore.csv has the same header).
  const named = sources.filter((s) => s.kind === 'table' && /^Loinc\.csv$/i.test(basename(s.member ?? s.file)));
  const tables = named.length ? named : sources.filter((s) => s.kind === 'table');
  if (!tables.length)
    throw new MedCodesError('unknown_format', `no LOINC table (LoincTable/Loinc.csv) in ${files.map((f) => basename(f)).join(', ')}`);
  if (tables.length > 1)
    throw new MedCodesError(
      'unknown_format',
      `several LOINC tables given (${tables.map(sourceLabel).join(', ')}): import one release at a time`,
    );
  const table = tables[0];
  const otherTables = sources.filter((s) => s.kind === 'table' && s !== table).length;
  if (otherTables) skips.add('other tables with the LOINC header, e.g. LoincTableCore.csv (not read)', otherTables);
  const label = sourceLabel(table);
  const problem = loincHeaderProblem(firstLine(await headOf(table)));
  if (problem) throw parseError(problem, { file: label, line: 1 });

  // Replacements of deprecated terms: a few thousand rows, held in memory.
  const mapTo = new Map<string, string[]>();
  for (const m of sources.filter((s) => s.kind === 'mapTo').slice(0, 1)) {
    for await (const r of readLoincMapTo(sourceLines(m), sourceLabel(m))) mapTo.set(r.loinc, [...(mapTo.get(r.loinc) ?? []), r.mapTo]);
  }

  let version = loincVersionInPath(table.member ? `${table.file}/${table.member}` : table.file);
  if (!version) {
    // No version in the name: the newest VersionLastChanged of the table (a first, cheap pass).
    let newest = '';
    for await (const r of readLoincTable(sourceLines(table), label))
      if (r.versionLastChanged && Number(r.versionLastChanged) > Number(newest || 0)) newest = r.versionLastChanged;
    if (!newest) throw parseError('no LOINC version in the file name (Loinc_N.NN) nor in VersionLastChanged', { file: label });
    version = newest;
  }

  const classes = new Map<string, { cls: string; type: string; count: number }>();
  const types = new Map<string, number>();
  let codes = 0;
  let deprecated = 0;
  let copyrighted = 0;
  let terms = 0;
  for await (const r of readLoincTable(linesWithProgress(table, progress, `LOINC: ${basename(table.member ?? table.file)}`), label)) {
    const type = CLASS_TYPES[r.classType ?? ''] ? r.classType! : '0';
    const ck = loincClassKey(r.class);
    const cls = classes.get(ck);
    if (cls && cls.cls !== r.class)
      throw new MedCodesError('check_failed', `${label}: classes "${cls.cls}" and "${r.class}" give the same key ${ck}`);
    if (!cls) classes.set(ck, { cls: r.class, type, count: 1 });
    else cls.count++;
    types.set(type, (types.get(type) ?? 0) + 1);
    const dep = r.status.toUpperCase() === 'DEPRECATED';
    writer.putCode(loincCode(r, version, ck));
    codes++;
    if (dep) {
      deprecated++;
      const replacedBy = mapTo.get(r.loincNum);
      writer.putHistory({
        system: 'loinc',
        key: r.loincNum,
        version: r.versionLastChanged ?? version,
        action: 'deleted',
        display: r.longCommonName,
        ...(replacedBy ? { replacedBy } : {}),
      });
    }
    let seq = 0;
    if (r.definition) writer.putNote({ system: 'loinc', key: r.loincNum, kind: 'notes', seq: seq++, text: r.definition, version });
    if (r.externalCopyrightNotice) {
      copyrighted++;
      writer.putNote({
        system: 'loinc',
        key: r.loincNum,
        kind: 'notes',
        seq: seq++,
        text: `Third-party copyright: ${r.externalCopyrightNotice}${r.externalCopyrightLink ? ` (${r.externalCopyrightLink})` : ''}`,
        version,
      });
    }
    const seen = new Set([r.longCommonName.toLowerCase()]);
    for (const t of [r.shortName, r.consumerName, r.displayName]) {
      if (!t || seen.has(t.toLowerCase())) continue;
      seen.add(t.toLowerCase());
      writer.putIndexTerm({ system: 'loinc', key: r.loincNum, path: t, source: 'loinc', version });
      terms++;
    }
  }
  if (!codes) throw parseError('the LOINC table has a header but no terms', { file: label });

  // Class types, then classes (alphabetical), as browse groups.
  let sort = 0;
  for (const t of [...types.keys()].sort()) {
    writer.putCode({
      system: 'loinc',
      key: `T-${t}`,
      code: `T-${t}`,
      display: CLASS_TYPES[t] ?? 'Terms without a class type',
      kind: 'group',
      billable: false,
      status: 'active',
      sort: sort++,
      version,
      properties: { classType: t, count: types.get(t) },
    });
  }
  for (const [key, c] of [...classes].sort((a, b) => a[1].cls.localeCompare(b[1].cls))) {
    writer.putCode({
      system: 'loinc',
      key,
      code: key,
      display: `LOINC class ${c.cls}`,
      shortDisplay: c.cls,
      kind: 'group',
      billable: false,
      status: 'active',
      parentKey: `T-${c.type}`,
      sort: sort++,
      version,
      properties: { class: c.cls, count: c.count },
    });
  }

  const imported = {
    codes,
    active: codes - deprecated,
    deprecated,
    classes: classes.size,
    synonyms: terms,
    withThirdPartyCopyright: copyrighted,
    replacements: mapTo.size,
  };
  writer.putRelease({ system: 'loinc', version, notice: loincNotice(version) }, imported, [...new Set(sources.map(sourceLabel))]);
  return { system: 'loinc', version, imported, skipped: skips.counts, files };
}

export function loincCode(r: LoincRecord, version: string, classKey: string): CodeRecord {
  const dep = r.status.toUpperCase() === 'DEPRECATED';
  const props: Record<string, unknown> = {
    component: r.component,
    property: r.property,
    timeAspect: r.timeAspect,
    system: r.system,
    scale: r.scale,
    ...(r.method ? { method: r.method } : {}),
    class: r.class,
    ...(r.classType ? { classType: r.classType } : {}),
    status: r.status,
  };
  for (const k of [
    'statusReason',
    'statusText',
    'consumerName',
    'displayName',
    'orderObs',
    'exampleUcumUnits',
    'relatedNames',
    'externalCopyrightNotice',
    'externalCopyrightLink',
    'versionFirstReleased',
    'versionLastChanged',
  ] as const) {
    if (r[k]) props[k] = r[k];
  }
  return {
    system: 'loinc',
    key: r.loincNum,
    code: r.loincNum,
    display: r.longCommonName,
    ...(r.shortName && r.shortName !== r.longCommonName ? { shortDisplay: r.shortName } : {}),
    kind: 'code',
    billable: !dep,
    status: dep ? 'deleted' : 'active',
    parentKey: classKey,
    sort: r.line,
    version,
    properties: props,
  };
}
