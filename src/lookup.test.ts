import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Store } from './store/store.js';
import { lookup } from './lookup.js';
import { createApp } from './api/app.js';

let store: Store;
beforeAll(() => {
  store = new Store(inject('dbPath'));
});
afterAll(() => store.close());

describe('lookup: where notes come from', () => {
  it('names the Tabular and Index releases of a code’s notes and index entries', () => {
    const d = lookup(store, 'icd10cm', 'E11.9', { extras: false });
    expect(d.notesRelease).toEqual({ tabular: 'FY2017', index: expect.arrayContaining(['FY2017']) });
  });

  it('says that the loaded Tabular has no notes for a code added after it, and how to get current ones', () => {
    const d = lookup(store, 'icd10cm', 'B88.01', { extras: false });
    expect(d.notesRelease?.missing).toMatch(
      /The loaded Tabular List \(FY2017\) has no notes for B88\.01, added in FY2026.*medcodes update/,
    );
  });

  it('the code page says it in one line of the notes', async () => {
    const app = createApp({ store: () => store });
    const page = await (await app.request('/codes/icd10cm/B88.01')).text();
    expect(page).toContain('The loaded Tabular List (FY2017) has no notes for B88.01, added in FY2026');
    expect(await (await app.request('/codes/icd10cm/E11.9')).text()).toContain('From the ICD-10-CM Tabular FY2017.');
  });

  it('gives each history event its first day', () => {
    const d = lookup(store, 'icd10cm', 'B88.01', { extras: false });
    expect(d.history.find((h) => h.action === 'added')).toMatchObject({ version: 'FY2026', effective: '2025-10-01' });
  });
});
