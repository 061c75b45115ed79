import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppDeps } from '../api/app.js';
import { lookup, type CodeDocument } from '../lookup.js';
import { search } from '../search/search.js';
import { stats } from '../stats.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS } from '../systems.js';

/**
 * Server-rendered pages. Everything interpolated goes through hono/html's `html` tag, which escapes it;
 * `raw` is used only for markup this module builds itself.
 */
type H = HtmlEscapedString | Promise<HtmlEscapedString>;

const CSS = `
:root{--fg:#1a1a1a;--muted:#555;--accent:#0b5cad;--bg:#fff;--line:#ddd}
*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header,main,footer{max-width:960px;margin:0 auto;padding:0 1rem}header{padding-top:1rem}
a{color:var(--accent)}h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin-top:1.5rem;border-bottom:1px solid var(--line)}
form.search{display:flex;gap:.5rem;margin:1rem 0}form.search input{flex:1;font-size:1.1rem;padding:.5rem}
form.search button{font-size:1rem;padding:.5rem 1rem}ol.results{list-style:none;padding:0}ol.results li{padding:.4rem 0;border-bottom:1px solid var(--line)}
.code{font-family:ui-monospace,monospace;font-weight:600}.badge{font-size:.75rem;border:1px solid var(--muted);border-radius:3px;padding:0 .3rem;color:var(--muted)}
.muted{color:var(--muted)}nav.crumbs{font-size:.9rem}.deleted{color:#a00;font-weight:600}
@media print{form.search,footer{display:none}}
`;

function layout(title: string, body: H, description = 'Search all medical codes'): H {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} | MedCodes</title><meta name="description" content="${description}"><style>${raw(CSS)}</style></head>
<body><header><a href="/"><strong>MedCodes</strong></a> <span class="muted">Search all medical codes</span></header>
<main>${body}</main><footer class="muted"><p>Data: official releases of CMS, CDC-NCHS and NUCC. Not medical advice.</p></footer></body></html>`;
}

function searchForm(q = ''): H {
  return html`<form class="search" action="/search" method="get" role="search">
<label for="q" class="muted" style="position:absolute;left:-9999px">Search codes</label>
<input id="q" name="q" value="${q}" placeholder="Words or a code: heart attack, E11.9, 0DTJ4ZZ" autocomplete="off">
<button type="submit">Search</button></form>`;
}

const NOTE_LABELS: Record<string, string> = {
  inclusionTerm: 'Inclusion terms',
  includes: 'Includes',
  excludes1: 'Excludes1',
  excludes2: 'Excludes2',
  codeFirst: 'Code first',
  useAdditionalCode: 'Use additional code',
  codeAlso: 'Code also',
  notes: 'Notes',
  sevenChrNote: 'Seventh character',
  sevenChrDef: 'Seventh character values',
};

function notesSection(doc: CodeDocument): H {
  if (!doc.notes.length && !doc.inheritedNotes.length) return html``;
  const groups = new Map<string, typeof doc.notes>();
  for (const n of [...doc.notes, ...doc.inheritedNotes]) {
    const k = n.kind;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(n);
  }
  return html`<h2>Coding notes</h2>${[...groups].map(
    ([kind, ns]) => html`<h3>${NOTE_LABELS[kind] ?? kind}</h3><ul>${ns.map(
      (n) => html`<li>${n.char ? html`<span class="code">${n.char}</span> ` : ''}${n.text} <span class="muted">(${n.from ? `from ${n.from}, ` : ''}${n.version})</span></li>`,
    )}</ul>`,
  )}`;
}

function codePage(doc: CodeDocument): H {
  const link = (c: { system: string; code: string }) => `/codes/${c.system}/${encodeURIComponent(c.code)}`;
  return layout(
    `${doc.code} ${doc.display}`,
    html`${searchForm()}
<nav class="crumbs" aria-label="Breadcrumb"><a href="/codes/${doc.system}">${doc.systemName}</a>${doc.parents.map((p) => html` › <a href="${link(p)}">${p.code}</a>`)}</nav>
<h1><span class="code">${doc.code}</span> ${doc.display}</h1>
<p><span class="badge">${doc.systemName}</span> ${doc.status === 'deleted' ? html`<span class="deleted">Deleted code</span>` : doc.billable ? 'Billable' : 'Header: not valid for billing; use a more specific code'} <span class="muted">· ${doc.version}</span></p>
${doc.shortDisplay ? html`<p class="muted">Short title: ${doc.shortDisplay}</p>` : ''}
${Array.isArray(doc.properties?.axes) ? html`<h2>Characters</h2><table>${(doc.properties!.axes as any[]).map((a) => html`<tr><td>${a.pos}</td><td>${a.axis}</td><td class="code">${a.char}</td><td>${a.label}${a.definition ? html`<br><span class="muted">${a.definition}</span>` : ''}</td></tr>`)}</table>` : ''}
${doc.children.length ? html`<h2>Codes under ${doc.code}</h2><ul>${doc.children.map((c) => html`<li><a class="code" href="${link(c)}">${c.code}</a> ${c.display}</li>`)}</ul>` : ''}
${notesSection(doc)}
${doc.indexTerms.length ? html`<h2>Index terms</h2><ul>${doc.indexTerms.map((t) => html`<li>${t.path} <span class="muted">(${t.source} ${t.version})</span></li>`)}</ul>` : ''}
${doc.history.length ? html`<h2>History</h2><ul>${doc.history.map((h) => html`<li>${h.version}: ${h.action}${h.previousDisplay ? html` (was “${h.previousDisplay}”)` : ''}${h.replacedBy?.length ? html`; replaced by ${h.replacedBy.map((r, i) => html`${i ? ', ' : ''}<a class="code" href="${link({ system: doc.system, code: r.code })}">${r.code}</a>`)}` : ''}</li>`)}</ul>` : ''}
${doc.notice ? html`<p class="muted">${doc.notice}</p>` : ''}`,
    `${doc.code}: ${doc.display} (${doc.systemName})`,
  );
}

export function pages(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    const s = stats(deps.store());
    return c.html(
      layout(
        'Search all medical codes',
        html`<h1>Search all medical codes</h1>${searchForm()}
<h2>Code sets loaded</h2><ul>${s.systems.map((r) => html`<li><a href="/codes/${r.system}">${r.name}</a> ${r.version} <span class="muted">(${r.concepts?.active ?? 0} codes)</span></li>`)}</ul>`,
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
            html`<li><a class="code" href="/codes/${h.system}/${encodeURIComponent(h.code)}">${h.code}</a> <span class="badge">${SYSTEMS[h.system].label}</span> ${raw(h.highlight)}${h.billable ? '' : html` <span class="muted">(header)</span>`}${h.status === 'deleted' ? html` <span class="deleted">deleted</span>` : ''}${h.matched.field !== 'title' && h.matched.field !== 'code' ? html`<br><span class="muted">matched ${h.matched.field}: ${h.matched.term}</span>` : ''}</li>`,
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

  app.get('/codes/:system/:code', (c) => {
    try {
      return c.html(codePage(lookup(deps.store(), c.req.param('system'), c.req.param('code'))));
    } catch (e) {
      if (!(e instanceof MedCodesError) || e.httpStatus !== 404) throw e;
      c.status(404);
      return c.html(layout('Not found', html`<h1>Not found</h1><p>${e.message}</p>${searchForm(c.req.param('code'))}`));
    }
  });

  app.notFound((c) => c.html(layout('Not found', html`<h1>Page not found</h1>${searchForm()}`), 404));
  return app;
}
