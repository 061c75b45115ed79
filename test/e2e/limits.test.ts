import { describe, it, expect, beforeAll, afterAll, inject, vi } from 'vitest';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { DEFAULT_LIMITS, limitsFromEnv, type Limits } from '../../src/config.js';
import { MedCodesError } from '../../src/errors.js';

/** Limits and safety: rate limits, body and query-string sizes, time limits, CORS, security headers. */

let store: Store;
beforeAll(() => {
  store = new Store(inject('dbPath'));
});
afterAll(() => store.close());

const appWith = (limits: Partial<Limits> = {}) => createApp({ store: () => store, limits });

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After after the configured number of requests', async () => {
    const app = appWith({ rateLimit: 3, rateWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const ok = await app.request('/api/v1/codes/icd10cm/E11.9');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('RateLimit-Remaining')).toBe(String(2 - i));
    }
    const res = await app.request('/api/v1/search?q=diabetes');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('Retry-After'))).toBeLessThanOrEqual(60);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/^more than 3 requests in 60 s from this client; retry in \d+ s$/) },
    });
    // The limit covers /fhir too, with a FHIR answer; pages and CORS preflights are not limited.
    const fhir = await app.request('/fhir/metadata');
    expect(fhir.status).toBe(429);
    expect(fhir.headers.get('Content-Type')).toMatch(/^application\/fhir\+json/);
    expect(await fhir.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'throttled', details: { coding: [{ system: 'urn:medcodes:error-code', code: 'rate_limited' }] } }],
    });
    expect((await app.request('/')).status).toBe(200);
    expect(
      (
        await app.request('/api/v1/search', {
          method: 'OPTIONS',
          headers: { Origin: 'https://a.example', 'Access-Control-Request-Method': 'GET' },
        })
      ).status,
    ).toBe(204);
  });

  it('counts each client by its socket address, and by X-Forwarded-For only behind a trusted proxy', async () => {
    const listen = async (limits: Partial<Limits>) => {
      const app = appWith({ rateLimit: 2, ...limits });
      const server = await new Promise<Server>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
      });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = (xff?: string) =>
        fetch(`${base}/api/v1/systems/icd10cm`, { headers: xff ? { 'X-Forwarded-For': xff } : {} }).then((r) => r.status);
      return { get, close: () => new Promise((r) => server.close(r)) };
    };
    // Not trusted: a forged X-Forwarded-For does not buy a fresh quota.
    const direct = await listen({ trustProxy: 0 });
    try {
      expect([await direct.get('10.0.0.1'), await direct.get('10.0.0.2'), await direct.get('10.0.0.3')]).toEqual([200, 200, 429]);
    } finally {
      await direct.close();
    }
    // Behind one proxy: the address it appended (the right-most) is the client.
    const proxied = await listen({ trustProxy: 1 });
    try {
      expect([await proxied.get('6.6.6.6, 10.0.0.1'), await proxied.get('7.7.7.7, 10.0.0.1'), await proxied.get('10.0.0.1')]).toEqual([
        200, 200, 429,
      ]);
      expect(await proxied.get('10.0.0.1, 10.0.0.2')).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});

describe('request size', () => {
  it('answers 413 payload_too_large for a body over the limit, declared or chunked', async () => {
    const app = appWith({ maxBodyBytes: 100 });
    const small = await app.request('/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"codes": ["E11.9"]}',
    });
    expect(small.status).toBe(200);
    const big = JSON.stringify({ codes: Array(30).fill('E11.9') });
    const declared = await app.request('/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { code: 'payload_too_large', message: 'the request body is larger than 100 bytes' } });
    const chunks = [big.slice(0, 60), big.slice(60)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const chunked = await app.request('/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await chunked.json()).error.code).toBe('payload_too_large');
  });

  it('answers 414 uri_too_long for a query string over the limit', async () => {
    const app = appWith({ maxQueryBytes: 512 });
    expect((await app.request(`/api/v1/search?q=${'a'.repeat(300)}`)).status).toBe(400);
    const res = await app.request(`/api/v1/search?q=${'a'.repeat(600)}`);
    expect(res.status).toBe(414);
    expect(await res.json()).toEqual({ error: { code: 'uri_too_long', message: 'the query string is longer than 512 bytes' } });
    const fhir = await app.request(`/fhir/CodeSystem/$lookup?code=${'a'.repeat(600)}`);
    expect(fhir.status).toBe(414);
    expect(await fhir.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        {
          code: 'too-long',
          details: {
            text: 'the query string is longer than 512 bytes',
            coding: [{ system: 'urn:medcodes:error-code', code: 'uri_too_long' }],
          },
        },
      ],
    });
  });
});

