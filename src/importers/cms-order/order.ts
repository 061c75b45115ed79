import { parseError } from '../../errors.js';

/**
 * One line of a CMS ICD-10 order file (`icd10cm_order_YYYY.txt`, `icd10pcs_order_YYYY.txt`).
 * Layout from CMS's "ICD-10-CM/PCS Order Files" description (icd10OrderFiles.pdf in each release zip),
 * 1-based positions:
 */
export interface OrderRecord {
  /** 1-5: order number, zero-padded; the classification's sequence. */
  order: number;
  /** 7-13: code, no dot, left-justified. */
  code: string;
  /** 15: 0 = header (not valid for HIPAA-covered transactions), 1 = valid for submission. */
  valid: boolean;
  /** 17-76: short description (60 characters at most). */
  shortTitle: string;
  /** 78-end: long description (up to 323 characters). */
  longTitle: string;
  /** Line number in the file, for messages. */
  line: number;
}

const CODE_RE = /^[A-Z0-9]{3,7}$/;

/**
 * Parse one order-file line. Throws a parse error naming the file, the line and the field when the
 * line does not follow the layout.
 */
export function parseOrderLine(text: string, line: number, file = 'order file'): OrderRecord {
  const s = text.replace(/\r$/, '');
  if (s.length < 78) throw parseError(`line is ${s.length} characters, shorter than the order-file layout (78 or more)`, { file, line });
  const orderText = s.slice(0, 5);
  if (!/^\d{5}$/.test(orderText)) throw parseError(`order number "${orderText}" in columns 1-5 is not five digits`, { file, line });
  if (s[5] !== ' ' || s[13] !== ' ' || s[15] !== ' ' || s[76] !== ' ') {
    throw parseError('columns 6, 14, 16 and 77 must be blank separators; this is not an order file', { file, line });
  }
  const code = s.slice(6, 13).trimEnd();
  if (!CODE_RE.test(code)) throw parseError(`code "${code}" in columns 7-13 is not 3-7 letters or digits`, { file, line });
  const flag = s[14];
  if (flag !== '0' && flag !== '1') throw parseError(`flag "${flag}" in column 15 must be 0 or 1`, { file, line });
  const shortTitle = s.slice(16, 76).trimEnd();
  const longTitle = s.slice(77).trimEnd();
  if (!longTitle) throw parseError('long title (column 78 on) is empty', { file, line });
  return { order: Number(orderText), code, valid: flag === '1', shortTitle, longTitle, line };
}

/** Parse a whole order file (ASCII; CRLF or LF). Blank lines are skipped, all others must parse. */
export function parseOrderFile(text: string, file = 'order file'): OrderRecord[] {
  const out: OrderRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim()) continue;
    out.push(parseOrderLine(l, i + 1, file));
  }
  if (out.length === 0) throw parseError('no records: the file is empty', { file });
  return out;
}

/** The fiscal year in an order file name (`icd10cm_order_2026.txt` -> 2026). */
export function orderFileYear(name: string): number | undefined {
  const m = /order_(\d{4})\.txt$/i.exec(name);
  return m ? Number(m[1]) : undefined;
}
