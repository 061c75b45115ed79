import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { gatherSources, sourceChunks, sourcesByName, sourceText, sourceLabel as label } from '../sources.js';
import type { CodeRecord, Note } from '../../model.js';
import { MedCodesError } from '../../errors.js';
import { codeKey, icd10cmDisplay } from '../../codes.js';
import { readZipMember } from '../zip.js';
import { parseOrderFile, type OrderRecord } from '../cms-order/order.js';
import { buildHistory } from '../cms-order/history.js';
import { parseConversionTable, type ConversionRow } from './conversion.js';
import { parseTabular, type TabularChapter, type TabularSection, type TabularDiag } from './tabular.js';
import { readIndexXml, type IndexEntry } from './index-xml.js';
import { readTableXml, readDrugCsv, type TableRow } from './tables.js';
import { applyEffectiveDates, loadEffectiveDates, chapterTable } from './effective-dates.js';

/**
 * The ICD-10-CM importer: assembles one code system from several official files.
 *
 *  - yearly order files (FY2016 ... newest): the codes, titles and billable flags of the newest year;
 *    history (added / revised / deleted) from comparing consecutive years;
 *  - the conversion table: replacement codes of deleted codes;
 *  - the Tabular List XML: chapters, blocks and every note kind, attached only to codes that still
 *    exist with the same code (labelled with the Tabular's version);
 *  - the Alphabetic Index and External Cause Index XML, and the Drug and Neoplasm tables: index
 *    terms (paths that lead to a code) and see / see also references.
 */

type Kind = 'order' | 'tabular' | 'index' | 'eindex' | 'drug' | 'neoplasm' | 'conversion';

/** One input: a plain file or a member of a zip, with the release year it belongs to. */
interface Source {
  kind: Kind;
  file: string;
  member?: string;
  year: number;
  /** The April 1 (mid-year) edition of the fiscal year. */
  april: boolean;
  /** CSV tables are a newer edition than the XML of the same year. */
  format: 'txt' | 'xml' | 'csv' | 'xlsx';
}

/**
 * Official file names. CMS names the annual files with underscores (`icd10cm_order_2026.txt`); CDC-NCHS
 * names its FTP editions with hyphens, the mid-year ones with the month (`icd10cm-order-April-2025.txt`,
 * `icd10cm-tabular-April-2025.xml`): an April edition is a later release of the same fiscal year.
 */
const ED = '(?:(April)[_-])?';
const MEMBER_PATTERNS: [Kind, RegExp][] = [
  ['order', new RegExp(`icd10cm[_-]order[_-]${ED}(\\d{4})\\.txt$`, 'i')],
  ['tabular', new RegExp(`icd10cm[_-]tabular[_-]${ED}(\\d{4})\\.xml$`, 'i')],
  ['eindex', new RegExp(`icd10cm[_-]eindex[_-]${ED}(\\d{4})\\.xml$`, 'i')],
  ['index', new RegExp(`icd10cm[_-]index[_-]${ED}(\\d{4})\\.xml$`, 'i')],
  ['drug', new RegExp(`icd10cm[_-]drug[_-]${ED}(\\d{4})\\.xml$`, 'i')],
  ['neoplasm', new RegExp(`icd10cm[_-]neoplasm[_-]${ED}(\\d{4})\\.xml$`, 'i')],
  ['drug', /icd10cm-drug-[A-Za-z]*-?(\d{4})\.csv$/i],
  ['conversion', /ICD-10-CM-CONVERSION-TABLE-FY(\d{4})\.xlsx$/i],
];

/** Newest order and tables files of a year past which MedCodes reads no edition unchecked (see classifyName). */
const NEWEST_KNOWN_LAYOUT_YEAR = 2030;

function classifyName(name: string): { kind: Kind; year: number; april: boolean; format: Source['format'] } | undefined {
  for (const [kind, re] of MEMBER_PATTERNS) {
    const m = re.exec(name);
    if (!m) continue;
    const april = m.length > 2 && !!m[1];
    const year = Number(m[m.length - 1]);
    return { kind, year, april, format: name.toLowerCase().split('.').pop() as Source['format'] };
  }
  return undefined;
}

const sourcesOf = (file: string): Promise<Source[]> => sourcesByName(file, classifyName);

async function bufferOf(s: Source): Promise<Buffer> {
  return s.member ? (await readZipMember(s.file, s.member)).data : readFileSync(s.file);
}

