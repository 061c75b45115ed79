import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import type { Importer, ImportSummary, Progress } from './types.js';
import { buildDatabase, cleanStaleBuilds, type StoreWriter } from '../store/writer.js';
import { SCHEMA_VERSION } from '../store/schema.js';
import { MedCodesError } from '../errors.js';
import { DATA_DIR, loadManifest, manifestEntryFor, verifyFile, type Manifest } from '../manifest.js';
import { IMPORTERS } from './registry.js';
import { deriveHcpcsBrandTerms } from './rxnorm/brands.js';

/** Files under the given paths (folders are walked), sorted for a stable import order. */
export function expandInputs(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) throw new MedCodesError('file_not_found', `${p}: no such file or folder`);
    if (statSync(p).isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n));
    else out.push(resolve(p));
  };
  for (const p of paths) walk(p);
  return out;
}

const IGNORED = /(^|\/)(manifest\.json|SOURCES\.md|README\.md|\.DS_Store)$/;

export interface ImportOptions {
  db: string;
  /** Files or folders; none means the bundled data folder. */
  inputs?: string[];
  progress: Progress;
  /**
   * Start from the current database and replace only the systems imported: the default, bundled
   * import included, so the licensed sets imported earlier stay. `replace` starts from an empty one.
   */
  incremental?: boolean;
  replace?: boolean;
  /** Accept a release with far fewer records than the one being served (see `SHRINK_LIMIT`). */
  allowShrink?: boolean;
  importers?: Importer[];
}

/**
 * A re-import whose codes (per system) or mappings (per source and pair of systems) fall below this
 * share of what the database holds is refused as a likely truncated or partial release. Counts under
 * `SHRINK_MIN` are too small to judge (test fixtures, tiny sets).
 */
export const SHRINK_LIMIT = 0.5;
export const SHRINK_MIN = 100;

/** Codes per system and mappings per source and systems, for the shrink check. */
function population(db: Database.Database): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of db.prepare('SELECT system, count(*) AS n FROM codes GROUP BY system').all() as { system: string; n: number }[])
    out.set(`${r.system} codes`, r.n);
  for (const r of db
    .prepare('SELECT source, from_system AS f, to_system AS t, count(*) AS n FROM mappings GROUP BY source, from_system, to_system')
    .all() as { source: string; f: string; t: string; n: number }[])
    out.set(`${r.source} mappings ${r.f} -> ${r.t}`, r.n);
  return out;
}

/** What the database at `db` serves now, or why it cannot be built upon. */
function currentReleases(db: string): { releases: { system: string; version: string; codes: number }[] } | { problem: string } {
  if (!existsSync(db)) return { releases: [] };
  let d: Database.Database | undefined;
  try {
    d = new Database(db, { readonly: true, fileMustExist: true });
    const v = d.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
    if (Number(v) !== SCHEMA_VERSION) return { problem: `it has schema version ${v ?? 'none'}, this MedCodes writes ${SCHEMA_VERSION}` };
    const codes = new Map(
      (d.prepare('SELECT system, count(*) AS n FROM codes GROUP BY system').all() as { system: string; n: number }[]).map((r) => [
        r.system,
        r.n,
      ]),
    );
    return {
      releases: (d.prepare('SELECT system, version FROM releases ORDER BY system').all() as { system: string; version: string }[]).map(
        (r) => ({
          ...r,
          codes: codes.get(r.system) ?? 0,
        }),
      ),
    };
  } catch (e) {
    return { problem: (e as Error).message.slice(0, 120) };
  } finally {
    d?.close();
  }
}

/** Refuse an importer's result that emptied or sharply shrank what it replaced (nothing is renamed into place). */
function checkShrink(before: Map<string, number>, writer: StoreWriter, files: string[], what: string): void {
  const after = population(writer.db);
  const names = files.map((f) => basename(f)).join(', ');
  for (const [k, was] of before) {
    const now = after.get(k) ?? 0;
    if (now >= was || was < SHRINK_MIN || now >= was * SHRINK_LIMIT) continue;
    throw new MedCodesError(
      'release_shrank',
      `${what} (${names}): ${k} would fall from ${was.toLocaleString('en-US')} to ${now.toLocaleString('en-US')} ` +
        `(-${Math.round((1 - now / was) * 100)}%); a truncated or partial release? Nothing was changed. ` +
        'To replace the set with this smaller release all the same, import it with --allow-shrink.',
      { files, key: k, before: was, after: now },
    );
  }
}

/**
 * Import official files into the database at `opts.db`, atomically: the database is rebuilt in a
 * temporary file and swapped in only if every importer succeeded.
 */
