import { Hono } from 'hono';
import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { AppDeps } from '../api/app.js';
import { lookup } from '../lookup.js';
import { search } from '../search/search.js';
import { stats } from '../stats.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS } from '../systems.js';
import { layout, searchForm, type H } from './layout.js';
import { codePage } from './code-page.js';
import { builderPage } from './pcs-builder.js';
import { browsePage } from './browse.js';

/**
 * Server-rendered pages, usable without JavaScript:
 *   /                                  the loaded code sets and a search box
 *   /search?q=                         search results
 *   /codes/{system}?page=              the top level of a code set (browse.ts)
 *   /codes/{system}/{code}             one code (code-page.ts)
 *   /codes/icd10pcs/tables/{table}?chars=   the ICD-10-PCS code builder (pcs-builder.ts)
 * Catalog errors (src/errors.ts) become a page with the error's HTTP status and message and a search
 * box; anything else goes to the app's error handler.
 */

function errorPage(c: Context, e: unknown, q = ''): Response | Promise<Response> {
  if (!(e instanceof MedCodesError) || e.httpStatus >= 500) throw e;
  c.status(e.httpStatus as 400 | 404);
  const title = e.httpStatus === 404 ? 'Not found' : 'Bad request';
  return c.html(layout(title, html`<h1>${title}</h1><p>${e.message}</p>${searchForm(q)}`));
}

export function pages(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const s = stats(deps.store());
    return c.html(
      layout(
        'Search all medical codes',
        html`<h1>Search all medical codes</h1>${searchForm()}
<h2>Code sets loaded</h2><ul>${s.systems.map((r) => html`<li><a href="/codes/${r.system}">${r.name}</a> ${r.version} <span class="muted">(${r.concepts?.active ?? 0} codes${SYSTEMS[r.system]?.retired ? ', retired' : ''})</span></li>`)}</ul>`,
      ),
    );
  });

  app.get('/search', (c) => {
    const q = c.req.query('q') ?? '';
    let body: H;
    try {
      const r = search(deps.store(), { q, limit: 50 });
      const hitList = (hits: typeof r.results) =>
        html`<ol class="results">${hits.map(
          (h) =>
            html`<li><a class="code" href="/codes/${h.system}/${encodeURIComponent(h.code)}">${h.code}</a> <span class="badge">${SYSTEMS[h.system].label}</span> ${raw(h.highlight)}${h.billable ? '' : html` <span class="muted">(header)</span>`}${h.status === 'deleted' ? html` <span class="deleted">deleted</span>` : ''}${SYSTEMS[h.system].retired ? html` <span class="retired">retired</span>` : ''}${h.matched.field !== 'title' && h.matched.field !== 'code' ? html`<br><span class="muted">matched ${h.matched.field}: ${h.matched.term}</span>` : ''}</li>`,
        )}</ol>`;
      body = html`<h1>Results for “${r.query}”</h1>${searchForm(q)}
${r.didYouMean ? html`<p>Did you mean <a href="/search?q=${encodeURIComponent(r.didYouMean)}">${r.didYouMean}</a>?</p>` : ''}
<p class="muted">${r.total} results${Object.keys(r.facets.systems).length > 1 ? html`: ${Object.entries(r.facets.systems).map(([s, n]) => `${SYSTEMS[s as keyof typeof SYSTEMS].label} ${n}`).join(', ')}` : ''}</p>
${hitList(r.results)}${r.closest?.length ? html`<h2>Closest codes</h2>${hitList(r.closest)}` : ''}`;
    } catch (e) {
      if (!(e instanceof MedCodesError)) throw e;
      c.status(400);
      body = html`<h1>Search</h1>${searchForm()}<p>${e.message}</p>`;
    }
    return c.html(layout(`Search: ${q}`, body));
  });

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
      return c.html(codePage(lookup(store, c.req.param('system'), c.req.param('code')), store));
    } catch (e) {
      return errorPage(c, e, c.req.param('code'));
    }
  });

  app.notFound((c) => c.html(layout('Not found', html`<h1>Page not found</h1>${searchForm()}`), 404));
  return app;
}
