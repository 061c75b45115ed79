import { existsSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { utf8Lines } from './lines.js';
import { listZip, zipMemberChunks } from './zip.js';
import { sourceChunks, type FileSource } from './sources.js';
import type { Progress } from './types.js';

/**
 * Helpers shared by the importers of the large licensed releases (LOINC, SNOMED CT, RxNorm, NDC, CPT).
 * The first bytes of a file or zip member for sniffing, its lines as UTF-8, and "is this file part of
 * an extracted release folder" for claiming every file of a release a user points `import` at.
 */

/** The first `bytes` bytes of a file or zip member, as UTF-8 text, for sniffing a header. */
export async function headOf(s: FileSource, bytes = 4096): Promise<string> {
  if (!s.member) {
    const fh = await open(s.file, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(buf, 0, bytes, 0);
      return buf
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
    } finally {
      await fh.close();
    }
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of zipMemberChunks(s.file, s.member)) {
    parts.push(c);
    n += c.length;
    if (n >= bytes) break;
  }
  return Buffer.concat(parts)
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

/** The first line of a head (without CR). */
export const firstLine = (head: string) => head.split('\n')[0].replace(/\r$/, '');

/** Lines of a source (file or zip member), streamed. */
export const sourceLines = (s: FileSource) => utf8Lines(sourceChunks(s));

const rootCache = new Map<(dir: string) => boolean, Map<string, boolean>>();

/**
 * The root folder of an extracted release that holds `file`: the nearest of its ancestors (up to
 * `maxUp` levels) in which `isRoot` says the release's key file is present. Lets an importer claim
 * every file of a release folder (readme, licence, files it does not read) so that
 * `medcodes import Loinc_2.80/` does not stop at the first file nobody reads.
 */
export function releaseRootOf(file: string, isRoot: (dir: string) => boolean, maxUp = 4): string | undefined {
  let dir = dirname(file);
  for (let i = 0; i <= maxUp; i++) {
    let cache = rootCache.get(isRoot);
    if (!cache) rootCache.set(isRoot, (cache = new Map()));
    if (!cache.has(dir))
      cache.set(
        dir,
        safe(() => isRoot(dir)),
      );
    if (cache.get(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/** Whether `dir/sub` holds a file whose name matches `name`. */
export function dirHas(dir: string, sub: string, name: RegExp): boolean {
  const d = join(dir, sub);
  if (!existsSync(d) || !statSync(d).isDirectory()) return false;
  return readdirSync(d).some((n) => name.test(n));
}

/** Counts of skipped records by reason, for the import summary. */
export class Skips {
  readonly counts: Record<string, number> = {};
  add(reason: string, n = 1): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + n;
  }
}

/** Uncompressed size of a source in bytes (for progress bars). */
export async function sourceSize(s: FileSource): Promise<number> {
  if (!s.member) return statSync(s.file).size;
  return (await listZip(s.file)).find((m) => m.name === s.member)?.size ?? 0;
}

/**
 * Lines of a source with a progress bar over its bytes (characters, as read; close enough for a bar).
 * The bar is ticked in multiples of 500 so that terminalProgress redraws it.
 */
export async function* linesWithProgress(
  s: FileSource,
  progress: Progress,
  label: string,
  /** How the source's bytes become lines: UTF-8 by default (the FDA directory is Latin-1). */
  lines: (s: FileSource) => AsyncIterable<{ text: string; line: number }> = sourceLines,
): AsyncGenerator<{ text: string; line: number }> {
  const total = await sourceSize(s);
  const bar = progress.phase(`${label}, bytes`, total);
  let acc = 0;
  for await (const l of lines(s)) {
    acc += l.text.length + 1;
    if (acc >= 1 << 16) {
      const k = acc - (acc % 500);
      bar.tick(k);
      acc -= k;
    }
    yield l;
  }
  bar.done();
}

/** How an importer recognises its files: by official name, by content (plain files), and by release folder. */
export interface ReleaseLayout<K extends string> {
  /** The kind of a file by its base name (official file names), e.g. `Loinc.csv` -> `table`. */
  byName(name: string): K | undefined;
  /** The kind of a plain file by its first bytes, when its name is not an official one. */
  byContent?(head: string, name: string): K | undefined;
  /** Whether a folder is the root of an extracted release (its key file is there). */
  isRoot(dir: string): boolean;
  /** Zip archives this layout may hold (by base name); others are listed only when no name matched. */
  zipName?: RegExp;
}

export type Classified<K extends string> = FileSource & { kind: K };

/**
 * The sources of one input: a plain file of a known kind (by name, else by content), the members of
 * a release zip with known names, or nothing. `other` counts the files of a release that the importer
 * does not read (readme, licence, files of other tables).
 */
export async function classify<K extends string>(
  file: string,
  layout: ReleaseLayout<K>,
): Promise<{ sources: Classified<K>[]; other: number }> {
  const name = basename(file);
  const k = layout.byName(name);
  if (k) return { sources: [{ file, kind: k }], other: 0 };
  if (/\.zip$/i.test(name)) {
    let members;
    try {
      members = await listZip(file);
    } catch {
      return { sources: [], other: 0 };
    }
    const sources: Classified<K>[] = [];
    let other = 0;
    for (const m of members) {
      const mk = layout.byName(basename(m.name));
      if (mk) sources.push({ file, member: m.name, kind: mk });
      else other++;
    }
    return sources.length ? { sources, other } : { sources: [], other: 0 };
  }
  if (layout.byContent) {
    const head = await headOf({ file }, 4096).catch(() => '');
    const ck = head ? layout.byContent(head, name) : undefined;
    if (ck) return { sources: [{ file, kind: ck }], other: 0 };
  }
  if (releaseRootOf(file, layout.isRoot)) return { sources: [], other: 1 };
  return { sources: [], other: 0 };
}

/**
 * Every file given to one importer, classified by its release layout: the sources it reads, and the
 * rest counted in `skips` under `otherLabel` (readmes, licences, tables it does not read).
 */
export async function classifyAll<K extends string>(
  files: string[],
  layout: ReleaseLayout<K>,
  skips: Skips,
  otherLabel = 'other release files (not read)',
): Promise<Classified<K>[]> {
  const sources: Classified<K>[] = [];
  for (const f of files) {
    const c = await classify(f, layout);
    sources.push(...c.sources);
    if (c.other) skips.add(otherLabel, c.other);
  }
  return sources;
}

/** `claim` of a layout: a file of a known kind, a release zip, or any file of an extracted release folder. */
export async function claims<K extends string>(file: string, layout: ReleaseLayout<K>): Promise<boolean> {
  const c = await classify(file, layout);
  return c.sources.length > 0 || c.other > 0;
}
