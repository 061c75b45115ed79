import { describe, it, expect, inject } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { useTestApp } from '../helpers.js';
import { createApp } from '../../src/api/app.js';
import { Store } from '../../src/store/store.js';
import { ERROR_CODES, MedCodesError } from '../../src/errors.js';
import { limitsFromEnv } from '../../src/config.js';

/**
 * docs/API.md says what the server answers: its error table is compared with the catalog
 * (src/errors.ts), and every code in it is provoked from a real app and its status checked; the
 * examples of messages in the text are the server's own.
 */

const DOC = readFileSync(fileURLToPath(new URL('../../docs/API.md', import.meta.url)), 'utf8');
/** The text with its line breaks as spaces, for sentences that wrap. */
const TEXT = DOC.replace(/\s+/g, ' ');
const testApp = useTestApp();

/** The rows of the table under "## Errors": code -> HTTP status. */
function errorTable(): Map<string, number> {
  const section = DOC.split(/^## Errors$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = new Map<string, number>();
  for (const m of section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)) rows.set(m[1], Number(m[2]));
  return rows;
}

type Answer = { status: number; code: string | undefined; message: string | undefined; headers: Headers };
async function answer(res: Response): Promise<Answer> {
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message, headers: res.headers };
}

/** One real request per catalog code of the table. */
const PROVOKE: Record<string, () => Promise<Answer>> = {
  not_found: async () => answer(await testApp.app().request('/api/v1/codes/icd10cm/Q99.999')),
  unknown_system: async () => answer(await testApp.app().request('/api/v1/codes/nosuch/E11.9')),
  bad_request: async () => answer(await testApp.app().request('/api/v1/search')),
  invalid_parameter: async () => answer(await testApp.app().request('/api/v1/search?q=fever&limit=500')),
  query_too_long: async () => answer(await testApp.app().request(`/api/v1/search?q=${'a'.repeat(300)}`)),
  payload_too_large: async () => {
    const app = createApp({ store: testApp.store, limits: { maxBodyBytes: 100 } });
    return answer(
      await app.request('/api/v1/validate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ codes: Array.from({ length: 50 }, () => 'E11.9') }),
      }),
    );
  },
  query_too_complex: async () =>
    answer(await testApp.app().request(`/api/icd10pcs/v3/search?${new URLSearchParams({ terms: 'left', q: `${'a '.repeat(300)}zzzz` })}`)),
  overloaded: async () => {
    // A queue of two: requests that reach the full queue before its first turn are refused at once.
    const app = createApp({ store: testApp.store, limits: { queueLimit: 2 } });
    const answers = await Promise.all(Array.from({ length: 4 }, () => app.request('/api/v1/search?q=fracture')));
    return answer(answers.find((r) => r.status === 503)!);
  },
  uri_too_long: async () => answer(await testApp.app().request(`/api/v1/search?q=${'a'.repeat(5000)}`)),
  rate_limited: async () => {
    const app = createApp({ store: testApp.store, limits: { rateLimit: 1 } });
    await app.request('/api/v1/systems');
    return answer(await app.request('/api/v1/systems'));
  },
  method_not_allowed: async () => answer(await testApp.app().request('/api/v1/codes/icd10cm/E11.9', { method: 'DELETE' })),
  timeout: async () => {
    // An upload that never ends.
    const app = createApp({ store: testApp.store, limits: { requestTimeoutMs: 1 } });
    const body = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"codes": [')) });
    return answer(
      await app.request('/api/v1/validate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit),
    );
  },
  forbidden: async () => {
    const app = createApp({ store: testApp.store, limits: { corsOrigins: ['https://app.example'] } });
    return answer(
      await app.request('/mcp', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Origin: 'https://evil.example' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      }),
    );
  },
  no_database: async () => {
    const app = createApp({ store: () => new Store('/nonexistent/medcodes.db') });
    return answer(await app.request('/api/v1/systems'));
  },
  internal: async () => {
    // A store whose connection is gone: the failure is logged, the answer says nothing of it.
    const broken = new Store(inject('dbPath'));
    broken.close();
    const app = createApp({ store: () => broken });
    const error = console.error;
    console.error = () => {};
    try {
      return answer(await app.request('/api/v1/codes/icd10cm/E11.9'));
    } finally {
      console.error = error;
    }
  },
};

