import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { MedCodesError } from '../errors.js';
import { listZip, zipMemberChunks } from '../importers/zip.js';

/**
 * Checks a fetched release file before anything is imported from it: the SHA-256 the catalogue
 * records (when it records one), then for a zip its central directory (a truncated archive has none),
 * every member read through (yauzl checks each member's CRC-32 and size), and the members the
 * catalogue expects (a publisher's renamed or reorganised archive is refused by name, not imported
 * half).
 */
export async function checkFetched(
  file: string,
  expect: { sha256?: string; actualSha256: string; members: string[]; url: string },
): Promise<{ members: string[] }> {
  if (statSync(file).size === 0) throw new MedCodesError('corrupt_file', `${expect.url}: the download is empty`);
  if (expect.sha256 && expect.sha256.toLowerCase() !== expect.actualSha256) {
    throw new MedCodesError(
      'checksum_mismatch',
      `${expect.url}: SHA-256 ${expect.actualSha256} does not match the catalogue's ${expect.sha256}: refused`,
      { file },
    );
  }
  if (!/\.zip$/i.test(file)) return { members: [] };
  let names: string[];
  try {
    names = (await listZip(file)).map((m) => m.name);
  } catch (e) {
    throw new MedCodesError('corrupt_file', `${expect.url}: not a complete zip archive (${(e as Error).message}): refused`, { file });
  }
  for (const n of names) {
    try {
      for await (const _ of zipMemberChunks(file, n)) {
        // read through: yauzl verifies the CRC-32 and the size at the end of each member
      }
    } catch (e) {
      throw new MedCodesError('corrupt_file', `${expect.url}: member ${n} is damaged (${(e as Error).message}): refused`, { file });
    }
  }
  for (const m of expect.members) {
    const re = new RegExp(m, 'i');
    if (!names.some((n) => re.test(basename(n))))
      throw new MedCodesError(
        'unknown_format',
        `${expect.url}: the archive has no member matching /${m}/ (it holds ${names.map((n) => basename(n)).join(', ') || 'nothing'}); the publisher may have changed the release's layout`,
        { file },
      );
  }
  return { members: names };
}
