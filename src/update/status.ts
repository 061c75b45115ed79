import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What the last `medcodes update` (or `--check`, or the server's scheduled check) found, kept beside
 * the database in `releases/status.json`, so the API, the home page and `medcodes stats` can say
 * whether a newer release is known without going to the network. No network code here: edges import
 * this module cheaply.
 */
export interface KnownRelease {
  label: string;
  effective: string;
  edition: string;
}

export interface UpdateStatus {
  checkedAt: string;
  /** Where the check looked: `publishers`, a mirror URL or a folder. */
  origin: string;
  systems: Record<string, { loaded: string | null; newer: KnownRelease[]; error?: string }>;
}

export const releaseCacheDir = (db: string) => join(dirname(db), 'releases');
export const statusPath = (db: string) => join(releaseCacheDir(db), 'status.json');

export function readUpdateStatus(db: string): UpdateStatus | undefined {
  const p = statusPath(db);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as UpdateStatus;
  } catch {
    return undefined;
  }
}

/**
 * The newest release known to take effect after the loaded one, for one system; undefined when none
 * is known (a release imported since the check is no longer "newer").
 */
export function newerKnown(
  status: UpdateStatus | undefined,
  system: string,
  loaded: { version: string; effective?: string },
): KnownRelease | undefined {
  const s = status?.systems[system];
  if (!s) return undefined;
  return s.newer.filter((n) => n.effective > (loaded.effective ?? '')).at(-1);
}
