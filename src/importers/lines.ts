/** Input of the line-based parsers: a file or zip member stream, or any chunks of bytes or text. */
export type TextInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

import { StringDecoder } from 'node:string_decoder';

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

/** Memory: one chunk plus one partial line, whatever the size of the stream. */
async function* decodedLines(input: TextInput, encoding: 'latin1' | 'utf8'): AsyncGenerator<{ text: string; line: number }> {
  const dec = new StringDecoder(encoding);
  let rest = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let text = rest + (typeof chunk === 'string' ? chunk : dec.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    if (encoding === 'utf8' && line === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      yield { text: stripCr(text.slice(start, nl)), line: ++line };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += dec.end();
  if (rest.length) yield { text: stripCr(rest), line: ++line };
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
