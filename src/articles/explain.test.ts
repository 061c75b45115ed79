import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Glossary, explainCode, glossary } from './explain.js';
import { LAY_TERMS_PATH, parseLayTerms } from '../search/lay-terms.js';
import type { CodeDocument } from '../lookup.js';

const TSV = `term\texpansion\tkind\tsource
ear tubes\tdrainage device\tlay\tnot in the glossary block
# begin glossary
cancer\tmalignant neoplasm\tlay\tIndex "Cancer - see Neoplasm, malignant"
tumor\tneoplasm\tlay\tIndex "Tumor - see Neoplasm"
thighbone\tfemur\tlay\teditors
break\tfracture\tlay\teditors
broken bone\tfracture\tlay\tsecond row for the same phrase: not used backwards
keyhole surgery\tpercutaneous endoscopic approach\tlay\teditors
mg\tmilligrams\tabbreviation\tunits
# end glossary
after\tthe block\tlay\tnot in the glossary block
`;

const g = Glossary.fromTsv(TSV);

const doc = (over: Partial<CodeDocument>): CodeDocument => ({
  system: 'icd10cm',
  systemUri: 'http://hl7.org/fhir/sid/icd-10-cm',
  systemName: 'ICD-10-CM',
  code: 'X00.1',
  display: 'Made-up condition',
  kind: 'code',
  billable: true,
  status: 'active',
  version: 'FY2099',
  parents: [],
  children: [],
  notes: [],
  inheritedNotes: [],
  indexTerms: [],
  history: [],
  mappings: [],
  similar: [],
  ...over,
});

describe('glossary', () => {
  it('reads only the glossary block backwards, the first row of a phrase winning, longest phrase first', () => {
    expect(g.size).toBe(5);
    expect(g.rewrite('Malignant neoplasm of colon').text).toBe('Cancer of colon');
    expect(g.rewrite('Benign neoplasms of femurs').text).toBe('Benign tumors of thighbones');
    expect(g.rewrite('Fracture of femur').used.map((u) => [u.clinical, u.plain, u.source])).toEqual([
      ['fracture', 'break', 'editors'],
      ['femur', 'thighbone', 'editors'],
    ]);
    expect(g.rewrite('Drainage device').used).toEqual([]);
    expect(g.rewrite('the block').used).toEqual([]);
    expect(g.abbreviations.get('mg')?.plain).toBe('milligrams');
  });

  it('matches whole words only, and not across parentheses', () => {
    expect(g.matches('Femoral neoplasmic')).toEqual([]);
    expect(g.matches('Malignant (primary) neoplasm').map((m) => m.text)).toEqual(['neoplasm']);
  });

  it('has no glossary without the block', () => {
    expect(Glossary.fromTsv('term\texpansion\tkind\tsource\nx\ty\tlay\tz\n').size).toBe(0);
  });

  it('the bundled table: several hundred glossary rows, each with a source, and the examples of issue 15', () => {
    const bundled = glossary();
    expect(bundled.size).toBeGreaterThan(300);
    const text = readFileSync(LAY_TERMS_PATH, 'utf8');
    const block = text.slice(text.indexOf('# begin glossary'), text.indexOf('# end glossary'));
    const rows = parseLayTerms(`term\texpansion\tkind\tsource\n${block}`);
    expect(rows.every((r) => r.source.length > 5)).toBe(true);
    for (const [clinical, plain] of [
      ['Malignant neoplasm', 'Cancer'],
      ['Neoplasm', 'Tumor'],
      ['Femur', 'Thighbone'],
      ['Myocardial infarction', 'Heart attack'],
      ['Calculus of kidney', 'Kidney stone'],
    ])
      expect(bundled.rewrite(clinical).text).toBe(plain);
  });
});

