import { serve as honoServe } from '@hono/node-server';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createApp } from './api/app.js';
import { Store } from './store/store.js';
import type { Server } from 'node:http';
import { defaultDbPath, defaultPort, limitsFromEnv } from './config.js';
import { runImport, summaryLine } from './importers/run.js';
import { terminalProgress } from './progress.js';
import { MedCodesError } from './errors.js';
import { engineFor } from './search/search.js';
import { importBundledArticlesOnStart } from './articles/bundled.js';

/**
 * The one place that opens a port. On first start (no database, or one of an older schema) it builds
 * the database from the bundled official files, then serves; later starts reuse the database.
 */
export async function serve(opts: { db: string; port: number }): Promise<void> {
  let store: Store;
  try {
    store = new Store(opts.db);
  } catch (e) {
    if (!(e instanceof MedCodesError) || e.code !== 'no_database') throw e;
    const progress = terminalProgress();
    progress.log(
      existsSync(opts.db) ? `Rebuilding ${opts.db} (${e.message})` : `First start: building ${opts.db} from the bundled official files`,
    );
    const started = Date.now();
    for (const s of await runImport({ db: opts.db, progress })) progress.log(summaryLine(s));
    progress.log(`Imported in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    store = new Store(opts.db);
    // The shipped articles, like the bundled official files (never over a curated or reviewed one).
    progress.log(importBundledArticlesOnStart(store, store.articlesPath));
  }
  // Load the search index before the first request, not during it.
  engineFor(store);
  // Pick up a database that `medcodes import` swapped in while we run (and load its index at once).
  const timer = setInterval(() => {
    if (store.reopenIfReplaced()) engineFor(store);
  }, 2000);
  timer.unref();
  const limits = limitsFromEnv();
  const app = createApp({ store: () => store, limits });
  await new Promise<void>((resolve) => {
    const server = honoServe({ fetch: app.fetch, port: opts.port, hostname: process.env.HOST || '0.0.0.0' }, (info) => {
      console.log(`MedCodes serving on http://localhost:${info.port}`);
      resolve();
    }) as Server;
    // Against slow and idle connections (slowloris): the headers, and the whole request, must
    // arrive in time; idle keep-alive sockets are closed. Node requires headersTimeout <= requestTimeout.
    server.requestTimeout = limits.serverRequestTimeoutMs;
    server.headersTimeout =
      limits.serverRequestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.serverRequestTimeoutMs) : limits.headersTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  serve({ db: defaultDbPath(), port: defaultPort() }).catch((e) => {
    console.error(e instanceof MedCodesError ? `error [${e.code}]: ${e.message}` : e);
    process.exit(1);
  });
}
