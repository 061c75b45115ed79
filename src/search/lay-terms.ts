import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../manifest.js';
import { parseError } from '../errors.js';

/**
 * The lay-term and abbreviation dictionary (`data/lay-terms.tsv`), kept in the project as data: each
 * row maps what users type ("htn", "heart attack", "broken") to the vocabulary of the official titles,
 * with the source of the mapping. Columns: term, expansion, kind, source.
 */
export interface LayTerm {
  term: string;
  expansion: string;
  kind: 'abbreviation' | 'lay' | 'synonym';
  source: string;
}

export const LAY_TERMS_PATH = join(DATA_DIR, 'lay-terms.tsv');
const KINDS = new Set(['abbreviation', 'lay', 'synonym']);

export function parseLayTerms(text: string, file = 'lay-terms.tsv'): LayTerm[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.split('\t');
  if (header?.join(',') !== 'term,expansion,kind,source')
    throw parseError('header must be: term, expansion, kind, source (tab-separated)', { file, line: 1 });
  const out: LayTerm[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim() || lines[i].startsWith('#')) continue;
    const [term, expansion, kind, source] = lines[i].split('\t');
    if (!term?.trim() || !expansion?.trim() || !KINDS.has(kind) || !source?.trim()) {
      throw parseError('each row needs a term, an expansion, a kind (abbreviation, lay, synonym) and a source', { file, line: i + 1 });
    }
    out.push({
      term: term.trim().toLowerCase(),
      expansion: expansion.trim().toLowerCase(),
      kind: kind as LayTerm['kind'],
      source: source.trim(),
    });
  }
  return out;
}

export function loadLayTerms(path = LAY_TERMS_PATH): LayTerm[] {
  return existsSync(path) ? parseLayTerms(readFileSync(path, 'utf8'), path) : [];
}
