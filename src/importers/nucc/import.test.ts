import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runImport } from '../run.js';
import { silentProgress } from '../types.js';
import { Store } from '../../store/store.js';
import { lookup } from '../../lookup.js';
import { codeKey, isRange } from '../../codes.js';
import { NUCC_NOTICE } from './taxonomy.js';
import { classificationKey, groupingKey, nuccImporter, nuccRelease, nuccSlug } from './import.js';

/**
 * The fixture holds 10 rows of the real 25.1 file, in its order: a Group code, Internal Medicine with
 * Rheumatology under it, Legal Medicine in two groupings, Neurology and Psychiatry (classification
 * Psychiatry & Neurology, which has no classification-level code), Diagnostic Radiology (Radiology,
 * likewise), and the inactive 103GC0700X whose Notes say to use 103G00000X.
 */
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/nucc/import/nucc_taxonomy_251.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'medcodes-nucc-'));
let store: Store;

const importInto = (db: string, inputs: string[]) =>
  runImport({ db, inputs, progress: silentProgress, importers: [nuccImporter], incremental: false });

beforeAll(async () => {
  const [s] = await importInto(join(dir, 'n.db'), [FIXTURE]);
  expect(s).toMatchObject({
    system: 'nucc',
    version: '25.1',
    imported: { codes: 10, active: 9, inactive: 1, classificationsWithoutCode: 2, specializationsUnderThem: 3 },
  });
  store = new Store(join(dir, 'n.db'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NUCC taxonomy import', () => {
  it('builds grouping > classification > specialization', () => {
    const rheum = lookup(store, 'nucc', '207RR0500X');
    expect(rheum).toMatchObject({
      display: 'Rheumatology Physician',
      shortDisplay: 'Rheumatology',
      kind: 'code',
      billable: true,
      status: 'active',
      version: '25.1',
    });
    expect(rheum.parents.map((p) => [p.code, p.display, p.kind])).toEqual([
      ['G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS', 'Allopathic & Osteopathic Physicians', 'group'],
      ['207R00000X', 'Internal Medicine Physician', 'code'],
    ]);
    expect(rheum.properties).toMatchObject({
      grouping: 'Allopathic & Osteopathic Physicians',
      classification: 'Internal Medicine',
      specialization: 'Rheumatology',
      section: 'Individual',
      level: 'Specialization',
    });
    expect(String(rheum.properties!.definition)).toMatch(/^An internist who treats diseases of joints/);
    expect(String(rheum.properties!.notes)).toContain('<br/>');
  });

  it('gives specializations without a classification-level code a node of their classification', () => {
    const psych = lookup(store, 'nucc', '2084P0800X');
    const parent = psych.parents.at(-1)!;
    expect(parent).toMatchObject({ code: 'C-PSYCHIATRY-NEUROLOGY', display: 'Psychiatry & Neurology', kind: 'group', billable: false });
    const node = lookup(store, 'nucc', parent.code);
    expect(node.properties).toMatchObject({ codeless: true, classification: 'Psychiatry & Neurology' });
    expect(node.children.map((c) => c.code)).toEqual(['2084N0400X', '2084P0800X']);
    expect(lookup(store, 'nucc', '2085R0202X').parents.at(-1)!.display).toBe('Radiology');
  });

  it('lists groupings as roots in file order, and keeps one classification per grouping', () => {
    expect(store.roots('nucc').map((r) => r.display)).toEqual([
      'Group',
      'Allopathic & Osteopathic Physicians',
      'Behavioral Health & Social Service Providers',
      'Other Service Providers',
    ]);
    // Legal Medicine is a classification in two groupings, with a code in each.
    expect(lookup(store, 'nucc', '209800000X').parents[0].display).toBe('Allopathic & Osteopathic Physicians');
    expect(lookup(store, 'nucc', '173000000X').parents[0].display).toBe('Other Service Providers');
    const physicians = lookup(store, 'nucc', 'g-allopathic-osteopathic-physicians');
    expect(physicians.children.map((c) => c.code)).toEqual(['207R00000X', '209800000X', 'C-PSYCHIATRY-NEUROLOGY', 'C-RADIOLOGY']);
  });

  it('keeps inactive codes as deleted, with the replacement NUCC names', () => {
    const doc = lookup(store, 'nucc', '103GC0700X');
    expect(doc).toMatchObject({ status: 'deleted', billable: false, display: 'Deactivated - Clinical Neuropsychologist' });
    expect(doc.history).toEqual([
      {
        version: '2007-01-01',
        action: 'deleted',
        display: 'Deactivated - Clinical Neuropsychologist',
        replacedBy: [{ code: '103G00000X', display: 'Clinical Neuropsychologist' }],
      },
    ]);
    // Hidden among the children of its active parent, as deleted codes are.
    expect(lookup(store, 'nucc', '103G00000X').children).toEqual([]);
  });

  it('stores the release with the notice the licence requires, shown on every code', () => {
    expect(store.releases()).toEqual([
      expect.objectContaining({ system: 'nucc', version: '25.1', effective: '2025-07-01', notice: NUCC_NOTICE }),
    ]);
    expect(lookup(store, 'nucc', '207R00000X').notice).toBe(NUCC_NOTICE);
  });
});

describe('NUCC keys and releases', () => {
  it('makes keys that are URL-safe, survive codeKey and are never ranges or codes', () => {
    const keys = [
      groupingKey('Respiratory, Developmental, Rehabilitative and Restorative Service Providers'),
      groupingKey('Allopathic & Osteopathic Physicians'),
      groupingKey('Group'),
      classificationKey('Psychiatry & Neurology'),
      groupingKey('X'.repeat(50)),
    ];
    expect(keys).toEqual([
      'G-RESPIRATORY-DEVELOPMENTAL',
      'G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS',
      'G-GROUP',
      'C-PSYCHIATRY-NEUROLOGY',
      `G-${'X'.repeat(36)}`,
    ]);
    for (const k of keys) {
      expect(k.length).toBeLessThanOrEqual(40);
      expect(k).toMatch(/^[A-Z0-9-]+$/);
      expect(codeKey('nucc', k)).toBe(k);
      expect(codeKey('nucc', k.toLowerCase())).toBe(k);
      expect(isRange(k)).toBe(false);
      expect(k).not.toMatch(/^[0-9A-Z]{9}X$/);
    }
    expect(nuccSlug(' Student, Health Care ')).toBe('STUDENT-HEALTH-CARE');
  });

  it('reads the release from the file name', () => {
    expect(nuccRelease('251')).toEqual({ version: '25.1', effective: '2025-07-01', year: 2025 });
    expect(nuccRelease('240')).toEqual({ version: '24.0', effective: '2024-01-01', year: 2024 });
    expect(nuccRelease('260')).toEqual({ version: '26.0', effective: '2026-01-01', year: 2026 });
    expect(() => nuccRelease('252')).toThrow(/nucc_taxonomy_252\.csv: release 25\.2 is not a NUCC release number/);
    expect(nuccRelease('90')).toEqual({ version: '9.0', effective: '2009-01-01', year: 2009 });
  });

  it('claims the official name and a renamed file by its header, nothing else', async () => {
    const d = mkdtempSync(join(dir, 'nucc-claim-'));
    copyFileSync(FIXTURE, join(d, 'taxonomy.csv'));
    writeFileSync(join(d, 'other.csv'), 'Code,Description\r\nA,B\r\n');
    expect(await nuccImporter.claim(FIXTURE)).toBe(true);
    expect(await nuccImporter.claim(join(d, 'taxonomy.csv'))).toBe(true);
    expect(await nuccImporter.claim(join(d, 'other.csv'))).toBe(false);
    // A renamed file is dated by the newest date in its Notes (1/1/2019 in the fixture rows: 19.0).
    const [s] = await importInto(join(d, 'r.db'), [join(d, 'taxonomy.csv')]);
    expect(s.version).toBe('19.0');
    rmSync(d, { recursive: true, force: true });
  });
});

describe('broken NUCC input', () => {
  it('names file and line, and leaves the database alone', async () => {
    const d = mkdtempSync(join(dir, 'nucc-bad-'));
    const db = join(d, 'n.db');
    await importInto(db, [FIXTURE]);
    const before = readFileSync(db);
    const lines = readFileSync(FIXTURE, 'utf8').split('\r\n');
    lines[3] = lines[3].slice(0, 40); // cut a row short: too few fields
    writeFileSync(join(d, 'nucc_taxonomy_251.csv'), lines.join('\r\n'));
    await expect(importInto(db, [join(d, 'nucc_taxonomy_251.csv')])).rejects.toThrow(
      /nucc_taxonomy_251\.csv, line 4: row has \d fields, expected 8/,
    );
    expect(readFileSync(db).equals(before)).toBe(true);
    rmSync(d, { recursive: true, force: true });
  });

  it('refuses two groupings that would share a key', async () => {
    const d = mkdtempSync(join(dir, 'nucc-clash-'));
    const text = readFileSync(FIXTURE, 'utf8').replace(
      '209800000X,Allopathic & Osteopathic Physicians',
      '209800000X,Allopathic / Osteopathic Physicians',
    );
    writeFileSync(join(d, 'nucc_taxonomy_251.csv'), text);
    await expect(importInto(join(d, 'n.db'), [join(d, 'nucc_taxonomy_251.csv')])).rejects.toThrow(
      'nucc_taxonomy_251.csv: "Allopathic & Osteopathic Physicians" and "Allopathic / Osteopathic Physicians" give the same key G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS',
    );
    rmSync(d, { recursive: true, force: true });
  });
});
