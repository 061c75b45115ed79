import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { gatherSources, sourceChunks, sourcesByName, sourceText, sourceLabel as label } from '../sources.js';
import type { CodeRecord } from '../../model.js';
import { MedCodesError, parseError } from '../../errors.js';
import { parseOrderFile, type OrderRecord } from '../cms-order/order.js';
import { buildHistory, type YearRelease } from '../cms-order/history.js';
import { collect, decomposePcsCode, expandPcsRow, parsePcsTables, PcsTableIndex, PCS_CODE, type PcsTable } from './tables.js';
import { parsePcsDefinitions, PcsDefinitions } from './definitions.js';
import { parsePcsIndex, type PcsIndexCode, type PcsIndexEntry } from './index-xml.js';
import { tableStructure, type PcsCodeProperties, type PcsTableStructure } from './builder.js';

/**
 * The ICD-10-PCS importer: one code system from CMS's yearly files.
 *
 *  - order files `icd10pcs_order_YYYY.txt` (in `cms_YYYY_pr.zip`), FY2016 ... newest: codes, titles
 *    and valid flags of the newest year, and history from comparing consecutive years. Same layout
 *    as the ICD-10-CM order file; in PCS a 3-character row (flag 0) is a table header and a
 *    7-character row (flag 1) a valid code.
 *  - the Tables XML: the hierarchy above the tables (section = character 1, body system =
 *    characters 1-2, named by the tables' axis labels), each table's rows stored once on the table's
 *    record, and the seven decoded characters of every code;
 *  - the Definitions XML: the definitions, explanations and keys (Body Part, Device, Substance) of
 *    the values, stored per table;
 *  - the Index XML: index terms on the codes and tables they name, and see / use references.
 *
 * Keys: codes and tables are their characters (`0DTJ4ZZ`, `0DT`); a section is its one character
 * (`0`) and a body system its two (`0D`). PCS codes have 7 characters and tables 3, so these keys
 * cannot collide.
 */

type Kind = 'order' | 'tables' | 'definitions' | 'index';

interface Source {
  kind: Kind;
  file: string;
  member?: string;
  year: number;
}

const MEMBER_PATTERNS: [Kind, RegExp][] = [
  ['order', /^icd10pcs_order_(\d{4})\.txt$/i],
  ['tables', /^icd10pcs_tables_(\d{4})\.xml$/i],
  ['definitions', /^icd10pcs_definitions_(\d{4})\.xml$/i],
  ['index', /^icd10pcs_index_(\d{4})\.xml$/i],
];

/** The newest fiscal year whose files MedCodes reads (the FY2026 layouts; see update tests for FY2027). */
const NEWEST_KNOWN_PCS_YEAR = 2030;

function classifyName(name: string): { kind: Kind; year: number } | undefined {
  for (const [kind, re] of MEMBER_PATTERNS) {
    const m = re.exec(name);
    if (m) return { kind, year: Number(m[1]) };
  }
  return undefined;
}

/** The PCS files in an input: the file itself by its official name, or the members of a zip (any folder inside it). */
const sourcesOf = (file: string): Promise<Source[]> => sourcesByName(file, classifyName);

function newest(sources: Source[], kind: Kind): Source | undefined {
  return sources
    .filter((s) => s.kind === kind)
    .sort((a, b) => a.year - b.year)
    .at(-1);
}

/**
 * Parse a PCS order file and check the PCS shape of every row: a table header is 3 characters
 * flagged 0, a code 7 characters flagged 1, all of them PCS characters (no I or O).
 */
export function parsePcsOrderFile(text: string, file: string): OrderRecord[] {
  const records = parseOrderFile(text, file);
  for (const r of records) {
    const shapeOk = PCS_CODE.test(r.code.padEnd(7, '0'));
    if (!shapeOk || (r.code.length !== 3 && r.code.length !== 7)) {
      throw parseError(
        `"${r.code}" is neither an ICD-10-PCS table (3 characters) nor a code (7 characters) of 0-9 and A-Z without I and O`,
        { file, line: r.line },
      );
    }
    if (r.code.length === 3 && r.valid)
      throw parseError(`table header "${r.code}" is flagged valid (1); headers are flagged 0`, { file, line: r.line });
    if (r.code.length === 7 && !r.valid)
      throw parseError(`code "${r.code}" is flagged 0; every 7-character ICD-10-PCS code is valid (1)`, { file, line: r.line });
  }
  return records;
}

export const icd10pcsImporter: Importer = {
  id: 'icd10pcs',
  systems: ['icd10pcs'],
  describe: 'ICD-10-PCS order files, Tables, Definitions and Index XML',
  async claim(file) {
    return (await sourcesOf(file)).length > 0;
  },
  async run(files, ctx) {
    return [await importIcd10pcs(files, ctx)];
  },
};

