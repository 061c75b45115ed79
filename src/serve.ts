import { serve as honoServe } from '@hono/node-server';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createApp } from './api/app.js';
import { databaseError, Store } from './store/store.js';
import type { Server } from 'node:http';
import { defaultDbPath, defaultPort, limitsFromEnv } from './config.js';
import { runImport, summaryLine } from './importers/run.js';
import { terminalProgress } from './progress.js';
import { MedCodesError } from './errors.js';
import { engineFor } from './search/search.js';
import { cleanStaleBuilds } from './store/writer.js';
import { importBundledArticlesOnStart } from './articles/bundled.js';

/** The identity of the file at a path: an import renames a new file over it (new inode). */
function fileId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Open a database and load what its first requests need (search index, counts), with a turn of the
 * event loop between the steps so a running server keeps answering while a new file loads. A
 * damaged file becomes a catalog error naming it (store.ts databaseError), never a raw stack.
 */
async function openWarm(path: string): Promise<Store> {
  const store = new Store(path);
  try {
    await nextTurn();
    engineFor(store);
    await nextTurn();
    store.counts();
    return store;
  } catch (e) {
    store.close();
    const err = databaseError(e, path);
    if (err instanceof MedCodesError) throw err;
    throw new MedCodesError(
      'corrupt_database',
      `${path}: its search index or counts cannot be read (${(e as Error).message.slice(0, 160)}). Run "npx medcodes import" to rebuild it.`,
    );
  }
}

/**
 * The one place that opens a port. On first start (no database, or one of an older schema) it builds
 * the database from the bundled official files, then serves; later starts reuse the database.
 */
export async function serve(opts: { db: string; port: number }): Promise<void> {
  for (const r of cleanStaleBuilds(opts.db))
    console.log(`Removed ${r.file} (${(r.bytes / 1e6).toFixed(1)} MB), left by an import that did not finish`);
  let store: Store;
  try {
    store = await openWarm(opts.db);
  } catch (e) {
    if (!(e instanceof MedCodesError) || e.code !== 'no_database') throw e;
    const progress = terminalProgress();
    progress.log(
      existsSync(opts.db) ? `Rebuilding ${opts.db} (${e.message})` : `First start: building ${opts.db} from the bundled official files`,
    );
    const started = Date.now();
    for (const s of await runImport({ db: opts.db, progress })) progress.log(summaryLine(s));
    progress.log(`Imported in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    store = await openWarm(opts.db);
    // The shipped articles, like the bundled official files (never over a curated or reviewed one).
    progress.log(importBundledArticlesOnStart(store, store.articlesPath));
  }
  let current = fileId(opts.db);
  let swapping = false;
  // An import renames a new database over the path while we serve. The new file is opened beside the
  // one serving and warmed (index, counts) before requests switch to it, so answers never stop and
  // never see a half-loaded index; the old one is closed once requests that took it have finished.
  const timer = setInterval(async () => {
    const id = fileId(opts.db);
    if (swapping || !id || id === current) return;
    swapping = true;
    const started = Date.now();
    try {
      const next = await openWarm(opts.db);
      const old = store;
      store = next;
      current = id;
      setTimeout(() => old.close(), 60_000).unref();
      console.log(`Serving the new database ${opts.db} (loaded beside the old one in ${Date.now() - started} ms)`);
    } catch (e) {
      // Keep serving the old one; try again only when the file changes once more.
      current = id;
      console.error(`Not switching to ${opts.db}: ${e instanceof MedCodesError ? `[${e.code}] ${e.message}` : (e as Error).message}`);
    } finally {
      swapping = false;
    }
  }, 2000);
  timer.unref();
  // Scheduled check for newer releases (MEDCODES_UPDATE_CHECK hours; off by default): src/update/schedule.ts.
  if (process.env.MEDCODES_UPDATE_CHECK) {
    const { scheduleUpdateCheck, updateCheckHours } = await import('./update/schedule.js');
    const hours = updateCheckHours();
    if (hours) scheduleUpdateCheck(opts.db, hours);
  }
  const limits = limitsFromEnv();
  const app = createApp({ store: () => store, limits, ready: () => ({ ready: true, index: 'loaded', swapping }) });
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
    const err = databaseError(e, defaultDbPath());
    console.error(err instanceof MedCodesError ? `error [${err.code}]: ${err.message}` : err);
    process.exit(1);
  });
}
