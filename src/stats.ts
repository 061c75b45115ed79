import type { Store } from './store/store.js';
import { newerKnown, readUpdateStatus } from './update/status.js';

/**
 * What is loaded: releases with their versions and concept counts (CLI `stats`, `GET /api/v1/systems`),
 * and the newest release a `medcodes update --check` found after each one (`newer`, when known).
 */
export function stats(store: Store) {
  const counts = store.counts();
  const status = readUpdateStatus(store.path);
  return {
    systems: store.releases().map((r) => {
      const newer = newerKnown(status, r.system, r);
      return { ...r, concepts: counts[r.system] ?? null, ...(newer ? { newer: { ...newer, checkedAt: status!.checkedAt } } : {}) };
    }),
  };
}
