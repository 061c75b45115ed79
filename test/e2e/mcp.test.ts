import { describe, it, expect, beforeAll, afterAll, inject } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Store } from '../../src/store/store.js';
import { createApp } from '../../src/api/app.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { ERROR_CODES } from '../../src/errors.js';
import { runCli } from '../../src/cli.js';

/**
 * The MCP server driven by the SDK's own Client: in process (InMemoryTransport), over stdio (the CLI
 * spawned as a client would) and over Streamable HTTP (createApp behind a real Node server). The
 * client checks every structuredContent against the tool's published output schema.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let store: Store;
let client: Client;

beforeAll(async () => {
  store = new Store(inject('dbPath'));
  const server = createMcpServer({ store: () => store });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'medcodes-test', version: '1.0.0' });
  await client.connect(clientSide);
});
afterAll(async () => {
  await client.close();
  store.close();
});

const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;
const sc = (r: CallToolResult) => r.structuredContent as any;

describe('MCP tools, in process', () => {
  it('lists the seven tools, read-only, each with input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'search_codes',
      'lookup_code',
      'validate_codes',
      'translate_code',
      'list_children',
      'explain_code',
      'list_code_systems',
    ]);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations?.readOnlyHint).toBe(true);
      expect(t.description!.length).toBeGreaterThan(150);
    }
  });

  it('pins the tool list and schemas (a change to what agents see is a deliberate one)', async () => {
    const { tools } = await client.listTools();
    expect(
      tools.map((t) => ({ name: t.name, title: t.title, inputSchema: t.inputSchema, outputSchema: t.outputSchema })),
    ).toMatchSnapshot();
  });

  it('search_codes finds codes from lay words, with the release and a text rendering', async () => {
    const r = await call('search_codes', { query: 'heart attack', systems: ['icd10cm'], limit: 5 });
    expect(r.isError).toBeFalsy();
    const s = sc(r);
    expect(s.results.length).toBe(5);
    expect(s.results[0].code).toMatch(/^I21/);
    expect(s.results[0].uri).toBe(`medcodes://icd10cm/${s.results[0].code}`);
    expect(s.releases).toEqual([
      expect.objectContaining({ system: 'icd10cm', version: 'FY2026', licence: expect.stringContaining('public domain') }),
    ]);
    expect(text(r)).toContain(s.results[0].code);
    expect(text(r)).toContain('ICD-10-CM FY2026');
  });

  it('search_codes takes filters: billable, range', async () => {
    const s = sc(await call('search_codes', { query: 'diabetes', range: 'E08-E13', billable: true, limit: 20 }));
    expect(s.results.length).toBeGreaterThan(0);
    for (const h of s.results) {
      expect(h.billable).toBe(true);
      expect(h.code >= 'E08' && h.code < 'E14').toBe(true);
    }
  });

  it('lookup_code answers the code document: notes with their release, seventh characters, index, history, crosswalks, similar', async () => {
    const r = await call('lookup_code', { system: 'icd10cm', code: 'i214' });
    const d = sc(r);
    expect(d).toMatchObject({ system: 'icd10cm', code: 'I21.4', billable: true, status: 'active', release: { version: 'FY2026' } });
    expect(d.parents.map((p: any) => p.code)).toEqual(['I00-I99', 'I20-I25', 'I21']);
    expect(d.notes).toContainEqual({ kind: 'inclusionTerm', text: 'Non-Q wave myocardial infarction NOS', version: 'FY2017' });
    expect(d.inheritedNotes).toContainEqual(expect.objectContaining({ kind: 'excludes2', from: 'I21' }));
    expect(d.indexTermCount).toBeGreaterThan(0);
    expect(d.mappings).toContainEqual(expect.objectContaining({ direction: 'to', system: 'icd9cm', source: 'gems' }));
    expect(d.similar.length).toBeGreaterThan(0);
    for (const s of d.similar) expect(s.reason.length).toBeGreaterThan(0);
    expect(text(r)).toContain('# I21.4');
    expect(text(r)).toContain('excludes2 (from I21)');

    const fracture = sc(await call('lookup_code', { system: 'icd10cm', code: 'S52.521A' }));
    expect(fracture.seventhCharacters).toContainEqual(expect.objectContaining({ char: 'A', selected: true }));
    expect(fracture.seventhCharacters.length).toBeGreaterThan(3);
  });

  it('lookup_code without a system finds it from the shape of the code', async () => {
    expect(sc(await call('lookup_code', { code: 'E11.9' })).system).toBe('icd10cm');
    expect(sc(await call('lookup_code', { code: '0DTJ4ZZ' })).system).toBe('icd10pcs');
    expect(sc(await call('lookup_code', { code: 'A4466' })).system).toBe('hcpcs');
    // Undotted, J1100 is both ICD-10-CM J11.00 and HCPCS J1100: the answer says so.
    expect(sc(await call('lookup_code', { code: 'J1100' }))).toMatchObject({ system: 'icd10cm', code: 'J11.00', alsoIn: ['hcpcs'] });
  });

  it('validate_codes judges each code, on a date of service', async () => {
    const r = await call('validate_codes', { codes: ['E11.9', 'E11', { system: 'icd10cm', code: 'E11.99' }, 'xyz!'], date: '2025-06-01' });
    const v = sc(r);
    expect(v.results.map((x: any) => x.status)).toEqual(['valid', 'header', 'unknown', 'invalid']);
    expect(v.results[2].closest.code).toBe('E11.9');
    expect(v.summary).toMatchObject({ valid: 1, header: 1, unknown: 1, invalid: 1 });
    expect(v.date).toBe('2025-06-01');
    expect(text(r)).toContain('header');
  });

  it('translate_code maps through the GEMs with their flags', async () => {
    const t = sc(await call('translate_code', { system: 'icd9cm', code: '250.00', direction: 'to' }));
    expect(t.mappings).toContainEqual(expect.objectContaining({ system: 'icd10cm', code: 'E11.9', approximate: true, source: 'gems' }));
    const back = sc(await call('translate_code', { system: 'icd10cm', code: 'E11.9', direction: 'from' }));
    expect(back.mappings.every((m: any) => m.direction === 'from')).toBe(true);
    expect(back.releases.map((r: any) => r.system)).toEqual(['icd10cm', 'icd9cm']);
  });

  it('list_children browses down from the top of a system', async () => {
    const top = sc(await call('list_children', { system: 'icd10cm' }));
    expect(top.children[0].kind).toBe('chapter');
    const e11 = sc(await call('list_children', { system: 'icd10cm', code: 'E11' }));
    expect(e11.children.map((c: any) => c.code)).toContain('E11.9');
    expect(e11.parents.map((p: any) => p.code)).toEqual(['E00-E89', 'E08-E13']);
  });

  it('explain_code answers the plain-language sections with their provenance', async () => {
    const r = await call('explain_code', { system: 'icd10pcs', code: '0DTJ4ZZ' });
    const a = sc(r);
    expect(a.kind).toBe('procedure');
    expect(a.sections[0]).toMatchObject({ id: 'summary', source: 'official', provenance: 'official: ICD-10-PCS FY2026' });
    expect(text(r)).toContain('## Summary');
  });

  it('list_code_systems says what is loaded, with releases, licences and notices', async () => {
    const s = sc(await call('list_code_systems', {}));
    const by = Object.fromEntries(s.systems.map((x: any) => [x.system, x]));
    expect(by.icd10cm).toMatchObject({ loaded: true, release: { version: 'FY2026' } });
    expect(by.nucc.release.notice).toContain('American Medical Association');
    expect(by.cpt).toMatchObject({ loaded: false, bundled: false });
  });

  it('errors are tool errors with the catalog code and message', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['lookup_code', { system: 'icd10cm', code: 'Z99.999' }, 'not_found'],
      ['lookup_code', { system: 'nosuch', code: 'E11.9' }, 'unknown_system'],
      ['lookup_code', { system: 'cpt', code: '99213' }, 'unknown_system'],
      ['search_codes', { query: 'x'.repeat(300) }, 'invalid_parameter'],
      ['search_codes', { query: 'fever', limit: 500 }, 'invalid_parameter'],
      ['search_codes', {}, 'bad_request'],
      ['validate_codes', { codes: ['E11.9'], date: '2025-02-30' }, 'invalid_parameter'],
      ['validate_codes', { codes: Array.from({ length: 10_001 }, () => 'E11.9') }, 'payload_too_large'],
    ];
    for (const [name, args, code] of cases) {
      const r = await call(name, args);
      expect(r.isError, `${name} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect((r._meta as any)['medcodes/error'].code, `${name} ${JSON.stringify(args).slice(0, 80)}`).toBe(code);
      expect(text(r)).toMatch(new RegExp(`^error \\[${code}\\]: .+`));
    }
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/no_such_tool/);
  });

  it('never crashes on generated hostile arguments: a result, or a tool error with a catalog code', async () => {
    const { tools } = await client.listTools();
    const junk = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        '',
        ' ',
        'E11.9',
        'icd10cm',
        'http://hl7.org/fhir/sid/icd-10-cm',
        '2025-13-45',
        '../../etc/passwd',
        '\u0000',
        'E08-E13',
        '*',
      ),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(
        fc.oneof(fc.string({ maxLength: 12 }), fc.record({ system: fc.string({ maxLength: 10 }), code: fc.string({ maxLength: 10 }) })),
        { maxLength: 5 },
      ),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    const keys = [...new Set(tools.flatMap((t) => Object.keys((t.inputSchema.properties ?? {}) as object)))];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...tools.map((t) => t.name)),
        fc.dictionary(fc.constantFrom(...keys), junk, { maxKeys: 4 }),
        async (name, args) => {
          const r = await call(name, args);
          if (r.isError) {
            const code = (r._meta as any)['medcodes/error'].code;
            expect(Object.keys(ERROR_CODES)).toContain(code);
            // A bad argument is the caller's error, never an unexpected failure of ours.
            expect(code).not.toBe('internal');
          } else expect(r.structuredContent).toBeDefined();
          expect(text(r)).not.toMatch(/\n\s+at /);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('serves code pages as resources medcodes://{system}/{code}, and completes their variables', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['medcodes://{system}/{code}']);
    const page = await client.readResource({ uri: 'medcodes://icd10cm/E11.9' });
    const body = (page.contents[0] as { text: string }).text;
    expect(page.contents[0].mimeType).toBe('text/markdown');
    expect(body).toContain('# E11.9 — Type 2 diabetes mellitus without complications');
    expect(body).toContain('## Summary');
    expect(body).toContain('ICD-10-CM FY2026');
    await expect(client.readResource({ uri: 'medcodes://icd10cm/Q99.999' })).rejects.toThrow(/not_found/);
    const { resources } = await client.listResources();
    expect(resources.some((r) => r.uri === 'medcodes://icd10cm/A00-B99')).toBe(true);
    const done = await client.complete({
      ref: { type: 'ref/resource', uri: 'medcodes://{system}/{code}' },
      argument: { name: 'code', value: 'E11.6' },
      context: { arguments: { system: 'icd10cm' } },
    });
    expect(done.completion.values[0]).toMatch(/^E11\.6/);
  });

  it('offers a prompt to find the right code for a text', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['find_code']);
    const p = await client.getPrompt({ name: 'find_code', arguments: { text: 'broken left wrist, first visit', system: 'icd10cm' } });
    const t = (p.messages[0].content as { text: string }).text;
    expect(t).toContain('broken left wrist, first visit');
    expect(t).toContain('search_codes');
    expect(t).toContain('lookup_code');
    const short = await client.getPrompt({ name: 'find_code', arguments: { text: 'heart attack', system: 'icd10cm' } });
    expect((short.messages[0].content as { text: string }).text).toMatch(/First candidates from search_codes[^\n]*\n- I21/);
  });
});

describe('MCP over stdio (npx medcodes mcp)', () => {
  it('answers a client that spawns the CLI', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(ROOT, 'bin/medcodes.js'), '--db', inject('dbPath'), 'mcp'],
      cwd: ROOT,
      stderr: 'pipe',
    });
    const c = new Client({ name: 'medcodes-test-stdio', version: '1.0.0' });
    await c.connect(transport);
    try {
      expect(c.getServerVersion()?.name).toBe('medcodes');
      const r = (await c.callTool({ name: 'lookup_code', arguments: { system: 'icd10cm', code: 'E11.9' } })) as CallToolResult;
      expect(sc(r).display).toBe('Type 2 diabetes mellitus without complications');
      const e = (await c.callTool({ name: 'lookup_code', arguments: { system: 'icd10cm', code: 'E11.999' } })) as CallToolResult;
      expect(e.isError).toBe(true);
    } finally {
      await c.close();
    }
  });
});

describe('medcodes mcp without a database', () => {
  it('says so on stderr and exits 1, writing nothing on stdout (the protocol channel)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--db', '/nonexistent/medcodes.db', 'mcp'], { out: (s) => out.push(s), err: (s) => err.push(s) });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/^error \[no_database\]: no database at \/nonexistent\/medcodes.db/);
  });
});

describe('MCP over Streamable HTTP (/mcp on medcodes serve)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
    server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers the SDK client end to end', async () => {
    const c = new Client({ name: 'medcodes-test-http', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    try {
      const { tools } = await c.listTools();
      expect(tools.length).toBe(7);
      const r = (await c.callTool({ name: 'search_codes', arguments: { query: 'E11.9' } })) as CallToolResult;
      expect(sc(r).results[0].code).toBe('E11.9');
      const page = await c.readResource({ uri: 'medcodes://hcpcs/J1100' });
      expect((page.contents[0] as { text: string }).text).toContain('J1100');
    } finally {
      await c.close();
    }
  });

  it('answers concurrent calls each with its own result (servers are reused between requests)', async () => {
    const codes = ['E11.9', 'I21.4', 'J18.9', 'S52.521A', 'E11.65', 'I10', 'N18.30', 'Z79.4', 'K21.9', 'F32.A'];
    const clients = await Promise.all(
      codes.map(async () => {
        const c = new Client({ name: 'medcodes-test-http', version: '1.0.0' });
        await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
        return c;
      }),
    );
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          codes.map(
            (code, i) => clients[i].callTool({ name: 'lookup_code', arguments: { system: 'icd10cm', code } }) as Promise<CallToolResult>,
          ),
        );
        expect(results.map((r) => sc(r).code)).toEqual(codes);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('is stateless: GET and DELETE are 405 with Allow; limits and CORS apply as on /api', async () => {
    const get = await fetch(`${base}/mcp`, { headers: { Accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect(((await get.json()) as any).error.code).toBe('method_not_allowed');

    const preflight = await fetch(`${base}/mcp`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://agent.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,mcp-protocol-version,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['content-type', 'mcp-protocol-version', 'mcp-session-id', 'authorization']) expect(allowed).toContain(h);

    const big = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(1_100_000) } }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).error.code).toBe('payload_too_large');
  });

  it('checks the Origin of browser requests against the allowed origins (DNS rebinding)', async () => {
    const app = createApp({ store: () => store, limits: { rateLimit: 0, corsOrigins: ['https://app.example'] } });
    const post = (origin?: string) =>
      app.request('/mcp', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...(origin ? { Origin: origin } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
    expect((await post()).status).toBe(200);
    expect((await post('https://app.example')).status).toBe(200);
    const evil = await post('https://evil.example');
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as any).error.code).toBe('forbidden');
  });

  it('answers generated hostile bodies without a 5xx or a stack trace', async () => {
    const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
    const message = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc.record({
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)),
        method: fc.constantFrom(
          'tools/call',
          'tools/list',
          'resources/read',
          'prompts/get',
          'initialize',
          'completion/complete',
          'nosuch',
          '',
        ),
        params: fc.oneof(
          fc.record({ name: fc.constantFrom('lookup_code', 'search_codes', 'validate_codes', 'x'), arguments: fc.jsonValue() }),
          fc.record({
            uri: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('medcodes://icd10cm/E11.9', 'medcodes://x/%ZZ', 'medcodes:///')),
          }),
          fc.jsonValue(),
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(message, fc.constantFrom('application/json', 'text/plain', ''), async (body, type) => {
        const res = await app.request('/mcp', {
          method: 'POST',
          headers: { ...(type ? { 'Content-Type': type } : {}), Accept: 'application/json, text/event-stream' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        expect(res.status).toBeLessThan(500);
        expect(await res.text()).not.toMatch(/\n\s+at /);
      }),
      { numRuns: 300 },
    );
  });

  it('counts MCP requests in the rate limit', async () => {
    const app = createApp({ store: () => store, limits: { rateLimit: 2, rateWindowMs: 60_000 } });
    const post = () =>
      app.request('/mcp', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const third = await post();
    expect(third.status).toBe(429);
    expect(((await third.json()) as any).error.code).toBe('rate_limited');
  });
});