export async function runImport(opts: ImportOptions): Promise<ImportSummary[]> {
  const bundled = !opts.inputs?.length;
  const files = expandInputs(bundled ? [DATA_DIR] : opts.inputs!).filter((f) => !IGNORED.test(f));
  const importers = opts.importers ?? IMPORTERS;
  const claimed = new Map<Importer, string[]>();
  const unclaimed: string[] = [];
  for (const f of files) {
    let owner: Importer | undefined;
    for (const imp of importers) {
      if (await imp.claim(f)) {
        owner = imp;
        break;
      }
    }
    if (owner) claimed.set(owner, [...(claimed.get(owner) ?? []), f]);
    else unclaimed.push(f);
  }
  if (!bundled && unclaimed.length) {
    throw new MedCodesError('unknown_format', `not a format MedCodes imports: ${unclaimed.map((f) => basename(f)).join(', ')}`, {
      files: unclaimed,
    });
  }
  if (!claimed.size) throw new MedCodesError('unknown_format', 'no importable files were given');
  let manifest: Manifest | undefined;
  try {
    manifest = loadManifest();
  } catch {
    manifest = undefined;
  }
  const verify = async (file: string) => {
    const entry = manifest && manifestEntryFor(file, manifest);
    if (entry) await verifyFile(file, entry);
  };
  let incremental = opts.incremental ?? !opts.replace;
  for (const r of cleanStaleBuilds(opts.db))
    opts.progress.log(`Removed ${r.file} (${(r.bytes / 1e6).toFixed(1)} MB), left by an import that did not finish`);
  // Say what stays and what is replaced, before the work starts.
  const replacing = new Set([...claimed.keys()].flatMap((imp) => imp.systems as string[]));
  const current = currentReleases(opts.db);
  if ('problem' in current) {
    if (!incremental || bundled) {
      opts.progress.log(`Building ${opts.db} anew: the current file cannot be kept (${current.problem})`);
      incremental = false;
    } else
      throw new MedCodesError(
        'check_failed',
        `${opts.db}: cannot add to this database (${current.problem}); rebuild it with "medcodes import --replace", then import these files again`,
      );
  } else if (current.releases.length) {
    const kept = current.releases.filter((r) => !replacing.has(r.system));
    const fmt = (r: { system: string; version: string; codes: number }) =>
      `${r.system} ${r.version} (${r.codes.toLocaleString('en-US')} codes)`;
    if (incremental) {
      if (kept.length) opts.progress.log(`Keeping: ${kept.map(fmt).join(', ')}`);
      const replaced = current.releases.filter((r) => replacing.has(r.system));
      if (replaced.length) opts.progress.log(`Replacing: ${replaced.map(fmt).join(', ')}`);
    } else if (kept.length) opts.progress.log(`--replace: not keeping ${kept.map(fmt).join(', ')}`);
  }
  return buildDatabase(
    opts.db,
    async (writer) => {
      const out: ImportSummary[] = [];
      // Registry order, not file order: crosswalks (GEMs) come after the systems they join.
      for (const imp of importers) {
        const fs = claimed.get(imp);
        if (!fs) continue;
        const before = incremental && !opts.allowShrink ? population(writer.db) : undefined;
        for (const s of imp.systems) writer.clearSystem(s);
        const summaries = await imp.run(fs, { writer, progress: opts.progress, verify });
        const total = summaries.reduce((n, s) => n + Object.values(s.imported).reduce((a, b) => a + b, 0), 0);
        if (!total)
          throw new MedCodesError(
            'empty_release',
            `${imp.describe}: ${fs.map((f) => basename(f)).join(', ')} hold no records; nothing was changed`,
            { files: fs },
          );
        if (before) checkShrink(before, writer, fs, imp.describe);
        out.push(...summaries);
      }
      // RxNorm brand names are search synonyms of HCPCS drug codes, derived from both systems' rows:
      // the RxNorm importer derives them; HCPCS imported alone clears them, so derive them again.
      if (out.some((s) => s.system === 'hcpcs') && !out.some((s) => s.system === 'rxnorm')) {
        const rx = writer.db.prepare("SELECT version FROM releases WHERE system = 'rxnorm'").pluck().get() as string | undefined;
        if (rx) deriveHcpcsBrandTerms(writer.db, rx);
      }
      return out;
    },
    { incremental, log: (l) => opts.progress.log(l) },
  );
}

/** One line per system: "icd10cm FY2026: 98,186 codes, 12,345 notes ... (skipped: ...)". */
export function summaryLine(s: ImportSummary): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const imported = Object.entries(s.imported)
    .map(([k, v]) => `${n(v)} ${k}`)
    .join(', ');
  const skipped = Object.entries(s.skipped)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${n(v)} ${k}`)
    .join(', ');
  return `${s.system} ${s.version}: imported ${imported}${skipped ? `; skipped ${skipped}` : '; skipped none'}`;
}
