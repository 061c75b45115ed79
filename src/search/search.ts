import type { Store } from '../store/store.js';
import { SearchIndex } from './index.js';
import { SearchEngine, type SearchParams, type SearchResult } from './engine.js';

export { MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH, normalizeQuery, codeToken } from './engine.js';
export type { SearchParams, SearchResult, SearchHit } from './engine.js';

/**
 * One search engine per open store: the index is built on first use and rebuilt when the server
 * reopens a swapped-in database (a new Store object).
 */
const engines = new WeakMap<object, SearchEngine>();

export function engineFor(store: Store): SearchEngine {
  let e = engines.get(store.db);
  if (!e) {
    const cacheSize = process.env.MEDCODES_SEARCH_CACHE !== undefined ? Number(process.env.MEDCODES_SEARCH_CACHE) : undefined;
    e = new SearchEngine(SearchIndex.load(store.db) ?? SearchIndex.build(store.db), { cacheSize });
    engines.set(store.db, e);
  }
  return e;
}

export function search(store: Store, params: SearchParams): SearchResult {
  return engineFor(store).search(params);
}
