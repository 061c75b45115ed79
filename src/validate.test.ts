import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { Store } from './store/store.js';
import { candidateSystems, parseCodeCsv, parseServiceDate, validateCode, validateCodes, versionStart } from './validate.js';
import { MedCodesError } from './errors.js';

let store: Store;
beforeAll(() => {
  store = new Store(inject('dbPath'));
});
afterAll(() => store.close());

const v = (code: string, opts: Parameters<typeof validateCode>[2] = {}) => validateCode(store, code, opts);

describe('validateCode on the bundled releases', () => {
  it('E11.9 is valid', () => {
    expect(v('E11.9')).toEqual({
      input: 'E11.9',
      system: 'icd10cm',
      code: 'E11.9',
      status: 'valid',
      display: 'Type 2 diabetes mellitus without complications',
    });
    expect(v(' e119 ')).toMatchObject({ code: 'E11.9', status: 'valid' });
  });

  it('E11 is a header, with its children', () => {
    const r = v('E11');
    expect(r.status).toBe('header');
    expect(r.children!.map((c) => c.code)).toContain('E11.9');
    expect(r.children!.length).toBeLessThanOrEqual(10);
    expect(r.childCount).toBeGreaterThanOrEqual(r.children!.length);
  });

  it('H40.11X0 is deleted, with the FY2017 replacements', () => {
    const r = v('H40.11X0');
    expect(r.status).toBe('deleted');
    expect(r.deletedIn).toEqual({ version: 'FY2017', effective: '2016-10-01' });
    expect(r.replacedBy!.map((c) => c.code)).toEqual(['H40.1110', 'H40.1120', 'H40.1130', 'H40.1190']);
    // On a date in FY2016 it was still a code one could report.
    expect(v('H40.11X0', { date: '2016-05-01' }).status).toBe('valid');
    expect(v('H40.11X0', { date: '2016-10-01' }).status).toBe('deleted');
  });

  it('B88.01 (added FY2026) is not valid on 2025-06-01 but valid from 2025-10-01', () => {
    const before = v('B88.01', { date: '2025-06-01' });
    expect(before.status).toBe('not_valid_on_date');
    expect(before.validPeriods).toEqual([{ from: '2025-10-01' }]);
    expect(v('B88.01', { date: '2025-09-30' }).status).toBe('not_valid_on_date');
    expect(v('B88.01', { date: '2025-10-01' }).status).toBe('valid');
    // B88.0 was billable until it became a header in FY2026.
    expect(v('B88.0', { date: '2025-06-01' }).status).toBe('valid');
    expect(v('B88.0', { date: '2025-10-01' }).status).toBe('header');
  });

  it('a terminated HCPCS code is deleted, with its cross-reference', () => {
    // A4466 was terminated 2016-12-31 (action effective 2017-01-01), cross-referenced to A4467.
    const r = v('A4466');
    expect(r).toMatchObject({ system: 'hcpcs', status: 'deleted', deletedIn: { version: '2017-01-01', effective: '2017-01-01' } });
    expect(r.replacedBy!.map((c) => c.code)).toEqual(['A4467']);
    expect(v('A4466', { date: '2016-12-31' }).status).toBe('valid');
    expect(v('A4466', { date: '2017-01-01' }).status).toBe('deleted');
    expect(v('A4466', { date: '2009-12-31' }).status).toBe('not_valid_on_date');
  });

  it('0DTJ4ZZ is a valid ICD-10-PCS code', () => {
    expect(v('0DTJ4ZZ')).toMatchObject({
      system: 'icd10pcs',
      status: 'valid',
      display: 'Resection of Appendix, Percutaneous Endoscopic Approach',
    });
    expect(v('0DT', { system: 'icd10pcs' })).toMatchObject({ status: 'header', childCount: expect.any(Number) });
  });

  it('E11.99 is unknown, closest E11.9', () => {
    expect(v('E11.99')).toMatchObject({ system: 'icd10cm', code: 'E11.99', status: 'unknown', display: null, closest: { code: 'E11.9' } });
  });

  it("'xyz!' is invalid", () => {
    expect(v('xyz!')).toMatchObject({ system: null, status: 'invalid', display: null });
    expect(v('')).toMatchObject({ status: 'invalid' });
    expect(v('E11.9', { system: 'hcpcs' })).toMatchObject({ system: 'hcpcs', status: 'invalid' });
  });

  it('mid-year codes are valid from their own date (cited table data/icd10cm-effective-dates.json)', () => {
    // U07.1 COVID-19 took effect 2020-04-01 (CDC-NCHS), not on the October 1 of the next order file.
    expect(v('U07.1', { date: '2020-04-01' }).status).toBe('valid');
    expect(v('U07.1', { date: '2020-03-31' })).toMatchObject({ status: 'not_valid_on_date', validPeriods: [{ from: '2020-04-01' }] });
    // The six COVID-19 codes of January 1, 2021.
    expect(v('J12.82', { date: '2020-12-31' }).status).toBe('not_valid_on_date');
    expect(v('J12.82', { date: '2021-01-01' }).status).toBe('valid');
    // Z28.3 became a header on 2022-04-01 (April 2022 update).
    expect(v('Z28.3', { date: '2022-03-31' }).status).toBe('valid');
    expect(v('Z28.3', { date: '2022-04-01' }).status).toBe('header');
  });

  it('ICD-9-CM codes stop on 2015-09-30', () => {
    expect(v('001.0')).toMatchObject({ system: 'icd9cm', status: 'valid' });
    expect(v('001.0', { date: '2015-10-01' }).status).toBe('not_valid_on_date');
    expect(v('00.10')).toMatchObject({ system: 'icd9pcs', status: 'valid' });
  });

  it('reports a code of two code sets as ambiguous, with both readings, unless the system is given', () => {
    // J1100 is HCPCS (dexamethasone) and ICD-10-CM J11.00 written without its dot.
    const r = v('J1100');
    expect(r).toMatchObject({ status: 'ambiguous', system: null, display: null, alsoIn: ['icd10cm', 'hcpcs'] });
    expect(r.readings!.map((x) => [x.system, x.code, x.status])).toEqual([
      ['icd10cm', 'J11.00', 'valid'],
      ['hcpcs', 'J1100', 'valid'],
    ]);
    expect(r.message).toMatch(/J1100 is ICD-10-CM J11\.00 \(.+\) and HCPCS Level II J1100 \(.*dexamethasone.*\): give the code system/i);
    expect(v('J1100', { system: 'hcpcs' })).toMatchObject({ system: 'hcpcs', code: 'J1100', status: 'valid' });
    expect(v('J11.00')).toMatchObject({ system: 'icd10cm', status: 'valid' });
    expect(v('A0100', { system: 'hcpcs' })).toMatchObject({ system: 'hcpcs', code: 'A0100', status: 'valid' });
  });

  it('says CPT is not loaded for CPT-shaped codes, and how to import it', () => {
    const r = v('0001F');
    expect(r).toMatchObject({ status: 'unknown', system: 'cpt', notLoaded: ['cpt'] });
    expect(r.message).toMatch(/CPT is licensed and not loaded: import .*docs\/LICENSED\.md/);
    // A five-digit number that is also an ICD-9-CM code without its dot: both possibilities, no guess.
    const d = v('25000');
    expect(d.status).toBe('ambiguous');
    expect(d.readings!.map((x) => [x.system, x.code])).toEqual([['icd9cm', '250.00']]);
    expect(d.notLoaded).toEqual(['cpt']);
    expect(v('99213', { system: 'cpt' }).message).toMatch(/CPT is licensed and not loaded/);
  });
});

