import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../../manifest.js';
import { MedCodesError } from '../../errors.js';
import { codeKey } from '../../codes.js';
import type { HistoryResult } from '../cms-order/history.js';

/**
 * Dates inside a fiscal year. The annual order files only tell the fiscal year in which a code first
 * appears, so a code added by a mid-year update (U07.1 on 2020-04-01, six COVID-19 codes on
 * 2021-01-01) looks as if it took effect on the next October 1. `data/icd10cm-effective-dates.json`
 * lists those codes with the publisher's notice; an April edition's own order file dates its changes
 * itself (history.ts `midYear`).
 */
export interface EffectiveDateRow {
  code: string;
  action: 'added' | 'revised' | 'deleted' | 'reactivated';
  effective: string;
  notice: string;
  url?: string;
}

/** What a code record carries (`properties.midYear`): its events that took effect on another day than October 1. */
export interface MidYearDate {
  version: string;
  action: string;
  effective: string;
  notice?: string;
}

export function loadEffectiveDates(path = join(DATA_DIR, 'icd10cm-effective-dates.json')): EffectiveDateRow[] {
  try {
    const rows = (JSON.parse(readFileSync(path, 'utf8')) as { rows: EffectiveDateRow[] }).rows;
    for (const r of rows)
      if (!/^\d{4}-\d{2}-\d{2}$/.test(r.effective) || !r.notice) throw new Error(`row ${r.code}: effective date and notice are required`);
    return rows;
  } catch (e) {
    throw new MedCodesError('invalid_config', `${path}: ${(e as Error).message}`);
  }
}

/** The fiscal year a date falls in: October 1 starts the next one (2020-04-01 -> FY2020, 2020-10-01 -> FY2021). */
export const fiscalYearOf = (iso: string) => Number(iso.slice(0, 4)) + (iso.slice(5, 7) >= '10' ? 1 : 0);

/**
 * Moves each tabled event to the fiscal year of its real date (U07.1: order files say FY2021, the
 * notice says 2020-04-01, FY2020) and returns every code's mid-year dates, tabled or from April editions.
 */
export function applyEffectiveDates(history: HistoryResult, rows: EffectiveDateRow[]): Map<string, MidYearDate[]> {
  const out = new Map<string, MidYearDate[]>();
  const add = (key: string, d: MidYearDate) => out.set(key, [...(out.get(key) ?? []), d]);
  for (const m of history.midYear) add(m.key, { version: m.version, action: m.action, effective: m.effective });
  for (const r of rows) {
    const key = codeKey('icd10cm', r.code);
    const e = history.events.find((h) => h.key === key && h.action === r.action);
    if (!e) continue;
    const version = `FY${fiscalYearOf(r.effective)}`;
    e.version = version;
    add(key, { version, action: r.action, effective: r.effective, notice: r.url ? `${r.notice} (${r.url})` : r.notice });
  }
  return out;
}

export interface ChapterRow {
  number: number;
  first: string;
  last: string;
  title: string;
}

/** Chapters and blocks of the current classification, for categories newer than the loaded Tabular (data/icd10cm-chapters.json). */
export function chapterTable(path = join(DATA_DIR, 'icd10cm-chapters.json')): {
  chapters: ChapterRow[];
  blocks: (Omit<ChapterRow, 'number'> & { chapter: number })[];
  source: string;
  version: string;
} {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MedCodesError('invalid_config', `${path}: ${(e as Error).message}`);
  }
}
