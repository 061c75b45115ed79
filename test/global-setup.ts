import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  // A developer iterating on one test file may point MEDCODES_TEST_DB at a database built earlier
  // (`npm run medcodes -- --db FILE import`) to skip the 30 s build; CI always builds afresh.
  const reuse = process.env.MEDCODES_TEST_DB;
  if (reuse && !process.env.CI && existsSync(reuse)) {
    project.provide('dbPath', reuse);
    return () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'medcodes-test-'));
  const db = join(dir, 'medcodes.db');
  const started = Date.now();
  await runImport({ db, progress: silentProgress });
  project.provide('dbPath', db);
  console.log(`test database built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    dbPath: string;
  }
}
