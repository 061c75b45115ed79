/**
 * NUCC Health Care Provider Taxonomy code set, CSV edition (e.g. `nucc_taxonomy_251.csv`, version 25.1,
 * July 2025), as downloaded from nucc.org.
 *
 * Layout: RFC 4180 CSV, UTF-8 (25.1 has no byte order mark; one is skipped if present), CRLF record
 * ends, one header row, then one row per code with the 8 columns of the header:
 *
 *   1 Code            10 characters: 9 alphanumerics then `X` (e.g. `207RR0500X`)
 *   2 Grouping        Level I, e.g. `Allopathic & Osteopathic Physicians`
 *   3 Classification  Level II, e.g. `Internal Medicine`
 *   4 Specialization  Level III, e.g. `Rheumatology`; empty on classification-level codes
 *   5 Definition      may be empty (8 codes in 25.1)
 *   6 Notes           source and change history, e.g. `[7/1/2007: added definition ...]`; contains
 *                     literal `<br/>` line-break markup
 *   7 Display Name    e.g. `Rheumatology Physician`
 *   8 Section         `Individual` or `Non-Individual`
 *
 * Fields with commas or quotes are quoted, quotes doubled (`"... and ""collagen"" diseases."`). Older
 * releases had line breaks inside quoted fields; 25.1 has none, but the reader handles them.
 *
 * Licence: the code set is © American Medical Association on behalf of the NUCC. The CSV itself carries
 * no copyright notice (checked: 25.1 has no line with "copyright", "©" or "American Medical"), so the
 * product must show `NUCC_NOTICE` wherever it shows the codes.
 */
import { parseError } from '../../errors.js';

/** One taxonomy code: one CSV row. */
export interface NuccTaxonomyRecord {
  /** Column 1 `Code`. */
  code: string;
  /** Column 2 `Grouping` (Level I). */
  grouping: string;
  /** Column 3 `Classification` (Level II). */
  classification: string;
  /** Column 4 `Specialization` (Level III); '' for a classification-level code. */
  specialization: string;
  /** Column 5 `Definition`; may be ''. */
  definition: string;
  /** Column 6 `Notes`, as filed (with `<br/>` markup). */
  notes: string;
  /** Column 7 `Display Name`. */
  displayName: string;
  /** Column 8 `Section`. */
  section: 'Individual' | 'Non-Individual';
  /**
   * The code is no longer to be used. The CSV keeps inactive codes; NUCC marks them in Notes
   * (`[1/1/2023: marked inactive]`, `1/1/2025: marked inactive`) and on older ones also prefixes the
   * Display Name with `Deactivated - `. 28 codes in 25.1.
   */
  inactive: boolean;
  /** ISO date from the Notes' `M/D/YYYY: marked inactive`, when given. */
  inactiveSince?: string;
  /** Code the Notes send the reader to (`marked inactive, use value 183500000X`), when given. */
  replacedBy?: string;
  /** 1-based line of the file on which the row starts (the header is line 1). */
  line: number;
}

/** The header of the CSV edition, in order. */
export const NUCC_COLUMNS = [
  'Code',
  'Grouping',
  'Classification',
  'Specialization',
  'Definition',
  'Notes',
  'Display Name',
  'Section',
] as const;

/**
 * The notice to show with NUCC content. NUCC's permission to use and distribute its code sets requires
 * keeping the AMA's copyright notice and attribution ("the AMA holds copyright ... on behalf of the
 * NUCC"), unmodified content, and no implied endorsement; HL7's arrangement with NUCC asks that the
 * copyright (AMA on behalf of the NUCC) and the NUCC website as the source be referenced. The CSV holds
 * no notice text of its own to copy, so this is that notice for the given release.
 */
