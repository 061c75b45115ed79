import type { HistoryEvent, SystemId } from '../../model.js';
import type { OrderRecord } from './order.js';

/**
 * Code history from the yearly CMS order files: which fiscal year added a code, revised its title,
 * changed whether it is billable, or deleted it. CMS publishes the yearly changes as addenda, but the
 * addenda of FY2016-FY2018 are incomplete; comparing consecutive complete order files gives the same
 * answer for every year from the files we already ship.
 */
export interface YearRelease {
  fiscalYear: number;
  records: OrderRecord[];
  /**
   * A mid-year release of the fiscal year (the April 1 update): its first day. Its changes are events
   * of the same fiscal year, listed in `midYear` with this date.
   */
  effective?: string;
}

/** What the history pass yields: the events, and the last record of every code that no longer exists. */
export interface HistoryResult {
  events: HistoryEvent[];
  /** Codes absent from the newest release: their last record and the fiscal year that deleted them. */
  deleted: Map<string, { record: OrderRecord; lastYear: number; deletedIn: number }>;
  /** Events that came from a mid-year release, with its first day (validation answers by it). */
  midYear: { key: string; action: HistoryEvent['action']; version: string; effective: string }[];
}

/**
 * Compare the releases year by year. `replacements(key, year)` supplies replacement codes for a code
 * deleted in that year (from the conversion table); it is optional because only ICD-10-CM has one.
 */
export function buildHistory(
  system: SystemId,
  releases: YearRelease[],
  replacements?: (key: string, fiscalYear: number) => string[],
): HistoryResult {
  const sorted = [...releases].sort((a, b) => a.fiscalYear - b.fiscalYear || (a.effective ?? '').localeCompare(b.effective ?? ''));
  const events: HistoryEvent[] = [];
  const midYear: HistoryResult['midYear'] = [];
  const everSeen = new Set<string>();
  const lastSeen = new Map<string, { record: OrderRecord; year: number }>();
  const lastIn = new Map<string, OrderRecord[]>();
  let prev = new Map<string, OrderRecord>();
  for (const { fiscalYear, records, effective } of sorted) {
    const version = `FY${fiscalYear}`;
    const first = events.length;
    const cur = new Map<string, OrderRecord>();
    for (const r of records) cur.set(r.code, r);
    for (const [key, r] of cur) {
      const before = prev.get(key);
      if (!before) {
        events.push({ system, key, version, action: everSeen.has(key) ? 'reactivated' : 'added', display: r.longTitle });
      } else {
        const titleChanged = before.longTitle !== r.longTitle;
        const flagChanged = before.valid !== r.valid;
        if (titleChanged || flagChanged) {
          const e: HistoryEvent = { system, key, version, action: 'revised', display: r.longTitle };
          if (titleChanged) e.previousDisplay = before.longTitle;
          if (flagChanged) e.billableChange = { from: before.valid, to: r.valid };
          events.push(e);
        }
      }
      everSeen.add(key);
      lastSeen.set(key, { record: r, year: fiscalYear });
      lastIn.set(key, records);
    }
    for (const [key, r] of prev) {
      if (cur.has(key)) continue;
      const e: HistoryEvent = { system, key, version, action: 'deleted', display: r.longTitle };
      const rep = replacements?.(key, fiscalYear);
      if (rep && rep.length) e.replacedBy = rep;
      events.push(e);
    }
    if (effective) for (const e of events.slice(first)) midYear.push({ key: e.key, action: e.action, version, effective });
    prev = cur;
  }
  const newest = sorted.at(-1);
  const deleted: HistoryResult['deleted'] = new Map();
  if (newest) {
    const inNewest = new Set(newest.records.map((r) => r.code));
    for (const [key, { record, year }] of lastSeen) {
      if (inNewest.has(key)) continue;
      const next = sorted[sorted.findIndex((s) => s.records === lastIn.get(key)) + 1];
      deleted.set(key, { record, lastYear: year, deletedIn: next ? next.fiscalYear : year + 1 });
    }
  }
  return { events, deleted, midYear };
}
