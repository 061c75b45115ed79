import { describe, it, expect } from 'vitest';
import { MedCodesError } from '../../errors.js';
import {
  BETOS,
  HcpcsAssembler,
  PRICING_INDICATOR,
  TYPE_OF_SERVICE,
  decodeHcpcs,
  hcpcsDate,
  hcpcsStatus,
  joinDescriptionLines,
  labCertificationGroup,
  pricingIndicatorGroup,
  type HcpcsRecord,
} from './record.js';

function expectParseError(fn: () => unknown, ...fragments: string[]) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MedCodesError);
  expect((err as MedCodesError).code).toBe('parse_error');
  for (const f of fragments) expect((err as MedCodesError).message).toContain(f);
}

describe('joinDescriptionLines', () => {
  it('runs pieces cut every 80 characters straight together (cut inside a word)', () => {
    expect(joinDescriptionLines(['functional level 2 - has the ability or potential for', ' ambulation such a', 's curbs'])).toBe(
      'functional level 2 - has the ability or potential for ambulation such as curbs',
    );
  });
  it('joins blank-padded, word-wrapped pieces with one blank', () => {
    expect(joinDescriptionLines(['Dressing for      ', 'nine or more wounds      '])).toBe('Dressing for nine or more wounds');
  });
  it('keeps blanks inside a piece and trims the ends', () => {
    expect(joinDescriptionLines(['  surfaces.  typical   '])).toBe('surfaces.  typical');
  });
});

describe('hcpcsDate', () => {
  it('turns YYYYMMDD into ISO and blank into undefined', () => {
    expect(hcpcsDate('20250930', {})).toBe('2025-09-30');
    expect(hcpcsDate('        ', {})).toBeUndefined();
  });
  it('rejects what is not a calendar date', () => {
    expectParseError(() => hcpcsDate('20250231', { file: 'f.txt', line: 3 }), 'f.txt, line 3', '"20250231"', 'YYYYMMDD');
    expectParseError(() => hcpcsDate('2025-09-30', {}), '"2025-09-30"');
  });
});

describe('hcpcsStatus', () => {
  it('is deleted only when the termination date lies before the effective date', () => {
    expect(hcpcsStatus('2025-09-30', '2025-10-01')).toBe('deleted');
    expect(hcpcsStatus('2025-10-01', '2025-10-01')).toBe('active');
    expect(hcpcsStatus('2025-12-31', '2025-10-01')).toBe('active');
    expect(hcpcsStatus(undefined, '2025-10-01')).toBe('active');
  });
});

describe('code tables', () => {
  it('hold the layout entries', () => {
    expect(Object.keys(PRICING_INDICATOR)).toHaveLength(25);
    expect(PRICING_INDICATOR['00']).toBe(
      'Service not separately priced by part B (e.g., services not covered, bundled, used by part a only, etc.)',
    );
    expect(Object.keys(BETOS)).toHaveLength(106);
    expect(BETOS.I4A).toBe('Imaging/procedure - heart including cardiac catheterization');
    expect(Object.keys(TYPE_OF_SERVICE)).toHaveLength(34);
    expect(TYPE_OF_SERVICE['1']).toBe('Medical care');
  });
  it('group pricing indicators and lab certifications as the layout does', () => {
    expect(pricingIndicatorGroup('21')).toBe('Clinical Lab Fee Schedule');
    expect(pricingIndicatorGroup('46')).toBe('Durable Medical Equipment, Prosthetics, Orthotics, Supplies and Surgical Dressings');
    expect(pricingIndicatorGroup('00')).toBeUndefined();
    expect(pricingIndicatorGroup('40')).toBeUndefined();
    expect(labCertificationGroup('310')).toBe('300');
    expect(labCertificationGroup('300')).toBeUndefined();
    expect(labCertificationGroup('010')).toBeUndefined();
  });
});

const G0103: HcpcsRecord = {
  code: 'G0103',
  kind: 'procedure',
  longDescription: 'Prostate cancer screening; prostate specific antigen test (psa)',
  shortDescription: 'Psa screening',
  pricingIndicators: ['21'],
  multiplePricingIndicator: 'A',
  coverageIssuesManual: ['50-55'],
  carriersManual: ['4182'],
  labCertifications: ['310'],
  crossReferences: [],
  coverage: 'D',
  processingNote: '0064',
  betos: 'T1H',
  typesOfService: ['5'],
  anesthesiaBaseUnits: 0,
  addedDate: '2000-01-01',
  actionEffectiveDate: '2007-01-01',
  actionCode: 'N',
  status: 'active',
};

describe('decodeHcpcs', () => {
  it('puts the coded fields of a procedure into words', () => {
    expect(decodeHcpcs(G0103)).toEqual({
      kind: { code: '3', meaning: 'Procedure code' },
      pricingIndicators: [{ code: '21', meaning: 'Price subject to national limitation amount', group: 'Clinical Lab Fee Schedule' }],
      multiplePricingIndicator: { code: 'A', meaning: 'Not applicable as HCPCS priced under one methodology' },
      coverage: { code: 'D', meaning: 'Special coverage instructions apply' },
      labCertifications: [{ code: '310', meaning: 'Routine chemistry', group: { code: '300', meaning: 'Chemistry' } }],
      ascPaymentGroup: { code: '', meaning: 'Not approved for ASC' },
      betos: { code: 'T1H', meaning: 'Lab tests - other (non-Medicare fee schedule)' },
      typesOfService: [{ code: '5', meaning: 'Diagnostic laboratory' }],
      actionCode: { code: 'N', meaning: 'No maintenance for this code' },
    });
  });

  it('leaves the meaning out for codes the 2019 layout does not list, and ASC out for modifiers', () => {
    const a6515: HcpcsRecord = { ...G0103, code: 'A6515', pricingIndicators: ['40'], betos: 'O1L', labCertifications: [] };
    const d = decodeHcpcs(a6515);
    expect(d.pricingIndicators).toEqual([{ code: '40' }]);
    expect(d.betos).toEqual({ code: 'O1L' });
    const modifier: HcpcsRecord = { ...G0103, kind: 'modifier', code: 'AA', ascPaymentGroup: undefined };
    expect(decodeHcpcs(modifier).kind).toEqual({ code: '7', meaning: 'Modifier' });
    expect(decodeHcpcs(modifier).ascPaymentGroup).toBeUndefined();
    expect(decodeHcpcs({ ...G0103, ascPaymentGroup: 'YY', actionCode: 'R' })).toMatchObject({
      ascPaymentGroup: { code: 'YY', meaning: 'Approved to be performed in an ambulatory surgical center' },
      actionCode: { code: 'R', meaning: 'Re-activate discontinued/deleted procedure or modifier code' },
    });
  });
});

describe('HcpcsAssembler', () => {
  it('requires the effective date as YYYY-MM-DD', () => {
    expectParseError(() => new HcpcsAssembler({ file: 'x.xlsx', effective: '20251001' }), 'x.xlsx', 'YYYY-MM-DD');
  });
});
