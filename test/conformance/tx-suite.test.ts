import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { TxRunner, tally, type TestResult } from './runner.js';

/**
 * HL7's terminology ecosystem suite (modes general + snomed) and MedCodes' own suite in the same
 * format, run in process. The pass count of each suite may not fall below its floor
 * (test/conformance/floors.json); raise the floors as the engine passes more.
 */

const floors: Record<string, number> = JSON.parse(readFileSync('test/conformance/floors.json', 'utf8'));

describe('terminology conformance suites', () => {
  let results: TestResult[] = [];
  it('runs every selected test', async () => {
    // Its own app without the rate limit: the suite sends some 750 requests.
    const store = new Store(inject('dbPath'));
    const a = createApp({ store: () => store, limits: { rateLimit: 0 } });
    results = [
      ...(await new TxRunner(a, new Set(['general', 'snomed'])).run({ dir: 'test/fixtures/hl7-tx-ecosystem/tests' })),
      ...(await new TxRunner(a, new Set(['medcodes'])).run({ dir: 'test/conformance/medcodes' })),
    ];
    store.close();
    expect(results.length).toBeGreaterThan(700);
  }, 300_000);

  it('keeps each suite at or above its floor', () => {
    const rows = tally(results);
    for (const [suite, floor] of Object.entries(floors)) {
      const row = rows.find((r) => r.suite === suite);
      const failures = results
        .filter((r) => r.suite === suite && !r.pass)
        .slice(0, 5)
        .map((r) => `${r.test}: ${r.reason}`);
      expect(row?.pass ?? 0, `${suite} passes ${row?.pass}/${row?.total}; floor ${floor}\n${failures.join('\n')}`).toBeGreaterThanOrEqual(
        floor,
      );
    }
  });
});
