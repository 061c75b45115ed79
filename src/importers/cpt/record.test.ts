import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { expectParseError } from '../../../test/helpers.js';
import { sourceLines, classify } from '../release.js';
import { utf8Lines } from '../lines.js';
import { cptCategory, cptGroupOf, cptKindOf, readCptDescriptors, readCptExtra } from './record.js';
import { CPT_LAYOUT, cptNotice, cptYearInPath } from './import.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/cpt/CPT 2026 data files/', import.meta.url));
const all = async <T>(g: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe('CPT descriptor files', () => {
  it('reads code and descriptor lines after the AMA notice lines', async () => {
    const notice: string[] = [];
    const rows = await all(readCptDescriptors(sourceLines({ file: `${DIR}LONGULT.txt` }), 'LONGULT.txt', false, notice));
    expect(rows).toHaveLength(14);
    expect(rows[0]).toEqual({ code: '00199', text: 'Anesthesia for a made-up procedure on the glimmer organ', line: 3 });
    expect(notice[0]).toBe('CPT only copyright 2025 American Medical Association. All rights reserved.');
  });
  it('accepts a space after the code, and modifiers in MODUL.txt', async () => {
    expect(await all(readCptDescriptors(utf8Lines(['99213 Office visit\n']), 'x'))).toEqual([
      { code: '99213', text: 'Office visit', line: 1 },
    ]);
    expect((await all(readCptDescriptors(sourceLines({ file: `${DIR}MODUL.txt` }), 'MODUL.txt', true))).map((m) => m.code)).toEqual([
      '25',
      '59',
    ]);
  });
  it('refuses a file with no code lines, or a stray line among codes', async () => {
    await expectParseError(
      all(readCptDescriptors(utf8Lines(['Not CPT\nwords only\n']), 'LONGULT.txt')),
      'LONGULT.txt',
      'no CPT code lines',
    );
    await expectParseError(
      all(readCptDescriptors(utf8Lines(['99213\tVisit\nstray text\n']), 'LONGULT.txt')),
      'LONGULT.txt, line 2',
      'not a CPT code and descriptor line',
    );
  });
  it('reads consumer and clinician descriptors by header names', async () => {
    const c = await all(readCptExtra(sourceLines({ file: `${DIR}ConsumerDescriptor.txt` }), 'ConsumerDescriptor.txt', 'consumer'));
    expect(c[0]).toEqual({ conceptId: '1000001', code: '99213', text: 'Doctor visit for a returning patient, short', line: 2 });
    const k = await all(readCptExtra(sourceLines({ file: `${DIR}ClinicianDescriptor.txt` }), 'ClinicianDescriptor.txt', 'clinician'));
    expect(k.map((x) => x.code)).toEqual(['99213', '99213', '70999']);
    await expectParseError(
      all(readCptExtra(utf8Lines(['Code\tText\n']), 'ConsumerDescriptor.txt', 'consumer')),
      'line 1',
      'lacks "CPT Code"',
    );
  });
});

describe('CPT categories, sections and release', () => {
  it('tells categories by shape and sections by number', () => {
    expect(['99213', '1234F', '0042T', '0001U', '0002M'].map(cptCategory)).toEqual(['I', 'II', 'III', 'PLA', 'MAAA']);
    expect(['00100', '10004', '70010', '80047', '90281', '99213', '99500', '0042T'].map(cptGroupOf)).toEqual([
      'S-ANESTHESIA',
      'S-SURGERY',
      'S-RADIOLOGY',
      'S-PATHOLOGY',
      'S-MEDICINE',
      'S-EM',
      'S-MEDICINE',
      'C-III',
    ]);
  });
  it('knows the data file names, the year and the notice', async () => {
    expect(
      [
        'LONGULT.txt',
        'longut.TXT',
        'MEDU.txt',
        'SHORTU.txt',
        'ConsumerDescriptor.txt',
        'ClinicianDescriptor.txt',
        'MODUL.txt',
        'LONGULF.txt',
      ].map(cptKindOf),
    ).toEqual(['long', 'longUpper', 'medium', 'short', 'consumer', 'clinician', 'modifier', undefined]);
    expect(await classify(`${DIR}README.txt`, CPT_LAYOUT)).toEqual({ sources: [], other: 1 });
    expect(cptYearInPath('/d/CPT 2026 data files/LONGULT.txt')).toBe(2026);
    expect(cptYearInPath('/d/cpt/LONGULT.txt')).toBeUndefined();
    expect(cptNotice(2025)).toMatch(
      /^CPT® copyright 2025 American Medical Association\. All rights reserved\. Fee schedules, relative value units/,
    );
  });
});