describe('hostile and malformed requests', () => {
  it('get 400 or 404 with a catalog code, as JSON, never a stack trace', async () => {
    const app = appWith();
    const cases: [string, number, string][] = [
      ['/api/v1/search?q=x&limit=-1', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&limit=1e400', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&offset=99999999999', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&limit=0x10', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&status=%3Cscript%3E', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&billable=1', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&year=abc', 400, 'invalid_parameter'],
      ['/api/v1/search?q=x&system=%00', 404, 'unknown_system'],
      ['/api/v1/search?q=%00%01%02', 200, ''],
      [`/api/v1/search?q=${'%E2%80%AE'.repeat(300)}`, 400, 'query_too_long'],
      ['/api/v1/codes/icd10cm/%E0%A4%A', 404, 'not_found'],
      [`/api/v1/codes/icd10cm/${'9'.repeat(100)}`, 400, 'invalid_parameter'],
      ['/api/v1/codes/icd10cm/..%2F..%2Fetc%2Fpasswd', 404, 'not_found'],
      ['/api/v1/codes/%3Cscript%3E/E11.9', 404, 'unknown_system'],
      ['/api/v1/codes/icd10cm/E11.9/similar?limit=1000', 400, 'invalid_parameter'],
      ['/api/v1/icd10pcs/tables/0DT?chars=%27%3B--', 400, 'invalid_parameter'],
      ['/api/v1/validate', 405, 'method_not_allowed'],
    ];
    for (const [url, status, code] of cases) {
      const res = await app.request(url);
      expect(res.status, url).toBe(status);
      expect(res.headers.get('Content-Type'), url).toMatch(/^application\/json/);
      const text = await res.text();
      expect(text, url).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
      if (code) expect(JSON.parse(text).error.code, url).toBe(code);
    }
    const post = (body: string, type = 'application/json') =>
      app.request('/api/v1/validate', { method: 'POST', headers: { 'content-type': type }, body });
    expect((await (await post('{"codes": [')).json()).error.code).toBe('bad_request');
    expect((await (await post('{"__proto__": {"codes": ["E11.9"]}}')).json()).error).toEqual({
      code: 'bad_request',
      message: 'the codes body field is required',
    });
    expect((await (await post('[]')).json()).error.code).toBe('bad_request');
    expect((await post('\xff\xfe', 'text/csv')).status).toBe(200);
    const notUtf8 = await app.request('/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: new Uint8Array([0xc3, 0x28]),
    });
    expect(await notUtf8.json()).toEqual({ error: { code: 'bad_request', message: 'the request body is not valid UTF-8' } });
  });

  it('an unexpected failure is a 500 internal with no detail', async () => {
    const app = createApp({
      store: () => {
        throw new Error('secret detail at /srv/medcodes/src/store.ts:12');
      },
    });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await app.request('/api/v1/systems');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'internal', message: 'An unexpected error occurred.' } });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('time limit', () => {
  it('answers 503 timeout when a request body does not arrive in time', async () => {
    const app = appWith({ requestTimeoutMs: 50 });
    // A body that starts and never finishes (a slow or stalled upload).
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"codes": ['));
      },
    });
    const started = Date.now();
    const res = await app.request('/api/v1/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stalled,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'timeout', message: 'the request took longer than 50 ms' } });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('CORS', () => {
  it('allows any origin on /api by default, with preflight, and not on pages', async () => {
    const app = appWith();
    const pre = await app.request('/api/v1/validate', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    expect(pre.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('content-type');
    const get = await app.request('/api/v1/codes/icd10cm/E11.9', { headers: { Origin: 'https://app.example' } });
    expect(get.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(get.headers.get('Access-Control-Expose-Headers')).toContain('Retry-After');
    expect((await app.request('/', { headers: { Origin: 'https://app.example' } })).headers.get('Access-Control-Allow-Origin')).toBeNull();
    // Every kind of machine answer carries it: FHIR resources, Clinical Tables arrays, errors.
    for (const path of [
      '/fhir/metadata',
      '/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9',
      '/fhir/CodeSystem/$lookup?code=nope',
      '/api/icd10cm/v3/search?terms=x',
      '/api/v1/codes/icd10cm/Q99.999',
      '/api/nowhere',
    ]) {
      const res = await app.request(path, { headers: { Origin: 'https://app.example' } });
      expect(res.headers.get('Access-Control-Allow-Origin'), path).toBe('*');
      expect(res.headers.get('Cross-Origin-Resource-Policy'), path).toBe('cross-origin');
    }
  });

  it('allows only the configured origins, and none when configured empty', async () => {
    const app = appWith({ corsOrigins: ['https://good.example'] });
    const good = await app.request('/api/v1/systems', { headers: { Origin: 'https://good.example' } });
    expect(good.headers.get('Access-Control-Allow-Origin')).toBe('https://good.example');
    expect(good.headers.get('Vary')).toContain('Origin');
    const bad = await app.request('/api/v1/systems', { headers: { Origin: 'https://evil.example' } });
    expect(bad.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const off = appWith({ corsOrigins: [] });
    expect(
      (await off.request('/api/v1/systems', { headers: { Origin: 'https://good.example' } })).headers.get('Access-Control-Allow-Origin'),
    ).toBeNull();
  });
});

describe('security headers', () => {
  it('are on pages, API answers and errors', async () => {
    const app = appWith();
    for (const [url, status] of [
      ['/', 200],
      ['/codes/icd10cm/E11.9', 200],
      ['/api', 200],
      ['/api/v1/codes/icd10cm/E11.9', 200],
      ['/api/v1/search', 400],
      ['/nothing', 404],
      ['/openapi.json', 200],
    ] as const) {
      const res = await app.request(url);
      expect(res.status, url).toBe(status);
      expect(res.headers.get('Content-Security-Policy'), url).toBe(CSP);
      expect(res.headers.get('X-Content-Type-Options'), url).toBe('nosniff');
      expect(res.headers.get('Referrer-Policy'), url).toBe('same-origin');
      expect(res.headers.get('X-Frame-Options'), url).toBe('DENY');
      expect(res.headers.get('Cross-Origin-Opener-Policy'), url).toBe('same-origin');
      expect(res.headers.get('Cross-Origin-Resource-Policy'), url).toBe(
        url === '/' || url.startsWith('/codes') || url === '/nothing' ? 'same-origin' : 'cross-origin',
      );
      expect(res.headers.get('X-Powered-By'), url).toBeNull();
    }
  });
});

describe('configuration', () => {
  it('reads the limits from the environment, and names a malformed variable', () => {
    expect(limitsFromEnv({})).toEqual(DEFAULT_LIMITS);
    expect(
      limitsFromEnv({
        MEDCODES_RATE_LIMIT: '10',
        MEDCODES_RATE_WINDOW_MS: '1000',
        MEDCODES_MAX_BODY_BYTES: '2048',
        MEDCODES_CORS_ORIGINS: 'https://a.example, http://localhost:3000',
        MEDCODES_TRUST_PROXY: 'true',
        MEDCODES_REQUEST_TIMEOUT_MS: '0',
      }),
    ).toMatchObject({
      rateLimit: 10,
      rateWindowMs: 1000,
      maxBodyBytes: 2048,
      corsOrigins: ['https://a.example', 'http://localhost:3000'],
      trustProxy: 1,
      requestTimeoutMs: 0,
    });
    expect(limitsFromEnv({ MEDCODES_CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(limitsFromEnv({ MEDCODES_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    for (const [name, value] of [
      ['MEDCODES_RATE_LIMIT', 'lots'],
      ['MEDCODES_MAX_QUERY_BYTES', '10'],
      ['MEDCODES_CORS_ORIGINS', 'https://a.example/path'],
      ['MEDCODES_TRUST_PROXY', 'maybe'],
    ]) {
      let err: unknown;
      try {
        limitsFromEnv({ [name]: value });
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(MedCodesError);
      expect((err as MedCodesError).code).toBe('invalid_config');
      expect((err as MedCodesError).message).toContain(name);
    }
  });
});
