import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImport } from '../run.js';
import { silentProgress } from '../types.js';
import { Store } from '../../store/store.js';

/** A newer fiscal year's order file is read in the same layout; a year past the known ones is refused by name. */
describe('ICD-10-PCS editions', () => {
  const release = 'test/fixtures/icd10pcs/release';
  const withOrder = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-pcs-ed-'));
    for (const f of readdirSync(release)) copyFileSync(join(release, f), join(dir, f));
    copyFileSync(join(release, 'icd10pcs_order_2026.txt'), join(dir, name));
    return dir;
  };

  it('imports a FY2027 order file beside the FY2026 tables', async () => {
    const dir = withOrder('icd10pcs_order_2027.txt');
    try {
      const db = join(dir, 'x.db');
      await runImport({ db, inputs: [dir], progress: silentProgress, incremental: false });
      const store = new Store(db);
      try {
        expect(store.releases().find((r) => r.system === 'icd10pcs')).toMatchObject({ version: 'FY2027', effective: '2026-10-01' });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses FY2031 by name and builds nothing', async () => {
    const dir = withOrder('icd10pcs_order_2031.txt');
    try {
      const db = join(dir, 'x.db');
      await expect(runImport({ db, inputs: [dir], progress: silentProgress, incremental: false })).rejects.toThrow(
        /icd10pcs_order_2031\.txt: ICD-10-PCS FY2031 is newer than the editions this version of MedCodes knows/,
      );
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