/**
 * The newest source of a kind. For the Table of Drugs the official XML wins over CDC's CSV edition of
 * any year: the April 2025 CSV drops about 30 rows (Dehydroemetine ... Fenamisal) and hangs their
 * sub-rows under the wrong substance, which would attach codes to paths that do not exist. The CSV is
 * read when it is the only drug table given.
 */
function newest(sources: Source[], kind: Kind): Source | undefined {
  const rank = (s: Source) => (s.format === 'csv' ? 0 : 1);
  return sources
    .filter((s) => s.kind === kind)
    .sort((a, b) => rank(a) - rank(b) || a.year - b.year || Number(a.april) - Number(b.april))
    .at(-1);
}

/**
 * Replacement codes for a code deleted in a fiscal year, from the conversion table: the new codes that
 * name it among their previous assignments and that were added in the year it was deleted. The year
 * added is taken from the order files (`addedIn`), which we hold for every year, so that a mid-year
 * update or a typo in the table's "Effective" column cannot pair a deletion with the wrong additions.
 */
export function replacementsFrom(rows: ConversionRow[], addedIn: (key: string) => number | undefined) {
  const byPrev = new Map<string, ConversionRow[]>();
  const ranges: { from: string; to: string; row: ConversionRow }[] = [];
  for (const r of rows) {
    for (const p of r.previous) {
      if (p.includes('-')) {
        const [from, to] = p.split('-');
        ranges.push({ from, to, row: r });
      } else byPrev.set(p, [...(byPrev.get(p) ?? []), r]);
    }
  }
  return (key: string, fiscalYear: number): string[] => {
    const candidates = [
      ...(byPrev.get(key) ?? []),
      ...ranges.filter((g) => g.from.length === key.length && key >= g.from && key <= g.to).map((g) => g.row),
    ];
    return [...new Set(candidates.filter((r) => addedIn(r.code) === fiscalYear).map((r) => r.code))];
  };
}

export const icd10cmImporter: Importer = {
  id: 'icd10cm',
  systems: ['icd10cm'],
  describe: 'ICD-10-CM order files, Tabular/Index XML, Drug and Neoplasm tables, conversion table',
  async claim(file) {
    return (await sourcesOf(file)).length > 0;
  },
  async run(files, ctx) {
    return [await importIcd10cm(files, ctx)];
  },
};

