import { createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ImportContext } from './types.js';
import { listZip, readZipMember, zipMemberChunks } from './zip.js';
import { asFile } from './lines.js';

/** An input an importer reads: a plain file, or one member of an official release zip. */
export interface FileSource {
  file: string;
  member?: string;
}

/**
 * The bytes of a source, streamed chunk by chunk, tagged as a release file so that the line splitter
 * (lines.ts) refuses a damaged, cut or empty one, naming it.
 */
export function sourceChunks(s: FileSource): AsyncGenerator<Buffer> {
  return asFile(rawChunks(s), sourceLabel(s));
}

async function* rawChunks(s: FileSource): AsyncGenerator<Buffer> {
  if (s.member) yield* zipMemberChunks(s.file, s.member);
  else yield* createReadStream(s.file) as AsyncIterable<Buffer>;
}

/**
 * The first step of every importer: check each given file against the data manifest (bundled files)
 * and list the sources it holds, with a progress line.
 */
export async function gatherSources<T>(
  files: string[],
  ctx: ImportContext,
  label: string,
  sourcesOf: (file: string) => Promise<T[]>,
): Promise<T[]> {
  const sources: T[] = [];
  const check = ctx.progress.phase(`${label}: checking files`, files.length);
  for (const f of files) {
    await ctx.verify(f);
    sources.push(...(await sourcesOf(f)));
    check.tick();
  }
  check.done();
  return sources;
}

/**
 * The sources in an input, found by official file name: the file itself, or the members of a zip
 * (in any folder inside it) whose names `classify` recognises.
 */
export async function sourcesByName<C extends object>(
  file: string,
  classify: (name: string) => C | undefined,
): Promise<(C & FileSource)[]> {
  const direct = classify(basename(file));
  if (direct) return [{ ...direct, file }];
  if (!/\.zip$/i.test(file)) return [];
  return (await listZip(file)).flatMap((m) => {
    const c = classify(basename(m.name));
    return c ? [{ ...c, file, member: m.name }] : [];
  });
}

/**
 * A source read whole as text. Order files are ASCII; latin1 decodes any byte, so a stray byte cannot
 * abort a read here and is caught by the layout checks instead.
 */
export async function sourceText(s: FileSource): Promise<string> {
  return s.member ? (await readZipMember(s.file, s.member)).data.toString('latin1') : readFileSync(s.file, 'latin1');
}

/** How messages name a source: `cms_2026_dx.zip:icd10cm_order_2026.txt`. */
export const sourceLabel = (s: FileSource) => (s.member ? `${basename(s.file)}:${s.member}` : basename(s.file));
