import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { gatherSources, sourceChunks } from '../sources.js';
import type { CodeRecord, HistoryEvent } from '../../model.js';
import { MedCodesError } from '../../errors.js';
import { listZip, readZipMember } from '../zip.js';
import { parseHcpcsXlsx } from './xlsx.js';
import { HCPCS_RECORD_LENGTH, parseHcpcsFixedWidth } from './fixed-width.js';
import { decodeHcpcs, hcpcsStatus, type HcpcsRecord } from './record.js';

/**
 * The HCPCS Level II importer: one quarterly release (CMS "alpha-numeric HCPCS file"), from its
 * spreadsheet (`HCPC2025_OCT_ANWEB.xlsx`) or its fixed-width text edition (`HCPC2025_OCT_ANWEB*.txt`,
 * 320-character records, layout "HCPCS Contractor Record - 2019"), bare or inside CMS's zip.
 *
 * What it writes (system `hcpcs`):
 *  - one concept per procedure code (kind `code`, key `E0143`) and per modifier (kind `modifier`, key
 *    `LT`). Display is the long description, shortDisplay the short one. Procedure codes are billable
 *    while active; modifiers never are (they qualify a code, they are not billed alone). A code whose
 *    Termination Date (layout field 29) lies before the release's effective date is `deleted` and stays
 *    findable with its history.
 *  - parents: the CMS files and the 2019 record layout name no sections of Level II (the layout only
 *    says Level II codes are "5 position alpha-numeric codes"), so codes are grouped by their first
 *    letter under a `group` concept keyed by the letter (`E`), titled only with what is certain
 *    ("HCPCS Level II codes beginning with E"); modifiers go under one `group` keyed `MODIFIERS`.
 *  - properties: every field of the record, coded fields decoded with the layout's tables
 *    (`decodeHcpcs`: {code, meaning}), lists left out when empty.
 *  - history, dated with ISO dates rather than release names, because HCPCS changes take effect on
 *    the day the file gives, not only at quarterly releases (G0011 added 2024-01-02, G2023 terminated
 *    2023-05-11):
 *      `added` on the Code Added Date (field 27), with the current title only when the latest action
 *      (field 28) is the addition itself, so no older title is claimed;
 *      `revised` on the Action Effective Date when the Action Code (field 30) is B, C or S (a
 *      description changed) and `reactivated` when it is R;
 *      `deleted` on the day after the Termination Date (the last day a code "may be used"), that is
 *      the first day it is no longer valid (2025-10-01 for codes terminated 2025-09-30), with the
 *      Cross Reference Codes (field 15) as replacements.
 *
 * The release: version `YYYY-MM` and effective date from the file name (`HCPC2025_OCT` -> 2025-10,
 * 2025-10-01; CMS releases take effect on the 1st of January, April, July and October). A renamed file
 * has no date in its name; then the newest Action Effective Date or Code Added Date in the file is
 * taken as the effective date (2025-10-01 in the October 2025 file, where both agree with the name).
 */

const NEWEST_KNOWN_HCPCS_YEAR = 2030;

const MONTHS: Record<string, string> = { JAN: '01', APR: '04', JUL: '07', OCT: '10' };

/** `HCPC2025_OCT_ANWEB.xlsx`, `HCPC2025_OCT_ANWEB_v2.txt`, ...: the release date in the official names. */
const DATED_NAME = /^HCPC(\d{4})_(JAN|APR|JUL|OCT)/i;
/** Official names of the release files, with or without a date (`HCPC2013_A-N.txt`). */
const OFFICIAL_NAME = /^HCPC\d{4}.*\.(xlsx|txt)$/i;
/**
 * The record layout CMS publishes beside the release (`2019-HCPCS-Record-Layout.zip` holding
 * `HCPCS2019_recordlayout.txt`): documentation, not data. It is claimed so that giving a whole HCPCS
 * folder works, and counted as skipped.
 */
const LAYOUT_NAME = /HCPCS\d{4}_?record_?layout\.txt$|HCPCS-Record-Layout\.zip$/i;

interface HcpcsSource {
  file: string;
  member?: string;
  format: 'xlsx' | 'txt' | 'layout';
  /** From the name, `YYYY-MM-DD`, when the name carries it. */
  effective?: string;
}

const label = (s: HcpcsSource) => (s.member ? `${basename(s.file)}:${s.member}` : basename(s.file));

function effectiveFromName(name: string): string | undefined {
  const m = DATED_NAME.exec(basename(name));
  return m ? `${m[1]}-${MONTHS[m[2].toUpperCase()]}-01` : undefined;
}

/**
 * Whether text starts like the fixed-width edition: a first line of exactly 320 characters whose
 * Record Identification Code (position 11) opens a procedure (3) or modifier (7) record.
 */
export function looksLikeHcpcsText(head: Buffer): boolean {
  const text = head.toString('latin1');
  const nl = text.indexOf('\n');
  if (nl < 0) return false;
  const line = text.slice(0, nl).replace(/\r$/, '');
  return line.length === HCPCS_RECORD_LENGTH && (line[10] === '3' || line[10] === '7');
}

