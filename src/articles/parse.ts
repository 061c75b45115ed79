import type { z } from 'zod';
import { parseError } from '../errors.js';
import { ArticleInput } from './sections.js';

/**
 * Parsers for curated article files: text in, article inputs out (validated against ArticleInput),
 * with the line of each article for messages. Two formats:
 *
 * JSON Lines, one article per line:
 *   {"system":"cpt","code":"64491","author":"…","date":"2026-01-15","review":"reviewed",
 *    "sections":[{"section":"Summary","text":"…"}, …]}
 *
 * Markdown, one or more articles, each opened by a front-matter block and with one heading per
 * section (any level; the heading names the section, e.g. "## Risks and Complications"):
 *   ---
 *   system: cpt
 *   code: 64491
 *   title: …            (optional: the article's own name for the concept)
 *   author: …
 *   date: 2026-01-15
 *   review: reviewed    (draft when absent)
 *   source: generated   (optional: curated when absent)
 *   ---
 *   ## Summary
 *   …
 * `source` says how the text was written: `curated` (a person) or `generated` (a language model,
 * `author` naming the model). It is what `articles export --source generated` prints and what the
 * articles shipped in data/articles/ carry (src/articles/bundled.ts); files without it stay curated.
 * Bullets ("-", "*", "•") are kept as "- " lines, numbered steps as written.
 */

export const INPUT_SOURCES = ['curated', 'generated'] as const;
export type InputSource = (typeof INPUT_SOURCES)[number];

export interface ParsedArticle {
  article: ArticleInput;
  line: number;
  /** How the text was written; `curated` when the file does not say. */
  source: InputSource;
}

/** The optional `source` of an article; anything but the two known values is refused. */
function sourceOf(value: unknown, file: string, line: number): InputSource {
  if (value === undefined) return 'curated';
  if (typeof value === 'string' && (INPUT_SOURCES as readonly string[]).includes(value)) return value as InputSource;
  throw parseError(`not an article: source must be ${INPUT_SOURCES.join(' or ')}; got ${JSON.stringify(value)}`, { file, line });
}

function zodProblem(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

export function parseJsonLines(text: string, file = 'articles'): ParsedArticle[] {
  const out: ParsedArticle[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw parseError(`not valid JSON (${(e as Error).message})`, { file, line: i + 1 });
    }
    const r = ArticleInput.safeParse(json);
    if (!r.success) throw parseError(`not an article: ${zodProblem(r.error)}`, { file, line: i + 1 });
    out.push({ article: r.data, line: i + 1, source: sourceOf((json as { source?: unknown }).source, file, i + 1) });
  });
  if (!out.length) throw parseError('no articles in the file', { file });
  return out;
}

const FRONT_KEYS = new Set(['system', 'code', 'title', 'author', 'date', 'review', 'source']);

/** Normalise one body line: bullets to "- ", indentation removed. */
function bodyLine(l: string): string {
  const t = l.trim();
  const bullet = /^[-*•]\s+(.*)$/.exec(t);
  return bullet ? `- ${bullet[1]}` : t;
}

export function parseMarkdown(text: string, file = 'articles.md'): ParsedArticle[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: ParsedArticle[] = [];
  let i = 0;
  const skipBlank = () => {
    while (i < lines.length && lines[i].trim() === '') i++;
  };
  skipBlank();
  while (i < lines.length) {
    if (lines[i].trim() !== '---') throw parseError('expected a front-matter block ("---") opening an article', { file, line: i + 1 });
    const start = i + 1;
    i++;
    const front: Record<string, string> = {};
    for (; i < lines.length && lines[i].trim() !== '---'; i++) {
      const l = lines[i].trim();
      if (!l || l.startsWith('#')) continue;
      const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(l);
      if (!m) throw parseError(`front matter: expected "key: value", got "${l.slice(0, 60)}"`, { file, line: i + 1 });
      const key = m[1].toLowerCase();
      if (!FRONT_KEYS.has(key))
        throw parseError(`front matter: unknown key "${m[1]}" (known: ${[...FRONT_KEYS].join(', ')})`, { file, line: i + 1 });
      front[key] = m[2].replace(/^(["'])(.*)\1$/, '$2');
    }
    if (i >= lines.length) throw parseError('front matter is not closed by "---"', { file, line: start });
    i++;
    const sections: { section: string; text: string }[] = [];
    let cur: { section: string; body: string[]; line: number } | undefined;
    const flush = () => {
      if (!cur) return;
      const body = cur.body
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim();
      if (!body) throw parseError(`section "${cur.section}" is empty`, { file, line: cur.line });
      sections.push({ section: cur.section, text: body });
    };
    for (; i < lines.length && lines[i].trim() !== '---'; i++) {
      const h = /^#{1,6}\s+(.+?)\s*#*$/.exec(lines[i].trim());
      if (h) {
        flush();
        cur = { section: h[1], body: [], line: i + 1 };
      } else if (cur) cur.body.push(bodyLine(lines[i]));
      else if (lines[i].trim()) throw parseError('text before the first section heading', { file, line: i + 1 });
    }
    flush();
    const { source, ...fields } = front;
    const r = ArticleInput.safeParse({ ...fields, sections });
    if (!r.success) throw parseError(`not an article: ${zodProblem(r.error)}`, { file, line: start });
    out.push({ article: r.data, line: start, source: sourceOf(source, file, start) });
    skipBlank();
  }
  if (!out.length) throw parseError('no articles in the file', { file });
  return out;
}

/** By extension: `.jsonl`/`.ndjson` are JSON Lines, `.md`/`.markdown` Markdown; otherwise by the first character. */
export function parseArticles(text: string, file: string): ParsedArticle[] {
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return parseJsonLines(text, file);
  if (/\.(md|markdown)$/i.test(file)) return parseMarkdown(text, file);
  const first = text.trimStart()[0];
  if (first === '{') return parseJsonLines(text, file);
  if (first === '-') return parseMarkdown(text, file);
  throw parseError('not an articles file: expected JSON Lines (.jsonl) or Markdown with front matter (.md)', { file });
}
