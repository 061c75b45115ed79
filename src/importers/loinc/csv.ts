import { parseError } from '../../errors.js';

/**
 * RFC 4180 CSV records from a stream of lines: fields separated by commas, optionally quoted with
 * `"`, a quote inside a quoted field doubled, line breaks allowed inside quoted fields (LOINC's
 * Loinc.csv quotes every text field; a few long fields such as FORMULA hold line breaks). Yields one
 * record at a time with the line it starts on: memory is one record.
 */
export async function* csvRecords(
  lines: AsyncIterable<{ text: string; line: number }>,
  file: string,
  /**
   * The first record is a header: every record must then have as many fields as the header (a record
   * cut short is refused, naming its line), and a file with no record after the header is refused
   * (an empty table would otherwise replace the loaded one with nothing).
   */
  opts: { header?: boolean } = {},
): AsyncGenerator<{ fields: string[]; line: number }> {
  let width = -1;
  let records = 0;
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let start = 0;
  let quotedAt = 0;
  for await (const { text, line } of lines) {
    if (!inQuotes) {
      if (text === '') continue;
      start = line;
      fields = [];
      field = '';
    } else field += '\n';
    let i = 0;
    const n = text.length;
    while (i < n) {
      const ch = text[i];
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          inQuotes = false;
          i++;
          // After a closing quote only a separator or the end of the record may follow.
          if (i < n && text[i] !== ',')
            throw parseError(`character after a closing quote in a quoted field ("${text.slice(Math.max(0, i - 20), i + 10)}")`, {
              file,
              line,
            });
          continue;
        }
        const q = text.indexOf('"', i);
        const end = q < 0 ? n : q;
        field += text.slice(i, end);
        i = end;
        continue;
      }
      if (ch === '"' && field === '') {
        inQuotes = true;
        quotedAt = line;
        i++;
        continue;
      }
      if (ch === ',') {
        fields.push(field);
        field = '';
        i++;
        continue;
      }
      const c = text.indexOf(',', i);
      const end = c < 0 ? n : c;
      field += text.slice(i, end);
      i = end;
    }
    if (!inQuotes) {
      fields.push(field);
      if (opts.header) {
        if (width < 0) width = fields.length;
        else if (fields.length !== width)
          throw parseError(`${fields.length} fields where the header has ${width} (a record cut short?)`, { file, line: start });
      }
      records++;
      yield { fields, line: start };
    }
  }
  if (inQuotes) throw parseError(`quoted field opened on line ${quotedAt} is never closed (truncated file?)`, { file });
  if (opts.header && records < 2)
    throw parseError(records ? 'no records after the header (an empty table)' : 'empty file: no header', { file });
}
