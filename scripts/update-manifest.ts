/**
 * Refresh sizes and SHA-256 of data/manifest.json from the files in data/ (run after adding an
 * official file: `npx tsx scripts/update-manifest.ts`). Metadata (source, licence, ...) is kept;
 * a file not yet in the manifest is reported so its metadata gets written by hand.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DATA_DIR, MANIFEST_PATH, loadManifest, sha256File } from '../src/manifest.js';

const manifest = loadManifest();
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const files = walk(DATA_DIR)
  .map((f) => relative(DATA_DIR, f))
  .filter((f) => f !== 'manifest.json' && f !== 'SOURCES.md');
for (const rel of files) {
  const e = manifest.files.find((f) => f.path === rel);
  if (!e) {
    console.error(`not in manifest: ${rel}`);
    process.exitCode = 1;
    continue;
  }
  e.bytes = statSync(join(DATA_DIR, rel)).size;
  e.sha256 = await sha256File(join(DATA_DIR, rel));
}
for (const e of manifest.files) if (!files.includes(e.path)) console.error(`missing file: ${e.path}`);
writeFileSync(MANIFEST_PATH, JSON.stringify(manifest, null, 2) + '\n');
console.log(`manifest: ${manifest.files.length} files`);
