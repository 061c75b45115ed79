import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImport } from '../run.js';
import { silentProgress } from '../types.js';
import { Store } from '../../store/store.js';

/** Editions of the ICD-10-CM files: CDC's hyphenated and April names are read, unknown years refused. */
describe('ICD-10-CM editions', () => {
  const slice = 'test/fixtures/icd10cm/icd10cm_order_2026-slice.txt';

  it('reads an April edition of CDC (icd10cm-order-April-YYYY.txt) as a mid-year release of its fiscal year', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-ed-'));
    try {
      copyFileSync(slice, join(dir, 'icd10cm-order-April-2027.txt'));
      const db = join(dir, 'x.db');
      const [s] = await runImport({
        db,
        inputs: [join(dir, 'icd10cm-order-April-2027.txt')],
        progress: silentProgress,
        incremental: false,
      });
      expect(s.version).toBe('FY2027');
      const store = new Store(db);
      try {
        expect(store.releases()[0]).toMatchObject({ version: 'FY2027', effective: '2027-04-01' });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an edition newer than the ones it knows, by name, and builds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-ed-'));
    try {
      copyFileSync(slice, join(dir, 'icd10cm_order_2031.txt'));
      const db = join(dir, 'x.db');
      await expect(runImport({ db, inputs: [dir], progress: silentProgress, incremental: false })).rejects.toThrow(
        /icd10cm_order_2031\.txt: ICD-10-CM FY2031 is newer than the editions this version of MedCodes knows/,
      );
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
