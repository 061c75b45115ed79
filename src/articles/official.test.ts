import { describe, it, expect } from 'vitest';
import { officialSections } from './official.js';
import type { CodeDocument } from '../lookup.js';

/** A made-up document in the lookup shape: official sections only rearrange what it holds. */
const doc = (over: Partial<CodeDocument>): CodeDocument => ({
  system: 'icd10cm',
  systemUri: 'http://hl7.org/fhir/sid/icd-10-cm',
  systemName: 'ICD-10-CM',
  code: 'X00.1',
  display: 'Made-up condition of the left toe',
  kind: 'code',
  billable: true,
  status: 'active',
  version: 'FY2099',
  parents: [
    { system: 'icd10cm', code: 'X00-X01', display: 'Made-up block', kind: 'block', billable: false, status: 'active' },
    { system: 'icd10cm', code: 'X00', display: 'Made-up category', kind: 'category', billable: false, status: 'active' },
  ],
  children: [],
  notes: [],
  inheritedNotes: [],
  indexTerms: [],
  history: [],
  mappings: [],
  similar: [],
  ...over,
});

describe('official sections', () => {
  it('say only what the document holds, with the release as provenance', () => {
    const s = officialSections(doc({}), '2098-10-01');
    expect(s).toEqual([
      {
        id: 'summary',
        heading: 'Summary',
        text: 'X00.1 is a billable ICD-10-CM code: “Made-up condition of the left toe”. It is classified in block X00-X01 (Made-up block), category X00 (Made-up category).',
        source: 'official',
        author: 'ICD-10-CM FY2099',
        date: '2098-10-01',
        review: 'reviewed',
        provenance: 'official: ICD-10-CM FY2099',
      },
    ]);
  });

  it('add inclusion terms, the seventh character, the notes in words, and a header’s children count', () => {
    const s = officialSections(
      doc({
        billable: false,
        children: [{ system: 'icd10cm', code: 'X00.10', display: 'a', kind: 'code', billable: true, status: 'active' }],
        notes: [
          { kind: 'inclusionTerm', text: 'Toe thing', version: 'FY2099' },
          { kind: 'sevenChrDef', char: 'A', text: 'initial encounter', version: 'FY2099', selected: true },
        ],
        inheritedNotes: [{ kind: 'excludes1', text: 'other toe thing (X01.-)', version: 'FY2099', from: 'X00' }],
      }),
    );
    expect(s[0].text).toBe(
      'X00.1 is a header (not billable) ICD-10-CM code. Its seventh character A means “initial encounter”: the first stage of care, while the patient is receiving active treatment for the condition. The classification lists under it: Toe thing. It is not valid on a claim: one of its 1 more specific codes is reported instead.',
    );
    expect(s[1]).toMatchObject({
      id: 'codingNotes',
      text: '- Excludes1 (never coded together with this code): other toe thing (X01.-) (from X00)',
    });
  });

  it('ICD-10-PCS: the characters with their definitions as steps', () => {
    const s = officialSections(
      doc({
        system: 'icd10pcs',
        systemName: 'ICD-10-PCS',
        code: '0XX0000',
        display: 'Made-up procedure',
        parents: [],
        properties: { axes: [{ pos: 3, axis: 'Operation', char: 'T', label: 'Resection', definition: 'Cutting out all of a body part' }] },
      }),
    );
    expect(s.map((x) => x.id)).toEqual(['summary', 'procedureDescription']);
    expect(s[1].text).toBe('1. Operation (character 3, T): Resection — Cutting out all of a body part.');
  });
});
