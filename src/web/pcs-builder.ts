import { html } from 'hono/html';
import { loadTable } from '../api/pcs-routes.js';
import type { Store } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { buildPcsCode, type PcsBuildState, type PcsTableStructure } from '../importers/icd10pcs/builder.js';
import { builderHref, codeHref, layout, searchForm, type H } from './layout.js';
import { charactersTable, tableHeaderRows } from './code-page.js';

/**
 * The ICD-10-PCS code builder as a page: `/codes/icd10pcs/tables/{table}?chars=J4`. It answers from
 * the same stored table and the same `buildPcsCode` as the API (`GET /api/v1/icd10pcs/tables/{table}
 * ?chars=`, src/api/pcs-routes.ts), and works without JavaScript: every choice is a link that adds one
 * character to `chars`, and only the values some row of the table still allows are offered, so every
 * path ends on a code the table allows.
 */

/**
 * The builder state for `chars`. Characters no row allows give the state of the longest valid prefix
 * (the position the builder names in its error) with the error's message, so the page can go on.
 */
function stateFor(table: PcsTableStructure, chars: string): { state: PcsBuildState; error?: string } {
  try {
    return { state: buildPcsCode(table, chars) };
  } catch (e) {
    if (!(e instanceof MedCodesError) || e.code !== 'invalid_parameter') throw e;
    const pos = typeof e.details?.pos === 'number' ? e.details.pos : 4;
    const prefix = chars
      .trim()
      .toUpperCase()
      .slice(0, Math.max(0, Math.min(4, pos - 4)));
    try {
      return { state: buildPcsCode(table, prefix), error: e.message };
    } catch {
      return { state: buildPcsCode(table, ''), error: e.message };
    }
  }
}

function chosenSection(tableCode: string, state: PcsBuildState): H {
  if (!state.chosen.length) return html``;
  const undo = state.chars.slice(0, -1);
  return html`<h2>Chosen so far: <span class="code">${state.prefix}</span></h2>
<table><caption class="vh">Characters chosen after the table</caption><thead><tr><th scope="col">Position</th><th scope="col">Axis</th><th scope="col">Character</th><th scope="col">Value</th><th scope="col">Change</th></tr></thead>
<tbody>${state.chosen.map(
    (c, i) =>
      html`<tr><td>${c.pos}</td><td>${c.axis}</td><td class="code">${c.char}</td><td>${c.label}${c.otherLabels?.length ? html` <span class="muted">(or ${c.otherLabels.join('; ')}, by row)</span>` : ''}</td><td><a href="${builderHref(tableCode, state.chars.slice(0, i))}">Change<span class="vh"> character ${c.pos}</span></a></td></tr>`,
  )}</tbody></table>
<p><a href="${builderHref(tableCode, undo)}">Undo the last choice</a> · <a href="${builderHref(tableCode)}">Start over</a></p>`;
}

function nextSection(tableCode: string, state: PcsBuildState): H {
  const next = state.next;
  if (!next) return html``;
  return html`<h2>Character ${next.pos}: ${next.axis}</h2>
<p class="muted">${next.choices.length === 1 ? 'One value is allowed here.' : `Choose one of the ${next.choices.length} values the table allows here.`}</p>
<ul class="choices">${next.choices.map(
    (c) =>
      html`<li><a href="${builderHref(tableCode, state.chars + c.char)}"><span class="code">${c.char}</span> ${c.label}</a>${c.otherLabels?.length ? html` <span class="muted">(in other rows: ${c.otherLabels.join('; ')})</span>` : ''}${c.definition ? html`<br><span class="muted">${c.definition}</span>` : ''}${c.includes?.length ? html`<br><span class="muted">Includes: ${c.includes.join('; ')}</span>` : ''}</li>`,
  )}</ul>`;
}

/** The complete code, linked to its page, and whether the loaded release has it as a valid code. */
function completeSection(store: Store, state: PcsBuildState): H {
  if (!state.complete || !state.code) return html``;
  const code = store.get('icd10pcs', state.code);
  const valid = !!code && code.status === 'active' && code.billable;
  return html`<h2>Your code</h2>
<p><a class="code" href="${codeHref('icd10pcs', code?.code ?? state.code)}">${code?.code ?? state.code}</a> ${code?.display ?? ''}</p>
<p>${valid ? html`Valid code in ${code!.version}.` : html`<span class="deleted">Not a valid code in the loaded release.</span>`}</p>`;
}

/** The page and its HTTP status: 400 when `chars` holds a character the table does not allow there. */
export function builderPage(store: Store, tableText: string, charsText: string | undefined): { status: 200 | 400; page: H } {
  const { row, table } = loadTable(store, tableText);
  const { state, error } = stateFor(table, charsText ?? '');
  const crumbs = [...store.ancestors(row), row];
  const page = layout(
    `Build a code in ICD-10-PCS table ${row.code}`,
    html`${searchForm()}
<nav class="crumbs" aria-label="Breadcrumb"><a href="/codes/icd10pcs">ICD-10-PCS</a>${crumbs.map((p) => html` › <a href="${codeHref('icd10pcs', p.code)}">${p.code}</a>`)} › Code builder</nav>
<h1>Build an ICD-10-PCS code in table <span class="code">${row.code}</span></h1>
<p><a class="code" href="${codeHref('icd10pcs', row.code)}">${row.code}</a> ${row.display} <span class="muted">· ${table.validCodes.toLocaleString('en-US')} valid codes · ${row.version}</span></p>
<p class="muted">Characters 1-3 name the table. Choose characters 4 to 7 one at a time: only the values that a row of the table allows after your earlier choices are offered.</p>
${error ? html`<p class="alert" role="alert">${error}</p>` : ''}
<h2>Characters 1-3: table ${row.code}</h2>
${charactersTable(`Characters 1-3 of table ${row.code}`, tableHeaderRows(table))}
${chosenSection(row.code, state)}
${nextSection(row.code, state)}
${completeSection(store, state)}`,
    {
      description: `ICD-10-PCS code builder for table ${row.code}: ${row.display}`,
      canonical: builderHref(row.code, state.chars),
      ...(error ? { noindex: true } : {}),
    },
  );
  return { status: error ? 400 : 200, page };
}
