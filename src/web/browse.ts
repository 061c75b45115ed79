import { html } from 'hono/html';
import type { Store } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS, resolveSystem } from '../systems.js';
import { RETIRED_NOTE, codeHref, layout, noticeSection, searchForm, type H } from './layout.js';

/**
 * `/codes/{system}`: the top level of a code set (chapters, sections, groups, or the codes themselves
 * in a flat code set such as ICD-9-CM, whose 14,567 diagnoses are all top-level), in classification
 * order, `PAGE_SIZE` to a page.
 */
export const PAGE_SIZE = 200;

const KIND_LABEL: Record<string, string> = {
  chapter: 'Chapters',
  block: 'Blocks',
  group: 'Groups',
  table: 'Tables',
  category: 'Categories',
  code: 'Codes',
  modifier: 'Modifiers',
};

/** `?page=`: a whole number from 1; anything else is a 400, past the last page a 404. */
function pageNumber(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new MedCodesError('invalid_parameter', `page must be a whole number from 1; got "${text.slice(0, 20)}"`);
  return Number(text);
}

export function browsePage(store: Store, systemText: string, pageText: string | undefined): H {
  const system = resolveSystem(systemText);
  if (!system)
    throw new MedCodesError(
      'unknown_system',
      `unknown code system "${systemText.slice(0, 40)}"; known: ${Object.keys(SYSTEMS).join(', ')}`,
    );
  const info = SYSTEMS[system];
  const page = pageNumber(pageText);
  const release = store.releases().find((r) => r.system === system);
  const roots = store.roots(system);
  if (!release && !roots.length) {
    throw new MedCodesError(
      'not_found',
      `${info.name} is not loaded${info.bundled ? '' : ` (licensed by ${info.publisher}, not bundled)`}`,
    );
  }
  const pages = Math.max(1, Math.ceil(roots.length / PAGE_SIZE));
  if (page > pages)
    throw new MedCodesError(
      'not_found',
      `${info.name} has ${pages} page${pages === 1 ? '' : 's'} of top-level codes; there is no page ${page}`,
    );
  const from = (page - 1) * PAGE_SIZE;
  const shown = roots.slice(from, from + PAGE_SIZE);
  const kinds = [...new Set(roots.map((r) => r.kind))];
  const heading = kinds.length === 1 ? (KIND_LABEL[kinds[0]] ?? 'Top level') : 'Top level';
  const href = (n: number) => `/codes/${system}${n > 1 ? `?page=${n}` : ''}`;
  const pager =
    pages > 1
      ? html`<nav class="pager" aria-label="Pages">${page > 1 ? html`<a rel="prev" href="${href(page - 1)}">Previous page</a>` : ''}<span>Page ${page} of ${pages} (${(from + 1).toLocaleString('en-US')}-${(from + shown.length).toLocaleString('en-US')} of ${roots.length.toLocaleString('en-US')})</span>${page < pages ? html`<a rel="next" href="${href(page + 1)}">Next page</a>` : ''}</nav>`
      : '';
  return layout(
    pages > 1 ? `${info.name}, page ${page}` : info.name,
    html`${searchForm()}
<nav class="crumbs" aria-label="Breadcrumb"><a href="/">All code sets</a> › ${info.name}</nav>
<h1>${info.name}</h1>
<p><span class="badge">${info.label}</span> ${info.retired ? html`<span class="retired">${RETIRED_NOTE}</span> ` : ''}<span class="muted">${info.publisher}${release ? html` · release ${release.version}${release.effective ? `, effective ${release.effective}` : ''}` : ''}</span></p>
<h2>${heading}</h2>
${pager}
<ul>${shown.map((r) => html`<li><a class="code" href="${codeHref(system, r.code)}">${r.code}</a> ${r.display}</li>`)}</ul>
${pager}
${noticeSection(release?.notice)}`,
    { description: `${info.name}: browse the code set by its ${heading.toLowerCase()}`, canonical: href(page) },
  );
}
