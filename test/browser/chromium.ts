import { execFileSync } from 'node:child_process';

/**
 * Debian's chromium for the browser tests (playwright-core drives it; .ci/run installs it). In CI its
 * absence is a failure, not a skip; elsewhere the browser tests are skipped with a warning.
 */
export function chromiumPath(): string | undefined {
  let found = process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    if (found) break;
    try {
      found = execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not on PATH
    }
  }
  if (!found && process.env.CI) throw new Error('chromium is not installed: .ci/run installs the Debian package "chromium"');
  if (!found) console.warn('browser tests skipped: no chromium on PATH (apt-get install chromium)');
  return found;
}
