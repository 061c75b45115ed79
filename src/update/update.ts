import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { MedCodesError } from '../errors.js';
import { DATA_DIR } from '../manifest.js';
import { expandInputs, runImport } from '../importers/run.js';
import { IMPORTERS } from '../importers/registry.js';
import type { ImportSummary, Progress } from '../importers/types.js';
import { candidatesAfter, loadCatalog, UPDATABLE, type Candidate, type Catalog, type UpdatableSystem } from './catalog.js';
import { download, exists, type FetchOptions, type Fetched, type Origin } from './download.js';
import { checkFetched } from './verify.js';
import { releaseCacheDir, statusPath, type KnownRelease, type UpdateStatus } from './status.js';

/**
 * `medcodes update`: for each code set the catalogue knows, the releases its publisher offers after
 * the loaded one; with `check` only reported, otherwise fetched into the release cache
 * (`<db folder>/releases/<system>/<release>/`, each file with a `.source.json` naming its URL and
 * SHA-256), checked, and imported with the bundled files and earlier cached releases of that system
 * through the importer's atomic swap (runImport): a failure leaves the previous data serving.
 */
export interface UpdateOptions {
  db: string;
  origin?: Origin;
  check?: boolean;
  systems?: UpdatableSystem[];
  /** Today's date (YYYY-MM-DD): how far ahead a publisher may have posted; tests set it. */
  today?: string;
  cacheDir?: string;
  /** Folder of the bundled official files (default data/): each system's files under `<system>/`. */
  bundledDir?: string;
  catalog?: Catalog;
  fetch?: Omit<FetchOptions, 'origin'>;
  progress: Progress;
}

export interface SystemUpdate {
  system: UpdatableSystem;
  loaded: { version: string; effective?: string } | null;
  /** Releases found at the origin after the loaded one, oldest first. */
  newer: KnownRelease[];
  fetched: (Fetched & { release: string })[];
  imported?: ImportSummary;
  error?: { code: string; message: string };
}

const originLabel = (o: Origin) => (o.kind === 'web' ? 'publishers' : o.kind === 'mirror' ? o.base : o.dir);

function loadedReleases(db: string): Map<string, { version: string; effective?: string }> {
  const out = new Map<string, { version: string; effective?: string }>();
  if (!existsSync(db)) return out;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    for (const r of d.prepare('SELECT system, version, effective FROM releases').all() as {
      system: string;
      version: string;
      effective: string | null;
    }[])
      out.set(r.system, { version: r.version, ...(r.effective ? { effective: r.effective } : {}) });
  } finally {
    d.close();
  }
  return out;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '');

/** The first URL of a catalogue file that exists at the origin, or undefined. */
async function firstExisting(urls: string[], f: FetchOptions): Promise<string | undefined> {
  for (const u of urls) if (await exists(u, f)) return u;
  return undefined;
}

/**
 * Files of one system to import: the bundled ones and every cached release (history needs them all),
 * those its importer claims (the bundled folders also hold XSDs, PDFs and lists no importer reads).
 */
export async function importInputs(system: UpdatableSystem, bundledDir: string, cacheDir: string): Promise<string[]> {
  const importer = IMPORTERS.find((i) => i.systems.includes(system));
  if (!importer) throw new MedCodesError('internal', `no importer for ${system}`);
  const out: string[] = [];
  for (const f of expandInputs(listInputs(system, bundledDir, cacheDir))) if (await importer.claim(f)) out.push(f);
  return out;
}

function listInputs(system: UpdatableSystem, bundledDir: string, cacheDir: string): string[] {
  const out: string[] = [];
  const bundled = join(bundledDir, system);
  if (existsSync(bundled)) out.push(bundled);
  const cached = join(cacheDir, system);
  if (existsSync(cached)) {
    for (const rel of readdirSync(cached).sort()) {
      const dir = join(cached, rel);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).sort())
        if (!/\.(part|source\.json)$/.test(f) && statSync(join(dir, f)).isFile()) out.push(join(dir, f));
    }
  }
  return out;
}

async function fetchRelease(c: Candidate, dir: string, f: FetchOptions, progress: Progress): Promise<(Fetched & { release: string })[]> {
  const out: (Fetched & { release: string })[] = [];
  for (const file of c.files) {
    let got: Fetched | undefined;
    const misses: string[] = [];
    for (const url of file.urls) {
      // Files kept but not imported (addenda, POA-exempt lists) go one level down, out of the importers' sight.
      const dest = join(file.import === false ? join(dir, 'extra') : dir, basename(new URL(url).pathname));
      try {
        got = await download(url, dest, { ...f, log: progress.log });
      } catch (e) {
        if (e instanceof MedCodesError && e.code === 'not_found') {
          misses.push(e.message);
          continue;
        }
        throw e;
      }
      try {
        await checkFetched(dest, { sha256: file.sha256, actualSha256: got.sha256, members: file.members, url });
      } catch (e) {
        rmSync(dest, { force: true });
        rmSync(`${dest}.source.json`, { force: true });
        throw e;
      }
      progress.log(
        `  ${c.system} ${c.label}: ${file.id} ${got.how} from ${got.from} (${got.bytes.toLocaleString('en-US')} bytes, SHA-256 ${got.sha256.slice(0, 16)}…)`,
      );
      break;
    }
    if (got) out.push({ ...got, release: c.label });
    else if (file.required)
      throw new MedCodesError(
        'download_failed',
        `${c.system} ${c.label}: the ${file.id} file is at none of its catalogued addresses: ${misses.join('; ')}`,
      );
    else
      progress.log(
        `  ${c.system} ${c.label}: no ${file.id} file published (${misses.length} address${misses.length === 1 ? '' : 'es'} tried)`,
      );
  }
  return out;
}

