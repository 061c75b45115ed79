import { Hono } from 'hono';
import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { AppDeps } from '../api/app.js';
import { lookup } from '../lookup.js';
import { search, MAX_OFFSET, type SearchHit } from '../search/search.js';
import { stats } from '../stats.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS, resolveSystem } from '../systems.js';
import type { SystemId } from '../model.js';
import { codeHref, layout, searchForm, type H } from './layout.js';
import { codePage } from './code-page.js';
import { builderPage } from './pcs-builder.js';
import { browsePage } from './browse.js';
import { assetRoutes } from './assets.js';
import { sitemapRoutes } from './sitemap.js';
import type { Store } from '../store/store.js';

/**
 * Server-rendered pages, usable without JavaScript (site.js only adds results as you type):
 *   /                                  "Search all medical codes": search box, code-set filters, loaded sets
 *   /search?q=&system=&page=           search results, shareable, paged
 *   /codes                             the loaded code sets
 *   /codes/{system}?page=              the top level of a code set (browse.ts)
 *   /codes/{system}/{code}             one code (code-page.ts); other spellings redirect to the canonical one
 *   /codes/icd10pcs/tables/{table}?chars=   the ICD-10-PCS code builder (pcs-builder.ts)
 *   /sitemap.xml, /robots.txt          for search engines (sitemap.ts)
 * Catalog errors (src/errors.ts) become a page with the error's HTTP status and message and a search
 * box; anything else goes to the app's error handler.
 */

export const RESULTS_PER_PAGE = 25;

function errorPage(c: Context, e: unknown, q = ''): Response | Promise<Response> {
  if (!(e instanceof MedCodesError) || e.httpStatus >= 500) throw e;
  c.status(e.httpStatus as 400 | 404);
  const title = e.httpStatus === 404 ? 'Not found' : 'Bad request';
  return c.html(layout(title, html`<h1>${title}</h1><p>${e.message}</p>${searchForm({ q })}`, { noindex: true }));
}

/** The code sets in the database, for filters: loaded ones only, in registry order. */
function loadedSystems(store: Store): { id: SystemId; label: string }[] {
  const loaded = new Set(store.releases().map((r) => r.system));
  return Object.values(SYSTEMS)
    .filter((s) => loaded.has(s.id))
    .map((s) => ({ id: s.id, label: s.label }));
}

/** Why a result matched, when not by its code or title (the same words as site.js). */
export function matchedNote(hit: SearchHit): string {
  const m = hit.matched;
  if (m.field === 'title' || m.field === 'code') return '';
  const label = { synonym: 'matched index term', rewrite: 'matched', fuzzy: 'similar spelling' }[m.field];
  return `${label}: ${m.term}`;
}

/**
 * Claim code sets (ICD-10-CM/PCS, HCPCS, CPT, CDT) say whether a code may be reported: "billable", or
 * "header" for a category that needs more characters. Terminologies (LOINC, SNOMED CT, RxNorm, NDC,
 * NUCC) and retired sets have no such notion, so their results carry neither mark.
 */
export const CLAIM_SETS: ReadonlySet<SystemId> = new Set(['icd10cm', 'icd10pcs', 'hcpcs', 'cpt', 'cdt']);

function billMark(h: SearchHit): H {
  if (!CLAIM_SETS.has(h.system) || h.status === 'deleted') return html``;
  return h.billable ? html` <span class="bill">billable</span>` : html` <span class="muted">(header)</span>`;
}

export function hitList(hits: SearchHit[], start = 1): H {
  return html`<ol class="results" start="${start}">${hits.map(
    (h) =>
      html`<li><a href="${codeHref(h.system, h.code)}"><span class="code">${h.code}</span> <span class="badge">${SYSTEMS[h.system].label}</span> ${raw(h.highlight)}</a>${billMark(h)}${h.status === 'deleted' ? html` <span class="deleted">deleted</span>` : ''}${SYSTEMS[h.system].retired ? html` <span class="retired">retired</span>` : ''}${matchedNote(h) ? html`<br><span class="why muted">${matchedNote(h)}</span>` : ''}${h.partial?.length ? html` <span class="partial muted">(partial match: no “${h.partial.join(' ')}”)</span>` : ''}</li>`,
  )}</ol>`;
}

function systemsFromQuery(c: Context): SystemId[] {
  const out: SystemId[] = [];
  for (const v of c.req.queries('system') ?? []) {
    for (const s of v.split(',')) {
      if (!s.trim()) continue;
      const id = resolveSystem(s);
      if (!id) throw new MedCodesError('unknown_system', `unknown code system "${s.slice(0, 40)}"`);
      if (!out.includes(id)) out.push(id);
    }
  }
  return out;
}

