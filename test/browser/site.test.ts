import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { chromiumPath } from './chromium.js';

/**
 * The site as a person uses it, in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; .ci/run installs it). The server is the real app on a loopback port over the test
 * database. Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
 */

const ARTIFACTS = join(process.cwd(), 'test-artifacts');

const executablePath = chromiumPath();

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

describe.skipIf(!executablePath)('the website in a browser', () => {
  let store: Store;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    store = new Store(inject('dbPath'));
    const app = createApp({ store: () => store });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    // bypassCSP lets the test inject axe-core; the site itself runs under its real policy.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
  });

  /** axe-core's verdict on the page: no serious or critical violations of WCAG 2.1 A/AA. */
  async function expectAccessible(page: Page) {
    await page.addScriptTag({ path: axeSource });
    const violations = await page.evaluate(async () => {
      const r = await (
        window as unknown as {
          axe: {
            run(
              ctx: unknown,
              o: unknown,
            ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
          };
        }
      ).axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
      }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);
  }

  it('types "heart attack", sees I21 codes appear, and opens one with the keyboard', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(base + '/');
    await expect(page.title()).resolves.toBe('Search all medical codes | MedCodes');
    const box = page.getByRole('combobox', { name: 'Search codes' });
    await expect(box.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await box.pressSequentially('heart attack', { delay: 20 });
    const options = page.getByRole('option');
    await options.first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('#suggestions .code')].some((e) => e.textContent!.startsWith('I21')));
    const codes = await page.locator('#suggestions .code').allTextContents();
    expect(codes.slice(0, 5).some((c) => c.startsWith('I21'))).toBe(true);
    // Billable codes are marked as such.
    await expect(page.locator('#suggestions li', { hasText: 'I21.4' }).locator('.bill').textContent()).resolves.toBe('billable');
    // Why it matched: "heart attack" is not in the title of I21 codes.
    await expect(page.locator('#suggestions .why').first().textContent()).resolves.toMatch(/matched/);
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'home-suggestions.png') });

    // Keyboard: down to the first I21 code, Enter opens it.
    const firstI21 = codes.findIndex((c) => c.startsWith('I21'));
    for (let i = 0; i <= firstI21; i++) await box.press('ArrowDown');
    const active = await box.getAttribute('aria-activedescendant');
    expect(active).toBe(`suggestion-${firstI21}`);
    await Promise.all([page.waitForURL(/\/codes\/icd10cm\/I21/), box.press('Enter')]);
    const h1 = await page.locator('h1').textContent();
    expect(h1).toMatch(/^I21/);
    // Coding notes are on I21 codes (the category's Excludes2 and "Use additional code" notes).
    await expect(page.locator('main').textContent()).resolves.toMatch(/Excludes2|Use additional code/);
    // The explanation sections come first, each with where it comes from, then Similar codes.
    const headings = await page.locator('main h2').allTextContents();
    expect(headings[0]).toBe('Summary');
    expect(headings.at(-1)).toBe('Similar codes');
    expect(headings.indexOf('Similar codes')).toBeGreaterThan(0);
    await expect(page.locator('.provenance').first().textContent()).resolves.toMatch(/official/i);
    // Follow a similar code: its page opens, and it names why it is similar.
    const similar = page.locator('ul.similar li').first();
    await expect(similar.locator('.muted').textContent()).resolves.toMatch(/\w/);
    const target = (await similar.locator('a').getAttribute('href'))!;
    await Promise.all([page.waitForURL(base + target), similar.locator('a').click()]);
    await expect(page.locator('h1').textContent()).resolves.toContain(decodeURIComponent(target.split('/').pop()!));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a newer keystroke supersedes the request in flight: the list shows the last query only', async () => {
    const page = await context.newPage();
    await page.goto(base + '/');
    const box = page.getByRole('combobox', { name: 'Search codes' });
    await box.pressSequentially('E11', { delay: 0 });
    await box.fill('');
    await box.pressSequentially('walker', { delay: 0 });
    await page.waitForFunction(() => document.querySelector('#suggestion-all')?.textContent?.includes('“walker”'));
    const codes = await page.locator('#suggestions .code').allTextContents();
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.some((c) => c.startsWith('E11'))).toBe(false);
    expect(codes.some((c) => /^[EK]\d{4}$/.test(c))).toBe(true); // HCPCS walkers (E0130...)
    // Escape closes the list; the code-set filter narrows it.
    await box.press('Escape');
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    await page.getByRole('checkbox', { name: 'ICD-10-CM' }).check();
    await page.waitForFunction(() => {
      const codes = [...document.querySelectorAll('#suggestions .code')].map((e) => e.textContent!);
      return codes.length > 0 && codes.every((c) => /^[A-Z]\d\d/.test(c) && !/^[EK]\d{4}$/.test(c));
    });
    await page.close();
  });

  it('the home page, a code page, a PCS page and a HCPCS page pass axe-core', async () => {
    const page = await context.newPage();
    for (const path of [
      '/',
      '/search?q=diabetes',
      '/codes/icd10cm/I21.4',
      '/codes/icd10cm/E11.9',
      '/codes/icd10cm/S72.001A',
      '/codes/icd10pcs/0DTJ4ZZ',
      '/codes/hcpcs/E0143',
      '/codes/hcpcs/J1100',
      '/codes/hcpcs/E0130',
      '/codes/icd10cm',
      '/codes/icd10pcs/tables/0DT',
      '/nowhere',
      '/codes',
      '/api',
    ]) {
      await page.goto(base + path);
      await expectAccessible(page);
    }
    await page.close();
  });

  it('checks a PCS page and a HCPCS page', async () => {
    const page = await context.newPage();
    await page.goto(base + '/codes/icd10pcs/0DTJ4ZZ');
    await expect(page.locator('h1').textContent()).resolves.toContain('0DTJ4ZZ');
    // The seven characters with their axis titles.
    await expect(page.locator('main').textContent()).resolves.toMatch(/Percutaneous Endoscopic/);
    await page.screenshot({ path: join(ARTIFACTS, 'code-page-pcs.png'), fullPage: true });
    await page.goto(base + '/codes/hcpcs/E0143');
    await expect(page.locator('h1').textContent()).resolves.toContain('E0143');
    await expect(page.getByRole('heading', { name: 'HCPCS record' }).count()).resolves.toBe(1);
    await page.close();
  });

  it('works without JavaScript: the form submits to the server-rendered results page', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await noJs.newPage();
    await page.goto(base + '/');
    await page.getByRole('searchbox', { name: 'Search codes' }).fill('heart attack');
    await Promise.all([page.waitForURL(/\/search\?q=heart\+attack/), page.getByRole('button', { name: 'Search' }).click()]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Results for “heart attack”');
    const codes = await page.locator('ol.results .code').allTextContents();
    expect(codes.slice(0, 10).some((c) => c.startsWith('I21'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'results-page.png'), fullPage: false });
    // Filter by code set and page on, still without JavaScript.
    await page.getByRole('checkbox', { name: 'HCPCS' }).check();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/system=hcpcs/);
    await page.goto(base + '/search?q=fracture');
    await Promise.all([page.waitForURL(/page=2/), page.getByRole('link', { name: 'Next' }).first().click()]);
    await expect(page.locator('ol.results').getAttribute('start')).resolves.toBe('26');
    await noJs.close();
  });

  it('fits a phone-sized screen and has a print style', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    for (const path of ['/', '/codes/icd10cm/I21.4', '/codes/icd10pcs/0DTJ4ZZ', '/codes/hcpcs/E0143', '/search?q=heart+attack']) {
      await page.goto(base + path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
    }
    await page.goto(base + '/codes/icd10cm/I21.4');
    await page.screenshot({ path: join(ARTIFACTS, 'code-page-phone.png'), fullPage: false });
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('form.search').first().isVisible()).resolves.toBe(false);
    await phone.close();
  });

  it('a code page as a person sees it', async () => {
    const page = await context.newPage();
    await page.goto(base + '/codes/icd10cm/I21.4');
    await page.screenshot({ path: join(ARTIFACTS, 'code-page.png'), fullPage: true });
    await page.goto(base + '/');
    await page.screenshot({ path: join(ARTIFACTS, 'home.png') });
    await page.close();
  });
});
