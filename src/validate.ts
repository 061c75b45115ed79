import type { SystemId } from './model.js';
import type { CodeRow, HistoryOut, Store } from './store/store.js';
import { codeKey, displayCode, isIcd10cmKey } from './codes.js';
import { MedCodesError } from './errors.js';
import { SYSTEMS, resolveSystem } from './systems.js';

/**
 * Batch code validation: for each submitted code, is it a code one may report, and if not, why not.
 * Pure over a Store, so the REST route (api/validate-routes.ts) and the CLI (`medcodes validate`)
 * give the same answers.
 *
 * Validity on a date of service comes from the history rows the importers write:
 *   - ICD-10-CM/PCS versions are fiscal years: FY2024 takes effect on 2023-10-01 and runs to
 *     2024-09-30 (CMS/NCHS annual updates take effect October 1).
 *   - HCPCS and NUCC versions are ISO dates: the add date, and for a deletion the action effective
 *     date (the day after the termination date in the HCPCS record layout).
 * "added"/"reactivated" open a period of validity, "deleted" closes it the day before its version.
 */

export const VALIDATE_STATUSES = ['valid', 'header', 'deleted', 'not_valid_on_date', 'ambiguous', 'unknown', 'invalid'] as const;
export type ValidateStatus = (typeof VALIDATE_STATUSES)[number];

/** Most codes a single request may carry (REST 413 payload_too_large above it). */
export const MAX_VALIDATE_CODES = 10_000;
/** Children listed for a header. */
const MAX_CHILDREN = 10;
/** Longer strings are not codes of any system (the longest, NUCC taxonomy codes, have 10 characters). */
const MAX_CODE_LENGTH = 40;

export interface ValidateItem {
  /** A system id or URI for this code only; overrides the batch system. */
  system?: string;
  code: string;
}

export interface ValidateRequest {
  codes: (string | ValidateItem)[];
  /** Default system for codes that name none; without one, the system is found from the code's shape. */
  system?: string;
  /** Date of service, `YYYY-MM-DD`. */
  date?: string;
}

export interface CodeBrief {
  code: string;
  display?: string;
}

/** A period in which a code was in effect; `to` is the last day (inclusive); open ends are left out. */
export interface ValidPeriod {
  from?: string;
  to?: string;
}

export interface ValidateResult {
  /** The code as submitted. */
  input: string;
  /** The system that answered (null when no system fits the code's shape). */
  system: SystemId | null;
  /** Display form of the code (`E11.9`), or the trimmed input for unknown/invalid codes. */
  code: string;
  status: ValidateStatus;
  /** The code's title (null for unknown and invalid codes). */
  display: string | null;
  /** header: the first children (more characters needed) and how many there are. */
  children?: CodeBrief[];
  childCount?: number;
  /** deleted: the release the deletion took effect in and that release's first day. */
  deletedIn?: { version: string; effective?: string };
  /** deleted: replacement codes from the official conversion table / cross reference. */
  replacedBy?: CodeBrief[];
  /** not_valid_on_date: when the code was in effect. */
  validPeriods?: ValidPeriod[];
  /** unknown: the longest existing code the input starts with (E11.99 -> E11.9). */
  closest?: CodeBrief;
  /** Other systems that also have this exact code (undotted ICD-10-CM and HCPCS share shapes). */
  alsoIn?: SystemId[];
  /**
   * ambiguous: the code exists in more than one code set (J1100: HCPCS dexamethasone, and ICD-10-CM
   * J11.00 without its dot) and no system was given; one answer per reading. Never guessed silently.
   */
  readings?: ValidateResult[];
  /** Code sets the code is shaped like that are not loaded (CPT: import the licensed release). */
  notLoaded?: SystemId[];
  /** Why a code is invalid or not valid on the date, in words. */
  message?: string;
}

export interface ValidateResponse {
  date?: string;
  system?: SystemId;
  count: number;
  summary: Record<ValidateStatus, number>;
  results: ValidateResult[];
}

/**
 * Shapes of the codes of each system, on the key (no dots), and with the dot where users write it.
 * Sources: ICD-10-CM Official Guidelines I.A (3-7 characters, dot after the third); ICD-10-PCS
 * Reference Manual (7 characters of 0-9 and A-Z without I and O); HCPCS Level II (a letter and four
 * digits; modifiers two characters); ICD-9-CM (3 digits, V + 2 digits or E + 3 digits, then up to 2
 * (E: 1) after the dot); ICD-9-CM Vol. 3 (2 digits, then up to 2 after the dot); NUCC taxonomy
 * (10 characters ending in X).
 */
