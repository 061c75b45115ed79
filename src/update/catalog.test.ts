import { describe, expect, it } from 'vitest';
import { candidatesAfter, loadCatalog } from './catalog.js';
import { locate } from './download.js';

const cat = loadCatalog();

describe('releases after the loaded one', () => {
  it('ICD-10-CM: the April update, the next fiscal years, up to what can be published by today', () => {
    const c = candidatesAfter(cat, 'icd10cm', { version: 'FY2026', effective: '2025-10-01' }, '2026-12-02');
    expect(c.map((x) => [x.label, x.effective])).toEqual([
      ['FY2026 April update', '2026-04-01'],
      ['FY2027', '2026-10-01'],
      ['FY2027 April update', '2027-04-01'],
    ]);
    expect(c[1].files[0].urls).toEqual([
      'https://www.cms.gov/files/zip/2027-code-descriptions-tabular-order.zip',
      'https://ftp.cdc.gov/pub/Health_Statistics/NCHS/Publications/ICD10CM/2027/icd10cm-Code-Descriptions-2027.zip',
    ]);
    expect(c[0].files[0].urls[0]).toBe(
      'https://ftp.cdc.gov/pub/Health_Statistics/NCHS/Publications/ICD10CM/2026-Update/icd10cm-Codes-Descriptions-April-2026.zip',
    );
    // Loaded from the April update: only later releases.
    expect(candidatesAfter(cat, 'icd10cm', { version: 'FY2026', effective: '2026-04-01' }, '2026-12-02')[0].label).toBe('FY2027');
  });

  it('HCPCS quarters and NUCC releases', () => {
    const h = candidatesAfter(cat, 'hcpcs', { version: '2025-10', effective: '2025-10-01' }, '2026-12-02');
    expect(h.map((x) => x.label)).toEqual(['2026-01', '2026-04', '2026-07', '2026-10', '2027-01']);
    expect(h[0].files[0].urls[0]).toBe('https://www.cms.gov/files/zip/january-2026-alpha-numeric-hcpcs-file.zip');
    expect(h[0].files[0].members[0]).toBe('HCPC2026_JAN_ANWEB.*\\.(xlsx|txt)$');
    const n = candidatesAfter(cat, 'nucc', { version: '25.1', effective: '2025-07-01' }, '2026-12-02');
    expect(n.map((x) => [x.label, x.effective])).toEqual([
      ['26.0', '2026-01-01'],
      ['26.1', '2026-07-01'],
      ['27.0', '2027-01-01'],
    ]);
    expect(n[0].files[0].urls[0]).toBe('https://www.nucc.org/images/stories/CSV/nucc_taxonomy_260.csv');
  });

  it('maps a publisher URL to a mirror or folder in the same layout', () => {
    const u = 'https://www.cms.gov/files/zip/2027-code-descriptions-tabular-order.zip';
    expect(locate(u, { kind: 'mirror', base: 'http://mirror.local/codes/' })).toBe(
      'http://mirror.local/codes/www.cms.gov/files/zip/2027-code-descriptions-tabular-order.zip',
    );
    expect(locate(u, { kind: 'dir', dir: '/nowhere' })).toBe('/nowhere/2027-code-descriptions-tabular-order.zip');
  });
});