describe('explainCode', () => {
  it('ICD-10-CM: side, unspecified, NOS/NEC, placeholder and the seventh character in words, with sources', () => {
    const e = explainCode(
      doc({
        code: 'X00.0X1A',
        display: 'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture',
        notes: [
          { kind: 'sevenChrDef', char: 'A', text: 'initial encounter for closed fracture', version: 'FY2017', selected: true, from: 'X00' },
          {
            kind: 'sevenChrDef',
            char: 'D',
            text: 'subsequent encounter for fracture with routine healing',
            version: 'FY2017',
            from: 'X00',
          },
          { kind: 'inclusionTerm', text: 'Hip fracture NOS', version: 'FY2017' },
        ],
      }),
      g,
    );
    expect(e.plainTitle).toBe('Break of unspecified part of neck of right thighbone, initial encounter for closed break');
    expect(e.parts.map((p) => p.label)).toEqual(['Side', 'Unspecified', 'NOS', 'Placeholder X', '7th character A']);
    expect(e.parts[1].text).toMatch(/^The record does not say which part of neck of right femur\./);
    expect(e.parts[2]).toMatchObject({ label: 'NOS', official: 'Hip fracture NOS', source: expect.stringContaining('I.A.5') });
    expect(e.parts.at(-1)).toMatchObject({
      official: 'initial encounter for closed fracture',
      text: 'The first stage of care, while the patient is receiving active treatment for the condition. The fracture is a closed one.',
      source: expect.stringContaining('I.C.19.a'),
    });
    expect(e.summary).toBe(
      'X00.0X1A is a diagnosis code. In plain words: break of unspecified part of neck of right thighbone, initial encounter for closed break. Its seventh character A means “initial encounter for closed fracture”: the first stage of care, while the patient is receiving active treatment for the condition.',
    );
    expect(e.terms.map((t) => t.clinical)).toEqual(['fracture', 'femur']);
    expect(e.provenance).toMatch(/not reviewed/);
  });

  it('says nothing it cannot derive: a title the glossary does not know is quoted, with no parts', () => {
    const e = explainCode(doc({ display: 'Made-up condition' }), g);
    expect(e).toMatchObject({ summary: 'X00.1 is a diagnosis code: made-up condition.', parts: [], terms: [] });
    expect(e.plainTitle).toBeUndefined();
    expect(e.meaning).toBeUndefined();
  });

  it('ICD-10-PCS: the root operation, body part, approach and device from their official definitions', () => {
    const e = explainCode(
      doc({
        system: 'icd10pcs',
        systemName: 'ICD-10-PCS',
        code: '0DTJ4ZZ',
        display: 'Resection of Appendix, Percutaneous Endoscopic Approach',
        properties: {
          axes: [
            { pos: 1, axis: 'Section', char: '0', label: 'Medical and Surgical' },
            { pos: 2, axis: 'Body System', char: 'D', label: 'Gastrointestinal System' },
            {
              pos: 3,
              axis: 'Operation',
              char: 'T',
              label: 'Resection',
              definition: 'Cutting out or off, without replacement, all of a body part',
            },
            { pos: 4, axis: 'Body Part', char: 'J', label: 'Appendix', includes: ['Vermiform appendix'] },
            {
              pos: 5,
              axis: 'Approach',
              char: '4',
              label: 'Percutaneous Endoscopic',
              definition: 'Entry, by puncture or minor incision, of instrumentation',
            },
            { pos: 6, axis: 'Device', char: 'Z', label: 'No Device' },
            { pos: 7, axis: 'Qualifier', char: 'Z', label: 'No Qualifier' },
          ],
        },
      }),
      g,
    );
    expect(e.summary).toBe(
      '0DTJ4ZZ is a procedure code. Resection of the appendix: cutting out or off, without replacement, all of the appendix, by keyhole surgery (percutaneous endoscopic approach).',
    );
    expect(e.parts.map((p) => [p.label, p.official])).toEqual([
      ['Section', 'Medical and Surgical'],
      ['Root operation', 'Resection'],
      ['Body Part', 'Appendix'],
      ['Approach', 'Percutaneous Endoscopic'],
      ['Device', 'No Device'],
      ['Qualifier', 'No Qualifier'],
    ]);
    expect(e.parts[3]).toMatchObject({
      text: 'entry, by puncture or minor incision, of instrumentation.',
      source: 'ICD-10-PCS Definitions',
    });
    expect(e.parts[4].source).toMatch(/B6\.1a/);
  });

  it('HCPCS drug: the drug, its form and the billing unit from the descriptor', () => {
    const e = explainCode(
      doc({
        system: 'hcpcs',
        systemName: 'HCPCS Level II',
        code: 'J9999',
        display: 'Injection, made-up drug sodium, 1 mg',
        properties: {
          pricingIndicators: [{ code: '51', meaning: 'Drugs', group: 'Other' }],
          betos: { code: 'O1E', meaning: 'Other drugs' },
        },
      }),
      g,
    );
    expect(e.summary).toBe('J9999 is a code for a drug: made-up drug sodium, given as an injection, billed in units of 1 mg.');
    expect(e.parts.find((p) => p.label === 'Billing unit')?.text).toBe(
      'One unit of this code stands for 1 milligram of the drug: the claim gives the number of units.',
    );
    expect(e.parts.find((p) => p.label === 'Drug')?.official).toBe('made-up drug sodium');
  });

  it('HCPCS supply: the item and its details; durable medical equipment from the record', () => {
    const e = explainCode(
      doc({
        system: 'hcpcs',
        systemName: 'HCPCS Level II',
        code: 'E9999',
        display: 'Walker, rigid (pickup), adjustable or fixed height',
        properties: {
          pricingIndicators: [{ code: '32', meaning: 'Inexpensive DME', group: 'Durable Medical Equipment, Prosthetics' }],
          betos: { code: 'D1E', meaning: 'Other DME' },
          typesOfService: [{ code: 'R', meaning: 'Rental of DME' }],
        },
      }),
      g,
    );
    expect(e.summary).toBe('E9999 is a code for durable medical equipment (DME): walker, rigid (pickup), adjustable or fixed height.');
    expect(e.parts.map((p) => p.label)).toEqual(['Item or service', 'Details', 'Category', 'Type of service']);
  });
});