const SHAPES: Partial<Record<SystemId, (raw: string, key: string) => boolean>> = {
  icd10cm: (raw, key) => isIcd10cmKey(key) && /^[A-Z][0-9A-Z]{2}(\.?[0-9A-Z]{1,4})?$/.test(raw),
  icd10pcs: (raw, key) => /^[0-9A-HJ-NP-Z]{7}$/.test(key) && !raw.includes('.'),
  hcpcs: (raw, key) => (/^[A-Z][0-9]{4}$/.test(key) || /^[0-9A-Z]{2}$/.test(key)) && !raw.includes('.'),
  icd9cm: (raw) => /^(\d{3}|V\d{2})(\.?\d{1,2})?$/.test(raw) || /^E\d{3}(\.?\d)?$/.test(raw),
  icd9pcs: (raw) => /^\d{2}(\.?\d{1,2})?$/.test(raw),
  nucc: (_raw, key) => /^[0-9]{3}[0-9A-Z]{6}X$/.test(key),
  // CPT (AMA CPT Professional, "CPT codes"): Category I five digits; Category II four digits and F;
  // Category III four digits and T; Proprietary Laboratory Analyses four digits and U.
  cpt: (raw) => /^\d{4}[0-9FTU]$/.test(raw),
};

/** The order in which systems are tried for a code without a system: current systems before retired ones. */
const TRY_ORDER: SystemId[] = ['icd10cm', 'icd10pcs', 'hcpcs', 'cpt', 'nucc', 'icd9cm', 'icd9pcs'];

const CPT_HINT = 'CPT is licensed and not loaded: import your AMA CPT data files with "medcodes import" (docs/LICENSED.md)';

/** The last day of service on which ICD-9-CM codes could be reported (HHS final rule, 79 FR 45128: ICD-10 from 2015-10-01). */
const ICD9_LAST_DAY = '2015-09-30';

/** Systems whose shape the code has, in trial order. */
export function candidateSystems(raw: string): SystemId[] {
  const s = raw.trim().toUpperCase();
  const key = s.replace(/[\s.]/g, '');
  return TRY_ORDER.filter((id) => SHAPES[id]!(s, key));
}

/** A date of service: a real calendar date written YYYY-MM-DD. */
export function parseServiceDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : undefined;
  if (!m || !d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) {
    throw new MedCodesError('invalid_parameter', `date must be a calendar date YYYY-MM-DD; got "${text.slice(0, 20)}"`);
  }
  return m[0];
}

/** First day a release version is in effect: FY2024 -> 2023-10-01, 2025-10 -> 2025-10-01, ISO dates as they are. */
export function versionStart(version: string): string | undefined {
  let m = /^FY(\d{4})$/.exec(version);
  if (m) return `${Number(m[1]) - 1}-10-01`;
  m = /^(\d{4}-\d{2})(-\d{2})?$/.exec(version);
  if (m) return m[2] ? version : `${m[1]}-01`;
  return undefined;
}

/**
 * First day of one history event: a mid-year date the importer recorded on the code
 * (`properties.midYear`: April updates, and the cited table data/icd10cm-effective-dates.json, e.g.
 * U07.1 on 2020-04-01), else the first day of the event's release.
 */
export function eventStart(h: Pick<HistoryOut, 'version' | 'action'>, row?: Pick<CodeRow, 'properties'>): string | undefined {
  const mid = row?.properties?.midYear;
  if (Array.isArray(mid)) {
    const m = mid.find((x) => x?.version === h.version && x?.action === h.action);
    if (m && typeof m.effective === 'string') return m.effective;
  }
  return versionStart(h.version);
}