describe('validateCodes', () => {
  it('counts statuses and takes per-code systems', () => {
    const r = validateCodes(store, {
      codes: ['E11.9', 'E11', 'xyz!', { system: 'hcpcs', code: 'A4466' }, { system: 'nope', code: 'X' }],
      date: '2025-10-01',
    });
    expect(r.summary).toEqual({ valid: 1, header: 1, deleted: 1, not_valid_on_date: 0, ambiguous: 0, unknown: 0, invalid: 2 });
    expect(r.count).toBe(5);
    expect(r.date).toBe('2025-10-01');
  });

  it('rejects a bad date, an unknown system and too many codes', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as MedCodesError).code;
      }
      return 'no error';
    };
    expect(err(() => validateCodes(store, { codes: ['E11.9'], date: '2025-02-30' }))).toBe('invalid_parameter');
    expect(err(() => validateCodes(store, { codes: ['E11.9'], system: 'icd11' }))).toBe('unknown_system');
    expect(err(() => validateCodes(store, { codes: Array(10_001).fill('E11.9') }))).toBe('payload_too_large');
  });
});

describe('helpers', () => {
  it('maps versions to first days', () => {
    expect(versionStart('FY2024')).toBe('2023-10-01');
    expect(versionStart('2025-10')).toBe('2025-10-01');
    expect(versionStart('2017-01-01')).toBe('2017-01-01');
    expect(versionStart('v32')).toBeUndefined();
    expect(parseServiceDate('2024-02-29')).toBe('2024-02-29');
    expect(() => parseServiceDate('2023-02-29')).toThrow(MedCodesError);
  });

  it('guesses systems from the shape', () => {
    expect(candidateSystems('E11.9')).toEqual(['icd10cm']);
    expect(candidateSystems('0DTJ4ZZ')).toEqual(['icd10pcs']);
    expect(candidateSystems('A4466')).toEqual(['icd10cm', 'hcpcs']);
    expect(candidateSystems('250.00')).toEqual(['icd9cm']);
    expect(candidateSystems('xyz!')).toEqual([]);
  });

  it('parses CSV with and without headers, and rejects malformed lines', () => {
    expect(parseCodeCsv('code\r\nE11.9\n\n"E11"\n')).toEqual([{ code: 'E11.9' }, { code: 'E11' }]);
    expect(parseCodeCsv('\uFEFFsystem,code\nhcpcs,A4466\n')).toEqual([{ system: 'hcpcs', code: 'A4466' }]);
    expect(() => parseCodeCsv('code\nE11,9\n')).toThrow(/line 2/);
    expect(() => parseCodeCsv('"E11\n')).toThrow(/unterminated/);
    expect(() => parseCodeCsv('a,b,c\n')).toThrow(/got 3/);
  });
});

describe('formatValidation', () => {
  it('prints one line per code and the counts', async () => {
    const { formatValidation } = await import('./validate.js');
    const out = formatValidation(validateCodes(store, { codes: ['E11', 'H40.11X0', 'E11.99'] })).split('\n');
    expect(out[0]).toMatch(/^E11 +ICD-10-CM +header +Type 2 diabetes mellitus +\(needs more characters: E11\.0, /);
    expect(out[1]).toContain('(deleted 2016-10-01; use H40.1110, H40.1120, H40.1130, H40.1190)');
    expect(out[2]).toMatch(/unknown +closest: E11\.9 Type 2 diabetes/);
    expect(out[3]).toBe('valid: 0, header: 1, deleted: 1, not_valid_on_date: 0, ambiguous: 0, unknown: 1, invalid: 0  (3 codes)');
  });
});
