import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runImport } from '../../src/importers/run.js';
import { silentProgress } from '../../src/importers/types.js';
import { readZipMember } from '../../src/importers/zip.js';
import { Store } from '../../src/store/store.js';
import { runUpdate, type UpdateOptions } from '../../src/update/update.js';
import { loadCatalog } from '../../src/update/catalog.js';
import { download, exists } from '../../src/update/download.js';
import { validateCode } from '../../src/validate.js';
import { lookup } from '../../src/lookup.js';
import { stats } from '../../src/stats.js';
import { makeZip } from '../fixtures/update/zip.js';
import { createApp } from '../../src/api/app.js';

/**
 * `medcodes update` against a loopback mirror in the publishers' URL layout (`/<host>/<path>`), made
 * from the bundled files and the FY2027 / April / new-quarter fixtures in test/fixtures/update/.
 */
const FIX = 'test/fixtures/update';
const CMS = '/www.cms.gov/files/zip';
const CDC = '/ftp.cdc.gov/pub/Health_Statistics/NCHS/Publications/ICD10CM';
const NUCC = '/www.nucc.org/images/stories/CSV';

type Behaviour = 'ok' | 'corrupt' | 'truncate' | 'interrupt-once' | 'slow' | 'loop' | 'nohead';
const files = new Map<string, Buffer>();
const behaviour = new Map<string, Behaviour>();
const requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
const interrupted = new Set<string>();
let server: Server;
let base = '';
let dir = '';
let db = '';

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  requests.push({ method: req.method ?? 'GET', url, headers: req.headers });
  const b = behaviour.get(url) ?? 'ok';
  if (b === 'loop') {
    res.writeHead(302, { location: url.endsWith('.loop') ? url.slice(0, -5) : `${url}.loop` });
    return res.end();
  }
  if (url.endsWith('.loop')) {
    res.writeHead(302, { location: url.slice(0, -5) });
    return res.end();
  }
  const body = files.get(url);
  if (!body) {
    res.writeHead(404);
    return res.end();
  }
  if (b === 'slow') return; // never answers: the client's timeout must end it
  const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
  const headers = { etag, 'last-modified': 'Tue, 01 Dec 2026 00:00:00 GMT', 'accept-ranges': 'bytes' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return res.end();
  }
  if (req.method === 'HEAD' && b === 'nohead') {
    res.writeHead(405);
    return res.end();
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': body.length });
    return res.end();
  }
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  if (range && req.headers['if-range'] === etag) {
    const from = Number(range[1]);
    res.writeHead(206, {
      ...headers,
      'content-range': `bytes ${from}-${body.length - 1}/${body.length}`,
      'content-length': body.length - from,
    });
    return res.end(body.subarray(from));
  }
  if (b === 'corrupt') {
    const bad = Buffer.from(body);
    bad.fill(0x55, 40, Math.min(bad.length - 200, 4000));
    res.writeHead(200, { ...headers, 'content-length': bad.length });
    return res.end(bad);
  }
  if (b === 'truncate' || (b === 'interrupt-once' && !interrupted.has(url))) {
    interrupted.add(url);
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    // flushed, then the connection drops mid-body
    setImmediate(() => res.socket?.destroy());
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(body);
}

const orderLine = (order: number, code: string, flag: string, short: string, long: string) =>
  `${String(order).padStart(5, '0')} ${code.padEnd(7)} ${flag} ${short.slice(0, 60).padEnd(60)} ${long}`;