export function nuccNotice(version = '25.1', year = 2025): string {
  return (
    `Health Care Provider Taxonomy code set, version ${version}. ` +
    `Copyright © ${year} American Medical Association on behalf of the National Uniform Claim Committee (NUCC). ` +
    'All rights reserved. Reproduced unmodified with permission; source: https://www.nucc.org. ' +
    'Provided "as is" without warranty of any kind; neither the AMA, the NUCC nor its members endorse this product.'
  );
}

/** The notice for the release shipped with MedCodes (25.1, July 2025). */
export const NUCC_NOTICE = nuccNotice();

/** Input accepted by the readers: a file or zip member stream, or any chunks of bytes or text. */
export type TextInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** One CSV record and the line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * A streaming RFC 4180 reader. Records end with CRLF, LF or a lone CR (outside quotes); a field that
 * starts with `"` is quoted: it runs to the next `"` not doubled, may hold commas and line breaks
 * (kept as in the file), and `""` stands for one `"`. Strict where RFC 4180 is: a `"` inside an
 * unquoted field, text between a closing quote and the next comma, and a quoted field still open at
 * the end of the input are parse errors naming file and line. Completely empty lines are skipped.
 * Bytes are decoded as UTF-8 (fatal on invalid sequences: a wrong-encoding file fails loudly rather
 * than yielding U+FFFD), a leading byte order mark is dropped.
 */
export async function* readCsv(input: TextInput, options: { file: string }): AsyncGenerator<CsvRecord> {
  const { file } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let fields: string[] = [];
  let field = '';
  let line = 1; // current physical line
  let recordLine = 1; // line on which the current record started
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just closed a quoted field (or saw the first of a doubled quote)
  let fieldStarted = false; // the current field has any content or was quoted
  let pendingCr = false; // last char was a CR that ended a record (skip a following LF)
  let quoteLine = 0;
  let crInQuote = false; // last char inside the quoted field was a CR (a following LF is the same line break)
  let first = true;

  const decode = (chunk: string | Uint8Array, stream: boolean): string => {
    if (typeof chunk === 'string') return chunk;
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw parseError('the file is not valid UTF-8 text', { file, line });
    }
  };

  function* endRecord(): Generator<CsvRecord> {
    fields.push(field);
    const blank = fields.length === 1 && !fieldStarted;
    if (!blank) yield { fields, line: recordLine };
    fields = [];
    field = '';
    fieldStarted = false;
    afterQuote = false;
  }

  function* consume(text: string): Generator<CsvRecord> {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (pendingCr) {
        pendingCr = false;
        if (c === '\n') continue;
      }
      if (quoted) {
        if (c === '"') {
          quoted = false;
          afterQuote = true;
        } else {
          // Count CRLF, LF and lone CR once each, even when a CRLF is split across chunks.
          if (c === '\r' || (c === '\n' && !crInQuote)) line++;
          field += c;
        }
        crInQuote = c === '\r';
        continue;
      }
      if (afterQuote) {
        if (c === '"') {
          // A doubled quote inside a quoted field: one literal quote, still quoted.
          field += '"';
          quoted = true;
          afterQuote = false;
          continue;
        }
        if (c !== ',' && c !== '\r' && c !== '\n') {
          throw parseError(
            `unexpected character ${JSON.stringify(c)} after the closing quote of field ${fields.length + 1} (a quote inside a quoted field must be doubled)`,
            { file, line },
          );
        }
        afterQuote = false;
      }
      if (c === ',') {
        fields.push(field);
        field = '';
        fieldStarted = false;
      } else if (c === '\r' || c === '\n') {
        yield* endRecord();
        line++;
        recordLine = line;
        pendingCr = c === '\r';
      } else if (c === '"') {
        if (fieldStarted) {
          throw parseError(`a quote inside unquoted field ${fields.length + 1} (RFC 4180 requires the whole field to be quoted)`, {
            file,
            line,
          });
        }
        quoted = true;
        crInQuote = false;
        fieldStarted = true;
        quoteLine = line;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
  }

  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let text = decode(chunk, true);
    if (first && text.length) {
      // TextDecoder drops a UTF-8 BOM from bytes; do the same for text input.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    yield* consume(text);
  }
  yield* consume(decode(new Uint8Array(0), false));
  if (quoted)
    throw parseError(`the quoted field ${fields.length + 1} opened on line ${quoteLine} is never closed (truncated file?)`, {
      file,
      line: quoteLine,
    });
  if (fieldStarted || fields.length) yield* endRecord();
}

