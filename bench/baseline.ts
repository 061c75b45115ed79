import MiniSearch from 'minisearch';
import type Database from 'better-sqlite3';

/**
 * The baseline: MiniSearch, a plain in-memory full-text library, over the same records (title, short
 * title, inclusion terms and index terms, and the code), with its prefix and fuzzy options on, as a
 * developer would set it up for autocomplete.
 */
export interface BaselineDoc {
  id: number;
  system: string;
  code: string;
  key: string;
  display: string;
  synonyms: string;
}

export function loadBaselineDocs(db: Database.Database): BaselineDoc[] {
  const syn = new Map<string, string[]>();
  const add = (system: string, key: string, text: string) => {
    const k = `${system}\u0000${key}`;
    const a = syn.get(k);
    if (a) a.push(text);
    else syn.set(k, [text]);
  };
  for (const n of db.prepare("SELECT system, key, text FROM notes WHERE kind = 'inclusionTerm'").iterate() as Iterable<any>)
    add(n.system, n.key, n.text);
  for (const t of db.prepare('SELECT system, key, path FROM index_terms').iterate() as Iterable<any>) add(t.system, t.key, t.path);
  return (db.prepare('SELECT id, system, code, key, display, short_display AS short FROM codes').all() as any[]).map((r) => ({
    id: r.id,
    system: r.system,
    code: r.code,
    key: r.key,
    display: r.display + (r.short ? ` ${r.short}` : ''),
    synonyms: (syn.get(`${r.system}\u0000${r.key}`) ?? []).join(' ; '),
  }));
}

export function buildBaseline(docs: BaselineDoc[]): MiniSearch<BaselineDoc> {
  const ms = new MiniSearch<BaselineDoc>({
    fields: ['key', 'code', 'display', 'synonyms'],
    storeFields: ['system', 'code', 'display'],
    searchOptions: { prefix: true, fuzzy: 0.2, boost: { key: 4, code: 4, display: 2 }, combineWith: 'AND' },
  });
  ms.addAll(docs);
  return ms;
}

export function baselineSearch(
  ms: MiniSearch<BaselineDoc>,
  q: string,
  system?: string,
  limit = 10,
): { system: string; code: string; display: string }[] {
  const filter = system ? (r: any) => r.system === system : undefined;
  return ms.search(q, filter ? { filter } : {}).slice(0, limit) as any;
}
