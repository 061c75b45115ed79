import type { Store, CodeRow } from '../store/store.js';
import type { SystemId } from '../model.js';
import { MedCodesError } from '../errors.js';
import { codeKey } from '../codes.js';
import { lookup } from '../lookup.js';
import { invalid, notFound, validationIssues } from './outcome.js';
import type { OpParams, Coding } from './params.js';
import { conceptCount, parameters, resolveLoaded, type Loaded, type ParamOut, type ParametersResource } from './resources.js';

/**
 * CodeSystem resources and the CodeSystem operations of FHIR R4's terminology module:
 *   $lookup        http://hl7.org/fhir/R4/codesystem-operation-lookup.html
 *   $validate-code http://hl7.org/fhir/R4/codesystem-operation-validate-code.html
 *   $subsumes      http://hl7.org/fhir/R4/codesystem-operation-subsumes.html
 * over the store's concepts. Codes are found in any shape (`E119`, `e11.9`), as everywhere in MedCodes;
 * $validate-code alone insists on the code as the code system writes it, since it checks a Coding.
 */

/** Standard concept properties (http://hl7.org/fhir/R4/codesystem-concept-properties.html). */
const CP = 'http://hl7.org/fhir/concept-properties';

/** Designation uses MedCodes defines (FHIR R4 has no standard codes for these kinds of names). */
export const DESIGNATION_USE = 'urn:medcodes:designation-use';

interface PropertyDef {
  code: string;
  uri?: string;
  description: string;
  type: 'code' | 'Coding' | 'string' | 'integer' | 'boolean' | 'dateTime' | 'decimal';
}

const COMMON_PROPERTIES: PropertyDef[] = [
  {
    code: 'parent',
    uri: `${CP}#parent`,
    type: 'code',
    description: 'The direct parent of the concept in the classification (chapter, block, category, PCS table, HCPCS group).',
  },
  { code: 'child', uri: `${CP}#child`, type: 'code', description: 'A direct child of the concept.' },
  {
    code: 'inactive',
    uri: `${CP}#inactive`,
    type: 'boolean',
    description: 'True when the code was deleted from the code set (kept for history).',
  },
  { code: 'status', uri: `${CP}#status`, type: 'code', description: 'active, or retired for a code deleted from the code set.' },
  {
    code: 'notSelectable',
    uri: `${CP}#notSelectable`,
    type: 'boolean',
    description: 'True for headers (chapters, blocks, categories with subdivisions, tables, groups): not valid on a claim.',
  },
  {
    code: 'billable',
    type: 'boolean',
    description: 'Valid for submission on a claim (ICD-10-CM "billable", ICD-10-PCS "valid"); the inverse of notSelectable.',
  },
  { code: 'kind', type: 'code', description: 'Level in the classification: chapter, block, category, code, table, group or modifier.' },
  { code: 'replacedBy', type: 'code', description: 'For a deleted code: a replacement code from the official conversion table.' },
];

/**
 * ICD-10-CM Tabular List notes, one property per note kind (the Tabular XML element names).
 * Inclusion terms are designations instead: they are other names of the concept.
 */
const ICD10CM_NOTE_PROPERTIES: PropertyDef[] = [
  { code: 'includes', type: 'string', description: 'Tabular "Includes" note.' },
  { code: 'excludes1', type: 'string', description: 'Tabular "Excludes1" note: the conditions are never coded together with this code.' },
  { code: 'excludes2', type: 'string', description: 'Tabular "Excludes2" note: not included here, but may be coded together.' },
  { code: 'codeFirst', type: 'string', description: 'Tabular "Code first" instruction.' },
  { code: 'useAdditionalCode', type: 'string', description: 'Tabular "Use additional code" instruction.' },
  { code: 'codeAlso', type: 'string', description: 'Tabular "Code also" instruction.' },
  { code: 'notes', type: 'string', description: 'Tabular note.' },
  { code: 'sevenChrNote', type: 'string', description: 'Note on the seventh characters that apply.' },
  {
    code: 'sevenChrDef',
    type: 'string',
    description:
      'A seventh-character value that applies, as "A: initial encounter"; on a complete 7-character code only the value it takes.',
  },
];

const NOTE_KINDS = new Set(ICD10CM_NOTE_PROPERTIES.map((p) => p.code));

