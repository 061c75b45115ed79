#!/usr/bin/env node
/**
 * `npm run build` (run by `npm install` through `prepare`): the TypeScript sources of src/ compiled to
 * JavaScript in dist/, file by file with esbuild (types are checked by `tsc --noEmit` in `npm test`,
 * not here), and src/'s other files (web assets) copied beside them, so `npm start`, bin/medcodes.js
 * and `npx medcodes` start without transpiling at run time. dist/ mirrors src/ one level deep, so
 * paths computed from import.meta.url (PROJECT_ROOT, assets) resolve the same from either.
 * Plain JavaScript: it must run before anything is compiled.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = join(root, 'dist');
const started = Date.now();

const entries = [];
const others = [];
for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!e.isFile()) continue;
  const path = join(e.parentPath ?? e.path, e.name);
  if (/\.test\.ts$/.test(e.name)) continue;
  (e.name.endsWith('.ts') ? entries : others).push(path);
}

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: out,
  outbase: src,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const f of others) {
  const to = join(out, relative(src, f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
// bin/medcodes.js runs dist/ only when it is newer than every source file (else the sources, via tsx).
writeFileSync(join(out, 'BUILD'), `${new Date().toISOString()}\n`);
console.log(`dist/: ${entries.length} modules compiled, ${others.length} files copied in ${Date.now() - started} ms`);