export async function runUpdate(opts: UpdateOptions): Promise<SystemUpdate[]> {
  const catalog = opts.catalog ?? loadCatalog();
  const origin = opts.origin ?? { kind: 'web' };
  const f: FetchOptions = { ...opts.fetch, origin };
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  const cacheDir = opts.cacheDir ?? releaseCacheDir(opts.db);
  const bundledDir = opts.bundledDir ?? DATA_DIR;
  const loaded = loadedReleases(opts.db);
  const reports: SystemUpdate[] = [];
  const toImport: { report: SystemUpdate; staged: { dir: string; final: string }[] }[] = [];
  for (const system of opts.systems ?? UPDATABLE) {
    const rel = loaded.get(system) ?? null;
    const report: SystemUpdate = { system, loaded: rel, newer: [], fetched: [] };
    reports.push(report);
    if (!rel) continue;
    try {
      const available: Candidate[] = [];
      for (const c of candidatesAfter(catalog, system, rel, today)) {
        const required = c.files.find((x) => x.required) ?? c.files[0];
        if (await firstExisting(required.urls, f)) available.push(c);
      }
      report.newer = available.map((c) => ({ label: c.label, effective: c.effective, edition: c.edition }));
      if (opts.check || !available.length) continue;
      // Fetch every newer release (history compares consecutive releases), into a staging folder first.
      const staged: { c: Candidate; dir: string; final: string }[] = [];
      for (const c of available) {
        const final = join(cacheDir, system, slug(`${c.effective} ${c.label}`));
        const dir = `${final}.staging`;
        mkdirSync(dir, { recursive: true });
        report.fetched.push(...(await fetchRelease(c, dir, f, opts.progress)));
        staged.push({ c, dir, final });
      }
      for (const s of staged) {
        rmSync(s.final, { recursive: true, force: true });
        renameSync(s.dir, s.final);
        for (const f of report.fetched) if (f.path.startsWith(`${s.dir}/`)) f.path = s.final + f.path.slice(s.dir.length);
      }
      toImport.push({ report, staged });
    } catch (e) {
      const err = e instanceof MedCodesError ? e : new MedCodesError('internal', (e as Error).message);
      report.error = { code: err.code, message: err.message };
    }
  }
  // One import (one rebuild of the database and its search index) for every code set fetched; if it
  // fails, each code set on its own, so that one refused release does not hold back the others.
  const importSystems = async (batch: typeof toImport) => {
    const inputs: string[] = [];
    for (const b of batch) inputs.push(...(await importInputs(b.report.system, bundledDir, cacheDir)));
    const summaries = await runImport({ db: opts.db, inputs, progress: opts.progress, incremental: true });
    for (const b of batch) b.report.imported = summaries.find((x) => x.system === b.report.system);
  };
  const fail = (b: (typeof toImport)[number], e: unknown) => {
    // The import refused these files: drop them from the cache so the next import of this code set is
    // not blocked by them; the database was not swapped, the previous release keeps serving.
    for (const s of b.staged) rmSync(s.final, { recursive: true, force: true });
    const err = e instanceof MedCodesError ? e : new MedCodesError('internal', (e as Error).message);
    b.report.error = { code: err.code, message: err.message };
  };
  if (toImport.length) {
    try {
      await importSystems(toImport);
    } catch (e) {
      if (toImport.length === 1) fail(toImport[0], e);
      else
        for (const b of toImport) {
          try {
            await importSystems([b]);
          } catch (e2) {
            fail(b, e2);
          }
        }
    }
  }
  try {
    writeStatus(opts.db, cacheDir, origin, reports, loadedReleases(opts.db));
  } catch (e) {
    // A read-only deployment can still check; it only cannot remember what it found.
    opts.progress.log(`  could not record the check in ${cacheDir} (${(e as Error).message})`);
  }
  return reports;
}

function writeStatus(
  db: string,
  cacheDir: string,
  origin: Origin,
  reports: SystemUpdate[],
  after: Map<string, { version: string; effective?: string }>,
): void {
  const status: UpdateStatus = { checkedAt: new Date().toISOString(), origin: originLabel(origin), systems: {} };
  for (const r of reports) {
    const now = after.get(r.system);
    status.systems[r.system] = {
      loaded: now?.version ?? null,
      // Releases imported in this run are no longer newer than the loaded one.
      newer: r.newer.filter((n) => n.effective > (now?.effective ?? '')),
      ...(r.error ? { error: r.error.message } : {}),
    };
  }
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cacheDir === releaseCacheDir(db) ? statusPath(db) : join(cacheDir, 'status.json'), JSON.stringify(status, null, 2));
}

/** The report as lines for the CLI. */
export function formatUpdate(reports: SystemUpdate[], check: boolean): string {
  const lines: string[] = [];
  for (const r of reports) {
    const head = `${r.system.padEnd(9)} loaded ${r.loaded ? `${r.loaded.version}${r.loaded.effective ? ` (effective ${r.loaded.effective})` : ''}` : 'nothing'}`;
    if (!r.loaded) lines.push(`${head}: not loaded (medcodes import first)`);
    else if (r.error) lines.push(`${head}: FAILED ${r.error.code}: ${r.error.message}`);
    else if (!r.newer.length) lines.push(`${head}: up to date (no newer release found)`);
    else if (check) lines.push(`${head}: newer: ${r.newer.map((n) => `${n.label} (effective ${n.effective})`).join(', ')}`);
    else lines.push(`${head}: imported ${r.imported ? `${r.imported.version}` : '?'} from ${r.fetched.length} file(s)`);
  }
  return lines.join('\n');
}
