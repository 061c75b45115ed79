import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';

let store: Store;
let app: ReturnType<typeof createApp>;
beforeAll(() => {
  store = new Store(inject('dbPath'));
  app = createApp({ store: () => store });
});
afterAll(() => store.close());

const page = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
};

describe('server-rendered pages', () => {
  it('home page has a labelled search box and the loaded code sets', async () => {
    const p = await page('/');
    expect(p.status).toBe(200);
    expect(p.html).toContain('<label for="q"');
    expect(p.html).toMatch(/ICD-10-CM<\/a> FY2026/);
  });

  it('search works without JavaScript', async () => {
    const p = await page('/search?q=nstemi');
    expect(p.html).toContain('href="/codes/icd10cm/I21.4"');
  });

  it('code page shows title, breadcrumb, notes and history, escaped', async () => {
    const p = await page('/codes/icd10cm/I21.4');
    expect(p.html).toContain('<title>I21.4 Non-ST elevation (NSTEMI) myocardial infarction | MedCodes</title>');
    expect(p.html).toContain('href="/codes/icd10cm/I20-I25"');
    expect(p.html).toContain('Excludes2');
    const xss = await page('/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(xss.html).not.toContain('<script>alert(1)</script>');
    expect(xss.html).toContain('&lt;script&gt;');
  });

  it('unknown code and unknown page answer 404 with a search box', async () => {
    const p = await page('/codes/icd10cm/Q99.999');
    expect(p.status).toBe(404);
    expect(p.html).toContain('name="q"');
    expect((await page('/nowhere')).status).toBe(404);
  });
});
