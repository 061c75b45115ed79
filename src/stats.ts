import type { Store } from './store/store.js';

/** What is loaded: releases with their versions and concept counts (CLI `stats`, `GET /api/v1/systems`). */
export function stats(store: Store) {
  const counts = store.counts();
  return {
    systems: store.releases().map((r) => ({ ...r, concepts: counts[r.system] ?? null })),
  };
}
