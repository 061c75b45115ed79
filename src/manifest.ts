import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MedCodesError } from './errors.js';

/**
 * The data manifest (`data/manifest.json`): every official file MedCodes ships, with where it comes
 * from and its SHA-256. The importer checks the hash of every bundled file before it reads it, so a
 * damaged or edited copy is refused instead of imported.
 */
export interface ManifestEntry {
  /** Path relative to the data folder. */
  path: string;
  sha256: string;
  bytes: number;
  /** Code system id(s) the file feeds. */
  systems: string[];
  /** Release, e.g. `FY2026`, `2025-10`, `v32`. */
  version: string;
  publisher: string;
  license: string;
  /** Where the official file is published. */
  source: string;
  description: string;
}

export interface Manifest {
  description: string;
  files: ManifestEntry[];
}

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = join(PROJECT_ROOT, 'data');
export const MANIFEST_PATH = join(DATA_DIR, 'manifest.json');

export function loadManifest(path = MANIFEST_PATH): Manifest {
  if (!existsSync(path)) throw new MedCodesError('file_not_found', `${path}: data manifest missing`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new MedCodesError('parse_error', `${path}: not valid JSON (${(e as Error).message})`);
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The manifest entry of a file inside the data folder, or undefined for a user's own file. */
export function manifestEntryFor(file: string, manifest: Manifest, dataDir = DATA_DIR): ManifestEntry | undefined {
  const rel = relative(dataDir, resolve(file));
  if (rel.startsWith('..')) return undefined;
  return manifest.files.find((f) => f.path === rel);
}

/** Check a bundled file against its manifest entry: size first (cheap), then SHA-256. */
export async function verifyFile(file: string, entry: ManifestEntry): Promise<void> {
  const size = statSync(file).size;
  if (size !== entry.bytes) {
    throw new MedCodesError(
      'checksum_mismatch',
      `${file}: ${size} bytes, the manifest says ${entry.bytes}: the bundled file is damaged or replaced`,
      { file },
    );
  }
  const sum = await sha256File(file);
  if (sum !== entry.sha256) {
    throw new MedCodesError('checksum_mismatch', `${file}: SHA-256 ${sum} does not match the manifest's ${entry.sha256}`, { file });
  }
}
