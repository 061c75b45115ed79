import { createReadStream } from 'node:fs';
import type { ImportContext } from './types.js';
import { zipMemberChunks } from './zip.js';

/** An input an importer reads: a plain file, or one member of an official release zip. */
export interface FileSource {
  file: string;
  member?: string;
}

/** The bytes of a source, streamed chunk by chunk. */
export async function* sourceChunks(s: FileSource): AsyncGenerator<Buffer> {
  if (s.member) yield* zipMemberChunks(s.file, s.member);
  else yield* createReadStream(s.file) as AsyncIterable<Buffer>;
}

/**
 * The first step of every importer: check each given file against the data manifest (bundled files)
 * and list the sources it holds, with a progress line.
 */
export async function gatherSources<T>(files: string[], ctx: ImportContext, label: string, sourcesOf: (file: string) => Promise<T[]>): Promise<T[]> {
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
