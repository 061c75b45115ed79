import { MedCodesError } from '../errors.js';
import { silentProgress } from '../importers/types.js';
import { fetchSettings, originOf } from './cli.js';
import { runUpdate } from './update.js';

/**
 * The server's scheduled check (`MEDCODES_UPDATE_CHECK`, hours between checks; unset or 0: off, the
 * default). It only looks (`update --check`, HEAD requests to the publishers or to
 * `MEDCODES_UPDATE_FROM`), writing what it found to releases/status.json for the API, the home page
 * and `medcodes stats`; importing stays an operator's decision (`medcodes update`).
 */
export function updateCheckHours(env = process.env): number {
  const v = env.MEDCODES_UPDATE_CHECK?.trim();
  if (!v || v === '0' || /^(off|false|no)$/i.test(v)) return 0;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < 1)
    throw new MedCodesError(
      'invalid_config',
      `MEDCODES_UPDATE_CHECK must be the hours between checks (1 or more) or 0/off; got "${v.slice(0, 20)}"`,
    );
  return Number(v);
}

export function scheduleUpdateCheck(db: string, hours: number, log: (line: string) => void = console.log): NodeJS.Timeout {
  const check = async () => {
    try {
      const reports = await runUpdate({
        db,
        check: true,
        origin: originOf(process.env.MEDCODES_UPDATE_FROM),
        fetch: fetchSettings(),
        progress: silentProgress,
      });
      const newer = reports.filter((r) => r.newer.length).map((r) => `${r.system} ${r.newer.at(-1)!.label}`);
      log(`update check: ${newer.length ? `newer releases published: ${newer.join(', ')} (medcodes update)` : 'up to date'}`);
    } catch (e) {
      log(`update check failed: ${(e as Error).message}`);
    }
  };
  // First check a minute after start (not during the start itself), then every `hours`.
  setTimeout(check, 60_000).unref();
  const timer = setInterval(check, hours * 3_600_000);
  timer.unref();
  return timer;
}