/** An order file: the given one with the fixture's lines replacing or inserted after their parent code. */
function applyChanges(orderText: string, changesFile: string): string {
  const lines = orderText.split(/\r?\n/).filter((l) => l.trim());
  for (const row of readFileSync(join(FIX, changesFile), 'utf8').split('\n')) {
    if (!row.trim() || row.startsWith('#')) continue;
    const [code, flag, short, long] = row.split('\t');
    const codes = lines.map((l) => l.slice(6, 13).trim());
    const at = codes.indexOf(code);
    const order = at >= 0 ? Number(lines[at].slice(0, 5)) : 99999;
    const line = orderLine(order, code, flag, short, long);
    if (at >= 0) lines[at] = line;
    else {
      let after = -1;
      codes.forEach((c, i) => {
        if (code.startsWith(c)) after = i;
      });
      lines.splice(after + 1, 0, orderLine(after >= 0 ? Number(lines[after].slice(0, 5)) : 99999, code, flag, short, long));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

const opts = (o: Partial<UpdateOptions> = {}): UpdateOptions => ({
  db,
  origin: { kind: 'mirror', base },
  bundledDir: join(dir, 'bundled'),
  today: '2026-12-02',
  // A generous timeout: on a loaded 2-core CI machine a loopback answer can take seconds (the timeout test sets its own).
  fetch: { timeoutMs: 15_000, retries: 2, backoffMs: 5 },
  progress: silentProgress,
  ...o,
});
const release = (system: string) => {
  const s = new Store(db);
  try {
    return s.releases().find((r) => r.system === system);
  } finally {
    s.close();
  }
};

let fy2027 = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medcodes-update-'));
  db = join(dir, 'var', 'medcodes.db');
  mkdirSync(join(dir, 'var'));
  // The "bundled" data of this test: two ICD-10-CM years, an HCPCS and a NUCC slice.
  const b = join(dir, 'bundled');
  for (const sub of ['icd10cm', 'hcpcs', 'nucc']) mkdirSync(join(b, sub), { recursive: true });
  for (const y of [2025, 2026]) copyFileSync(`data/icd10cm/order/cms_${y}_dx.zip`, join(b, 'icd10cm', `cms_${y}_dx.zip`));
  copyFileSync('test/fixtures/hcpcs/HCPC2025_OCT_ANWEB-slice.txt', join(b, 'hcpcs', 'HCPC2025_OCT_ANWEB-slice.txt'));
  copyFileSync('test/fixtures/nucc/nucc_taxonomy_251.csv', join(b, 'nucc', 'nucc_taxonomy_251.csv'));
  await runImport({ db, inputs: [b], progress: silentProgress, incremental: false });

  // The mirror: FY2027 ICD-10-CM (order file only at CDC: CMS's address answers 404, a moved file),
  // the FY2027 Tabular, a January 2026 HCPCS quarter and NUCC 26.0.
  const fy26 = (await readZipMember('data/icd10cm/order/cms_2026_dx.zip', 'icd10cm_order_2026.txt')).data.toString('latin1');
  fy2027 = applyChanges(fy26, 'icd10cm-order-2027-changes.tsv');
  files.set(
    `${CDC}/2027/icd10cm-Code-Descriptions-2027.zip`,
    makeZip([{ name: 'icd10cm-Code-Descriptions-2027/icd10cm-order-2027.txt', data: Buffer.from(fy2027, 'latin1') }]),
  );
  files.set(
    `${CMS}/2027-code-tables-tabular-and-index.zip`,
    makeZip([{ name: 'icd10cm-tabular-2027.xml', data: readFileSync(join(FIX, 'icd10cm-tabular-2027.xml')) }]),
  );
  const hcpcs = readFileSync('test/fixtures/hcpcs/HCPC2025_OCT_ANWEB-slice.txt');
  files.set(`${CMS}/january-2026-alpha-numeric-hcpcs-file.zip`, makeZip([{ name: 'HCPC2026_JAN_ANWEB_v2.txt', data: hcpcs }]));
  files.set(`${NUCC}/nucc_taxonomy_260.csv`, readFileSync('test/fixtures/nucc/nucc_taxonomy_251.csv'));

  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('medcodes update against a loopback mirror', () => {
  it('--check reports the newer releases and changes nothing', async () => {
    const before = requests.length;
    const r = await runUpdate(opts({ check: true }));
    const by = Object.fromEntries(r.map((x) => [x.system, x]));
    expect(by.icd10cm.newer.map((n) => n.label)).toEqual(['FY2027']);
    expect(by.hcpcs.newer.map((n) => [n.label, n.effective])).toEqual([['2026-01', '2026-01-01']]);
    expect(by.nucc.newer.map((n) => n.label)).toEqual(['26.0']);
    expect(by.icd10pcs.loaded).toBeNull();
    expect(requests.slice(before).every((q) => q.method === 'HEAD')).toBe(true);
    expect(release('icd10cm')?.version).toBe('FY2026');
    // What is known is said by stats (CLI and /api/v1/systems).
    const s = new Store(db);
    try {
      expect(stats(s).systems.find((x) => x.system === 'hcpcs')?.newer).toMatchObject({ label: '2026-01', effective: '2026-01-01' });
      const app = createApp({ store: () => s });
      const api = await (await app.request('/api/v1/systems')).json();
      expect(api.systems.find((x: { system: string }) => x.system === 'icd10cm').newer).toMatchObject({
        label: 'FY2027',
        effective: '2026-10-01',
      });
      const home = await (await app.request('/')).text();
      expect(home).toContain('newer release FY2027 (effective 2026-10-01) published');
    } finally {
      s.close();
    }
  });

  it('refuses a corrupt archive; the previous release keeps serving', async () => {
    behaviour.set(`${CMS}/january-2026-alpha-numeric-hcpcs-file.zip`, 'corrupt');
    const [r] = await runUpdate(opts({ systems: ['hcpcs'] }));
    expect(r.error?.code).toBe('corrupt_file');
    expect(r.error?.message).toMatch(/january-2026-alpha-numeric-hcpcs-file\.zip.*refused/);
    expect(release('hcpcs')?.version).toBe('2025-10');
  });

  it('refuses a download that is truncated at every attempt', async () => {
    behaviour.set(`${NUCC}/nucc_taxonomy_260.csv`, 'truncate');
    // Each attempt resumes where the last stopped, so a server that always drops the line still
    // delivers in the end; a server that sends a different file each time cannot be resumed (If-Range).
    const [r] = await runUpdate(opts({ systems: ['nucc'], fetch: { timeoutMs: 15_000, retries: 0, backoffMs: 1 } }));
    expect(r.error?.code).toBe('download_failed');
    expect(r.error?.message).toMatch(/gave up after 1 attempts \(transfer interrupted|truncated/);
    expect(release('nucc')?.version).toBe('25.1');
  });

  it('times out on a server that does not answer', async () => {
    behaviour.set(`${NUCC}/nucc_taxonomy_260.csv`, 'slow');
    const [r] = await runUpdate(opts({ systems: ['nucc'], fetch: { timeoutMs: 300, retries: 1, backoffMs: 1 } }));
    expect(r.error?.code).toBe('download_failed');
    expect(r.error?.message).toMatch(/timed out/);
    expect(release('nucc')?.version).toBe('25.1');
  });

  it('stops a redirect loop', async () => {
    behaviour.set(`${NUCC}/nucc_taxonomy_260.csv`, 'loop');
    const [r] = await runUpdate(opts({ systems: ['nucc'] }));
    expect(r.error?.message).toMatch(/redirect loop/);
    expect(release('nucc')?.version).toBe('25.1');
  });

  it('resumes an interrupted download with Range and imports the new release', async () => {
    behaviour.set(`${NUCC}/nucc_taxonomy_260.csv`, 'interrupt-once');
    interrupted.clear();
    const before = requests.length;
    const [r] = await runUpdate(opts({ systems: ['nucc'] }));
    expect(r.error).toBeUndefined();
    expect(r.fetched[0].how).toBe('resumed');
    const gets = requests.slice(before).filter((q) => q.method === 'GET');
    expect(gets.at(-1)?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(r.fetched[0].sha256).toBe(
      createHash('sha256')
        .update(files.get(`${NUCC}/nucc_taxonomy_260.csv`)!)
        .digest('hex'),
    );
    expect(release('nucc')?.version).toBe('26.0');
    // Kept in the release cache with its source URL and hash.
    const meta = JSON.parse(readFileSync(`${r.fetched[0].path}.source.json`, 'utf8'));
    expect(meta).toMatchObject({ url: 'https://www.nucc.org/images/stories/CSV/nucc_taxonomy_260.csv', sha256: r.fetched[0].sha256 });
  });

  it('imports a new HCPCS quarter', async () => {
    behaviour.delete(`${CMS}/january-2026-alpha-numeric-hcpcs-file.zip`);
    const [r] = await runUpdate(opts({ systems: ['hcpcs'] }));
    expect(r.error).toBeUndefined();
    expect(release('hcpcs')).toMatchObject({ version: '2026-01', effective: '2026-01-01' });
  });

  it('imports a new fiscal year, found at its second address when the first answers 404', async () => {
    const [r] = await runUpdate(opts({ systems: ['icd10cm'] }));
    expect(r.error).toBeUndefined();
    expect(r.fetched.map((f) => f.url)).toContain(
      'https://ftp.cdc.gov/pub/Health_Statistics/NCHS/Publications/ICD10CM/2027/icd10cm-Code-Descriptions-2027.zip',
    );
    expect(release('icd10cm')).toMatchObject({ version: 'FY2027', effective: '2026-10-01' });
    const s = new Store(db);
    try {
      expect(s.get('icd10cm', 'I4981')?.display).toBe('Brugada syndrome');
      expect(s.get('icd10cm', 'I420')?.billable).toBe(false);
      const v = validateCode(s, 'I42.0', { date: '2026-11-15' });
      expect(v.status).toBe('header');
      expect(validateCode(s, 'I42.0', { date: '2026-09-15' }).status).toBe('valid');
      expect(validateCode(s, 'I49.81', { date: '2026-09-15' }).status).toBe('not_valid_on_date');
      // Chapter 22 from the FY2027 Tabular; its notes labelled FY2027.
      const doc = lookup(s, 'icd10cm', 'U07.1', { extras: false });
      expect(doc.parents.map((p) => p.code)).toEqual(['U00-U85', 'U00-U49', 'U07']);
      expect(lookup(s, 'icd10cm', 'I49.81', { extras: false }).notes.map((n) => [n.kind, n.version])).toEqual([['codeAlso', 'FY2027']]);
    } finally {
      s.close();
    }
  });

  it('imports an April update with its mid-year effective date', async () => {
    const april = applyChanges(fy2027, 'icd10cm-order-April-2027-changes.tsv');
    files.set(
      `${CDC}/2027-Update/icd10cm-Codes-Descriptions-April-2027.zip`,
      makeZip([{ name: 'icd10cm-order-April-2027.txt', data: Buffer.from(april, 'latin1') }]),
    );
    const [r] = await runUpdate(opts({ systems: ['icd10cm'], today: '2027-03-01' }));
    expect(r.error).toBeUndefined();
    expect(r.newer.map((n) => n.label)).toEqual(['FY2027 April update']);
    expect(release('icd10cm')).toMatchObject({ version: 'FY2027', effective: '2027-04-01' });
    const s = new Store(db);
    try {
      expect(validateCode(s, 'U07.2', { date: '2027-03-31' }).status).toBe('not_valid_on_date');
      expect(validateCode(s, 'U07.2', { date: '2027-04-01' }).status).toBe('valid');
      expect(validateCode(s, 'I49.81', { date: '2026-10-01' }).status).toBe('valid');
      const h = lookup(s, 'icd10cm', 'U07.2', { extras: false }).history;
      expect(h.map((e) => [e.version, e.action, (e as { effective?: string }).effective])).toEqual([['FY2027', 'added', '2027-04-01']]);
    } finally {
      s.close();
    }
  });

  it('reads a local folder in the publishers layout (--from DIR) and revalidates a cached file (304)', async () => {
    const folder = join(dir, 'mirror');
    const nucc261 = join(folder, 'www.nucc.org', 'images', 'stories', 'CSV');
    mkdirSync(nucc261, { recursive: true });
    writeFileSync(join(nucc261, 'nucc_taxonomy_261.csv'), files.get(`${NUCC}/nucc_taxonomy_260.csv`)!);
    const [r] = await runUpdate(opts({ systems: ['nucc'], check: true, origin: { kind: 'dir', dir: folder }, today: '2026-06-15' }));
    expect(r.newer.map((n) => n.label)).toEqual(['26.1']);

    behaviour.delete(`${NUCC}/nucc_taxonomy_260.csv`);
    const dest = join(dir, 'conditional', 'nucc_taxonomy_260.csv');
    const url = 'https://www.nucc.org/images/stories/CSV/nucc_taxonomy_260.csv';
    // Retries as a server runs them: a keep-alive connection the test server closed may be reset on reuse.
    const f = { origin: { kind: 'mirror' as const, base }, timeoutMs: 15_000, retries: 2, backoffMs: 5 };
    expect((await download(url, dest, f)).how).toBe('downloaded');
    const again = await download(url, dest, f);
    expect(again.how).toBe('not-modified');
    expect(requests.at(-1)?.headers['if-none-match']).toMatch(/^"/);
    // A server that refuses HEAD is asked for the first byte.
    behaviour.set(`${NUCC}/nucc_taxonomy_260.csv`, 'nohead');
    expect(await exists(url, f)).toBe(true);
    expect(requests.at(-1)?.headers.range).toBe('bytes=0-0');
    expect(await exists('https://www.nucc.org/images/stories/CSV/nucc_taxonomy_299.csv', f)).toBe(false);
  });

  it('imports several code sets in one run; a refused release does not hold back the others', async () => {
    files.set(
      `${CMS}/april-2026-alpha-numeric-hcpcs-file.zip`,
      makeZip([{ name: 'HCPC2026_APR_ANWEB_v2.txt', data: readFileSync('test/fixtures/hcpcs/HCPC2025_OCT_ANWEB-slice.txt') }]),
    );
    files.set(`${NUCC}/nucc_taxonomy_261.csv`, Buffer.from('Not,a,taxonomy\r\n1,2,3\r\n'));
    behaviour.delete(`${NUCC}/nucc_taxonomy_260.csv`);
    const r = await runUpdate(opts({ today: '2026-04-15' }));
    const by = Object.fromEntries(r.map((x) => [x.system, x]));
    expect(by.hcpcs.error).toBeUndefined();
    expect(by.hcpcs.imported?.version).toBe('2026-04');
    expect(by.nucc.error?.code).toMatch(/parse_error|unknown_format/);
    expect(release('hcpcs')?.version).toBe('2026-04');
    expect(release('nucc')?.version).toBe('26.0');
    expect(release('icd10cm')).toMatchObject({ version: 'FY2027', effective: '2027-04-01' });
  });

  it('the catalogue names the publishers and the files every edition needs', () => {
    const cat = loadCatalog();
    expect(cat.systems.icd10cm.editions.annual.files[0].urls[0]).toBe(
      'https://www.cms.gov/files/zip/{year}-code-descriptions-tabular-order.zip',
    );
    for (const s of Object.values(cat.systems))
      for (const e of Object.values(s.editions)) expect(e.files.some((f) => f.required)).toBe(true);
  });
});