async function headOf(file: string, bytes = 1024): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A renamed spreadsheet is HCPCS when the parser's own header check passes on its first row. */
async function looksLikeHcpcsXlsx(file: string): Promise<boolean> {
  try {
    const records = parseHcpcsXlsx(readFileSync(file), { file, effective: '9999-12-31' });
    await records.next();
    await records.return(undefined);
    return true;
  } catch {
    return false;
  }
}

async function sourcesOf(file: string): Promise<HcpcsSource[]> {
  const name = basename(file);
  if (LAYOUT_NAME.test(name)) return [{ file, format: 'layout' }];
  if (/\.zip$/i.test(name)) {
    let members;
    try {
      members = await listZip(file);
    } catch {
      return [];
    }
    return members
      .filter((m) => OFFICIAL_NAME.test(basename(m.name)))
      .map((m) => ({
        file,
        member: m.name,
        format: /\.xlsx$/i.test(m.name) ? ('xlsx' as const) : ('txt' as const),
        effective: effectiveFromName(m.name),
      }));
  }
  if (/\.xlsx$/i.test(name)) {
    if (OFFICIAL_NAME.test(name) || (await looksLikeHcpcsXlsx(file))) return [{ file, format: 'xlsx', effective: effectiveFromName(name) }];
    return [];
  }
  if (/\.txt$/i.test(name) && looksLikeHcpcsText(await headOf(file))) return [{ file, format: 'txt', effective: effectiveFromName(name) }];
  return [];
}

async function readSource(s: HcpcsSource): Promise<HcpcsRecord[]> {
  // The parsers need a date to set `status`; status is worked out again below once the release's date
  // is known (it may come from the content), so any placeholder does here.
  const options = { file: label(s), effective: s.effective ?? '9999-12-31' };
  const out: HcpcsRecord[] = [];
  const records =
    s.format === 'xlsx'
      ? parseHcpcsXlsx(s.member ? (await readZipMember(s.file, s.member)).data : readFileSync(s.file), options)
      : parseHcpcsFixedWidth(sourceChunks(s), options);
  for await (const r of records) out.push(r);
  return out;
}

/** The newest Action Effective Date or Code Added Date: the release date of a file whose name lacks it. */
function effectiveFromContent(records: HcpcsRecord[], file: string): string {
  let newest = '';
  for (const r of records) for (const d of [r.actionEffectiveDate, r.addedDate]) if (d && d > newest) newest = d;
  if (!newest)
    throw new MedCodesError(
      'parse_error',
      `${file}: no date in the file name (HCPCYYYY_MON) and no action or added date in the records to date the release by`,
    );
  return newest;
}

/** The day after an ISO date. */
function dayAfter(iso: string): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * The record's fields for `properties`: everything but the code, kind, titles and status (which are
 * the concept's own columns), coded fields replaced by their decoded form, empty lists left out.
 */
