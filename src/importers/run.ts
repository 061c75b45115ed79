import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import type { Importer, ImportSummary, Progress } from './types.js';
import { buildDatabase } from '../store/writer.js';
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
  /** Start from the current database and replace only the systems imported (default when inputs are given). */
  incremental?: boolean;
  importers?: Importer[];
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
  const incremental = opts.incremental ?? !bundled;
  return buildDatabase(
    opts.db,
    async (writer) => {
      const out: ImportSummary[] = [];
      // Registry order, not file order: crosswalks (GEMs) come after the systems they join.
      for (const imp of importers) {
        const fs = claimed.get(imp);
        if (!fs) continue;
        for (const s of imp.systems) writer.clearSystem(s);
        out.push(...(await imp.run(fs, { writer, progress: opts.progress, verify })));
      }
      // RxNorm brand names are search synonyms of HCPCS drug codes, derived from both systems' rows:
      // the RxNorm importer derives them; HCPCS imported alone clears them, so derive them again.
      if (out.some((s) => s.system === 'hcpcs') && !out.some((s) => s.system === 'rxnorm')) {
        const rx = writer.db.prepare("SELECT version FROM releases WHERE system = 'rxnorm'").pluck().get() as string | undefined;
        if (rx) deriveHcpcsBrandTerms(writer.db, rx);
      }
      return out;
    },
    { incremental },
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
