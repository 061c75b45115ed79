import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { build } from 'esbuild';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { chromiumPath } from './chromium.js';

/**
 * NLM's own autocompleter widget (autocomplete-lhc, the npm package NLM publishes, bundled here with
 * esbuild from its sources) on a page of another origin, pointed at a MedCodes server instead of
 * clinicaltables.nlm.nih.gov: the Clinical Tables–compatible search and the FHIR ValueSet $expand it
 * speaks in its `fhir` mode must answer exactly what the widget expects, across origins (CORS).
 */
const executablePath = chromiumPath();

describe.skipIf(!executablePath)("NLM's autocompleter against a MedCodes server", () => {
  let store: Store;
  let medcodes: ServerType;
  let site: Server;
  let base: string;
  let siteUrl: string;
  let browser: Browser;
  const requests: string[] = [];

  beforeAll(async () => {
    store = new Store(inject('dbPath'));
    const app = createApp({ store: () => store });
    medcodes = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(medcodes.address() as AddressInfo).port}`;

    const pkg = dirname(createRequire(import.meta.url).resolve('autocomplete-lhc/package.json'));
    const bundle = await build({
      entryPoints: [join(pkg, 'source', 'index.js')],
      bundle: true,
      format: 'iife',
      globalName: 'Def',
      write: false,
      logLevel: 'silent',
      platform: 'browser',
    });
    const js = bundle.outputFiles[0].text;
    const css = readFileSync(join(pkg, 'source', 'auto_completion.css'));
    const vs = encodeURIComponent('http://hl7.org/fhir/sid/icd-10-cm?fhir_vs');
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another site</title><link rel="stylesheet" href="/ac.css"></head><body>
<label for="icd">Diagnosis</label> <input id="icd" type="text">
<label for="hcpcs">Supply</label> <input id="hcpcs" type="text">
<label for="fhir">Diagnosis (FHIR)</label> <input id="fhir" type="text">
<script src="/ac.js"></script>
<script>
new Def.Autocompleter.Search('icd', '${base}/api/icd10cm/v3/search?sf=code,name&df=code,name', { tableFormat: true, valueCols: [0], colHeaders: ['Code', 'Name'] });
new Def.Autocompleter.Search('hcpcs', '${base}/api/hcpcs/v3/search?df=code,display', { tableFormat: true, valueCols: [0] });
new Def.Autocompleter.Search('fhir', '${base}/fhir/ValueSet/$expand?url=${vs}', { fhir: true });
</script></body></html>`;
    site = createServer((req, res) => {
      if (req.url === '/ac.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (req.url === '/ac.css') res.writeHead(200, { 'content-type': 'text/css' }).end(css);
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (medcodes ? medcodes.close(() => resolve()) : resolve()));
    store?.close();
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => r.url().startsWith(base) && requests.push(r.url()));
    // The widget aborts the request of a superseded keystroke (net::ERR_ABORTED): that is its design, not a failure.
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`${r.url()}: ${r.failure()?.errorText}`);
    });
    await page.goto(siteUrl);
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }

  /** The rows the widget shows in its list (#lhc-tools-searchResults), as text. */
  const shown = (page: Page) => page.locator('#lhc-tools-searchResults tr, #lhc-tools-searchResults li').allTextContents();

  it('lists ICD-10-CM codes from the Clinical Tables–compatible search as the user types, and fills the field with the chosen code', async () => {
    const page = await open();
    await page.locator('#icd').pressSequentially('tuberc', { delay: 40 });
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#lhc-tools-searchResults tr')].some((r) => r.textContent!.includes('A15.0')),
    );
    const rows = await shown(page);
    expect(rows.some((r) => r.includes('A15.0') && r.includes('Tuberculosis of lung'))).toBe(true);
    // The widget sent its own request shape (terms on the URL it was given) and read the total.
    const sent = new URL(requests.find((u) => u.includes('/api/icd10cm/v3/search') && u.includes('terms=tuberc'))!);
    expect(sent.searchParams.get('sf')).toBe('code,name');
    await expect(page.locator('#lhc-tools-searchCount').textContent()).resolves.toMatch(/^7 of \d+ total/);
    // "See more items" (Ctrl+Enter) asks again with maxList and shows the longer list.
    await page.locator('#icd').press('Control+Enter');
    await page.waitForFunction(() => document.querySelectorAll('#lhc-tools-searchResults tr').length > 7);
    expect(requests.some((u) => u.includes('terms=tuberc') && /maxList=\d+/.test(u))).toBe(true);
    // Choose A15.0: the field gets the code (valueCols [0]).
    await page.locator('#lhc-tools-searchResults tr', { hasText: 'A15.0' }).first().click();
    await expect(page.locator('#icd').inputValue()).resolves.toBe('A15.0');
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('lists HCPCS codes for a lay word', async () => {
    const page = await open();
    await page.locator('#hcpcs').pressSequentially('walker', { delay: 40 });
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#lhc-tools-searchResults tr')].some((r) => /E01\d\d/.test(r.textContent!)),
    );
    expect((await shown(page)).some((r) => /walker/i.test(r))).toBe(true);
    await page.close();
  });

  it('in its FHIR mode, lists codes from ValueSet/$expand with filter and count', async () => {
    const page = await open();
    await page.locator('#fhir').pressSequentially('nstemi', { delay: 40 });
    await page.waitForFunction(() => document.querySelector('#lhc-tools-searchResults')?.textContent?.includes('myocardial infarction'));
    expect((await shown(page)).some((r) => /Non-ST elevation \(NSTEMI\) myocardial infarction/.test(r))).toBe(true);
    const sent = new URL(requests.find((u) => u.includes('/fhir/ValueSet/$expand') && u.includes('filter=nstemi'))!);
    expect(sent.searchParams.get('_format')).toBe('application/json');
    expect(sent.searchParams.get('count')).toMatch(/^\d+$/);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });
});
