import { describe, it, expect, vi } from 'vitest';
import { OpParams } from './params.js';
import { FhirError, toOutcome } from './outcome.js';
import { MedCodesError } from '../errors.js';

function fails(fn: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FhirError);
  expect((err as FhirError).status).toBe(400);
  expect((err as FhirError).message).toMatch(message);
}

describe('OpParams from a query', () => {
  it('reads primitives and system|code tokens, skipping _ parameters', () => {
    const p = OpParams.fromQuery(
      new URLSearchParams(
        'system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9&property=parent&property=child&_format=json&codingA=http://x|A1&count=10&activeOnly=false',
      ),
    );
    expect(p.string('code')).toBe('E11.9');
    expect(p.strings('property')).toEqual(['parent', 'child']);
    expect(p.coding('codingA')).toEqual({ system: 'http://x', code: 'A1' });
    expect(p.integer('count', 0)).toBe(10);
    expect(p.boolean('activeOnly')).toBe(false);
    expect(p.has('_format')).toBe(false);
    expect(p.string('missing')).toBeUndefined();
  });

  it('refuses repeated single values, bad numbers and booleans, a token without a code', () => {
    fails(() => OpParams.fromQuery(new URLSearchParams('code=A&code=B')).string('code'), /"code" is given 2 times/);
    fails(() => OpParams.fromQuery(new URLSearchParams('offset=-5')).integer('offset', 0), /"offset" must be from 0; got -5/);
    fails(() => OpParams.fromQuery(new URLSearchParams('count=1e9')).integer('count', 0), /whole number/);
    fails(() => OpParams.fromQuery(new URLSearchParams('abstract=yes')).boolean('abstract'), /true or false/);
    fails(() => OpParams.fromQuery(new URLSearchParams('coding=http://x|')), /no code after "\|"/);
  });
});

describe('OpParams from a Parameters body', () => {
  it('reads value[x], codings, resources and parts', () => {
    const p = OpParams.fromBody({
      resourceType: 'Parameters',
      parameter: [
        { name: 'code', valueCode: 'E11.9' },
        { name: 'count', valueInteger: 5 },
        { name: 'reverse', valueBoolean: true },
        { name: 'coding', valueCoding: { system: 'http://loinc.org', code: '1234-5', display: 'x' } },
        { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 's', code: 'c' }] } },
        { name: 'valueSet', resource: { resourceType: 'ValueSet' } },
        { name: 'dependency', part: [{ name: 'element', valueUri: 'http://x' }] },
      ],
    });
    expect(p.string('code')).toBe('E11.9');
    expect(p.integer('count', 0)).toBe(5);
    expect(p.boolean('reverse')).toBe(true);
    expect(p.coding('coding')).toEqual({ system: 'http://loinc.org', code: '1234-5', display: 'x' });
    expect(p.codeableConcept('codeableConcept')).toEqual([{ system: 's', code: 'c' }]);
    expect(p.resource('valueSet')).toEqual({ resourceType: 'ValueSet' });
    expect(p.all('dependency')[0].part?.[0]).toMatchObject({ name: 'element', text: 'http://x' });
  });

  it('reads primitive types it does not define as text, and ignores other complex types (the suite sends valueUuid)', () => {
    const p = OpParams.fromBody({
      resourceType: 'Parameters',
      parameter: [
        { name: 'uuid', valueUuid: 'urn:uuid:8acdbfdc-e9d2-11ed-a05b-0242ac120003' },
        { name: 'q', valueQuantity: { value: 1 } },
      ],
    });
    expect(p.all('uuid')[0].text).toBe('urn:uuid:8acdbfdc-e9d2-11ed-a05b-0242ac120003');
    expect(p.all('q')[0].text).toBeUndefined();
  });

  it('names what is wrong in a malformed body', () => {
    fails(() => OpParams.fromBody(null), /Parameters resource/);
    fails(() => OpParams.fromBody({ resourceType: 'Bundle' }), /got resourceType "Bundle"/);
    fails(() => OpParams.fromBody({ resourceType: 'Parameters', parameter: {} }), /Parameters.parameter must be an array/);
    fails(
      () => OpParams.fromBody({ resourceType: 'Parameters', parameter: [{ name: 'a', valueString: 'x', part: [] }] }),
      /more than one of value\[x\], resource and part/,
    );
    fails(() => OpParams.fromBody({ resourceType: 'Parameters', parameter: [{ name: 'a', valueInteger: 1.5 }] }), /whole number/);
    fails(() => OpParams.fromBody({ resourceType: 'Parameters', parameter: [{ name: 'a', valueBoolean: 'true' }] }), /true or false/);
    fails(
      () => OpParams.fromBody({ resourceType: 'Parameters', parameter: [{ name: 'a', valueCoding: 'x' }] }),
      /valueCoding must be a Coding object/,
    );
    fails(
      () => OpParams.fromBody({ resourceType: 'Parameters', parameter: [{ name: 'a', valueCoding: { code: 5 } }] }),
      /valueCoding.code must be a string/,
    );
    // Nesting and count are bounded.
    let deep: any = { name: 'x', valueString: 'y' };
    for (let i = 0; i < 10; i++) deep = { name: 'x', part: [deep] };
    fails(() => OpParams.fromBody({ resourceType: 'Parameters', parameter: [deep] }), /nest deeper/);
    fails(
      () =>
        OpParams.fromBody({ resourceType: 'Parameters', parameter: Array.from({ length: 1001 }, () => ({ name: 'p', valueString: 'v' })) }),
      /too many parameters/,
    );
    // A primitive asked as a Coding, and the reverse.
    const p = OpParams.fromBody({
      resourceType: 'Parameters',
      parameter: [
        { name: 'coding', valueString: 'E11' },
        { name: 'code', valueCoding: { code: 'E11' } },
      ],
    });
    fails(() => p.coding('coding'), /must be a Coding/);
    fails(() => p.string('code'), /must be a primitive/);
  });
});

describe('OperationOutcome mapping', () => {
  it('maps catalog errors to their status and an issue type, and hides unexpected errors', () => {
    const nf = toOutcome(new MedCodesError('not_found', 'ICD-10-CM has no code "X"'));
    expect(nf.status).toBe(404);
    expect(nf.body.issue[0]).toMatchObject({
      severity: 'error',
      code: 'not-found',
      details: { text: 'ICD-10-CM has no code "X"', coding: [{ code: 'not_found' }] },
    });
    expect(toOutcome(new MedCodesError('payload_too_large', 'big')).body.issue[0].code).toBe('too-long');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const boom = toOutcome(new Error('secret stack detail'));
    spy.mockRestore();
    expect(boom.status).toBe(500);
    expect(JSON.stringify(boom.body)).not.toContain('secret');
    expect(boom.body.issue[0]).toMatchObject({ severity: 'fatal', code: 'exception' });
  });
});
