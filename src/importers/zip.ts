import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import { MedCodesError } from '../errors.js';

/**
 * Reading members of official release zips (CMS and CDC publish most files zipped). yauzl reads the
 * central directory first, so a truncated archive is refused before anything is imported.
 */
export interface ZipMember {
  name: string;
  size: number;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) {
        const code = /ENOENT/.test(String(err)) ? 'file_not_found' : 'corrupt_file';
        reject(new MedCodesError(code, `${file}: not a readable zip archive (${err?.message ?? 'unknown error'})`, { file }));
      } else resolve(zip);
    });
  });
}

async function withEntries<T>(
  file: string,
  visit: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<T | undefined>,
): Promise<T | undefined> {
  const zip = await openZip(file);
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      zip.on('error', (e: Error) => reject(new MedCodesError('corrupt_file', `${file}: corrupt zip archive (${e.message})`, { file })));
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (entry: yauzl.Entry) => {
        visit(zip, entry).then((r) => (r !== undefined ? resolve(r) : zip.readEntry()), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** Names and uncompressed sizes of the members of a zip. */
export async function listZip(file: string): Promise<ZipMember[]> {
  const out: ZipMember[] = [];
  await withEntries<never>(file, async (_zip, e) => {
    if (!e.fileName.endsWith('/')) out.push({ name: e.fileName, size: e.uncompressedSize });
    return undefined;
  });
  return out;
}

/**
 * Read one member fully into a Buffer. The members we read whole are at most tens of MB (order files,
 * XML); yauzl checks each member's CRC and size, so a damaged member fails here, naming it.
 */
export async function readZipMember(file: string, member: string | RegExp): Promise<{ name: string; data: Buffer }> {
  const found = await withEntries(file, async (zip, e) => {
    const match = typeof member === 'string' ? e.fileName === member : member.test(e.fileName);
    if (!match) return undefined;
    const stream = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(e, (err, s) => (err || !s ? reject(err) : resolve(s))),
    );
    const chunks: Buffer[] = [];
    try {
      for await (const c of stream) chunks.push(c as Buffer);
    } catch (err) {
      throw new MedCodesError('corrupt_file', `${file}: member ${e.fileName} is corrupt (${(err as Error).message})`, {
        file,
        member: e.fileName,
      });
    }
    return { name: e.fileName, data: Buffer.concat(chunks) };
  });
  if (!found) throw new MedCodesError('unknown_format', `${file}: no member matching ${String(member)} in the archive`, { file });
  return found;
}

/**
 * Stream one member chunk by chunk (for members too large to hold: LOINC, RxNorm). The archive stays
 * open until the consumer finishes or stops iterating.
 */
export async function* zipMemberChunks(file: string, member: string | RegExp): AsyncGenerator<Buffer> {
  const zip = await openZip(file);
  try {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      zip.on('error', (e: Error) => reject(new MedCodesError('corrupt_file', `${file}: corrupt zip archive (${e.message})`, { file })));
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (e: yauzl.Entry) => {
        const match = typeof member === 'string' ? e.fileName === member : member.test(e.fileName);
        if (match) resolve(e);
        else zip.readEntry();
      });
      zip.readEntry();
    });
    if (!entry) throw new MedCodesError('unknown_format', `${file}: no member matching ${String(member)} in the archive`, { file });
    const stream = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(entry, (err, s) => (err || !s ? reject(err) : resolve(s))),
    );
    try {
      for await (const c of stream) yield c as Buffer;
    } catch (err) {
      throw new MedCodesError('corrupt_file', `${file}: member ${entry.fileName} is corrupt (${(err as Error).message})`, {
        file,
        member: entry.fileName,
      });
    }
  } finally {
    zip.close();
  }
}
