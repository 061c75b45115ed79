#!/usr/bin/env node
// Runs the compiled CLI from dist/ (built by `npm install` through `prepare`, or `npm run build`), and
// the TypeScript sources through tsx's loader when dist/ is missing or older than a source file, so a
// checkout without a build, or with edits since the last build, still runs what is in src/.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);

/** dist/ is usable when its BUILD stamp is newer than every file under src/ (a few ms of stat calls). */
function distIsCurrent() {
  let built;
  try {
    built = statSync(new URL('dist/BUILD', root)).mtimeMs;
  } catch {
    return false;
  }
  const src = new URL('src/', root);
  let entries;
  try {
    entries = readdirSync(src, { recursive: true, withFileTypes: true });
  } catch {
    return true; // no sources beside the build: nothing it could be older than
  }
  for (const e of entries) {
    if (!e.isFile() || e.name.endsWith('.test.ts')) continue;
    if (statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs > built) return false;
  }
  return true;
}

let runCli;
if (distIsCurrent()) ({ runCli } = await import('../dist/cli.js'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/cli.ts'));
}
process.exitCode = await runCli(process.argv.slice(2));
