import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../manifest.js';
import { MedCodesError } from '../errors.js';

/**
 * The catalogue of official sources (`data/update-catalog.json`): for each code set the publishers'
 * URL patterns per edition (annual, April update, quarter, NUCC release), the archive members each
 * file must hold, and SHA-256 sums where one is recorded. Kept as data so a moved file is one edit.
 */
export type UpdatableSystem = 'icd10cm' | 'icd10pcs' | 'hcpcs' | 'nucc';
export const UPDATABLE: UpdatableSystem[] = ['icd10cm', 'icd10pcs', 'hcpcs', 'nucc'];

export interface CatalogFile {
  id: string;
  /** Tried in order: a 404 at one moves on to the next. */
  urls: string[];
  /** Regular expressions (placeholders filled in) that some member of the archive must match. */
  members: string[];
  /** The release cannot be imported without this file. */
  required?: boolean;
  /** Kept in the release cache but not given to the importers (addenda PDFs, POA-exempt lists). */
  import?: boolean;
}

export interface CatalogEdition {
  label: string;
  effective: string;
  notice: string;
  files: CatalogFile[];
}

export interface CatalogSystem {
  name: string;
  cadence: 'fiscal' | 'quarterly' | 'semiannual';
  pages: string[];
  editions: Record<string, CatalogEdition>;
}

export interface Catalog {
  systems: Record<UpdatableSystem, CatalogSystem>;
  /** Recorded SHA-256 sums by URL. */
  checksums: Record<string, string>;
}

export const CATALOG_PATH = join(DATA_DIR, 'update-catalog.json');

export function loadCatalog(path = CATALOG_PATH): Catalog {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Catalog;
  } catch (e) {
    throw new MedCodesError('invalid_config', `${path}: the update catalogue is not readable JSON (${(e as Error).message})`);
  }
}

/** One release a publisher may offer: which edition, its version and effective date, its files with URLs filled in. */
export interface Candidate {
  system: UpdatableSystem;
  edition: string;
  /** Version as the importer will name it (`FY2027`, `2026-01`, `26.0`); April updates `FY2027 April update`. */
  label: string;
  effective: string;
  notice: string;
  files: (CatalogFile & { sha256?: string })[];
}

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function fill(text: string, vars: Record<string, string | number>, regex = false): string {
  return text.replace(/\{([a-zA-Z]+)(-1)?\}/g, (m, name: string, minus?: string) => {
    if (!(name in vars)) return m;
    const v = vars[name];
    const s = minus ? String(Number(v) - 1) : String(v);
    return regex ? s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : s;
  });
}

function candidate(cat: Catalog, system: UpdatableSystem, edition: string, vars: Record<string, string | number>): Candidate {
  const e = cat.systems[system].editions[edition];
  return {
    system,
    edition,
    label: fill(e.label, vars),
    effective: fill(e.effective, vars),
    notice: fill(e.notice, vars),
    files: e.files.map((f) => {
      const urls = f.urls.map((u) => fill(u, vars));
      const sha256 = urls.map((u) => cat.checksums?.[u]).find(Boolean);
      return { ...f, urls, members: f.members.map((m) => fill(m, vars)), ...(sha256 ? { sha256 } : {}) };
    }),
  };
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * How far ahead of its effective date a publisher posts a release: ICD-10 annual files in June for
 * October 1 (about 4 months; 9 allowed), HCPCS and NUCC quarters a month or two before.
 */
const LEAD_DAYS: Record<UpdatableSystem, number> = { icd10cm: 270, icd10pcs: 270, hcpcs: 100, nucc: 100 };

/**
 * The releases that may exist after the loaded one, oldest first, up to what a publisher could have
 * posted by `today`. `loaded` is the release row (version and effective date) of the database.
 */
export function candidatesAfter(
  cat: Catalog,
  system: UpdatableSystem,
  loaded: { version: string; effective?: string },
  today: string,
): Candidate[] {
  const horizon = addDays(today, LEAD_DAYS[system]);
  const out: Candidate[] = [];
  const after = loaded.effective ?? '0000-00-00';
  if (system === 'icd10cm' || system === 'icd10pcs') {
    const fy = Number(/FY(\d{4})/.exec(loaded.version)?.[1]);
    if (!fy) throw new MedCodesError('invalid_parameter', `${system}: loaded version "${loaded.version}" is not a fiscal year (FYyyyy)`);
    for (let y = fy; y <= fy + 3; y++) {
      for (const edition of ['annual', 'april'])
        if (cat.systems[system].editions[edition]) out.push(candidate(cat, system, edition, { year: y }));
    }
  } else if (system === 'hcpcs') {
    const m = /^(\d{4})-(\d{2})/.exec(loaded.version);
    if (!m) throw new MedCodesError('invalid_parameter', `hcpcs: loaded version "${loaded.version}" is not a quarter (YYYY-MM)`);
    let y = Number(m[1]);
    let mo = Number(m[2]);
    for (let i = 0; i < 12; i++) {
      mo += 3;
      if (mo > 12) {
        mo -= 12;
        y++;
      }
      const mm = String(mo).padStart(2, '0');
      const month = MONTH_NAMES[mo - 1];
      out.push(candidate(cat, system, 'quarter', { year: y, mm, month, MON: month.slice(0, 3).toUpperCase() }));
    }
  } else {
    const m = /^(\d+)\.(\d)$/.exec(loaded.version);
    if (!m) throw new MedCodesError('invalid_parameter', `nucc: loaded version "${loaded.version}" is not a release number (25.1)`);
    let n = Number(m[1]);
    let k = Number(m[2]);
    for (let i = 0; i < 8; i++) {
      if (k === 1) {
        n++;
        k = 0;
      } else k = 1;
      out.push(candidate(cat, system, 'release', { n, m: k, nnn: `${n}${k}`, year: 2000 + n, mm: k === 0 ? '01' : '07' }));
    }
  }
  return out.filter((c) => c.effective > after && c.effective <= horizon).sort((a, b) => a.effective.localeCompare(b.effective));
}

/** Every URL the catalogue would fetch for the releases after the loaded ones: what to mirror for an air-gapped site. */
export function urlsOf(cands: Candidate[]): string[] {
  return cands.flatMap((c) => c.files.flatMap((f) => f.urls));
}