export function propertyDefs(system: SystemId): PropertyDef[] {
  return system === 'icd10cm' ? [...COMMON_PROPERTIES, ...ICD10CM_NOTE_PROPERTIES] : COMMON_PROPERTIES;
}

/** FHIR `name` must be computer friendly: a letter, then letters, digits and underscores. */
function computableName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(n) ? n : `CS_${n}`;
}

/**
 * The CodeSystem resource of a loaded release. Concepts are not inlined (`content: not-present`;
 * ICD-10-CM alone has ~98,000): they are served by $lookup, $validate-code and ValueSet/$expand.
 */
export function codeSystemResource(store: Store, { info, release }: Loaded): Record<string, unknown> {
  return {
    resourceType: 'CodeSystem',
    id: info.id,
    url: info.uri,
    version: release.version,
    name: computableName(info.name),
    title: info.name,
    status: info.retired ? 'retired' : 'active',
    experimental: false,
    ...(release.effective ? { date: release.effective } : {}),
    publisher: info.publisher,
    description: `${info.name}, release ${release.version}, imported by MedCodes from the official release files.${info.retired ? ' This code set is retired; its codes are kept to read older records.' : ''}`,
    ...(release.notice ? { copyright: release.notice } : {}),
    // ICD and HCPCS codes are written in capitals; MedCodes finds them in any case.
    caseSensitive: false,
    valueSet: `${info.uri}?fhir_vs`,
    hierarchyMeaning: 'is-a',
    compositional: false,
    versionNeeded: false,
    content: 'not-present',
    count: conceptCount(store, info.id),
    property: propertyDefs(info.id).map((p) => ({
      code: p.code,
      ...(p.uri ? { uri: p.uri } : {}),
      description: p.description,
      type: p.type,
    })),
  };
}

// ---- inputs --------------------------------------------------------------------------------------

export interface CodeInput {
  loaded: Loaded;
  code: string;
  display?: string;
  /** Which parameter named the code, for messages. */
  param: string;
}

/**
 * The code to work on, from `code` + `system` (or `url`), or a `coding`; `fixed` is the system of an
 * instance-level call (`CodeSystem/icd10cm/$lookup`). Exactly one form must be given.
 */
export function codeInput(
  store: Store,
  p: OpParams,
  opts: { fixed?: Loaded; systemParams: string[]; codeParam?: string; codingParam?: string },
): CodeInput {
  const codeParam = opts.codeParam ?? 'code';
  const codingParam = opts.codingParam ?? 'coding';
  const code = p.string(codeParam);
  const coding = p.coding(codingParam);
  if (code !== undefined && coding) throw invalid(`give either "${codeParam}" or "${codingParam}", not both`, codeParam);
  let systemUri: string | undefined;
  let version = p.string('version');
  let display = p.string('display');
  let theCode: string | undefined = code;
  let param = codeParam;
  if (coding) {
    systemUri = coding.system;
    version = coding.version ?? version;
    display = coding.display ?? display;
    theCode = coding.code;
    param = codingParam;
    if (!theCode) throw invalid(`"${codingParam}" has no code`, codingParam);
  } else {
    for (const s of opts.systemParams) systemUri ??= p.string(s);
  }
  if (theCode === undefined)
    throw invalid(`a code is required: give "${codeParam}" with "${opts.systemParams[0]}", or "${codingParam}"`, codeParam);
  if (!theCode.trim()) throw invalid(`"${param}" is empty`, param);
  let loaded: Loaded;
  if (opts.fixed) {
    if (systemUri && resolveLoaded(store, systemUri, undefined, param).info.id !== opts.fixed.info.id) {
      throw invalid(`system "${systemUri.slice(0, 120)}" does not match the code system of this request (${opts.fixed.info.uri})`, param);
    }
    loaded = resolveLoaded(store, opts.fixed.info.uri, version);
  } else loaded = resolveLoaded(store, systemUri, version, coding ? `${codingParam}.system` : opts.systemParams[0]);
  return { loaded, code: theCode, ...(display !== undefined ? { display } : {}), param };
}

