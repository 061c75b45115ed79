import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MedCodesError, type ErrorCode } from '../errors.js';
import type { Progress } from '../importers/types.js';
import { UPDATABLE, type UpdatableSystem } from './catalog.js';
import type { Origin } from './download.js';
import { formatUpdate, runUpdate } from './update.js';

/** `--from`: an http(s) URL is a mirror in the publishers' layout, anything else a local folder. */
export function originOf(from: string | undefined): Origin {
  if (!from) return { kind: 'web' };
  if (/^https?:\/\//i.test(from)) return { kind: 'mirror', base: from };
  if (!existsSync(from) || !statSync(from).isDirectory())
    throw new MedCodesError('file_not_found', `--from ${from}: neither an http(s) URL nor a folder`);
  return { kind: 'dir', dir: resolve(from) };
}

/** Timeouts and retries from the environment (MEDCODES_UPDATE_TIMEOUT_MS, MEDCODES_UPDATE_RETRIES). */
export function fetchSettings() {
  const n = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  return { timeoutMs: n(process.env.MEDCODES_UPDATE_TIMEOUT_MS, 60_000), retries: n(process.env.MEDCODES_UPDATE_RETRIES, 4) };
}

/** The `update` command: prints one line per system; returns the first failure's error code, if any. */
export async function runCliUpdate(
  o: { db: string; check?: boolean; from?: string; system?: string; json?: boolean },
  io: { out(s: string): void },
  progress: Progress,
): Promise<ErrorCode | undefined> {
  const systems = o.system?.split(',').map((s) => s.trim()) as UpdatableSystem[] | undefined;
  for (const s of systems ?? [])
    if (!UPDATABLE.includes(s))
      throw new MedCodesError('invalid_parameter', `--system ${s}: updatable systems are ${UPDATABLE.join(', ')}`);
  const reports = await runUpdate({ db: o.db, origin: originOf(o.from), check: o.check, systems, fetch: fetchSettings(), progress });
  io.out(o.json ? JSON.stringify(reports, null, 2) : formatUpdate(reports, !!o.check));
  return reports.find((r) => r.error)?.error?.code as ErrorCode | undefined;
}