describe('docs/API.md, Errors', () => {
  it('lists every request and service code of the catalog with its HTTP status', () => {
    const table = errorTable();
    expect(table.size).toBeGreaterThan(10);
    for (const [code, status] of table) {
      expect(ERROR_CODES, code).toHaveProperty(code);
      expect(status, code).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].http);
    }
    // The catalog's other codes are named in the text as the CLI's (import) codes.
    const cliOnly = DOC.match(/The import codes of the catalog \(([^)]+)\)/)?.[1] ?? '';
    for (const code of Object.keys(ERROR_CODES)) {
      if (!table.has(code)) expect(cliOnly, `${code} is neither in the table nor named as a CLI code`).toContain(`\`${code}\``);
    }
  });

  it.each([...errorTable().keys()].filter((c) => c !== 'invalid_config'))(
    '%s is what the server answers, with that status',
    async (code) => {
      const provoke = PROVOKE[code];
      expect(provoke, `no request provokes ${code}`).toBeDefined();
      const a = await provoke();
      expect(a.code).toBe(code);
      expect(a.status).toBe(errorTable().get(code));
      expect(a.message).toBeTruthy();
      expect(a.message).not.toMatch(/\n\s+at /);
    },
  );

  it('invalid_config is the error of a malformed setting, at start-up', () => {
    let err: unknown;
    try {
      limitsFromEnv({ MEDCODES_RATE_LIMIT: 'many' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as MedCodesError).code).toBe('invalid_config');
    expect((err as MedCodesError).message).toContain('MEDCODES_RATE_LIMIT');
  });

  it('the example error and the quoted messages are the server’s own', async () => {
    const example = DOC.match(/```json\n(\{ "error": .+\})\n```/)?.[1];
    expect(example).toBeDefined();
    const documented = JSON.parse(example!);
    const { code, message } = await PROVOKE.invalid_parameter();
    expect({ error: { code, message } }).toEqual(documented);
    const missing = await PROVOKE.bad_request();
    expect(TEXT).toContain(`A missing required parameter is \`bad_request\` ("${missing.message}")`);
  });

  it('a code set that is known but not loaded is unknown_system, a missing code of a loaded set not_found', async () => {
    expect(TEXT).toMatch(/`unknown_system` \| 404 \| The code system is not known, or not loaded on this server/);
    const a = await answer(await testApp.app().request('/api/v1/codes/cpt/99213'));
    expect([a.status, a.code]).toEqual([404, 'unknown_system']);
    const b = await PROVOKE.not_found();
    expect([b.status, b.code]).toEqual([404, 'not_found']);
  });

  it('405 names the allowed methods', async () => {
    const a = await PROVOKE.method_not_allowed();
    expect(a.headers.get('allow')).toBe('GET, HEAD');
    const post = await answer(await testApp.app().request('/api/v1/validate'));
    expect([post.status, post.code, post.headers.get('allow')]).toEqual([405, 'method_not_allowed', 'POST']);
    const none = await answer(await testApp.app().request('/api/v1/nosuch', { method: 'DELETE' }));
    expect([none.status, none.code]).toEqual([404, 'not_found']);
  });

  it('under /fhir, catalog errors come as an OperationOutcome with the code in details.coding', async () => {
    const system = TEXT.match(/system `(urn:medcodes:error-code)`/)?.[1];
    expect(system).toBe('urn:medcodes:error-code');
    const limited = createApp({ store: testApp.store, limits: { rateLimit: 1 } });
    await limited.request('/fhir/metadata');
    const cases: [Response, string, number][] = [
      [await limited.request('/fhir/metadata'), 'rate_limited', 429],
      [await testApp.app().request(`/fhir/CodeSystem?url=${'a'.repeat(5000)}`), 'uri_too_long', 414],
    ];
    for (const [res, code, status] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/fhir+json');
      const outcome = (await res.json()) as any;
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0].details.coding).toEqual([{ system, code }]);
      expect(outcome.issue[0].details.text).toBeTruthy();
    }
  });
});