/** The row for a code, or undefined; codes longer than any real code are refused as invalid input. */
export function findRow(store: Store, system: SystemId, code: string, param = 'code'): CodeRow | undefined {
  const t = code.trim();
  if (t.length > 40) throw invalid(`"${t.slice(0, 40)}…" is longer than any code`, param);
  return store.get(system, codeKey(system, t));
}

function requireRow(store: Store, input: CodeInput): CodeRow {
  const row = findRow(store, input.loaded.info.id, input.code, input.param);
  if (!row) throw notFound(`${input.loaded.info.name} has no code "${input.code.trim().slice(0, 40)}"`, input.param);
  return row;
}

// ---- $lookup -------------------------------------------------------------------------------------

const designationUse = (code: string, display: string) => ({ system: DESIGNATION_USE, code, display });

/**
 * $lookup: name, version, display, designations (short title, ICD-10-CM inclusion terms, Alphabetic
 * Index entries) and properties. `property` parameters choose which properties come back (all when
 * none is given, as the operation allows the server to choose).
 */
export function lookupOperation(store: Store, p: OpParams, fixed?: Loaded): ParametersResource {
  const input = codeInput(store, p, { fixed, systemParams: ['system'] });
  const { info, release } = input.loaded;
  const row = requireRow(store, input);
  let doc;
  try {
    doc = lookup(store, info.id, row.key, { extras: false });
  } catch (e) {
    if (e instanceof MedCodesError && e.code === 'not_found') throw notFound(e.message, input.param);
    throw e;
  }
  const wanted = new Set(p.strings('property'));
  const want = (code: string) => !wanted.size || wanted.has(code) || wanted.has('*');
  const out: ParamOut[] = [
    { name: 'name', valueString: info.name },
    { name: 'version', valueString: release.version },
    { name: 'display', valueString: doc.display },
  ];
  const designation = (use: ReturnType<typeof designationUse>, value: string): ParamOut => ({
    name: 'designation',
    part: [
      { name: 'language', valueCode: 'en' },
      { name: 'use', valueCoding: use },
      { name: 'value', valueString: value },
    ],
  });
  if (doc.shortDisplay && doc.shortDisplay !== doc.display)
    out.push(designation(designationUse('short-title', 'Short title'), doc.shortDisplay));
  for (const n of doc.notes)
    if (n.kind === 'inclusionTerm') out.push(designation(designationUse('inclusion-term', 'Inclusion term'), n.text));
  for (const t of doc.indexTerms) out.push(designation(designationUse('index-term', 'Index entry'), t.path));

  const prop = (code: string, value: Record<string, unknown>, description?: string): ParamOut => ({
    name: 'property',
    part: [
      { name: 'code', valueCode: code },
      { name: 'value', ...value },
      ...(description ? [{ name: 'description', valueString: description }] : []),
    ],
  });
  const props: ParamOut[] = [];
  const parent = doc.parents.at(-1);
  if (parent && want('parent')) props.push(prop('parent', { valueCode: parent.code }, parent.display));
  if (want('child')) for (const c of doc.children) props.push(prop('child', { valueCode: c.code }, c.display));
  const deleted = doc.status === 'deleted';
  if (want('inactive')) props.push(prop('inactive', { valueBoolean: deleted }));
  if (want('status')) props.push(prop('status', { valueCode: deleted ? 'retired' : 'active' }));
  if (want('notSelectable')) props.push(prop('notSelectable', { valueBoolean: !doc.billable }));
  if (want('billable')) props.push(prop('billable', { valueBoolean: doc.billable }));
  if (want('kind')) props.push(prop('kind', { valueCode: doc.kind }));
  if (deleted && want('replacedBy')) {
    for (const h of doc.history) for (const r of h.replacedBy ?? []) props.push(prop('replacedBy', { valueCode: r.code }, r.display));
  }
  if (info.id === 'icd10cm') {
    // Notes written on the code, then those of its category, block and chapter, which govern it too
    // (ICD-10-CM Official Guidelines I.A.12-I.A.13); the description names the code they are written on.
    for (const n of [...doc.notes, ...doc.inheritedNotes]) {
      if (!NOTE_KINDS.has(n.kind) || !want(n.kind)) continue;
      // A seventh-character definition reads "A: initial encounter"; on a complete code only the one it takes.
      if (n.kind === 'sevenChrDef' && row.key.length === 7 && !n.selected) continue;
      const text = n.kind === 'sevenChrDef' && n.char ? `${n.char}: ${n.text}` : n.text;
      props.push(prop(n.kind, { valueString: text }, n.from ? `from ${n.from}` : undefined));
    }
  }
  out.push(...props);
  return parameters(out);
}