function pageParam(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new MedCodesError('invalid_parameter', `page must be a whole number from 1; got "${text.slice(0, 20)}"`);
  return Number(text);
}

/** Code sets in the order of the registry (current sets first, retired ones after), not alphabetically. */
function inRegistryOrder<T extends { system: SystemId }>(rows: T[]): T[] {
  const order = Object.keys(SYSTEMS);
  return [...rows].sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system));
}

function homePage(store: Store): H {
  const s = stats(store);
  return layout(
    'Search all medical codes',
    html`<h1>Search all medical codes</h1>
${searchForm({ systems: loadedSystems(store), autofocus: true })}
<p class="muted">Type words, lay terms or a code in any shape: <a href="/search?q=heart+attack">heart attack</a>, <a href="/search?q=E119">E119</a>, <a href="/search?q=0dtj4zz">0dtj4zz</a>, <a href="/search?q=walker">walker</a>.</p>
<h2>Code sets loaded</h2>
<ul class="systems-list">${inRegistryOrder(s.systems).map((r) => html`<li><a href="/codes/${r.system}">${SYSTEMS[r.system]?.name ?? r.system}</a> ${r.version} <span class="muted">(${(r.concepts?.active ?? 0).toLocaleString('en-US')} codes${SYSTEMS[r.system]?.retired ? ', retired' : ''})</span>${r.newer ? html` <span class="muted">· newer release ${r.newer.label} (effective ${r.newer.effective}) published: <code>medcodes update</code></span>` : ''}</li>`)}</ul>`,
    {
      description:
        'Search all medical codes — ICD-10-CM, ICD-10-PCS, HCPCS Level II, ICD-9-CM and more — by words, lay terms or code, from the official release files.',
      canonical: '/',
    },
  );
}

function searchPage(c: Context, store: Store): { status: 200 | 400; page: H } {
  const q = c.req.query('q') ?? '';
  const filters = loadedSystems(store);
  let systems: SystemId[] = [];
  let body: H;
  let status: 200 | 400 = 200;
  try {
    systems = systemsFromQuery(c);
    const page = pageParam(c.req.query('page'));
    const offset = (page - 1) * RESULTS_PER_PAGE;
    if (offset > MAX_OFFSET) throw new MedCodesError('invalid_parameter', `page ${page} is past the last page that can be shown`);
    if (!q.trim()) {
      body = html`<h1>Search</h1>${searchForm({ systems: filters })}`;
    } else {
      const r = search(store, { q, limit: RESULTS_PER_PAGE, offset, ...(systems.length ? { systems } : {}) });
      const pages = Math.max(1, Math.ceil(r.total / RESULTS_PER_PAGE));
      const href = (n: number) => {
        const p = new URLSearchParams({ q });
        for (const s of systems) p.append('system', s);
        if (n > 1) p.set('page', String(n));
        return `/search?${p.toString()}`;
      };
      const pager =
        pages > 1
          ? html`<nav class="pager" aria-label="Result pages">${page > 1 ? html`<a rel="prev" href="${href(page - 1)}">Previous</a>` : ''}<span>Page ${page} of ${pages.toLocaleString('en-US')}</span>${page < pages && page * RESULTS_PER_PAGE <= MAX_OFFSET ? html`<a rel="next" href="${href(page + 1)}">Next</a>` : ''}</nav>`
          : '';
      const facets = Object.entries(r.facets.systems) as [SystemId, number][];
      body = html`<h1>Results for “${r.query}”</h1>
${searchForm({ q, systems: filters, selected: systems })}
${r.didYouMean ? html`<p>Did you mean <a href="/search?q=${encodeURIComponent(r.didYouMean)}">${r.didYouMean}</a>?</p>` : ''}
${(r.hints ?? []).map((h) => html`<p class="alert" role="note">${h.message}</p>`)}
<p class="muted" role="status">${r.total.toLocaleString('en-US')} result${r.total === 1 ? '' : 's'}${r.matchedAll !== undefined ? `, ${r.matchedAll.toLocaleString('en-US')} matching every word` : ''}${systems.length ? ` in ${systems.map((s) => SYSTEMS[s].label).join(', ')}` : ''}${facets.length > 1 || (systems.length && facets.length) ? html`. By code set: ${facets.map(([s, n], i) => html`${i ? ', ' : ''}<a href="${`/search?${new URLSearchParams({ q, system: s })}`}">${SYSTEMS[s].label} ${n.toLocaleString('en-US')}</a>`)}` : ''}</p>
${r.results.length ? hitList(r.results, offset + 1) : html`<p>No codes match all of these words.</p>`}
${pager}
${r.closest?.length ? html`<h2>Closest codes</h2>${hitList(r.closest)}` : ''}`;
    }
  } catch (e) {
    if (!(e instanceof MedCodesError)) throw e;
    status = 400;
    body = html`<h1>Search</h1>${searchForm({ systems: filters })}<p class="alert" role="alert">${e.message}</p>`;
  }
  return { status, page: layout(q ? `Search: ${q}` : 'Search', body, { noindex: true, description: `Medical codes matching “${q}”` }) };
}

