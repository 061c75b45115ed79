import { describe, it, expect, inject } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../helpers.js';
import { Store } from '../../src/store/store.js';
import { entityTag, matches } from '../../src/api/caching.js';

/**
 * Conditional GETs (src/api/caching.ts): code documents, code pages, FHIR reads and searches carry
 * an ETag from the loaded data and the URL and a Cache-Control, and answer If-None-Match with 304.
 */

const testApp = useTestApp();
const get = (path: string, headers: Record<string, string> = {}) => testApp.app().request(path, { headers });

describe('ETag and Cache-Control', () => {
  const reads: [string, string][] = [
    ['/api/v1/codes/icd10cm/E11.9', 'public, max-age=3600'],
    ['/api/v1/codes/icd10cm/E11.9/children', 'public, max-age=3600'],
    ['/api/v1/systems', 'public, max-age=3600'],
    ['/codes/icd10cm/E11.9', 'public, max-age=3600'],
    ['/fhir/CodeSystem/icd10cm', 'public, max-age=3600'],
    ['/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9', 'public, max-age=3600'],
    ['/api/v1/search?q=fever', 'public, max-age=300'],
    ['/api/icd10cm/v3/search?terms=fever', 'public, max-age=300'],
  ];

  it.each(reads)('%s: tagged, and 304 when the tag is sent back', async (path, cacheControl) => {
    const first = await get(path, { Origin: 'https://app.example' });
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe(cacheControl);
    const again = await get(path, { 'If-None-Match': tag, Origin: 'https://app.example' });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // A 304 carries what the 200 would (RFC 9110 15.4.5), CORS included for /api and /fhir.
    expect(again.headers.get('etag')).toBe(tag);
    expect(again.headers.get('cache-control')).toBe(cacheControl);
    if (!path.startsWith('/codes')) expect(again.headers.get('access-control-allow-origin')).toBe('*');
    // Weak comparison, and a list of tags.
    expect((await get(path, { 'If-None-Match': `"other", W/${tag}` })).status).toBe(304);
    expect((await get(path, { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('differs by URL', async () => {
    const a = (await get('/api/v1/codes/icd10cm/E11.9')).headers.get('etag');
    const b = (await get('/api/v1/codes/icd10cm/E11.8')).headers.get('etag');
    const c = (await get('/api/v1/search?q=fever&limit=5')).headers.get('etag');
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('leaves errors, redirects, posts and other paths untagged', async () => {
    for (const path of ['/api/v1/codes/icd10cm/Q99.999', '/codes/icd10cm/e119', '/fhir/CodeSystem/nosuch', '/health', '/']) {
      const res = await get(path);
      expect(res.headers.get('etag'), path).toBeNull();
      expect(res.headers.get('cache-control') ?? '', path).not.toMatch(/public/);
    }
    const post = await testApp.app().request('/api/v1/validate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ codes: ['E11.9'] }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('etag')).toBeNull();
  });

  it('changes when the articles file changes (an article imported while the server runs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-etag-'));
    const articlesPath = join(dir, 'articles.db');
    const store = new Store(inject('dbPath'), { articlesPath });
    try {
      const url = 'http://localhost/api/v1/codes/icd10cm/E11.9';
      const before = entityTag(store, url);
      expect(entityTag(store, url)).toBe(before);
      writeFileSync(articlesPath, 'x');
      const after = entityTag(store, url);
      expect(after).not.toBe(before);
      expect(entityTag(store, 'http://other.example/api/v1/codes/icd10cm/E11.9')).not.toBe(after);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads If-None-Match as RFC 9110 says', () => {
    expect(matches('*', '"a"')).toBe(true);
    expect(matches('"a"', '"a"')).toBe(true);
    expect(matches('W/"a"', '"a"')).toBe(true);
    expect(matches(' "b" ,"a"', '"a"')).toBe(true);
    expect(matches('"b"', '"a"')).toBe(false);
    expect(matches('a', '"a"')).toBe(false);
    expect(matches(undefined, '"a"')).toBe(false);
  });
});

describe('CORS preflights', () => {
  it('allow what API, FHIR and MCP clients send', async () => {
    for (const path of ['/api/v1/codes/icd10cm/E11.9', '/fhir/CodeSystem/$lookup', '/mcp']) {
      const res = await testApp.app().request(path, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'authorization, if-none-match',
        },
      });
      expect(res.status, path).toBe(204);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
      for (const h of ['authorization', 'content-type', 'if-none-match', 'prefer', 'mcp-session-id', 'mcp-protocol-version'])
        expect(allowed, `${path} ${h}`).toContain(h);
    }
  });
});

describe('unknown_system for a code set that is known but not loaded', () => {
  it('is unknown_system on a code and its parts, not_found for a missing code of a loaded set', async () => {
    for (const path of [
      '/api/v1/codes/cpt/99213',
      '/api/v1/codes/cpt/99213/children',
      '/api/v1/codes/loinc/2345-7/crosswalks',
      '/api/v1/codes/snomedct/22298006/similar',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, path).toBe('unknown_system');
      expect(body.error.message, path).toMatch(/is not loaded/);
    }
    const missing = (await (await get('/api/v1/codes/icd10cm/Q99.999')).json()) as { error: { code: string } };
    expect(missing.error.code).toBe('not_found');
  });
});