// ---- $validate-code ------------------------------------------------------------------------------

const normDisplay = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * $validate-code: result, message, display. A code in another shape than the code system writes it,
 * a deleted code (with its replacements), a display that is none of the code's names, and, with
 * `abstract=false`, a header code, each give result false and a message saying why.
 */
export function validateCodeOperation(store: Store, p: OpParams, fixed?: Loaded): ParametersResource {
  // CodeSystem/$validate-code names the system `url` (R4); `system` is accepted as clients send it too.
  const ccList = p.codeableConcept('codeableConcept');
  if (ccList) return validateCodeableConcept(store, p, ccList, fixed);
  const input = codeInput(store, p, { fixed, systemParams: ['url', 'system'] });
  return validateOne(store, input, p.boolean('abstract') ?? true);
}

function validateCodeableConcept(store: Store, p: OpParams, codings: Coding[], fixed?: Loaded): ParametersResource {
  if (!codings.length) throw invalid('"codeableConcept" has no codings', 'codeableConcept');
  if (p.has('code') || p.has('coding')) throw invalid('give one of "code", "coding" or "codeableConcept"', 'codeableConcept');
  const abstractOk = p.boolean('abstract') ?? true;
  const messages: string[] = [];
  // Valid when one of the codings of the concept's code system is valid (the others may be from elsewhere).
  for (const c of codings) {
    if (!c.code) continue;
    let loaded: Loaded;
    try {
      loaded = fixed ?? resolveLoaded(store, c.system, c.version, 'codeableConcept.coding.system');
      if (fixed && c.system && resolveLoaded(store, c.system).info.id !== fixed.info.id) continue;
    } catch (e) {
      messages.push((e as Error).message);
      continue;
    }
    const res = validateOne(
      store,
      { loaded, code: c.code, ...(c.display ? { display: c.display } : {}), param: 'codeableConcept' },
      abstractOk,
    );
    if (res.parameter[0].valueBoolean) return res;
    const m = res.parameter.find((x) => x.name === 'message');
    if (m) messages.push(String(m.valueString));
  }
  return parameters([
    { name: 'result', valueBoolean: false },
    { name: 'message', valueString: messages.join('; ') || 'no coding of the CodeableConcept has a code of a code system on this server' },
  ]);
}

function validateOne(store: Store, input: CodeInput, abstractOk: boolean): ParametersResource {
  const { info } = input.loaded;
  const given = input.code.trim();
  const row = findRow(store, info.id, given, input.param);
  // R5 output parameters (http://hl7.org/fhir/R5/codesystem-operation-validate-code.html): code,
  // system, version, and the reasons as an OperationOutcome (issues) with tx-issue-type codes.
  const identity = (code: string) => [
    { name: 'code', valueCode: code },
    { name: 'system', valueUri: info.uri },
    { name: 'version', valueString: input.loaded.release.version },
  ];
  const fail = (message: string, display: string | undefined, txType: string, issueCode: string, field: 'code' | 'display', code = given) =>
    parameters([
      { name: 'result', valueBoolean: false },
      { name: 'message', valueString: message },
      ...(display ? [{ name: 'display', valueString: display }] : []),
      ...identity(code),
      validationIssues(message, txType, issueCode, field),
    ]);
  if (!row)
    return fail(
      `Unknown code "${given.slice(0, 40)}" in ${info.name} (${info.uri}) version ${input.loaded.release.version}`,
      undefined,
      'invalid-code',
      'code-invalid',
      'code',
    );
  if (given.toUpperCase() !== row.code.toUpperCase()) {
    return fail(
      `"${given}" is not how ${info.name} writes this code: the code is "${row.code}"`,
      row.display,
      'invalid-code',
      'code-invalid',
      'code',
    );
  }
  if (row.status === 'deleted') {
    const repl = store
      .history(info.id, row.key)
      .filter((h) => h.action === 'deleted')
      .flatMap((h) => (h.replacedBy ?? []).map((r) => ({ ...r, version: h.version })));
    const when = store
      .history(info.id, row.key)
      .filter((h) => h.action === 'deleted')
      .at(-1)?.version;
    const by = repl.length ? `; replaced by ${repl.map((r) => `${r.code}${r.display ? ` (${r.display})` : ''}`).join(', ')}` : '';
    return fail(
      `${row.code} is not an active code of ${info.name}: it was deleted${when ? ` in ${when}` : ''}${by}`,
      row.display,
      'code-rule',
      'business-rule',
      'code',
      row.code,
    );
  }
  if (!abstractOk && !row.billable) {
    const kids = store
      .children(info.id, row.key)
      .slice(0, 5)
      .map((c) => c.code);
    return fail(
      `${row.code} is a header (${row.kind}), not valid on a claim${kids.length ? `: choose a more specific code, e.g. ${kids.join(', ')}` : ''}`,
      row.display,
      'code-rule',
      'business-rule',
      'code',
      row.code,
    );
  }
  if (input.display !== undefined) {
    const names = [row.display, ...(row.shortDisplay ? [row.shortDisplay] : [])];
    if (!names.some((n) => normDisplay(n) === normDisplay(input.display!))) {
      return fail(
        `The display "${input.display.slice(0, 200)}" is not a valid display for ${row.code} in ${info.name}; the display is "${row.display}"`,
        row.display,
        'invalid-display',
        'invalid',
        'display',
        row.code,
      );
    }
  }
  return parameters([{ name: 'result', valueBoolean: true }, { name: 'display', valueString: row.display }, ...identity(row.code)]);
}

