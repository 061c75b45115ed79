/**
 * Load test (npm run load): the server as it runs in production (src/serve.ts in a child process) on
 * a copy of a database, 50 autocannon connections over a mix of searches, code pages and FHIR
 * operations, a release swap (a real `medcodes import` renamed over the database) in the middle, and
 * a `/health` probe on its own connection every 100 ms. Loopback only, bounded in time.
 *
 *   npm run load [-- --duration 120 --connections 50 --db var/medcodes.db --swap data/nucc --swap-at 10]
 *
 * The swap's import starts `--swap-at` seconds into the run (default 10): on a busy machine the
 * import itself takes most of the run, and the switch must happen while the load is on. With
 * `--swap rename` the new release is a copy of the database prepared before the run and renamed over
 * the served file at `--swap-at` (what an import does as its last step), so the switch lands under
 * load whatever the machine's speed.
 *
 * Prints, and writes to var/load-<date>.json: requests, errors, non-2xx answers, latency,
 * /health p50/p99/max, the child's RSS over time, and the swap's timing. docs/PERFORMANCE.md keeps a
 * run's figures.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const DURATION = Math.min(Number(arg('duration', '120')), 900);
const CONNECTIONS = Math.min(Number(arg('connections', '50')), 200);
const SOURCE_DB = arg('db', process.env.MEDCODES_DB || join(ROOT, 'var', 'medcodes.db'));
const SWAP = arg('swap', join(ROOT, 'data', 'nucc'));
const SWAP_AT = Number(arg('swap-at', '10'));
const PORT = 20_000 + Math.floor(Math.random() * 20_000);

/** The mix: what a site and its API clients ask, cheap and expensive, in one rotation per connection. */
const PATHS = [
  '/api/v1/search?q=diabetes%20type%202',
  '/api/v1/search?q=fracture%20left%20femur&limit=20',
  '/api/v1/search?q=asthm',
  '/api/icd10cm/v3/search?terms=tuberc&sf=code,name',
  '/api/icd10pcs/v3/search?terms=left&q=code:0*&count=50',
  '/api/hcpcs/v3/search?terms=wheelchair&ef=short_desc',
  '/codes/icd10cm/E11.9',
  '/codes/icd10pcs/0016070',
  '/codes/hcpcs/E0130',
  '/search?q=heart%20attack',
  '/search?q=knee%20replacement',
  '/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9',
  '/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/sid/icd-10-cm&code=I21.4',
  '/fhir/ValueSet/$expand?url=http://hl7.org/fhir/sid/icd-10-cm?fhir_vs&filter=asthma&count=20',
  '/api/v1/codes/icd10cm/I21.4',
];

function get(path: string, agent?: import('node:http').Agent): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: HOST, port: PORT, path, agent, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10 : 0;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medcodes-load-'));
  const db = join(dir, 'medcodes.db');
  copyFileSync(SOURCE_DB, db);
  if (SWAP === 'rename') copyFileSync(SOURCE_DB, `${db}.next`);
  const log: string[] = [];
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'serve.ts')], {
    cwd: ROOT,
    env: { ...process.env, MEDCODES_DB: db, PORT: String(PORT), HOST, MEDCODES_RATE_LIMIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const t0 = Date.now();
  const at = () => ((Date.now() - t0) / 1000).toFixed(1);
  server.stdout!.on('data', (d) =>
    log.push(
      ...String(d)
        .trim()
        .split('\n')
        .map((l) => `[${at()} s] ${l}`),
    ),
  );
  server.stderr!.on('data', (d) =>
    log.push(
      ...String(d)
        .trim()
        .split('\n')
        .map((l) => `[${at()} s] stderr: ${l}`),
    ),
  );
  try {
    for (let i = 0; ; i++) {
      if ((await get('/ready')).status === 200) break;
      if (i > 600) throw new Error(`the server did not become ready:\n${log.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`server ready on ${HOST}:${PORT} (pid ${server.pid}); ${CONNECTIONS} connections for ${DURATION} s`);

    // /health on its own keep-alive connection every 100 ms, as a load balancer would.
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const health: { t: number; ms: number; status: number }[] = [];
    const rss: { t: number; mb: number }[] = [];
    let running = true;
    const prober = (async () => {
      while (running) {
        const r = await get('/health', agent);
        health.push({ t: Date.now() - t0, ms: r.ms, status: r.status });
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssMb(server.pid!) }), 5000);

    // The release swap: a real import into the served path (built beside, renamed over it), or the rename alone.
    let swap: { startedAt: number; importedMs: number; switchedAt?: number; exit: number | null } | undefined;
    const swapper = new Promise<void>((resolve) => {
      setTimeout(() => {
        const startedAt = Date.now() - t0;
        if (SWAP === 'rename') {
          renameSync(`${db}.next`, db);
          swap = { startedAt, importedMs: 0, exit: 0 };
          resolve();
          return;
        }
        const imp = spawn(process.execPath, [join(ROOT, 'bin', 'medcodes.js'), '--db', db, 'import', SWAP], {
          cwd: ROOT,
          stdio: 'ignore',
        });
        imp.on('exit', (code) => {
          swap = { startedAt, importedMs: Date.now() - t0 - startedAt, exit: code };
          resolve();
        });
      }, SWAP_AT * 1000);
    });

    const result = await autocannon({
      url: `http://${HOST}:${PORT}`,
      connections: CONNECTIONS,
      duration: DURATION,
      timeout: 30,
      requests: PATHS.map((path) => ({ method: 'GET', path })),
    });
    await swapper;
    // The server switches on its next stat of the file (every 2 s).
    for (let i = 0; i < 50 && !log.some((l) => l.includes('Serving the new database')); i++) await new Promise((r) => setTimeout(r, 200));
    const switched = log.find((l) => l.includes('Serving the new database'));
    if (swap && switched) swap.switchedAt = Number(/^\[([\d.]+) s\]/.exec(switched)![1]) * 1000;
    running = false;
    await prober;
    clearInterval(sampler);
    agent.destroy();

    const hs = health.map((h) => h.ms);
    // /health around the switch: the probes from 10 s before to 10 s after it.
    const nearSwitch = swap?.switchedAt ? health.filter((h) => Math.abs(h.t - swap!.switchedAt!) < 10_000).map((h) => h.ms) : [];
    const summary = {
      date: new Date().toISOString(),
      duration: DURATION,
      connections: CONNECTIONS,
      requests: result.requests.total,
      rps: Math.round(result.requests.average),
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      health: {
        probes: hs.length,
        failed: health.filter((h) => h.status !== 200).length,
        p50: pct(hs, 50),
        p99: pct(hs, 99),
        max: pct(hs, 100),
      },
      healthAroundSwitch: { probes: nearSwitch.length, p50: pct(nearSwitch, 50), max: pct(nearSwitch, 100) },
      loadEndedAt: DURATION * 1000,
      rssMb: rss,
      swap,
      serverLog: log.slice(-20),
    };
    mkdirSync(join(ROOT, 'var'), { recursive: true });
    writeFileSync(join(ROOT, 'var', `load-${summary.date.slice(0, 19).replace(/:/g, '')}.json`), JSON.stringify(summary, null, 2));
    console.log(JSON.stringify({ ...summary, serverLog: undefined }, null, 2));
    console.log(log.filter((l) => /Serving|Not switching|Removed|error/i.test(l)).join('\n'));
    if (result.errors || result.timeouts || result.non2xx) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
