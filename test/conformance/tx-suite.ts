import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { TxRunner, tally, type TestResult } from './runner.js';

/**
 * `npm run tx-suite [-- --db file] [--modes general,snomed] [--suite name] [--fails] [--json]`:
 * runs HL7's terminology test suite and MedCodes' own (test/conformance/medcodes) in process and
 * prints the pass count per suite, then each failure with its reason.
 */

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const db = opt('db') ?? process.env.MEDCODES_TEST_DB ?? process.env.MEDCODES_DB ?? 'medcodes.db';
const modes = new Set((opt('modes') ?? 'general,snomed').split(','));
const suiteFilter = opt('suite');
const store = new Store(db);
const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
const runner = new TxRunner(app, modes);
const only = suiteFilter ? (s: string) => suiteFilter.split(',').includes(s) : undefined;
const hl7 = await runner.run({ dir: 'test/fixtures/hl7-tx-ecosystem/tests' }, only);
const own = await new TxRunner(app, new Set(['medcodes'])).run({ dir: 'test/conformance/medcodes' }, only);
store.close();

function table(title: string, results: TestResult[]): void {
  const rows = tally(results);
  const pass = rows.reduce((n, r) => n + r.pass, 0);
  const total = rows.reduce((n, r) => n + r.total, 0);
  console.log(`\n${title}: ${pass}/${total} (${total ? ((100 * pass) / total).toFixed(1) : 0}%)`);
  for (const r of rows) console.log(`  ${r.suite.padEnd(28)} ${String(r.pass).padStart(4)} / ${String(r.total).padEnd(4)}`);
}
if (args.includes('--json')) console.log(JSON.stringify({ hl7, own }, null, 1));
else {
  table(`HL7 tx-ecosystem (modes ${[...modes].join('+')})`, hl7);
  table('MedCodes suite', own);
  if (args.includes('--fails'))
    for (const r of [...hl7, ...own].filter((x) => !x.pass))
      console.log(`FAIL ${r.suite}/${r.test}: ${r.reason?.replace(/\s+/g, ' ').slice(0, 400)}`);
}
