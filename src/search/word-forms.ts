import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../manifest.js';
import { parseError } from '../errors.js';
import { tokenize } from './text.js';

/**
 * Word forms (`data/word-forms.tsv`): the adjective and noun of one medical concept
 * ("femur" / "femoral", "liver" / "hepatic", "kidney" / "renal"), used both ways at query time as an
 * alternative of the word, so "femoral neck fracture" finds "Fracture of neck of femur" and "liver
 * failure" finds "Hepatic failure". Columns: form, other_form, source. Each row is one pair.
 */
export const WORD_FORMS_PATH = join(DATA_DIR, 'word-forms.tsv');

export function parseWordForms(text: string, file = 'word-forms.tsv'): [string, string][] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.split('\t').join(',') !== 'form,other_form,source')
    throw parseError('header must be: form, other_form, source (tab-separated)', { file, line: 1 });
  const out: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim() || lines[i].startsWith('#')) continue;
    const [a, b, source] = lines[i].split('\t');
    const ta = tokenize(a ?? '');
    const tb = tokenize(b ?? '');
    if (ta.length !== 1 || tb.length !== 1 || !source?.trim())
      throw parseError('each row needs two single-word forms and a source', { file, line: i + 1 });
    out.push([ta[0], tb[0]]);
  }
  return out;
}

export function loadWordForms(path = WORD_FORMS_PATH): [string, string][] {
  return existsSync(path) ? parseWordForms(readFileSync(path, 'utf8'), path) : [];
}

/** Pairs as a lookup both ways: word -> its other forms. */
export function wordFormMap(pairs: [string, string][]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (a: string, b: string) => {
    const l = m.get(a);
    if (!l) m.set(a, [b]);
    else if (!l.includes(b)) l.push(b);
  };
  for (const [a, b] of pairs) {
    add(a, b);
    add(b, a);
  }
  return m;
}
