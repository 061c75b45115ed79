import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runImport } from '../src/importers/run.js';
import { silentProgress } from '../src/importers/types.js';

/**
 * Builds one database from the bundled official files for the end-to-end tests (API, CLI, pages),
 * exactly as `npm start` does on first start, and removes it afterwards.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'medcodes-test-'));
  const db = join(dir, 'medcodes.db');
  const started = Date.now();
  const summaries = await runImport({ db, progress: silentProgress });
  project.provide('dbPath', db);
  project.provide('importSummaries', JSON.stringify(summaries));
  console.log(`test database built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    dbPath: string;
    importSummaries: string;
  }
}
