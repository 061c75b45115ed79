import { readFileSync, existsSync } from 'node:fs';
import type { Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import { MedCodesError, parseError } from '../errors.js';
import { codeKey, displayCode } from '../codes.js';
import { SYSTEMS, resolveSystem } from '../systems.js';
import { parseArticles, type ParsedArticle } from './parse.js';
import { articleKind, findSection, sectionsOf } from './sections.js';
import type { ArticleStore, StoredArticle } from './store.js';

export interface ArticleImportSummary {
  file: string;
  articles: number;
  sections: number;
  /** Articles for codes of code sets that are not loaded (stored all the same: CPT is licensed). */
  notLoaded: Partial<Record<SystemId, number>>;
}

/**
 * Check parsed articles against the code database and turn them into stored articles. A code of a
 * loaded code set must exist in it; a code of a code set that is not loaded is kept (an article for
 * licensed CPT codes without the licensed file), its code shape checked. Every section must be one of
 * its kind's (sections.ts), once.
 */
export function resolveArticles(
  store: Store,
  parsed: ParsedArticle[],
  file: string,
): { articles: StoredArticle[]; notLoaded: Partial<Record<SystemId, number>> } {
  const loaded = new Set(store.releases().map((r) => r.system));
  const notLoaded: Partial<Record<SystemId, number>> = {};
  const seen = new Set<string>();
  const articles = parsed.map(({ article: a, line, source }) => {
    const system = resolveSystem(a.system);
    if (!system) throw parseError(`unknown code system "${a.system}"; known: ${Object.keys(SYSTEMS).join(', ')}`, { file, line });
    const key = codeKey(system, a.code);
    let code: string;
    if (loaded.has(system)) {
      const row = store.get(system, key);
      if (!row) throw parseError(`${SYSTEMS[system].name} has no code "${a.code}"`, { file, line });
      code = row.code;
    } else {
      if (!/^[A-Z0-9][A-Z0-9.-]{0,39}$/i.test(a.code)) throw parseError(`"${a.code}" is not a code`, { file, line });
      code = displayCode(system, key);
      notLoaded[system] = (notLoaded[system] ?? 0) + 1;
    }
    const id = `${system}\u0000${key}`;
    if (seen.has(id)) throw parseError(`${SYSTEMS[system].label} ${code} has two articles in the file`, { file, line });
    seen.add(id);
    const kind = articleKind(system);
    const ids = new Set<string>();
    const sections = a.sections.map((s) => {
      const def = findSection(kind, s.section);
      if (!def)
        throw parseError(
          `"${s.section}" is not a section of a ${kind} article; sections: ${sectionsOf(kind)
            .map((d) => d.heading)
            .join(', ')}`,
          { file, line },
        );
      if (ids.has(def.id)) throw parseError(`section "${def.heading}" appears twice in the article for ${code}`, { file, line });
      ids.add(def.id);
      return { section: def.id, heading: def.heading, text: s.text };
    });
    // Stored in the kind's order, whatever the order of the file.
    const order = sectionsOf(kind).map((d) => d.id);
    sections.sort((x, y) => order.indexOf(x.section) - order.indexOf(y.section));
    return {
      system,
      key,
      code,
      source,
      kind,
      ...(a.title ? { title: a.title } : {}),
      author: a.author,
      date: a.date,
      review: a.review,
      sections,
    };
  });
  return { articles, notLoaded };
}

/** `articles import <file>`: all articles of the file or none (one transaction). */
export function importArticleFile(store: Store, target: ArticleStore, file: string): ArticleImportSummary {
  if (!existsSync(file)) throw new MedCodesError('file_not_found', `no file ${file}`);
  const { articles, notLoaded } = resolveArticles(store, parseArticles(readFileSync(file, 'utf8'), file), file);
  target.db.transaction(() => {
    for (const a of articles) target.put(a);
  })();
  return { file, articles: articles.length, sections: articles.reduce((n, a) => n + a.sections.length, 0), notLoaded };
}