function codesIndexPage(store: Store): H {
  const s = stats(store);
  const loaded = new Set(s.systems.map((r) => r.system));
  const missing = Object.values(SYSTEMS).filter((i) => !loaded.has(i.id));
  return layout(
    'Code sets',
    html`${searchForm()}<h1>Code sets</h1>
<table><caption class="vh">Loaded code sets</caption><thead><tr><th scope="col">Code set</th><th scope="col">Release</th><th scope="col">Codes</th><th scope="col">Publisher</th></tr></thead>
<tbody>${inRegistryOrder(s.systems).map((r) => html`<tr><td><a href="/codes/${r.system}">${SYSTEMS[r.system]?.name ?? r.system}</a>${SYSTEMS[r.system]?.retired ? html` <span class="retired">retired</span>` : ''}</td><td>${r.version}</td><td>${(r.concepts?.active ?? 0).toLocaleString('en-US')}</td><td>${SYSTEMS[r.system]?.publisher ?? ''}</td></tr>`)}</tbody></table>
${missing.length ? html`<h2>Not loaded</h2><p>These code sets are licensed by their publishers and not bundled; import them from your own licensed release files with <code>npx medcodes import</code>:</p><ul>${missing.map((i) => html`<li>${i.name} <span class="muted">(${i.publisher})</span></li>`)}</ul>` : ''}`,
    { canonical: '/codes', description: 'The medical code sets loaded in this MedCodes server, with their releases.' },
  );
}

function notFoundPage(c: Context): Response | Promise<Response> {
  // Guess what was wanted from the last part of the path ("/I21.4", "/codes/foo/E11") and offer it.
  const last = decodeURIComponent(new URL(c.req.url).pathname.split('/').filter(Boolean).pop() ?? '').slice(0, 60);
  return c.html(
    layout(
      'Page not found',
      html`<h1>Page not found</h1><p>There is no page at this address. Search for a code or a word instead:</p>${searchForm({ q: last.replace(/[-_+]/g, ' ') })}
<p><a href="/">Home</a> · <a href="/codes">Browse the code sets</a></p>`,
      { noindex: true },
    ),
    404,
  );
}

export function pages(deps: AppDeps): Hono {
  const app = new Hono();
  app.route('/', assetRoutes());
  app.route('/', sitemapRoutes(deps));

  app.get('/', (c) => c.html(homePage(deps.store())));

  app.get('/search', (c) => {
    const { status, page } = searchPage(c, deps.store());
    c.status(status);
    return c.html(page);
  });

  app.get('/codes', (c) => c.html(codesIndexPage(deps.store())));

  app.get('/codes/icd10pcs/tables/:table', (c) => {
    try {
      const { status, page } = builderPage(deps.store(), c.req.param('table'), c.req.query('chars'));
      c.status(status);
      return c.html(page);
    } catch (e) {
      return errorPage(c, e, c.req.param('table'));
    }
  });

  app.get('/codes/:system', (c) => {
    try {
      return c.html(browsePage(deps.store(), c.req.param('system'), c.req.query('page')));
    } catch (e) {
      return errorPage(c, e);
    }
  });

  app.get('/codes/:system/:code', (c) => {
    try {
      const store = deps.store();
      const doc = lookup(store, c.req.param('system'), c.req.param('code'));
      // One URL per code: /codes/ICD-10-CM/e119 and /codes/icd10cm/E119 redirect to /codes/icd10cm/E11.9.
      const canonical = codeHref(doc.system, doc.code);
      if (new URL(c.req.url).pathname !== canonical) return c.redirect(canonical, 301);
      return c.html(codePage(doc, store));
    } catch (e) {
      return errorPage(c, e, c.req.param('code'));
    }
  });

  // Mounted last in createApp, so this catches every page address nothing else answered (a sub-app's
  // notFound handler is not consulted once mounted).
  app.get('*', notFoundPage);
  return app;
}
