import { html, raw } from 'hono/html';
import { assetHref } from './assets.js';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { SystemId } from '../model.js';
import { SYSTEMS } from '../systems.js';

/**
 * The frame every page shares: document head, header, search form, footer, and the small helpers the
 * page modules build on. Everything interpolated goes through hono/html's `html` tag, which escapes
 * it.
 */
export type H = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What a page says about itself in its head: description for search engines, canonical path. */
export interface PageMeta {
  description?: string;
  /**
   * Path of the page's one canonical URL (e.g. `/codes/icd10cm/E11.9`): absolute under
   * MEDCODES_PUBLIC_URL when it is set, else left relative (RFC 6596 allows it), never built from the
   * request's Host, which any client can write.
   */
  canonical?: string;
  /** Pages that should not be indexed (search results, errors). */
  noindex?: boolean;
  /** Structured data for the head (schema.org JSON-LD), e.g. a code page's MedicalCode. */
  jsonLd?: Record<string, unknown>;
}

/**
 * A JSON-LD data block. Browsers never run a script element whose type is not JavaScript (HTML,
 * "data block"), so the Content-Security-Policy's script-src does not apply. Inside it only "</"
 * could end the element early: every "<" is written as \u003c, which JSON reads back unchanged.
 */
export function jsonLdScript(data: Record<string, unknown>): H {
  return html`<script type="application/ld+json">${raw(JSON.stringify(data).replace(/</g, '\\u003c'))}</script>`;
}

/** A canonical path made absolute under the configured public URL (config.ts publicUrl), when there is one. */
function canonicalUrl(path: string): string {
  const base = process.env.MEDCODES_PUBLIC_URL?.trim().replace(/\/+$/, '');
  return base && /^https?:\/\/[^\s"<>]+$/.test(base) ? base + path : path;
}

/**
 * The document frame. Style and script are files under /assets (assets.ts), never inline, so that the
 * Content-Security-Policy can forbid inline code.
 */
export function layout(title: string, body: H, meta: PageMeta | string = {}): H {
  const m: PageMeta = typeof meta === 'string' ? { description: meta } : meta;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} | MedCodes</title><meta name="description" content="${m.description ?? 'Search all medical codes: ICD-10-CM, ICD-10-PCS, HCPCS and more, from the official release files.'}">
${m.canonical ? html`<link rel="canonical" href="${canonicalUrl(m.canonical)}">` : ''}${m.noindex ? html`<meta name="robots" content="noindex">` : ''}${m.jsonLd ? jsonLdScript(m.jsonLd) : ''}
<link rel="icon" href="${assetHref('favicon.svg')}" type="image/svg+xml"><link rel="stylesheet" href="${assetHref('site.css')}">
<script src="${assetHref('site.js')}" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a><header><a href="/" class="brand"><strong>MedCodes</strong></a> <span class="muted">Search all medical codes</span></header>
<main id="main">${body}</main><footer class="muted"><p>Codes and their official text come from each code set's own release, named on its pages with its publisher's terms. Not medical advice. <a href="/codes">Code sets</a> · <a href="/api">API</a></p></footer></body></html>`;
}

export interface SearchFormOptions {
  q?: string;
  /** Code sets offered as filters (checkboxes named `system`); none: no filter row. */
  systems?: { id: SystemId; label: string }[];
  /** The systems checked. */
  selected?: SystemId[];
  /** Autofocus the box (home page only: elsewhere it would steal focus from the content). */
  autofocus?: boolean;
}

/**
 * The search form. Without JavaScript it submits to /search; with site.js it also shows results as
 * you type in the listbox below it (the form's `data-live`). The labels of the code sets travel in
 * `data-labels` so that the script shows the same badges as the server.
 */
export function searchForm(opts: SearchFormOptions | string = {}): H {
  const o: SearchFormOptions = typeof opts === 'string' ? { q: opts } : opts;
  const labels = JSON.stringify(Object.fromEntries(Object.values(SYSTEMS).map((s) => [s.id, s.label])));
  const selected = new Set(o.selected ?? []);
  return html`<form class="search" action="/search" method="get" role="search" data-live data-labels="${labels}">
<label for="q" class="vh">Search codes</label>
<div class="combo"><div class="box"><input id="q" name="q" type="search" value="${o.q ?? ''}" placeholder="Words or a code: heart attack, E11.9, 0DTJ4ZZ" autocomplete="off" spellcheck="false"${o.autofocus ? html` autofocus` : ''}>
<button type="submit">Search</button></div>
<ul id="suggestions" class="suggestions" role="listbox" aria-label="Suggestions" hidden></ul></div>
<p class="vh" role="status" aria-live="polite" data-live-status></p>
${o.systems?.length ? html`<fieldset class="systems"><legend>Code sets</legend>${o.systems.map((s) => html`<label><input type="checkbox" name="system" value="${s.id}"${selected.has(s.id) ? html` checked` : ''}> ${s.label}</label>`)}</fieldset>` : ''}
</form>`;
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