/**
 * Streams the taxonomy codes of a NUCC CSV. Throws a parse_error naming file, line and problem for a
 * file whose header is not the NUCC header (another file), a row without 8 fields (truncated or
 * broken), a malformed code, a duplicate code, or an unknown section.
 */
export async function* readNuccTaxonomy(input: TextInput, options: { file: string }): AsyncGenerator<NuccTaxonomyRecord> {
  const { file } = options;
  let header = true;
  const seen = new Map<string, number>();
  for await (const { fields, line } of readCsv(input, { file })) {
    if (header) {
      header = false;
      const got = fields.map((f) => f.trim());
      if (got.length !== NUCC_COLUMNS.length || got.some((f, i) => f !== NUCC_COLUMNS[i])) {
        throw parseError(
          `not a NUCC taxonomy CSV: the header must be "${NUCC_COLUMNS.join(',')}", found "${fields.join(',').slice(0, 120)}"`,
          { file, line },
        );
      }
      continue;
    }
    if (fields.length !== NUCC_COLUMNS.length) {
      throw parseError(
        `row has ${fields.length} fields, expected ${NUCC_COLUMNS.length} (${NUCC_COLUMNS.join(', ')}): truncated or broken row`,
        { file, line },
      );
    }
    // Surrounding blanks are dropped (25.1 has trailing blanks in 49 Notes and Definition fields).
    const [code, grouping, classification, specialization, definition, notes, displayName, section] = fields.map((f) => f.trim());
    if (!/^[0-9A-Z]{9}X$/.test(code))
      throw parseError(`"${code}" is not a taxonomy code (9 letters or digits then X)`, { file, line, element: 'Code' });
    if (seen.has(code)) throw parseError(`code ${code} appears twice (first on line ${seen.get(code)})`, { file, line, element: 'Code' });
    seen.set(code, line);
    if (section !== 'Individual' && section !== 'Non-Individual') {
      throw parseError(`section "${section}" is neither Individual nor Non-Individual`, { file, line, element: 'Section' });
    }
    if (!grouping || !classification) throw parseError(`code ${code} has no grouping or classification`, { file, line });
    yield {
      code,
      grouping,
      classification,
      specialization,
      definition,
      notes,
      displayName,
      section,
      ...inactivity(notes, displayName),
      line,
    };
  }
  if (header) throw parseError('empty file: expected the NUCC taxonomy header', { file, line: 1 });
}

/** Reads the inactive marks NUCC writes in Notes and Display Name. */
function inactivity(notes: string, displayName: string): Pick<NuccTaxonomyRecord, 'inactive' | 'inactiveSince' | 'replacedBy'> {
  const m = /(\d{1,2})\/(\d{1,2})\/(\d{4}):\s*marked inactive(?:,\s*use\s+(?:value\s+)?([0-9A-Z]{9}X))?/i.exec(notes);
  const inactive = !!m || /^Deactivated\b/i.test(displayName);
  const out: Pick<NuccTaxonomyRecord, 'inactive' | 'inactiveSince' | 'replacedBy'> = { inactive };
  if (m) out.inactiveSince = `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}`;
  if (m?.[4]) out.replacedBy = m[4];
  return out;
}

/** Convenience for tests and small inputs. */
export async function parseNuccTaxonomy(text: string | Uint8Array, options: { file: string }): Promise<NuccTaxonomyRecord[]> {
  const out: NuccTaxonomyRecord[] = [];
  for await (const r of readNuccTaxonomy([text], options)) out.push(r);
  return out;
}
