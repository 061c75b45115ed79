import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { SystemId } from '../model.js';

/**
 * The frame every page shares: document head, header, search form, footer, and the small helpers the
 * page modules build on. Everything interpolated goes through hono/html's `html` tag, which escapes
 * it; `raw` is used only for the style sheet below, which is this module's own text.
 */
export type H = HtmlEscapedString | Promise<HtmlEscapedString>;

const CSS = `
:root{--fg:#1a1a1a;--muted:#555;--accent:#0b5cad;--bg:#fff;--line:#ddd;--note:#f5f7fa}
*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header,main,footer{max-width:960px;margin:0 auto;padding:0 1rem}header{padding-top:1rem}
a{color:var(--accent)}h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin-top:1.5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin-bottom:.25rem}
form.search{display:flex;gap:.5rem;margin:1rem 0}form.search input{flex:1;font-size:1.1rem;padding:.5rem}
form.search button{font-size:1rem;padding:.5rem 1rem}ol.results{list-style:none;padding:0}ol.results li{padding:.4rem 0;border-bottom:1px solid var(--line)}
.code{font-family:ui-monospace,monospace;font-weight:600}.badge{font-size:.75rem;border:1px solid var(--muted);border-radius:3px;padding:0 .3rem;color:var(--muted)}
.muted{color:var(--muted)}nav.crumbs{font-size:.9rem}.deleted{color:#a00;font-weight:600}.retired{color:#7a4b00;font-weight:600}
.vh{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600}thead th{border-bottom:2px solid var(--line)}td.def,td.def p{font-size:.9rem}
.notice{background:var(--note);border-left:4px solid var(--muted);padding:.25rem 1rem;margin:1.5rem 0}
.notice h2{border:0;margin-top:.5rem}ul.choices{list-style:none;padding:0}ul.choices li{padding:.35rem 0;border-bottom:1px solid var(--line)}
nav.pager{display:flex;gap:1rem;align-items:baseline;margin:1rem 0}.alert{border-left:4px solid #a00;padding:.25rem 1rem}
@media print{form.search,footer,nav.pager{display:none}}
`;

export function layout(title: string, body: H, description = 'Search all medical codes'): H {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} | MedCodes</title><meta name="description" content="${description}"><style>${raw(CSS)}</style></head>
<body><header><a href="/"><strong>MedCodes</strong></a> <span class="muted">Search all medical codes</span></header>
<main>${body}</main><footer class="muted"><p>Data: official releases of CMS, CDC-NCHS and NUCC. Not medical advice.</p></footer></body></html>`;
}

export function searchForm(q = ''): H {
  return html`<form class="search" action="/search" method="get" role="search">
<label for="q" class="vh">Search codes</label>
<input id="q" name="q" value="${q}" placeholder="Words or a code: heart attack, E11.9, 0DTJ4ZZ" autocomplete="off">
<button type="submit">Search</button></form>`;
}

/**
 * How a retired code set is marked. HIPAA (45 CFR 162.1002(c)) replaced ICD-9-CM Volumes 1-2 by
 * ICD-10-CM and Volume 3 by ICD-10-PCS for services on or after October 1, 2015.
 */
export const RETIRED_NOTE = 'Retired code set (replaced by ICD-10-CM/PCS on 2015-10-01)';

/** Path of a code's page. */
export const codeHref = (system: SystemId, code: string) => `/codes/${system}/${encodeURIComponent(code)}`;

/** Path of the ICD-10-PCS code builder for a table, with the characters chosen after the first three. */
export const builderHref = (table: string, chars = '') =>
  `/codes/icd10pcs/tables/${encodeURIComponent(table)}${chars ? `?chars=${encodeURIComponent(chars)}` : ''}`;

/**
 * The notice a release carries (NUCC's copyright and terms, ICD-9-CM's retirement), shown on every
 * page of that code set: NUCC's licence requires the notice with the content.
 */
export function noticeSection(notice: string | undefined): H {
  return notice ? html`<section class="notice" aria-labelledby="notice-h"><h2 id="notice-h">Notice</h2><p>${notice}</p></section>` : html``;
}

/**
 * Text that carries a little markup of its own: the NUCC taxonomy's Definition and Notes columns break
 * lines with `<br/>` and a few Notes hold a `<ul><li>` list. Those tags, and only those, become
 * markup; the text between them is escaped, so anything else (`USP <795> and <797>`) shows as
 * written.
 */
export function textWithBreaks(text: string): H {
  const out: H[] = [];
  let inList = false;
  let inItem = false;
  const closeItem = () => {
    if (inItem) out.push(html`</li>`);
    inItem = false;
  };
  for (const token of text.split(/(<br\s*\/?>|<\/?ul\s*>|<\/?li\s*>)/i)) {
    const tag = token.toLowerCase().replace(/\s+/g, '');
    if (tag === '<br>' || tag === '<br/>') out.push(html`<br>`);
    else if (tag === '<ul>') {
      closeItem();
      if (!inList) out.push(html`<ul>`);
      inList = true;
    } else if (tag === '<li>') {
      closeItem();
      if (!inList) out.push(html`<ul>`);
      inList = true;
      inItem = true;
      out.push(html`<li>`);
    } else if (tag === '</li>') closeItem();
    else if (tag === '</ul>') {
      closeItem();
      if (inList) out.push(html`</ul>`);
      inList = false;
    } else if (token.trim() === '') {
      if (!inList || inItem) out.push(html`${token}`);
    } else if (inList && !inItem) out.push(html`<li>${token.trim()}</li>`);
    else out.push(html`${token}`);
  }
  closeItem();
  if (inList) out.push(html`</ul>`);
  return html`${out}`;
}
