/** Input of the line-based parsers: a file or zip member stream, or any chunks of bytes or text. */
export type TextInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

import { StringDecoder } from 'node:string_decoder';
import { parseError } from '../errors.js';

/**
 * A byte stream that is a release file (sources.ts `sourceChunks` tags its streams with their label):
 * the line splitter then checks it as a file, not only as text (see `decodedLines`).
 */
export const FILE_LABEL = Symbol('medcodes.fileLabel');

/** Tag a stream of a release file's bytes with the file's name, for the checks of `decodedLines`. */
export function asFile<T extends object>(input: T, label: string): T {
  (input as Record<symbol, unknown>)[FILE_LABEL] = label;
  return input;
}

/**
 * Split a stream into lines (LF or CRLF), numbered from 1, decoding bytes as ISO-8859-1 (Latin-1):
 * the CMS text files are ASCII or Latin-1 (ICD-9-CM), and Latin-1 maps every byte to one character,
 * so a stray byte reaches the layout checks instead of aborting the read. The last line need not end
 * with a newline.
 */
export function latin1Lines(input: TextInput): AsyncGenerator<{ text: string; line: number }> {
  return decodedLines(input, 'latin1');
}

/**
 * The same for UTF-8: LOINC, SNOMED CT RF2 and RxNorm RRF are UTF-8 (RF2 spec 3.2.1.2: "UTF-8
 * encoding"; RxNorm Technical Documentation: "Unicode UTF-8"); a multi-byte character split across
 * chunks is kept whole by StringDecoder, and a leading byte order mark is dropped.
 */
export function utf8Lines(input: TextInput): AsyncGenerator<{ text: string; line: number }> {
  return decodedLines(input, 'utf8');
}

/**
 * Memory: one chunk plus one partial line, whatever the size of the stream.
 *
 * A release file (a stream tagged by `asFile`) is also checked, for every format read through here
 * (GEMs, ICD-9-CM, NDC, and through release.ts LOINC, RxNorm, SNOMED CT, CPT): it is refused with a
 * parse_error naming the file, the line and the reason, before a bad record reaches the database, when
 *  - a line holds a NUL byte (no official text format has one: a damaged or binary file);
 *  - UTF-8 text holds an invalid byte sequence (decoded as U+FFFD, which no release writes);
 *  - the last line does not end with a line break although the others do (every official file ends
 *    its records with CRLF or LF: a file cut during a download or a copy);
 *  - it has no line at all (an empty file; the import would otherwise replace a set with nothing).
 */
async function* decodedLines(input: TextInput, encoding: 'latin1' | 'utf8'): AsyncGenerator<{ text: string; line: number }> {
  const file = (input as unknown as Record<symbol, unknown>)[FILE_LABEL] as string | undefined;
  const dec = new StringDecoder(encoding);
  let rest = '';
  let line = 0;
  const check = (text: string, at: number) => {
    const nul = text.indexOf('\0');
    if (nul >= 0) throw parseError(`a NUL byte at column ${nul + 1}: the file is damaged or not text`, { file, line: at });
    const bad = encoding === 'utf8' ? text.indexOf('\uFFFD') : -1;
    if (bad >= 0) throw parseError(`invalid UTF-8 at column ${bad + 1}: the file is damaged or not UTF-8`, { file, line: at });
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let text = rest + (typeof chunk === 'string' ? chunk : dec.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    if (encoding === 'utf8' && line === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const l = stripCr(text.slice(start, nl));
      ++line;
      if (file !== undefined) check(l, line);
      yield { text: l, line };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += dec.end();
  if (rest.length) {
    ++line;
    if (file !== undefined) {
      check(rest, line);
      if (line > 1 && rest.trim() !== '')
        throw parseError('the last record is cut short (no line break after it, unlike the others): a truncated file?', { file, line });
    }
    yield { text: stripCr(rest), line };
  }
  if (file !== undefined && line === 0) throw parseError('empty file: no line at all', { file });
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
