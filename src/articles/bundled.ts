import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../manifest.js';
import { codeKey } from '../codes.js';
import { parseError } from '../errors.js';
import { resolveSystem } from '../systems.js';
import type { Store } from '../store/store.js';
import { parseArticles, type ParsedArticle } from './parse.js';
import { resolveArticles } from './import.js';
import { ArticleStore, type StoredArticle } from './store.js';

/**
 * The articles MedCodes ships (data/articles/, see its README.md): plain-language articles for the
 * codes people look up most, in the files `articles import` reads, each marked `source: generated`
 * with the model that wrote it and `review: draft`. They are imported into the articles file when the
 * code database is built from the bundled data (first start, `medcodes import` without files), as
 * the bundled official files are.
 *
 * The articles file is user data (store.ts), so the shipped texts only ever fill gaps:
 * - a code with a curated article, or with a generated article by another model, keeps it;
 * - a code whose shipped article someone reviewed (`articles review`) keeps the reviewed text;
 * - a code whose stored article is an earlier, unreviewed edition of the shipped one (same author)
 *   gets the shipped text (a release can correct its articles);
 * - importing again changes nothing (idempotent).
 */

export const BUNDLED_ARTICLES_DIR = join(DATA_DIR, 'articles');

export interface BundledArticlesSummary {
  /** Articles stored for codes that had none. */
  added: number;
  /** Earlier unreviewed editions of a shipped article replaced by the shipped text. */
  updated: number;
  /** Already stored exactly as shipped. */
  unchanged: number;
  /** Codes whose stored article is curated, reviewed or by another author: left as they are. */
  kept: number;
  /** Codes the loaded code database does not have (e.g. a code set imported from an older release). */
  missing: string[];
}

/** The article files of a folder (.md, .jsonl), in name order; README.md describes the folder. */
export function bundledArticleFiles(dir = BUNDLED_ARTICLES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.(md|jsonl)$/i.test(n) && n.toLowerCase() !== 'readme.md')
    .sort()
    .map((n) => join(dir, n));
}

/** Every shipped article, parsed (the format checks of `articles import`), with its file. */
export function readBundledArticles(dir = BUNDLED_ARTICLES_DIR): { file: string; parsed: ParsedArticle[] }[] {
  return bundledArticleFiles(dir).map((file) => ({ file, parsed: parseArticles(readFileSync(file, 'utf8'), file) }));
}

const sameText = (a: StoredArticle, stored: { section: string; text: string; heading: string }[]) =>
  a.sections.length === stored.length && a.sections.every((s, i) => s.section === stored[i].section && s.text === stored[i].text);

/**
 * Import the shipped articles into `target`. A code the code database lacks (a code set not loaded,
 * or a release without the code) is skipped and named: first start must not fail on it. Any other problem in a shipped file (a bad section, a broken
 * file) is an error, as for `articles import`: the tests keep the shipped files valid.
 */
export function importBundledArticles(store: Store, target: ArticleStore, dir = BUNDLED_ARTICLES_DIR): BundledArticlesSummary {
  const summary: BundledArticlesSummary = { added: 0, updated: 0, unchanged: 0, kept: 0, missing: [] };
  const ready: StoredArticle[] = [];
  const loaded = new Set(store.releases().map((r) => r.system));
  const seen = new Map<string, string>();
  for (const { file, parsed } of readBundledArticles(dir)) {
    for (const p of parsed) {
      // Two shipped articles for one code would overwrite each other at every start.
      const id = `${resolveSystem(p.article.system) ?? p.article.system} ${p.article.code.trim().toUpperCase()}`;
      if (seen.has(id)) throw parseError(`${id} already has an article in ${seen.get(id)}`, { file, line: p.line });
      seen.set(id, file);
    }
    const present = parsed.filter((p) => {
      const system = resolveSystem(p.article.system);
      // An unknown system is left to resolveArticles, which names the file and line.
      if (!system || (loaded.has(system) && store.get(system, codeKey(system, p.article.code)))) return true;
      summary.missing.push(`${p.article.system} ${p.article.code}`);
      return false;
    });
    if (present.length) ready.push(...resolveArticles(store, present, file).articles);
  }
  target.db.transaction(() => {
    for (const a of ready) {
      const stored = target.sections(a.system, a.key);
      const mine = stored.filter((s) => s.source === a.source);
      const other = stored.some((s) => s.source !== a.source);
      if (!stored.length) {
        target.put(a);
        summary.added++;
      } else if (other || mine.some((s) => s.author !== a.author || s.review === 'reviewed')) {
        summary.kept++;
      } else if (sameText(a, mine) && (target.titles(a.system, a.key)[a.source] ?? undefined) === a.title) {
        summary.unchanged++;
      } else {
        target.put(a);
        summary.updated++;
      }
    }
  })();
  return summary;
}

/** One line for the console: "articles: 312 shipped articles added, …". */
export function bundledSummaryLine(s: BundledArticlesSummary, path: string): string {
  const parts = [`${s.added} added`];
  if (s.updated) parts.push(`${s.updated} updated`);
  if (s.unchanged) parts.push(`${s.unchanged} already there`);
  if (s.kept) parts.push(`${s.kept} kept as stored (curated, reviewed or another author's)`);
  if (s.missing.length) parts.push(`${s.missing.length} skipped, code not loaded (${s.missing.slice(0, 5).join(', ')})`);
  return `shipped articles: ${parts.join(', ')} → ${path}`;
}

/** Open the articles file of a code database and import the shipped articles into it. */
export function importBundledArticlesFor(store: Store, articlesPath: string): string {
  const target = ArticleStore.open(articlesPath);
  try {
    return bundledSummaryLine(importBundledArticles(store, target), articlesPath);
  } finally {
    target.close();
  }
}

/**
 * First start: the same import, but a problem with the articles file (a read-only location, a file of
 * another schema) is reported in the returned line instead of thrown. The code database is built by
 * then, and articles are an addition to it: the server starts and serves the codes either way.
 */
export function importBundledArticlesOnStart(store: Store, articlesPath: string): string {
  try {
    return importBundledArticlesFor(store, articlesPath);
  } catch (e) {
    return `shipped articles not imported (${articlesPath}): ${(e as Error).message}`;
  }
}