// ---- $subsumes -----------------------------------------------------------------------------------

/**
 * $subsumes over the classification's is-a hierarchy: equivalent (same concept), subsumes (A is an
 * ancestor of B), subsumed-by (B is an ancestor of A), not-subsumed.
 */
export function subsumesOperation(store: Store, p: OpParams, fixed?: Loaded): ParametersResource {
  const codingA = p.coding('codingA');
  const codingB = p.coding('codingB');
  const codeA = p.string('codeA');
  const codeB = p.string('codeB');
  if ((codingA ? 1 : 0) + (codeA !== undefined ? 1 : 0) !== 1 || (codingB ? 1 : 0) + (codeB !== undefined ? 1 : 0) !== 1) {
    throw invalid('give codeA and codeB (with system), or codingA and codingB', codeA === undefined && !codingA ? 'codeA' : 'codeB');
  }
  const systemUri = p.string('system');
  const version = p.string('version');
  const pick = (coding: Coding | undefined, code: string | undefined, name: string): { loaded: Loaded; row: CodeRow } => {
    const uri = coding?.system ?? systemUri;
    let loaded: Loaded;
    if (fixed) {
      if (uri && resolveLoaded(store, uri).info.id !== fixed.info.id)
        throw invalid(`${name}: system "${uri.slice(0, 120)}" is not ${fixed.info.uri}`, name);
      loaded = resolveLoaded(store, fixed.info.uri, coding?.version ?? version);
    } else loaded = resolveLoaded(store, uri, coding?.version ?? version, coding ? `${name}.system` : 'system');
    const c = coding?.code ?? code;
    if (!c || !c.trim()) throw invalid(`${name} has no code`, name);
    const row = findRow(store, loaded.info.id, c, name);
    if (!row) throw notFound(`${loaded.info.name} has no code "${c.trim().slice(0, 40)}"`, name);
    return { loaded, row };
  };
  const a = pick(codingA, codeA, codingA ? 'codingA' : 'codeA');
  const b = pick(codingB, codeB, codingB ? 'codingB' : 'codeB');
  if (a.loaded.info.id !== b.loaded.info.id)
    throw invalid(`codes of different code systems (${a.loaded.info.uri}, ${b.loaded.info.uri}) cannot subsume each other`, 'codingB');
  let outcome: 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';
  if (a.row.key === b.row.key) outcome = 'equivalent';
  else if (store.isDescendantOf(b.row, a.row.key)) outcome = 'subsumes';
  else if (store.isDescendantOf(a.row, b.row.key)) outcome = 'subsumed-by';
  else outcome = 'not-subsumed';
  return parameters([{ name: 'outcome', valueCode: outcome }]);
}
