/** Input of the line-based parsers: a file or zip member stream, or any chunks of bytes or text. */
export type TextInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/**
 * Split a stream into lines (LF or CRLF), numbered from 1, decoding bytes as ISO-8859-1 (Latin-1):
 * the CMS text files are ASCII or Latin-1 (ICD-9-CM), and Latin-1 maps every byte to one character,
 * so a stray byte reaches the layout checks instead of aborting the read. The last line need not end
 * with a newline.
 */
export async function* latin1Lines(input: TextInput): AsyncGenerator<{ text: string; line: number }> {
  let rest = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    const text = rest + (typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'));
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      yield { text: stripCr(text.slice(start, nl)), line: ++line };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length) yield { text: stripCr(rest), line: ++line };
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