const few = (xs: string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ` and ${xs.length - 5} more` : ''}`;

export async function importIcd10pcs(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const sources: Source[] = await gatherSources(files, ctx, 'ICD-10-PCS', sourcesOf);
  const orders = sources.filter((s) => s.kind === 'order').sort((a, b) => a.year - b.year);
  if (!orders.length) {
    throw new MedCodesError(
      'unknown_format',
      `ICD-10-PCS needs at least one order file (icd10pcs_order_YYYY.txt, alone or in cms_YYYY_pr.zip); got ${files.map((f) => basename(f)).join(', ')}`,
    );
  }
  // An edition from a year whose layout nobody has checked is refused by name rather than read wrongly.
  const future = sources.find((s) => s.year > NEWEST_KNOWN_PCS_YEAR);
  if (future)
    throw new MedCodesError(
      'unknown_format',
      `${label(future)}: ICD-10-PCS FY${future.year} is newer than the editions this version of MedCodes knows (up to FY${NEWEST_KNOWN_PCS_YEAR}); update MedCodes to import it`,
    );
  const skipped: Record<string, number> = {};
  const skip = (why: string, n = 1) => (skipped[why] = (skipped[why] ?? 0) + n);

  // 1. Order files, every year: the newest gives the codes, all of them the history.
  const releases: YearRelease[] = [];
  const pOrder = progress.phase('ICD-10-PCS: order files', orders.length);
  for (const s of orders) {
    if (releases.some((r) => r.fiscalYear === s.year))
      throw new MedCodesError('parse_error', `two order files for FY${s.year}: ${label(s)}`);
    releases.push({ fiscalYear: s.year, records: parsePcsOrderFile(await sourceText(s), label(s)) });
    pOrder.tick();
  }
  pOrder.done();
  const current = releases.at(-1)!;
  const version = `FY${current.fiscalYear}`;
  const byKey = new Map(current.records.map((r) => [r.code, r]));
  const history = buildHistory('icd10pcs', releases);

  // 2. Tables and definitions XML (the newest of each).
  const tablesSrc = newest(sources, 'tables');
  const tables: PcsTable[] = [];
  let tablesVersion = '';
  if (tablesSrc) {
    const p = progress.phase(`ICD-10-PCS: Tables ${tablesSrc.year}`, 0);
    tablesVersion = `FY${tablesSrc.year}`;
    tables.push(...(await collect(parsePcsTables(sourceChunks(tablesSrc), { file: label(tablesSrc) }))));
    p.done();
  } else {
    progress.log('  ICD-10-PCS: no Tables XML given: tables stay top-level and codes are not decomposed');
  }
  const defsSrc = newest(sources, 'definitions');
  let definitions: PcsDefinitions | undefined;
  if (defsSrc) {
    const p = progress.phase(`ICD-10-PCS: Definitions ${defsSrc.year}`, 0);
    definitions = new PcsDefinitions(await collect(parsePcsDefinitions(sourceChunks(defsSrc), { file: label(defsSrc) })));
    p.done();
  }
  const index = new PcsTableIndex(tables);
  // Code -> row of its table, from expanding every row (a full code lies in exactly one row).
  const rowOf = new Map<string, number>();
  for (const t of tables) {
    if (index.table(t.code) !== t) throw parseError(`table ${t.code} appears twice`, { file: tablesSrc && label(tablesSrc), line: t.line });
    t.rows.forEach((row, i) => {
      for (const c of expandPcsRow(t, row)) rowOf.set(c, i);
    });
  }

  // The Tables XML of the order file's own year must describe exactly its codes and tables: the
  // tables XML is the source of the decomposition, the order file of the titles, and a mismatch means
  // one of the two files is not the official one.
  if (tablesSrc && tablesSrc.year === current.fiscalYear) {
    const valid = current.records.filter((r) => r.valid).map((r) => r.code);
    const headers = current.records.filter((r) => !r.valid).map((r) => r.code);
    const notInTables = valid.filter((c) => !rowOf.has(c));
    const validSet = new Set(valid);
    const notInOrder = [...rowOf.keys()].filter((c) => !validSet.has(c));
    const tablesMissing = headers.filter((h) => !index.table(h));
    const headerSet = new Set(headers);
    const headersMissing = tables.map((t) => t.code).filter((c) => !headerSet.has(c));
    const problems = [
      notInTables.length ? `${notInTables.length} valid codes of the order file are in no table row (${few(notInTables)})` : '',
      notInOrder.length ? `${notInOrder.length} codes of the table rows are not in the order file (${few(notInOrder)})` : '',
      tablesMissing.length ? `${tablesMissing.length} table headers of the order file have no table (${few(tablesMissing)})` : '',
      headersMissing.length ? `${headersMissing.length} tables have no header row in the order file (${few(headersMissing)})` : '',
    ].filter(Boolean);
    if (problems.length) {
      throw new MedCodesError(
        'check_failed',
        `ICD-10-PCS ${version}: ${label(tablesSrc)} and ${label(orders.at(-1)!)} disagree: ${problems.join('; ')}`,
      );
    }
  } else if (tablesSrc) {
    progress.log(
      `  ICD-10-PCS: the Tables XML is FY${tablesSrc.year}, the newest order file ${version}: codes not in its rows are not decomposed`,
    );
  }

  // 3. Concepts: sections and body systems from the tables' axis labels, then tables, codes, deleted codes.
  const records: CodeRecord[] = [];
  const structures = new Map<string, PcsTableStructure>();
  const sectionSort = new Map<string, number>();
  const bodySort = new Map<string, number>();
  for (const t of tables) {
    // Order numbers have five digits: a table missing from the order file sorts last.
    const o = byKey.get(t.code)?.order ?? 99_999;
    if (!byKey.has(t.code)) skip('tables of the Tables XML not in the current order file');
    const sKey = t.code[0];
    const bKey = t.code.slice(0, 2);
    if (!sectionSort.has(sKey)) {
      sectionSort.set(sKey, o);
      records.push({
        system: 'icd10pcs',
        key: sKey,
        code: sKey,
        display: t.section.value.text,
        kind: 'chapter',
        billable: false,
        status: 'active',
        sort: o * 10 - 4,
        version: tablesVersion,
        properties: { axis: t.section.title },
      });
    } else sectionSort.set(sKey, Math.min(sectionSort.get(sKey)!, o));
    if (!bodySort.has(bKey)) {
      bodySort.set(bKey, o);
      records.push({
        system: 'icd10pcs',
        key: bKey,
        code: bKey,
        display: t.bodySystem.value.text,
        kind: 'block',
        billable: false,
        status: 'active',
        parentKey: sKey,
        sort: o * 10 - 2,
        version: tablesVersion,
        properties: { axis: t.bodySystem.title },
      });
    } else bodySort.set(bKey, Math.min(bodySort.get(bKey)!, o));
    structures.set(t.code, tableStructure(t, definitions));
  }
  // A section or body system sorts before its first table in the order file.
  for (const r of records) r.sort = r.kind === 'chapter' ? sectionSort.get(r.key)! * 10 - 4 : bodySort.get(r.key)! * 10 - 2;

  const tableParent = (table: string): string | undefined =>
    bodySort.has(table.slice(0, 2)) ? table.slice(0, 2) : sectionSort.has(table[0]) ? table[0] : undefined;
  let decomposed = 0;
  let valueDefinitions = 0;
  for (const r of current.records) {
    if (!r.valid) {
      const structure = structures.get(r.code);
      if (structure) valueDefinitions += Object.values(structure.definitions).reduce((n, d) => n + Object.keys(d).length, 0);
      const parentKey = tableParent(r.code);
      records.push({
        system: 'icd10pcs',
        key: r.code,
        code: r.code,
        display: r.longTitle,
        shortDisplay: r.shortTitle,
        kind: 'table',
        billable: false,
        status: 'active',
        ...(parentKey ? { parentKey } : {}),
        sort: r.order * 10,
        version,
        ...(structure ? { properties: { ...structure } } : {}),
      });
      continue;
    }
    let properties: Record<string, unknown> | undefined;
    const row = rowOf.get(r.code);
    if (row !== undefined) {
      // Only the labels of characters 4-7 and the row: characters 1-3 and the axis titles are the
      // table's, stored once on its record (pcsCodeAxes in builder.ts assembles the full decomposition).
      const labels = decomposePcsCode(r.code, index)!
        .slice(3)
        .map((c) => c.label);
      properties = { row, labels } satisfies PcsCodeProperties;
      decomposed++;
    } else if (tablesSrc) skip('codes not in the Tables XML rows (not decomposed)');
    const table = r.code.slice(0, 3);
    records.push({
      system: 'icd10pcs',
      key: r.code,
      code: r.code,
      display: r.longTitle,
      shortDisplay: r.shortTitle,
      kind: 'code',
      billable: true,
      status: 'active',
      ...(byKey.has(table) ? { parentKey: table } : {}),
      sort: r.order * 10,
      version,
      ...(properties ? { properties } : {}),
    });
  }

  // Deleted codes and tables keep a record, placed after the nearest row before them that still
  // exists (one pass over each release that last held some of them).
  const deletedSort = new Map<string, number>();
  const lastYears = new Set([...history.deleted.values()].map((d) => d.lastYear));
  for (const year of lastYears) {
    let sort = 0;
    for (const r of releases.find((x) => x.fiscalYear === year)!.records) {
      const o = byKey.get(r.code)?.order;
      if (o !== undefined) sort = o * 10;
      else if (history.deleted.get(r.code)?.lastYear === year) deletedSort.set(r.code, sort + 5);
    }
  }
  for (const [key, d] of history.deleted) {
    const table = key.slice(0, 3);
    const parentKey = key.length === 7 ? (byKey.has(table) || history.deleted.has(table) ? table : tableParent(table)) : tableParent(key);
    records.push({
      system: 'icd10pcs',
      key,
      code: key,
      display: d.record.longTitle,
      shortDisplay: d.record.shortTitle,
      kind: key.length === 3 ? 'table' : 'code',
      billable: d.record.valid,
      status: 'deleted',
      ...(parentKey ? { parentKey } : {}),
      sort: deletedSort.get(key) ?? 0,
      version: `FY${d.lastYear}`,
      properties: { deletedIn: `FY${d.deletedIn}` },
    });
  }

  writer.putCodes(records, progress.phase('ICD-10-PCS: writing codes', records.length));
  for (const h of history.events) writer.putHistory(h);

  // 4. Index: terms on the codes and tables they name, see / use references.
  const counts = { indexTerms: 0, indexTermsOnTables: 0, indexTermsFromReferences: 0, indexReferences: 0 };
  const indexSrc = newest(sources, 'index');
  if (indexSrc) {
    const p = progress.phase(`ICD-10-PCS: Index ${indexSrc.year}`, 0);
    const ver = `FY${indexSrc.year}`;
    for await (const e of parsePcsIndex(sourceChunks(indexSrc), { file: label(indexSrc) })) indexEntry(e, ver);
    p.done();
  }
  /**
   * A complete code names its code; a table (`<tab>0QB</tab>`) or partial code (`<codes>0UT9</codes>`,
   * which sends the coder to the table's rows for the remaining characters) names its table, the
   * deepest record that exists for it. A reference prints its target's code or table after the
   * target's text (`see Resection, Uterus 0UT9`), so the referring term leads there too.
   */
  function indexEntry(e: PcsIndexEntry, ver: string) {
    const path = e.path.join(', ');
    const keys = new Map<string, 'own' | 'ref'>();
    const target = (c: PcsIndexCode, from: 'own' | 'ref') => {
      const key = c.value.length === 7 ? c.value : c.value.slice(0, 3);
      if (!byKey.has(key)) {
        skip(c.value.length === 7 ? 'index codes not in the current release' : 'index tables not in the current release');
        return;
      }
      // A partial code must still be a prefix some row allows (the Index can be a year older than the Tables).
      if (c.value.length > 3 && c.value.length < 7 && tables.length && !decomposePcsCode(c.value, index)) {
        skip('index partial codes no table row allows');
        return;
      }
      if (!keys.has(key) || from === 'own') keys.set(key, from);
    };
    for (const c of e.codes) target(c, 'own');
    for (const r of [...e.see, ...e.use]) for (const c of r.codes) target(c, 'ref');
    for (const [key, from] of keys) {
      writer.putIndexTerm({ system: 'icd10pcs', key, path, source: 'index', version: ver, level: e.level });
      counts.indexTerms++;
      if (key.length === 3) counts.indexTermsOnTables++;
      if (from === 'ref') counts.indexTermsFromReferences++;
    }
    for (const [kind, refs] of [
      ['see', e.see],
      ['use', e.use],
    ] as const) {
      for (const r of refs) {
        writer.putIndexReference({ system: 'icd10pcs', path, kind, target: r.target, source: 'index', version: ver });
        counts.indexReferences++;
      }
    }
    if (!e.codes.length && !e.see.length && !e.use.length) skip('index terms without a code (headings)');
  }

  const active = current.records.length;
  const billable = current.records.filter((r) => r.valid).length;
  const imported = {
    codes: active,
    billable,
    tables: active - billable,
    sections: sectionSort.size,
    bodySystems: bodySort.size,
    deleted: history.deleted.size,
    decomposed,
    valueDefinitions,
    ...counts,
    historyEvents: history.events.length,
  };
  writer.putRelease(
    { system: 'icd10pcs', version, effective: `${current.fiscalYear - 1}-10-01` },
    imported,
    files.map((f) => basename(f)),
  );
  return { system: 'icd10pcs', version, imported, skipped, files };
}