export async function importIcd10cm(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const sources: Source[] = await gatherSources(files, ctx, 'ICD-10-CM', sourcesOf);
  const orders = sources.filter((s) => s.kind === 'order').sort((a, b) => a.year - b.year || Number(a.april) - Number(b.april));
  // An edition from a year whose layout nobody has checked is refused by name rather than read wrongly.
  const unknown = sources.find((s) => s.year > NEWEST_KNOWN_LAYOUT_YEAR);
  if (unknown)
    throw new MedCodesError(
      'unknown_format',
      `${label(unknown)}: ICD-10-CM FY${unknown.year} is newer than the editions this version of MedCodes knows (up to FY${NEWEST_KNOWN_LAYOUT_YEAR}); update MedCodes to import it`,
    );
  if (!orders.length) {
    throw new MedCodesError(
      'unknown_format',
      `ICD-10-CM needs at least one order file (icd10cm_order_YYYY.txt, alone or in cms_YYYY_dx.zip); got ${files.map((f) => basename(f)).join(', ')}`,
    );
  }
  const skipped: Record<string, number> = {};
  const skip = (why: string, n = 1) => (skipped[why] = (skipped[why] ?? 0) + n);

  // 1. Order files, every year: the newest gives the codes, all of them the history.
  const releases: { fiscalYear: number; records: OrderRecord[]; effective?: string }[] = [];
  const pOrder = progress.phase('ICD-10-CM: order files', orders.length);
  for (const s of orders) {
    const effective = s.april ? `${s.year}-04-01` : undefined;
    if (releases.some((r) => r.fiscalYear === s.year && r.effective === effective))
      throw new MedCodesError('parse_error', `two ${s.april ? 'April ' : ''}order files for FY${s.year}: ${label(s)}`);
    releases.push({ fiscalYear: s.year, records: parseOrderFile(await sourceText(s), label(s)), ...(effective ? { effective } : {}) });
    pOrder.tick();
  }
  pOrder.done();
  const current = releases.at(-1)!;
  const version = `FY${current.fiscalYear}`;
  const byKey = new Map(current.records.map((r) => [r.code, r]));

  // 2. Conversion table -> replacements; 3. history.
  const conv = newest(sources, 'conversion');
  const convRows = conv ? await parseConversionTable(await bufferOf(conv), label(conv)) : [];
  const addedYear = new Map<string, number>();
  for (const r of releases) for (const rec of r.records) if (!addedYear.has(rec.code)) addedYear.set(rec.code, r.fiscalYear);
  const history = buildHistory('icd10cm', releases, convRows.length ? replacementsFrom(convRows, (k) => addedYear.get(k)) : undefined);
  const midYear = applyEffectiveDates(history, loadEffectiveDates());

  // 4. Tabular: chapters, blocks, notes.
  const chapters: TabularChapter[] = [];
  const sections: TabularSection[] = [];
  const diagSection = new Map<string, string>();
  const notes: Note[] = [];
  let tabVersion = '';
  const tab = newest(sources, 'tabular');
  if (tab) {
    const p = progress.phase(`ICD-10-CM: Tabular List ${tab.year}`, 0);
    tabVersion = `FY${tab.year}`;
    for await (const r of parseTabular(sourceChunks(tab), { file: label(tab) })) {
      if (r.type === 'chapter') chapters.push(r);
      else if (r.type === 'section') sections.push(r);
      else if (r.type === 'diag') attachDiag(r);
    }
    p.done();
  }
  function attachDiag(d: TabularDiag) {
    const key = codeKey('icd10cm', d.code);
    if (d.depth === 1) diagSection.set(key, d.section);
    if (!byKey.has(key)) {
      // Written for a code that no longer exists (or changed code): never moved to another code.
      if (d.notes.length) skip('Tabular notes of codes not in the current release', d.notes.length);
      return;
    }
    for (const n of d.notes)
      notes.push({
        system: 'icd10cm',
        key,
        kind: n.kind,
        text: n.text,
        ...(n.char ? { char: n.char } : {}),
        seq: n.seq,
        version: tabVersion,
      });
  }

  // 5. Concepts: chapters and blocks (ranges), then codes and deleted codes.
  const chapterKey = (c: TabularChapter) => `${c.first}-${c.last}`;
  const chapterKeys = new Set(chapters.map(chapterKey));
  const sectionKey = (s: TabularSection) => `${codeKey('icd10cm', s.first)}-${codeKey('icd10cm', s.last)}`;
  const sectionById = new Map(sections.map((s) => [s.id, s]));
  const orderOf = (k: string) => byKey.get(k)?.order;
  const records: CodeRecord[] = [];

  // Categories of the current release that the Tabular does not list (added after its year) go to the
  // block whose range covers them, else to the chapter whose range covers them, else stay top-level.
  const covers = (first: string, last: string, cat: string) => cat.length === 3 && cat >= first && cat <= last;
  const blockOfCategory = (cat: string): string | undefined => {
    const known = diagSection.get(cat);
    if (known && sectionById.has(known)) return sectionKey(sectionById.get(known)!);
    const inner = sections.filter((s) => s.hasDiags && covers(s.first, s.last, cat)).at(-1);
    if (inner) return sectionKey(inner);
    const ch = chapters.find((c) => covers(c.first, c.last, cat));
    if (ch) return chapterKey(ch);
    // Newer than the Tabular's chapters (chapter 22 U00-U85, QA0 in chapter 17): the official chapter
    // and block from the cited table (data/icd10cm-chapters.json), never a guess by nearness.
    const tc = table.chapters.find((c) => covers(c.first, c.last, cat));
    if (!tc) return undefined;
    const fromTabular = chapters.find((c) => c.number === tc.number);
    const chKey = fromTabular ? chapterKey(fromTabular) : tableRecord(`${tc.first}-${tc.last}`, tc.title, 'chapter', undefined, tc);
    const tb = table.blocks.find((b) => b.chapter === tc.number && covers(b.first, b.last, cat));
    return tb ? tableRecord(`${tb.first}-${tb.last}`, tb.title, 'block', chKey, tb) : chKey;
  };
  const table = chapterTable();
  const fromTable = new Set<string>();
  function tableRecord(
    key: string,
    title: string,
    kind: 'chapter' | 'block',
    parentKey: string | undefined,
    range: { first: string; last: string },
  ) {
    if (fromTable.has(key)) return key;
    fromTable.add(key);
    const firstOrder = Math.min(
      ...current.records.filter((r) => r.code.length === 3 && covers(range.first, range.last, r.code)).map((r) => r.order),
    );
    records.push({
      system: 'icd10cm',
      key,
      code: key,
      display: title,
      kind,
      billable: false,
      status: 'active',
      ...(parentKey ? { parentKey } : {}),
      sort: (Number.isFinite(firstOrder) ? firstOrder : 0) * 10 - (kind === 'chapter' ? 4 : 2),
      version: table.version,
      properties: { ...('number' in range ? { chapter: range.number } : {}), source: table.source },
    });
    return key;
  }
  const outside: string[] = [];

  for (const ch of chapters) {
    const firstOrder = Math.min(
      ...current.records.filter((r) => r.code.length === 3 && covers(ch.first, ch.last, r.code)).map((r) => r.order),
    );
    records.push({
      system: 'icd10cm',
      key: chapterKey(ch),
      code: chapterKey(ch),
      display: ch.title,
      kind: 'chapter',
      billable: false,
      status: 'active',
      sort: (Number.isFinite(firstOrder) ? firstOrder : 0) * 10 - 4,
      version: tabVersion,
      properties: { chapter: ch.number },
    });
    ch.notes.forEach((n) =>
      notes.push({ system: 'icd10cm', key: chapterKey(ch), kind: n.kind, text: n.text, seq: n.seq, version: tabVersion }),
    );
  }
  for (const s of sections) {
    const key = sectionKey(s);
    const ch = chapters.find((c) => c.number === s.chapter)!;
    if (chapterKeys.has(key)) {
      // A grouping section spanning its whole chapter is the chapter itself.
      s.notes.forEach((n) => notes.push({ system: 'icd10cm', key, kind: n.kind, text: n.text, seq: 100 + n.seq, version: tabVersion }));
      continue;
    }
    const parent =
      s.parentSection && sectionById.has(s.parentSection) && !chapterKeys.has(sectionKey(sectionById.get(s.parentSection)!))
        ? sectionKey(sectionById.get(s.parentSection)!)
        : chapterKey(ch);
    const firstOrder = Math.min(
      ...current.records.filter((r) => r.code.length === 3 && covers(s.first, s.last, r.code)).map((r) => r.order),
    );
    records.push({
      system: 'icd10cm',
      key,
      code: key,
      display: s.title,
      kind: 'block',
      billable: false,
      status: 'active',
      parentKey: parent,
      sort: (Number.isFinite(firstOrder) ? firstOrder : (orderOf(s.first) ?? 0)) * 10 - 2,
      version: tabVersion,
    });
    s.notes.forEach((n) => notes.push({ system: 'icd10cm', key, kind: n.kind, text: n.text, seq: n.seq, version: tabVersion }));
  }

  const parentOf = (key: string, known: (k: string) => boolean): string | undefined => {
    for (let n = key.length - 1; n >= 3; n--) if (known(key.slice(0, n))) return key.slice(0, n);
    return undefined;
  };
  for (const r of current.records) {
    let parentKey: string | undefined;
    if (r.code.length === 3) {
      parentKey = blockOfCategory(r.code);
      if (!parentKey) outside.push(icd10cmDisplay(r.code));
    } else parentKey = parentOf(r.code, (k) => byKey.has(k));
    records.push({
      system: 'icd10cm',
      key: r.code,
      code: icd10cmDisplay(r.code),
      display: r.longTitle,
      shortDisplay: r.shortTitle,
      kind: r.code.length === 3 ? 'category' : 'code',
      billable: r.valid,
      status: 'active',
      ...(parentKey ? { parentKey } : {}),
      sort: r.order * 10,
      version,
      ...(midYear.has(r.code) ? { properties: { midYear: midYear.get(r.code) } } : {}),
    });
  }
  if (outside.length)
    progress.log(`  ICD-10-CM: ${outside.length} categories newer than the Tabular's chapters stay top-level: ${outside.join(', ')}`);

  // Deleted codes keep a record, placed after the nearest code before them that still exists.
  const deletedKeys = new Set(history.deleted.keys());
  for (const [key, d] of history.deleted) {
    const last = releases.find((r) => r.fiscalYear === d.lastYear)!.records;
    let sort = 0;
    for (const r of last) {
      if (r.code === key) break;
      const o = orderOf(r.code);
      if (o !== undefined) sort = o * 10;
    }
    const parentKey = parentOf(key, (k) => byKey.has(k) || deletedKeys.has(k)) ?? (key.length === 3 ? blockOfCategory(key) : undefined);
    records.push({
      system: 'icd10cm',
      key,
      code: icd10cmDisplay(key),
      display: d.record.longTitle,
      shortDisplay: d.record.shortTitle,
      kind: key.length === 3 ? 'category' : 'code',
      billable: d.record.valid,
      status: 'deleted',
      ...(parentKey ? { parentKey } : {}),
      sort: sort + 5,
      version: `FY${d.lastYear}`,
      properties: { deletedIn: `FY${d.deletedIn}`, ...(midYear.has(key) ? { midYear: midYear.get(key) } : {}) },
    });
  }

  writer.putCodes(records, progress.phase('ICD-10-CM: writing codes', records.length));
  for (const n of notes) writer.putNote(n);
  for (const h of history.events) writer.putHistory(h);

  // 6. Index terms and references.
  const indexCounts = { terms: 0, refs: 0 };
  const termKeys = (code: string | undefined): string | undefined => {
    if (!code) return undefined;
    const key = codeKey('icd10cm', code.replace(/[.-]+$/, ''));
    return byKey.has(key) ? key : undefined;
  };
  const putTerm = (key: string, path: string, source: string, ver: string, level: number) => {
    writer.putIndexTerm({ system: 'icd10cm', key, path, source, version: ver, level });
    indexCounts.terms++;
  };
  for (const kind of ['index', 'eindex'] as const) {
    const s = newest(sources, kind);
    if (!s) continue;
    const p = progress.phase(`ICD-10-CM: ${kind === 'index' ? 'Alphabetic Index' : 'External Cause Index'} ${s.year}`, 0);
    const ver = `FY${s.year}`;
    for await (const e of readIndexXml(sourceChunks(s), { file: label(s), source: kind })) indexEntry(e, kind, ver);
    p.done();
  }
  function indexEntry(e: IndexEntry, source: string, ver: string) {
    const path = e.path.join(', ');
    let used = false;
    for (const c of [e.code, e.manif, e.subcat, e.seecat]) {
      if (!c) continue;
      const key = termKeys(c);
      if (key) {
        putTerm(key, path, source, ver, e.level);
        used = true;
      } else skip('index codes not in the current release');
    }
    for (const [kind, target] of [
      ['see', e.see],
      ['seeAlso', e.seeAlso],
    ] as const) {
      if (!target) continue;
      writer.putIndexReference({ system: 'icd10cm', path, kind, target, source, version: ver });
      indexCounts.refs++;
      used = true;
    }
    if (!used && !e.code) skip('index terms without a code (headings)');
  }

  // 7. Drug and Neoplasm tables: each cell is a path "term, column" leading to a code.
  for (const kind of ['drug', 'neoplasm'] as const) {
    const s = newest(sources, kind);
    if (!s) continue;
    const p = progress.phase(`ICD-10-CM: Table of ${kind === 'drug' ? 'Drugs and Chemicals' : 'Neoplasms'} ${s.year}`, 0);
    const ver = s.format === 'csv' ? `${s.year}` : `FY${s.year}`;
    const rows: AsyncIterable<TableRow> =
      s.format === 'csv'
        ? readDrugCsv(sourceChunks(s), { file: label(s), version: ver })
        : readTableXml(sourceChunks(s), { file: label(s), table: kind });
    for await (const row of rows) {
      const base = row.path.join(', ');
      for (const [column, code] of Object.entries(row.cells)) {
        if (!code) continue;
        const key = termKeys(code);
        if (key) putTerm(key, `${base}, ${column}`, kind, ver, row.level + 1);
        else skip(`${kind} table codes not in the current release`);
      }
      for (const [refKind, target] of [
        ['see', row.see],
        ['seeAlso', row.seeAlso],
      ] as const) {
        if (!target) continue;
        writer.putIndexReference({ system: 'icd10cm', path: base, kind: refKind, target, source: kind, version: ver });
        indexCounts.refs++;
      }
    }
    p.done();
  }

  const active = current.records.length;
  const billable = current.records.filter((r) => r.valid).length;
  const imported = {
    codes: active,
    billable,
    headers: active - billable,
    deleted: history.deleted.size,
    chapters: chapters.length,
    blocks: records.filter((r) => r.kind === 'block').length,
    notes: notes.length,
    indexTerms: indexCounts.terms,
    indexReferences: indexCounts.refs,
    historyEvents: history.events.length,
  };
  writer.putRelease(
    { system: 'icd10cm', version, effective: current.effective ?? `${current.fiscalYear - 1}-10-01` },
    imported,
    files.map((f) => basename(f)),
  );
  return { system: 'icd10cm', version, imported, skipped, files };
}
