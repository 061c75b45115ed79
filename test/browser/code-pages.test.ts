import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { chromiumPath } from './chromium.js';

/**
 * Code pages as a coder and a patient see them (issue 15), in real headless Chromium under the site's
 * real Content-Security-Policy: a diagnosis, an injury with a 7th character, a PCS procedure, a HCPCS
 * drug and a HCPCS supply, at desktop and phone width. Screenshots go to test-artifacts/ (git-ignored)
 * for a person to look at.
 */

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const executablePath = chromiumPath();

interface Case {
  path: string;
  name: string;
  /** The page's h2 headings in order (what a reader meets first, then further down). */
  headings: string[];
  /** Text the "What this code means" section must hold. */
  meaning: RegExp[];
  /** Links the page must have (note, crosswalk or history references). */
  links?: string[];
}

const CASES: Case[] = [
  {
    path: '/codes/icd10cm/E11.9',
    name: 'diagnosis-E11.9',
    headings: ['Summary', 'What this code means', 'Coding notes', 'Index terms', 'Crosswalks', 'History', 'Similar codes'],
    meaning: [/Official title\s*Type 2 diabetes mellitus without complications/, /In plain words\s*Type 2 diabetes without complications/],
    links: ['/codes/icd10cm/Z79.4', '/codes/icd10cm/E08', '/codes/icd10cm/P70-P74', '/codes/icd9cm/250.00'],
  },
  {
    path: '/codes/icd10cm/S72.001A',
    name: 'injury-S72.001A',
    headings: ['Summary', 'What this code means', 'Coding notes', '7th characters', 'Crosswalks', 'History', 'Similar codes'],
    meaning: [/thighbone/, /7th character A\s*“initial encounter for closed fracture”\s*The first stage of care/, /Side\s*“right”/],
    links: ['/codes/icd10cm/S78'],
  },
  {
    path: '/codes/icd10pcs/0DTJ4ZZ',
    name: 'procedure-0DTJ4ZZ',
    headings: ['Summary', 'What this code means', 'Characters', 'Crosswalks', 'History', 'Similar codes'],
    meaning: [
      /Root operation\s*“Resection”\s*Cutting out or off, without replacement, all of a body part/,
      /Approach\s*“Percutaneous Endoscopic”/,
    ],
  },
  {
    path: '/codes/hcpcs/J1100',
    name: 'drug-J1100',
    headings: ['Summary', 'What this code means', 'HCPCS record', 'History', 'Similar codes'],
    meaning: [/Drug\s*Dexamethasone sodium phosphate/, /Billing unit\s*“1 mg”\s*One unit of this code stands for 1 milligram/],
  },
  {
    path: '/codes/hcpcs/E0130',
    name: 'supply-E0130',
    headings: ['Summary', 'What this code means', 'HCPCS record', 'History', 'Similar codes'],
    meaning: [/Item or service\s*Walker/, /Category\s*Other DME \(BETOS category\)/],
  },
];

describe.skipIf(!executablePath)('code pages in a browser: coders first, then everyone', () => {
  let store: Store;
  let server: ServerType;
  let base: string;
  let browser: Browser;

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
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
  });

  async function check(page: Page, c: Case, errors: string[]) {
    await page.goto(base + c.path);
    const headings = (await page.locator('main h2').allTextContents()).map((h) => h.trim());
    expect(headings, c.path).toEqual(c.headings);
    const meaning = ((await page.locator('section.meaning').textContent()) ?? '').replace(/\s+/g, ' ');
    for (const re of c.meaning) expect(meaning, c.path).toMatch(re);
    // The official title and its provenance beside the plain words.
    expect(meaning).toMatch(/Derived from the official text of .* not reviewed by a clinician/);
    const hrefs = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const l of c.links ?? []) expect(hrefs, `${c.path} links ${l}`).toContain(l);
    // JSON-LD parses and names the code.
    const ld = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent())!);
    expect(ld).toMatchObject({ '@type': 'MedicalCode', codeValue: decodeURIComponent(c.path.split('/').pop()!) });
    expect(errors, `${c.path}: console errors (a CSP violation would show here)`).toEqual([]);
  }

  it('desktop: sections in order, the explanation, links, JSON-LD, under the real CSP', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    for (const c of CASES) {
      await check(page, c, errors);
      await page.screenshot({ path: join(ARTIFACTS, `code-${c.name}-desktop.png`), fullPage: true });
    }
    // The range in a note opens the search of that range.
    await page.goto(`${base}/codes/icd10cm/E11.9`);
    await Promise.all([page.waitForURL(/\/search\?q=E16-E31/), page.locator('a', { hasText: 'E16-E31' }).first().click()]);
    expect(await page.locator('ol.results .code').first().textContent()).toMatch(/^E16/);
    await ctx.close();
  });

  it('phone: no sideways scroll, PCS characters without blank gaps', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    for (const c of CASES) {
      await check(page, c, errors);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${c.path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(ARTIFACTS, `code-${c.name}-phone.png`), fullPage: true });
    }
    // Each character of the PCS table is one block, with no visible cell that is empty and no row
    // wider than the screen.
    await page.goto(`${base}/codes/icd10pcs/0DTJ4ZZ`);
    const rows = await page.locator('table.chars tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        width: tr.getBoundingClientRect().width,
        emptyVisible: [...tr.querySelectorAll('td')].filter((td) => !td.textContent!.trim() && td.getBoundingClientRect().height > 0)
          .length,
      })),
    );
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      expect(r.emptyVisible).toBe(0);
      expect(r.width).toBeLessThanOrEqual(375);
    }
    await ctx.close();
  });
});
