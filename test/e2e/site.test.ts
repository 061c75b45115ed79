import { describe, it, expect } from 'vitest';
import { useTestApp } from '../helpers.js';
import { URLS_PER_SITEMAP } from '../../src/web/sitemap.js';
import { RESULTS_PER_PAGE } from '../../src/web/pages.js';

/** The site's frame as served: search, sitemaps, assets, canonical URLs, 404 (the browser tests drive the same in Chromium). */
// Absolute URLs come from a configured host only (issue 13); the requests below use this one.
process.env.MEDCODES_ALLOWED_HOSTS = 'codes.example';
const testApp = useTestApp();
const get = (path: string, init?: RequestInit) => testApp.app().request(path, init);

describe('search page', () => {
  it('renders results on the server with the code-set filters, facets and a shareable URL', async () => {
    const res = await get('/search?q=walker');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<meta name="robots" content="noindex">');
    expect(html).toMatch(/<input type="checkbox" name="system" value="hcpcs">/);
    expect(html).toContain('href="/codes/hcpcs/E0130"');
    // The facet links narrow to one code set.
    expect(html).toMatch(/By code set: .*href="\/search\?q=walker&amp;system=hcpcs">HCPCS \d+<\/a>/);
  });

  it('filters by code set, repeated or comma-separated, and checks the boxes it used', async () => {
    for (const qs of ['system=icd10cm&system=icd9cm', 'system=icd10cm,icd9cm']) {
      const html = await (await get(`/search?q=diabetes&${qs}`)).text();
      const systems = [...html.matchAll(/href="\/codes\/([a-z0-9]+)\/[^"]+"><span class="code">/g)].map((m) => m[1]);
      expect(systems.length).toBe(RESULTS_PER_PAGE);
      expect(systems.every((s) => s === 'icd10cm' || s === 'icd9cm')).toBe(true);
      // Both sets matched; the facets count every set, to switch to another.
      expect(html).toMatch(/\d+ results in ICD-10-CM, ICD-9-CM\. By code set: <a [^>]+>ICD-10-CM \d+<\/a>, <a [^>]+>ICD-9-CM \d+<\/a>/);
      expect(html).toContain('value="icd10cm" checked');
      expect(html).toContain('value="icd9cm" checked');
      expect(html).not.toContain('value="hcpcs" checked');
    }
    const bad = await get('/search?q=diabetes&system=nosuch');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('unknown code system');
  });

  it('pages through results', async () => {
    const one = await (await get('/search?q=fracture')).text();
    const two = await (await get('/search?q=fracture&page=2')).text();
    expect(one).toContain('<ol class="results" start="1">');
    expect(two).toContain(`<ol class="results" start="${RESULTS_PER_PAGE + 1}">`);
    expect(one).toContain('href="/search?q=fracture&amp;page=2"');
    expect(two).toContain('rel="prev" href="/search?q=fracture"');
    const codes = (h: string) => [...h.matchAll(/<span class="code">([^<]+)<\/span> <span class="badge">/g)].map((m) => m[1]);
    expect(codes(one)).toHaveLength(RESULTS_PER_PAGE);
    expect(codes(two).filter((c) => codes(one).includes(c))).toEqual([]);
    expect((await get('/search?q=fracture&page=0')).status).toBe(400);
    expect((await get('/search?q=fracture&page=abc')).status).toBe(400);
  });

  it('marks billable codes and headers of claim code sets, and neither on other sets', async () => {
    const html = await (await get('/search?q=E11')).text();
    expect(html).toMatch(/<span class="code">E11\.9<\/span>.*?<\/a> <span class="bill">billable<\/span>/);
    expect(html).toMatch(/<span class="code">E11<\/span>.*?<\/a> <span class="muted">\(header\)<\/span>/);
    const nucc = await (await get('/search?q=family+medicine&system=nucc')).text();
    expect(nucc).toContain('<span class="badge">NUCC</span>');
    expect(nucc).not.toContain('class="bill"');
  });

  it('an empty query shows the form, not an error', async () => {
    const res = await get('/search?q=');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<h1>Search</h1>');
  });
});

describe('pages for search engines', () => {
  it('sitemap.xml is an index of per-code-set files within the protocol limit, with absolute URLs', async () => {
    const res = await get('http://codes.example/sitemap.xml');
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    const xml = await res.text();
    expect(xml).toContain('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">');
    const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    // ICD-10-CM has 98,186 concepts: two files.
    expect(locs).toContain('http://codes.example/sitemaps/icd10cm-1.xml');
    expect(locs).toContain('http://codes.example/sitemaps/icd10cm-2.xml');
    expect(locs).not.toContain('http://codes.example/sitemaps/icd10cm-3.xml');
    const part = await (await get('http://codes.example/sitemaps/icd10cm-1.xml')).text();
    const urls = [...part.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(urls.length).toBeLessThanOrEqual(50_000);
    expect(urls.length).toBe(URLS_PER_SITEMAP + 1);
    expect(urls[0]).toBe('http://codes.example/codes/icd10cm');
    expect(urls).toContain('http://codes.example/codes/icd10cm/A00.0');
    const all = [
      ...urls,
      ...[...(await (await get('http://codes.example/sitemaps/icd10cm-2.xml')).text()).matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]),
    ];
    expect(all).toContain('http://codes.example/codes/icd10cm/E11.9');
    // Deleted codes keep their page.
    expect(all).toContain('http://codes.example/codes/icd10cm/A92.3');
    expect((await get('/sitemaps/icd10cm-3.xml')).status).toBe(404);
    expect((await get('/sitemaps/cpt-1.xml')).status).toBe(404);
    expect((await get('/sitemaps/..%2Fetc-1.xml')).status).toBe(404);
  });

  it('robots.txt points at the sitemap and keeps crawlers off search and the API', async () => {
    const txt = await (await get('http://codes.example/robots.txt')).text();
    expect(txt).toContain('Sitemap: http://codes.example/sitemap.xml');
    expect(txt).toContain('Disallow: /search');
  });

  it('a code page has one canonical URL; other spellings redirect to it', async () => {
    const html = await (await get('/codes/icd10cm/E11.9')).text();
    expect(html).toContain('<link rel="canonical" href="/codes/icd10cm/E11.9">');
    expect(html).toMatch(/<meta name="description" content="E11\.9[^"]+">/);
    for (const path of ['/codes/icd10cm/e119', '/codes/ICD-10-CM/E119', '/codes/icd10cm/E11.9%20']) {
      const res = await get(path);
      expect(res.status, path).toBe(301);
      expect(res.headers.get('location'), path).toBe('/codes/icd10cm/E11.9');
    }
  });
});

describe('assets and errors', () => {
  it('serves the style sheet, script and icon with their content hash, cached for a year', async () => {
    const html = await (await get('/')).text();
    const hrefs = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    expect(hrefs.map((h) => h.split('?')[0]).sort()).toEqual(['/assets/favicon.svg', '/assets/site.css', '/assets/site.js']);
    for (const h of hrefs) {
      const res = await get(h);
      expect(res.status, h).toBe(200);
      expect(res.headers.get('cache-control'), h).toContain('immutable');
      expect((await res.arrayBuffer()).byteLength, h).toBeGreaterThan(100);
    }
    expect((await get('/assets/site.css?v=old')).headers.get('cache-control')).toBe('public, max-age=300');
    expect((await get('/assets/nothing.js')).status).toBe(404);
    const ico = await get('/favicon.ico');
    expect(ico.status).toBe(301);
    expect(ico.headers.get('location')).toMatch(/^\/assets\/favicon\.svg\?v=/);
  });

  it('an unknown address is a 404 page that offers a search for what was asked', async () => {
    const res = await get('/I21.4');
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<h1>Page not found</h1>');
    expect(html).toContain('name="q" type="search" value="I21.4"');
    expect(html).toContain('<meta name="robots" content="noindex">');
  });

  it('the code sets page lists what is loaded and what can be imported', async () => {
    const html = await (await get('/codes')).text();
    expect(html).toMatch(/<a href="\/codes\/icd10cm">ICD-10-CM<\/a><\/td><td>FY2026<\/td><td>\d{2},\d{3}<\/td>/);
    expect(html).toContain('<h2>Not loaded</h2>');
  });

  it('pages are small: the code page weighs little and renders quickly', async () => {
    const res = await get('/codes/icd10cm/E11.9');
    const bytes = (await res.arrayBuffer()).byteLength;
    expect(bytes).toBeLessThan(100_000);
  });
});