export function hcpcsProperties(r: HcpcsRecord): Record<string, unknown> {
  const { code: _code, kind: _kind, longDescription: _long, shortDescription: _short, status: _status, ...fields } = r;
  const decoded = decodeHcpcs(r);
  const { kind: recordType, ...decodedFields } = decoded;
  const out: Record<string, unknown> = { recordType };
  for (const [k, v] of Object.entries({ ...fields, ...decodedFields })) {
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** History events of one record (see the module comment for the dating rules). */
export function hcpcsHistory(r: HcpcsRecord, key: string, status: 'active' | 'deleted'): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  if (r.addedDate) {
    const unchanged = r.actionEffectiveDate === r.addedDate;
    events.push({ system: 'hcpcs', key, version: r.addedDate, action: 'added', ...(unchanged ? { display: r.longDescription } : {}) });
  }
  if (r.actionEffectiveDate && r.actionCode && 'BCS'.includes(r.actionCode)) {
    events.push({ system: 'hcpcs', key, version: r.actionEffectiveDate, action: 'revised', display: r.longDescription });
  }
  if (r.actionEffectiveDate && r.actionCode === 'R') {
    events.push({ system: 'hcpcs', key, version: r.actionEffectiveDate, action: 'reactivated', display: r.longDescription });
  }
  if (status === 'deleted' && r.terminationDate) {
    events.push({
      system: 'hcpcs',
      key,
      version: dayAfter(r.terminationDate),
      action: 'deleted',
      display: r.longDescription,
      ...(r.crossReferences.length ? { replacedBy: [...r.crossReferences] } : {}),
    });
  }
  return events;
}

/** Key of the modifiers' group. Cannot meet a code: procedure codes have 5 characters, modifiers 2. */
export const MODIFIERS_KEY = 'MODIFIERS';

export const hcpcsImporter: Importer = {
  id: 'hcpcs',
  systems: ['hcpcs'],
  describe: 'HCPCS Level II quarterly release (HCPCYYYY_MON_ANWEB spreadsheet or fixed-width text edition)',
  async claim(file) {
    return (await sourcesOf(file)).length > 0;
  },
  async run(files, ctx) {
    return [await importHcpcs(files, ctx)];
  },
};

export async function importHcpcs(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const sources: HcpcsSource[] = await gatherSources(files, ctx, 'HCPCS', sourcesOf);
  if (!sources.some((s) => s.format !== 'layout'))
    throw new MedCodesError(
      'unknown_format',
      `HCPCS needs a release file (HCPCYYYY_MON_ANWEB.xlsx or .txt); got ${files.map((f) => basename(f)).join(', ')}`,
    );
  const skipped: Record<string, number> = {};
  const layouts = sources.filter((s) => s.format === 'layout');
  if (layouts.length) skipped['record layout documents'] = layouts.length;

  // Every source is read; the newest release wins, and of two editions of one release the spreadsheet
  // (the edition MedCodes ships and tests on). The others are counted as skipped.
  const read: { source: HcpcsSource; records: HcpcsRecord[]; effective: string }[] = [];
  for (const s of sources) {
    if (s.format === 'layout') continue;
    const p = progress.phase(`HCPCS: ${label(s)}`, 0);
    const records = await readSource(s);
    read.push({ source: s, records, effective: s.effective ?? effectiveFromContent(records, label(s)) });
    p.done();
  }
  read.sort(
    (a, b) => a.effective.localeCompare(b.effective) || (a.source.format === 'xlsx' ? 1 : 0) - (b.source.format === 'xlsx' ? 1 : 0),
  );
  const chosen = read.at(-1)!;
  for (const other of read.slice(0, -1)) {
    skipped['older or duplicate release files'] = (skipped['older or duplicate release files'] ?? 0) + 1;
    progress.log(
      `  HCPCS: ${label(other.source)} (${other.effective}) not imported: ${label(chosen.source)} (${chosen.effective}) is newer or the preferred edition`,
    );
  }
  const { effective, records } = chosen;
  // A release from a year whose layout nobody has checked is refused by name rather than read wrongly
  // (the 2019 record layout and the 48-column spreadsheet are read up to this year).
  if (Number(effective.slice(0, 4)) > NEWEST_KNOWN_HCPCS_YEAR)
    throw new MedCodesError(
      'unknown_format',
      `${label(chosen.source)}: HCPCS ${effective.slice(0, 7)} is newer than the releases this version of MedCodes knows (up to ${NEWEST_KNOWN_HCPCS_YEAR}); update MedCodes to import it`,
    );
  const version = effective.slice(0, 7);

  const concepts: CodeRecord[] = [];
  const groups = new Map<string, { sort: number; first: string; last: string; count: number }>();
  const history: HistoryEvent[] = [];
  const counts = { codes: 0, active: 0, deleted: 0, modifiers: 0, activeModifiers: 0 };
  records.forEach((r, i) => {
    const status = hcpcsStatus(r.terminationDate, effective);
    const sort = (i + 1) * 10;
    const parentKey = r.kind === 'modifier' ? MODIFIERS_KEY : r.code[0];
    const g = groups.get(parentKey);
    if (!g) groups.set(parentKey, { sort: sort - 5, first: r.code, last: r.code, count: 1 });
    else {
      g.last = r.code;
      g.count++;
    }
    concepts.push({
      system: 'hcpcs',
      key: r.code,
      code: r.code,
      display: r.longDescription,
      shortDisplay: r.shortDescription,
      kind: r.kind === 'modifier' ? 'modifier' : 'code',
      billable: r.kind === 'procedure' && status === 'active',
      status,
      parentKey,
      sort,
      version,
      properties: hcpcsProperties(r),
    });
    history.push(...hcpcsHistory(r, r.code, status));
    if (r.kind === 'modifier') {
      counts.modifiers++;
      if (status === 'active') counts.activeModifiers++;
    } else {
      counts.codes++;
      if (status === 'active') counts.active++;
      else counts.deleted++;
    }
  });

  for (const [key, g] of groups) {
    const modifiers = key === MODIFIERS_KEY;
    concepts.push({
      system: 'hcpcs',
      key,
      code: modifiers ? 'Modifiers' : key,
      display: modifiers ? 'HCPCS Level II modifiers' : `HCPCS Level II codes beginning with ${key}`,
      kind: 'group',
      billable: false,
      status: 'active',
      sort: g.sort,
      version,
      properties: { first: g.first, last: g.last, count: g.count },
    });
  }

  writer.putCodes(concepts, progress.phase('HCPCS: writing codes', concepts.length));
  for (const h of history) writer.putHistory(h);

  const imported = { ...counts, groups: groups.size, historyEvents: history.length };
  writer.putRelease({ system: 'hcpcs', version, effective }, imported, [label(chosen.source)]);
  return { system: 'hcpcs', version, imported, skipped, files };
}
