import { join } from 'node:path';
import { PROJECT_ROOT } from './manifest.js';

/** Where the database lives: MEDCODES_DB, or var/medcodes.db in the project folder. */
export function defaultDbPath(): string {
  return process.env.MEDCODES_DB || join(PROJECT_ROOT, 'var', 'medcodes.db');
}

export function defaultPort(): number {
  const p = Number(process.env.PORT || 8080);
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : 8080;
}