function dayBefore(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** Periods of validity from the history: added/reactivated open one, deleted closes it the day before. */
export function validPeriods(system: SystemId, history: HistoryOut[], row: CodeRow): ValidPeriod[] {
  const periods: ValidPeriod[] = [];
  let open: ValidPeriod | undefined;
  let sawAny = false;
  for (const h of history) {
    const start = eventStart(h, row);
    if (!start) continue;
    if (h.action === 'added' || h.action === 'reactivated') {
      sawAny = true;
      if (!open) {
        open = { from: start };
        periods.push(open);
      }
    } else if (h.action === 'deleted') {
      sawAny = true;
      // A deletion without an earlier addition: the code was valid since before our history starts.
      if (!open) periods.push((open = {}));
      open.to = dayBefore(start);
      open = undefined;
    }
  }
  if (!sawAny) {
    // No dated history: fall back to the record's own dates (HCPCS add and termination dates).
    const p = row.properties ?? {};
    const from = typeof p.addedDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(p.addedDate) ? p.addedDate : undefined;
    const to =
      row.status === 'deleted' && typeof p.terminationDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(p.terminationDate)
        ? p.terminationDate
        : undefined;
    periods.push({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  if (system === 'icd9cm' || system === 'icd9pcs') {
    for (const p of periods) if (!p.to || p.to > ICD9_LAST_DAY) p.to = ICD9_LAST_DAY;
  }
  return periods;
}

/** Whether the code could be billed on the date: billable flips ("became a header in FY2026") are in the history. */
function billableOn(row: CodeRow, history: HistoryOut[], date: string | undefined): boolean {
  const flips = history.filter((h) => h.billableChange && eventStart(h, row));
  if (!date || !flips.length) return row.billable;
  let state = flips[0].billableChange!.from;
  for (const h of flips) if (eventStart(h, row)! <= date) state = h.billableChange!.to;
  return state;
}

/**
 * Complete codes whose record is not flagged billable: HCPCS modifiers (reported with a code, never
 * alone), and in the flat systems (HCPCS, NUCC) every `code`, whose billable flag the importers clear
 * on deletion, while on a date inside its period of validity the code was reportable.
 */
function isComplete(row: CodeRow, billable: boolean): boolean {
  return billable || row.kind === 'modifier' || (row.kind === 'code' && (row.system === 'hcpcs' || row.system === 'nucc'));
}

function emptySummary(): Record<ValidateStatus, number> {
  return Object.fromEntries(VALIDATE_STATUSES.map((s) => [s, 0])) as Record<ValidateStatus, number>;
}

/** The closest existing code: the longest prefix of the key that is a code of the system (E1199 -> E119). */
function closestPrefix(store: Store, system: SystemId, key: string): CodeRow | undefined {
  for (let n = key.length - 1; n >= 1; n--) {
    const r = store.get(system, key.slice(0, n));
    if (r && !['chapter', 'block', 'group'].includes(r.kind)) return r;
  }
  return undefined;
}

/** Answer for a code found in a system. */
function judge(store: Store, row: CodeRow, input: string, date: string | undefined): ValidateResult {
  const base = { input, system: row.system, code: row.code, display: row.display };
  const history = store.history(row.system, row.key);
  const deletion = [...history].reverse().find((h) => h.action === 'deleted');
  const deletedFields = () => {
    const out: Pick<ValidateResult, 'deletedIn' | 'replacedBy'> = {};
    if (deletion) {
      const effective = eventStart(deletion, row);
      out.deletedIn = { version: deletion.version, ...(effective ? { effective } : {}) };
      if (deletion.replacedBy?.length) out.replacedBy = deletion.replacedBy;
    } else if (typeof row.properties?.deletedIn === 'string') {
      out.deletedIn = { version: row.properties.deletedIn };
    }
    return out;
  };
  const headerFields = (): Pick<ValidateResult, 'children' | 'childCount'> => {
    const kids = store.children(row.system, row.key, row.status === 'deleted');
    return { children: kids.slice(0, MAX_CHILDREN).map((k) => ({ code: k.code, display: k.display })), childCount: kids.length };
  };
  const complete = (billable: boolean) => isComplete(row, billable);

  if (date) {
    const periods = validPeriods(row.system, history, row);
    const inEffect = periods.some((p) => (!p.from || p.from <= date) && (!p.to || date <= p.to));
    if (inEffect) {
      return complete(billableOn(row, history, date)) ? { ...base, status: 'valid' } : { ...base, status: 'header', ...headerFields() };
    }
    const last = periods.at(-1);
    if (row.status === 'deleted' && last?.to && date > last.to) return { ...base, status: 'deleted', ...deletedFields() };
    const when = periods.map((p) => `${p.from ?? '…'} to ${p.to ?? 'now'}`).join(', ');
    return {
      ...base,
      status: 'not_valid_on_date',
      validPeriods: periods,
      message: `${row.code} is not in effect on ${date} (in effect ${when})`,
    };
  }
  if (row.status === 'deleted') return { ...base, status: 'deleted', ...deletedFields() };
  return complete(row.billable) ? { ...base, status: 'valid' } : { ...base, status: 'header', ...headerFields() };
}

/** Validate one code. `system` (id or URI) restricts the answer to that system. */
export function validateCode(
  store: Store,
  input: string,
  opts: { system?: SystemId; date?: string; loaded?: Set<SystemId> } = {},
): ValidateResult {
  const text = typeof input === 'string' ? input.trim() : '';
  const invalid = (message: string, system: SystemId | null = opts.system ?? null): ValidateResult => ({
    input,
    system,
    code: text,
    status: 'invalid',
    display: null,
    message,
  });
  if (!text) return invalid('empty code');
  if (text.length > MAX_CODE_LENGTH) return invalid(`longer than ${MAX_CODE_LENGTH} characters`);
  const loaded = opts.loaded ?? new Set(store.releases().map((r) => r.system));

  let candidates: SystemId[];
  let notLoaded: SystemId[] = [];
  if (opts.system) {
    const shape = SHAPES[opts.system];
    if (!loaded.has(opts.system)) return invalid(opts.system === 'cpt' ? CPT_HINT : `${SYSTEMS[opts.system].name} is not loaded`);
    const key = codeKey(opts.system, text);
    // Named explicitly, ICD-10-PCS also takes a table (3 characters): a header to build codes from.
    const pcsTable = opts.system === 'icd10pcs' && /^[0-9A-HJ-NP-Z]{3}$/.test(key);
    if (shape && !pcsTable && !shape(text.toUpperCase(), key)) return invalid(`not shaped like a ${SYSTEMS[opts.system].name} code`);
    if (!shape && !/^[0-9A-Za-z.\- ]+$/.test(text)) return invalid(`not shaped like a ${SYSTEMS[opts.system].name} code`);
    candidates = [opts.system];
  } else {
    const shaped = candidateSystems(text);
    candidates = shaped.filter((s) => loaded.has(s));
    notLoaded = shaped.filter((s) => s === 'cpt' && !loaded.has(s));
    if (!candidates.length) {
      if (notLoaded.length) return { ...invalid(`${text} is shaped like a CPT code; ${CPT_HINT}`, 'cpt'), status: 'unknown', notLoaded };
      return invalid('not shaped like a code of any loaded system', null);
    }
  }

  const found: CodeRow[] = [];
  for (const s of candidates) {
    const r = store.get(s, codeKey(s, text));
    if (r) found.push(r);
  }
  if (found.length === 1 && !notLoaded.length) return judge(store, found[0], input, opts.date);
  if (found.length) {
    // More than one reading (or one, and a code set of that shape is not loaded): all of them, and
    // no silent choice. A caller that names the system gets one answer.
    const readings = found.map((r) => judge(store, r, input, opts.date));
    const words = readings.map((r) => `${SYSTEMS[r.system!].name} ${r.code} (${r.display})`);
    return {
      input,
      system: null,
      code: text,
      status: 'ambiguous',
      display: null,
      readings,
      alsoIn: found.map((r) => r.system),
      ...(notLoaded.length ? { notLoaded } : {}),
      message: `${text} is ${words.join(' and ')}${notLoaded.length ? `, or a CPT code (${CPT_HINT})` : ''}: give the code system`,
    };
  }

  // Unknown: the longest existing prefix over the candidate systems, first system on ties.
  let closest: CodeRow | undefined;
  for (const s of candidates) {
    const r = closestPrefix(store, s, codeKey(s, text));
    if (r && (!closest || r.key.length > closest.key.length)) closest = r;
  }
  const system = closest?.system ?? candidates[0];
  return {
    input,
    system,
    code: displayCode(system, codeKey(system, text)),
    status: 'unknown',
    display: null,
    ...(closest ? { closest: { code: closest.code, display: closest.display } } : {}),
    ...(notLoaded.length ? { notLoaded, message: `not in ${SYSTEMS[system].name}; ${CPT_HINT}` } : {}),
  };
}

/** Validate a batch. Throws invalid_parameter/unknown_system for a bad batch system or date, payload_too_large above the limit. */
export function validateCodes(store: Store, req: ValidateRequest): ValidateResponse {
  if (req.codes.length > MAX_VALIDATE_CODES) {
    throw new MedCodesError('payload_too_large', `at most ${MAX_VALIDATE_CODES} codes per request; got ${req.codes.length}`);
  }
  const system = req.system !== undefined ? systemOrThrow(req.system) : undefined;
  const date = req.date !== undefined ? parseServiceDate(req.date) : undefined;
  const loaded = new Set(store.releases().map((r) => r.system));
  const summary = emptySummary();
  const results = req.codes.map((item) => {
    const code = typeof item === 'string' ? item : item.code;
    const itemSystemText = typeof item === 'string' ? undefined : item.system;
    let itemSystem = system;
    if (itemSystemText !== undefined) {
      itemSystem = resolveSystem(itemSystemText);
      if (!itemSystem) {
        const r: ValidateResult = {
          input: code,
          system: null,
          code: code.trim(),
          status: 'invalid',
          display: null,
          message: `unknown code system "${itemSystemText.slice(0, 40)}"`,
        };
        summary.invalid++;
        return r;
      }
    }
    const r = validateCode(store, code, { system: itemSystem, date, loaded });
    summary[r.status]++;
    return r;
  });
  return { ...(date ? { date } : {}), ...(system ? { system } : {}), count: results.length, summary, results };
}

function systemOrThrow(text: string): SystemId {
  const s = resolveSystem(text);
  if (!s)
    throw new MedCodesError('unknown_system', `unknown code system "${text.slice(0, 40)}"; known: ${Object.keys(SYSTEMS).join(', ')}`);
  return s;
}

/**
 * Parse a CSV list of codes: one code per line, or `system,code` pairs; an optional header line
 * `code` or `system,code`. Fields may be double-quoted (RFC 4180). Blank lines are skipped.
 */
export function parseCodeCsv(text: string): ValidateItem[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const items: ValidateItem[] = [];
  let columns: 1 | 2 | undefined;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const fields = splitCsvLine(line, i + 1);
    const lower = fields.map((f) => f.trim().toLowerCase());
    if (columns === undefined && items.length === 0) {
      if (lower.length === 1 && lower[0] === 'code') return void (columns = 1);
      if (lower.length === 2 && lower[0] === 'system' && lower[1] === 'code') return void (columns = 2);
    }
    if (fields.length > 2 || (columns === 1 && fields.length !== 1) || (columns === 2 && fields.length !== 2)) {
      throw new MedCodesError(
        'bad_request',
        `CSV line ${i + 1}: expected ${columns === 2 ? '2 fields (system,code)' : columns === 1 ? '1 field (code)' : '1 field (code) or 2 (system,code)'}, got ${fields.length}`,
      );
    }
    if (fields.length === 2) items.push({ system: fields[0].trim(), code: fields[1] });
    else items.push({ code: fields[0] });
  });
  return items;
}

function splitCsvLine(line: string, lineNo: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new MedCodesError('bad_request', `CSV line ${lineNo}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new MedCodesError('bad_request', `CSV line ${lineNo}: text after a closing quote`);
    } else {
      const end = line.indexOf(',', i);
      field = end === -1 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new MedCodesError('bad_request', `CSV line ${lineNo}: a quote inside an unquoted field`);
      i = end === -1 ? line.length : end;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/** Plain-text report for the CLI: one line per code, then the counts. */
export function formatValidation(r: ValidateResponse): string {
  const w = Math.max(4, ...r.results.map((x) => x.code.length));
  const lines = r.results.map((x) => {
    const label = x.system ? SYSTEMS[x.system].label : '-';
    let detail = x.display ?? '';
    if (x.status === 'header')
      detail += `  (needs more characters: ${x.children!.map((c) => c.code).join(', ')}${x.childCount! > x.children!.length ? ', …' : ''})`;
    if (x.status === 'deleted')
      detail += `  (deleted ${x.deletedIn?.effective ?? x.deletedIn?.version ?? ''}${x.replacedBy?.length ? `; use ${x.replacedBy.map((c) => c.code).join(', ')}` : ''})`;
    if (x.status === 'not_valid_on_date' || x.status === 'invalid' || x.status === 'ambiguous')
      detail += `${detail ? '  ' : ''}(${x.message})`;
    if (x.status === 'unknown')
      detail = `${x.closest ? `closest: ${x.closest.code} ${x.closest.display ?? ''}` : 'no such code'}${x.notLoaded ? `  (${x.message})` : ''}`;
    return `${x.code.padEnd(w)}  ${label.padEnd(9)} ${x.status.padEnd(17)} ${detail}`.trimEnd();
  });
  lines.push(VALIDATE_STATUSES.map((s) => `${s}: ${r.summary[s]}`).join(', ') + `  (${r.count} codes${r.date ? ` on ${r.date}` : ''})`);
  return lines.join('\n');
}
