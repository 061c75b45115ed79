/**
 * `npm run bench:scale`: MedCodes at the size of every set loaded. Generates release files of real size
 * in the official layouts (SNOMED CT RF2 Snapshot, RxNorm RRF, LOINC CSV, NDC text) whose text is made
 * up (words of the public ICD-10-CM titles drawn at random: no licensed text), imports them on top of
 * the bundled sets, and records at each size: import time and peak memory, index build and load, index
 * size, search latency (bench/queries.ts, result cache off) and code page latency in process, and
 * resident memory once loaded and after the work. Each size is compared with the bundled sets alone
 * (0.2M concepts) measured in the same run, as a ratio.
 *
 *   npm run bench:scale -- [--sizes 0.6,1.3] [--dir /tmp/medcodes-scale] [--base var/medcodes.db]
 *
 * Every import and measurement runs in a child process of its own (its peak RSS read by /usr/bin/time
 * when present, else from /proc), so no figure carries another's garbage. Takes ~10-20 min at 1.3M.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// ---- synthetic releases ----------------------------------------------------------------------

/** A deterministic generator (the same files at every run). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words of the public ICD-10-CM titles, most frequent first, so made-up titles share the queries' vocabulary. */
function vocabulary(db: string): string[] {
  const d = new Database(db, { readonly: true });
  const freq = new Map<string, number>();
  for (const { display } of d.prepare("SELECT display FROM codes WHERE system = 'icd10cm'").iterate() as Iterable<{ display: string }>)
    for (const w of display.toLowerCase().match(/[a-z]{3,}/g) ?? []) freq.set(w, (freq.get(w) ?? 0) + 1);
  d.close();
  return [...freq].sort((a, b) => b[1] - a[1]).map(([w]) => w);
}

class Text {
  constructor(
    private words: string[],
    private r: () => number,
  ) {}
  /** A word, skewed towards frequent ones (roughly Zipf-like). */
  word(): string {
    return this.words[Math.floor(this.words.length * this.r() ** 3)];
  }
  title(min: number, max: number): string {
    const n = min + Math.floor(this.r() * (max - min + 1));
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(this.word());
    const s = w.join(' ');
    return s[0].toUpperCase() + s.slice(1);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
}

/** Buffered line writer (a stream with back-pressure ignored would hold the whole file in memory). */
class Out {
  private s: WriteStream;
  private buf: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.s = createWriteStream(path);
  }
  async line(l: string) {
    this.buf.push(l);
    this.size += l.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async flush() {
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.s.write(chunk)) await new Promise<void>((r) => this.s.once('drain', () => r()));
  }
  async close() {
    if (this.buf.length) await this.flush();
    await new Promise<void>((r) => this.s.end(() => r()));
  }
}

const SEMANTIC_TAGS = ['disorder', 'finding', 'procedure', 'body structure', 'substance', 'organism', 'qualifier value'];
const US = '900000000000509007';
const GB = '900000000000508004';

/** SNOMED CT RF2 Snapshot: concepts, FSN + preferred synonym + one more per concept, US/GB language refset, inferred is-a. */
async function snomed(dir: string, n: number, t: Text): Promise<void> {
  const root = join(dir, 'SnomedCT_SyntheticRF2_PRODUCTION_20250101T120000Z');
  mkdirSync(join(root, 'Snapshot/Terminology'), { recursive: true });
  mkdirSync(join(root, 'Snapshot/Refset/Language'), { recursive: true });
  const c = new Out(join(root, 'Snapshot/Terminology/sct2_Concept_Snapshot_INT_20250101.txt'));
  const d = new Out(join(root, 'Snapshot/Terminology/sct2_Description_Snapshot-en_INT_20250101.txt'));
  const r = new Out(join(root, 'Snapshot/Terminology/sct2_Relationship_Snapshot_INT_20250101.txt'));
  const l = new Out(join(root, 'Snapshot/Refset/Language/der2_cRefset_LanguageSnapshot-en_INT_20250101.txt'));
  await c.line('id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId');
  await d.line('id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId');
  await r.line('id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId');
  await l.line('id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId');
  const M = '900000000000207008';
  let desc = 0;
  let member = 0;
  const uuid = () => `00000000-0000-4000-8000-${String(++member).padStart(12, '0')}`;
  const description = async (concept: string, type: 'fsn' | 'syn', term: string, acceptability: string) => {
    const id = `${20000000 + ++desc}11`;
    await d.line(
      `${id}\t20250101\t1\t${M}\t${concept}\ten\t${type === 'fsn' ? '900000000000003001' : '900000000000013009'}\t${term}\t900000000000448009`,
    );
    await l.line(`${uuid()}\t20250101\t1\t${M}\t${US}\t${id}\t${acceptability}`);
    await l.line(`${uuid()}\t20250101\t1\t${M}\t${GB}\t${id}\t${acceptability}`);
  };
  const id = (i: number) => (i === 0 ? '138875005' : `${10000000 + i}00`);
  for (let i = 0; i < n; i++) {
    const cid = id(i);
    await c.line(`${cid}\t20250101\t1\t${M}\t900000000000074008`);
    const name = i === 0 ? 'Synthetic root concept' : t.title(2, 7);
    await description(cid, 'fsn', `${name} (${SEMANTIC_TAGS[i % SEMANTIC_TAGS.length]})`, '900000000000548007');
    await description(cid, 'syn', name, '900000000000548007');
    await description(cid, 'syn', t.title(2, 6), '900000000000549004');
    if (i > 0) {
      // Parents among earlier concepts, so the hierarchy is a tree of realistic depth; one in five has two.
      const parents = new Set([id(Math.floor(i * t.int(1000) * 0.001))]);
      if (i % 5 === 0) parents.add(id(Math.floor(i * t.int(1000) * 0.001)));
      let j = 0;
      for (const p of parents)
        await r.line(`${40000000 + i}${++j}21\t20250101\t1\t${M}\t${cid}\t${p}\t0\t116680003\t900000000000011006\t900000000000451002`);
    }
  }
  await Promise.all([c.close(), d.close(), r.close(), l.close()]);
}

const RX_TTYS = ['SCD', 'SBD', 'SCDC', 'IN', 'BN', 'SCDF', 'SBDF', 'SBDC', 'PIN', 'MIN', 'GPCK', 'BPCK'];

/** RxNorm RRF: RXNCONSO (one RXNORM name + a synonym + a non-RXNORM atom per concept), RXNREL, RXNSAT (NDCs). */
async function rxnorm(dir: string, n: number, t: Text, ndcs: string[]): Promise<void> {
  const root = join(dir, 'RxNorm_full_01062025');
  mkdirSync(join(root, 'rrf'), { recursive: true });
  const c = new Out(join(root, 'rrf/RXNCONSO.RRF'));
  const r = new Out(join(root, 'rrf/RXNREL.RRF'));
  const s = new Out(join(root, 'rrf/RXNSAT.RRF'));
  let aui = 0;
  for (let i = 0; i < n; i++) {
    const cui = String(100000 + i);
    const tty = RX_TTYS[i % RX_TTYS.length];
    const name = `${t.title(1, 3).toLowerCase()} ${1 + t.int(500)} MG ${t.word()} ${t.word()}`;
    await c.line(`${cui}|ENG||||||${++aui}||||RXNORM|${tty}|${cui}|${name}||N|4096|`);
    if (i % 2 === 0) await c.line(`${cui}|ENG||||||${++aui}||||RXNORM|SY|${cui}|${t.title(2, 4)}||N|4096|`);
    await c.line(`${cui}|ENG||||||${++aui}||||MTHSPL|SU|X${cui}|${name.toUpperCase()}||N|4096|`);
    if (i > 0) {
      const other = String(100000 + t.int(i));
      await r.line(`${other}||CUI|RO|${cui}||CUI|has_ingredient|R${i}||RXNORM|RXNORM|||N|4096|`);
      await r.line(`${cui}||CUI|RO|${other}||CUI|ingredient_of|R${i}||RXNORM|RXNORM|||N|4096|`);
    }
    if ((tty === 'SCD' || tty === 'SBD') && ndcs.length) {
      const ndc = ndcs[t.int(ndcs.length)];
      await s.line(`${cui}||||CUI|${cui}|||NDC|RXNORM|${ndc}|N|4096|`);
    }
  }
  await Promise.all([c.close(), r.close(), s.close()]);
}

function loincCheck(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = Number(digits[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d = Math.floor(d / 10) + (d % 10);
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** LOINC: Loinc.csv with the release's header (from the test fixture), made-up terms. */
async function loinc(dir: string, n: number, t: Text): Promise<void> {
  const root = join(dir, 'Loinc_2.80');
  mkdirSync(join(root, 'LoincTable'), { recursive: true });
  const fixture = readFileSync(join(ROOT, 'test/fixtures/loinc/Loinc_2.80/LoincTable/Loinc.csv'), 'utf8');
  const header = fixture.slice(0, fixture.indexOf('\n')).replace(/\r$/, '');
  const cols = header.split(',').map((h) => h.replace(/"/g, ''));
  const o = new Out(join(root, 'LoincTable/Loinc.csv'));
  await o.line(header);
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const classes = ['CHEM', 'HEM/BC', 'MICRO', 'SERO', 'DRUG/TOX', 'UA', 'CLIN', 'PANEL.CHEM'];
  for (let i = 0; i < n; i++) {
    const digits = String(100000 + i);
    const comp = t.title(1, 3);
    const sys = ['Ser/Plas', 'Bld', 'Urine', 'CSF', 'XXX'][i % 5];
    const row: Record<string, string> = {
      LOINC_NUM: `${digits}-${loincCheck(digits)}`,
      COMPONENT: comp,
      PROPERTY: ['MCnc', 'SCnc', 'NCnc', 'ACnc', 'PrThr'][i % 5],
      TIME_ASPCT: 'Pt',
      SYSTEM: sys,
      SCALE_TYP: ['Qn', 'Ord', 'Nom'][i % 3],
      CLASS: classes[i % classes.length],
      VersionLastChanged: '2.80',
      STATUS: 'ACTIVE',
      CLASSTYPE: String(1 + (i % 4)),
      SHORTNAME: `${comp} ${sys}`,
      LONG_COMMON_NAME: `${comp} [${t.word()}] in ${sys} by ${t.title(1, 2)}`,
      DisplayName: `${comp} (${sys})`,
      VersionFirstReleased: '2.70',
    };
    await o.line(cols.map((h) => (row[h] !== undefined ? q(row[h]) : '')).join(','));
  }
  await o.close();
  const m = new Out(join(root, 'LoincTable/MapTo.csv'));
  await m.line('"LOINC","MAP_TO","COMMENT"');
  await m.close();
}

/** NDC text edition: products (5-3 product codes) and their packages (5-3-2), headers from the fixture. Returns 11-digit NDCs. */
async function ndc(dir: string, products: number, packagesPer: number, t: Text): Promise<string[]> {
  const root = join(dir, 'ndctext');
  mkdirSync(root, { recursive: true });
  const fx = (f: string) =>
    readFileSync(join(ROOT, 'test/fixtures/ndc/ndctext', f), 'utf8')
      .split('\n')[0]
      .replace(/\r$/, '');
  const p = new Out(join(root, 'product.txt'));
  const k = new Out(join(root, 'package.txt'));
  await p.line(fx('product.txt'));
  await k.line(fx('package.txt'));
  const forms = ['TABLET', 'CAPSULE', 'INJECTION, SOLUTION', 'TABLET, FILM COATED', 'CREAM', 'SOLUTION'];
  const out: string[] = [];
  for (let i = 0; i < products; i++) {
    const labeler = String(10000 + Math.floor(i / 40)).padStart(5, '0');
    const prod = String(i % 1000).padStart(3, '0');
    const pndc = `${labeler}-${prod}`;
    const pid = `${pndc}_${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const form = forms[i % forms.length];
    const generic = t.title(1, 2).toLowerCase();
    await p.line(
      [
        pid,
        pndc,
        'HUMAN PRESCRIPTION DRUG',
        t.title(1, 2),
        '',
        generic,
        form,
        'ORAL',
        '20200115',
        '',
        'ANDA',
        `ANDA${100000 + i}`,
        `${t.title(1, 2)} Labs`,
        generic.toUpperCase(),
        String(1 + t.int(500)),
        'mg/1',
        '',
        '',
        'N',
        '20261231',
      ].join('\t'),
    );
    for (let j = 0; j < packagesPer; j++) {
      const code = `${pndc}-${String(j).padStart(2, '0')}`;
      await k.line([pid, pndc, code, `${30 * (j + 1)} ${form} in 1 BOTTLE (${code})`, '20200115', '', 'N', 'N'].join('\t'));
      out.push(`${labeler}0${prod}${String(j).padStart(2, '0')}`);
    }
  }
  await Promise.all([p.close(), k.close()]);
  return out;
}

/**
 * Made-up releases adding about `extra` concepts, split as the real releases are at 1.3M concepts in
 * all: SNOMED CT ~370k active concepts, NDC ~110k products and ~250k packages, RxNorm ~250k RXNORM
 * concepts, LOINC ~100k terms.
 */
async function generate(dir: string, extra: number, words: string[]): Promise<string[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t = new Text(words, rng(extra));
  const share = (f: number) => Math.max(10, Math.round(extra * f));
  const products = share(0.1);
  const ndcs = await ndc(dir, products, 2, t);
  await snomed(dir, share(0.35), t);
  await rxnorm(dir, share(0.23), t, ndcs);
  await loinc(dir, share(0.1), t);
  return ['SnomedCT_SyntheticRF2_PRODUCTION_20250101T120000Z', 'RxNorm_full_01062025', 'Loinc_2.80', 'ndctext'].map((f) => join(dir, f));
}

// ---- measuring -----------------------------------------------------------------------------------

interface Run {
  seconds: number;
  peakMB: number;
  out: string;
}

/** Run a node command in a child, with its wall time and peak resident memory. */
function runNode(args: string[], env: Record<string, string> = {}): Run {
  const time = existsSync('/usr/bin/time');
  const started = performance.now();
  const r = time
    ? spawnSync('/usr/bin/time', ['-f', 'PEAK_KB=%M', process.execPath, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        maxBuffer: 1 << 28,
      })
    : spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stderr.slice(-3000)}`);
  const peak = Number(/PEAK_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  return { seconds, peakMB: peak, out: r.stdout };
}

interface Measured {
  concepts: number;
  bySystem: Record<string, number>;
  buildMs: number;
  buildCpuMs: number;
  loadMs: number;
  loadCpuMs: number;
  indexMB: number;
  rssLoadedMB: number;
  searchP50: number;
  searchP99: number;
  pageP50: number;
  pageP99: number;
  rssAfterMB: number;
}

/** Child: index build, load, search and page latency on one database; prints one JSON line. */
async function measure(dbPath: string): Promise<void> {
  const { SearchIndex } = await import('../src/search/index.js');
  const { SearchEngine } = await import('../src/search/engine.js');
  const { Store } = await import('../src/store/store.js');
  const { createApp } = await import('../src/api/app.js');
  const { loadQueries } = await import('../src/search/relevance.js');
  const { benchQueries, percentile } = await import('./queries.js');
  const rss = () => process.memoryUsage().rss / 2 ** 20;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const store = new Store(dbPath);
  let t = performance.now();
  let c = cpu();
  const ix = SearchIndex.load(store.db);
  const loadMs = performance.now() - t;
  const loadCpuMs = cpu() - c;
  if (!ix) throw new Error('no saved index');
  const indexMB =
    (store.db.prepare("SELECT sum(length(data)) AS n FROM search_index WHERE name GLOB 'mcix.*'").get() as { n: number }).n / 2 ** 20;
  const counts = store.db.prepare('SELECT system, count(*) AS n FROM codes GROUP BY system').all() as { system: string; n: number }[];
  globalThis.gc?.();
  const rssLoadedMB = rss();
  const engine = new SearchEngine(ix, { cacheSize: 0 });
  const queries = benchQueries(loadQueries(), 1000);
  for (const q of queries.slice(0, 200)) engine.search({ q, limit: 20 });
  const lat: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    engine.search({ q, limit: 20 });
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  // Pages: every n-th active code of every loaded system, through the app as a server answers it.
  const app = createApp({ store: () => store, limits: { rateLimit: 0 } });
  const all = store.db.prepare("SELECT system, code FROM codes WHERE status = 'active' AND kind = 'code' ORDER BY id").all() as {
    system: string;
    code: string;
  }[];
  const step = Math.max(1, Math.floor(all.length / 600));
  const sample = all.filter((_, i) => i % step === 0).slice(0, 600);
  const page = async (c: { system: string; code: string }) => {
    const res = await app.request(`/codes/${c.system}/${encodeURIComponent(c.code)}`);
    if (res.status !== 200) throw new Error(`${c.system} ${c.code}: ${res.status}`);
    await res.arrayBuffer();
  };
  for (const c of sample.slice(0, 50)) await page(c);
  const plat: number[] = [];
  for (const c of sample) {
    const s = performance.now();
    await page(c);
    plat.push(performance.now() - s);
  }
  plat.sort((a, b) => a - b);
  const rssAfterMB = rss();
  // The build last, so that its garbage is in none of the memory figures above.
  const db = new Database(dbPath, { readonly: true });
  t = performance.now();
  c = cpu();
  SearchIndex.build(db);
  const buildMs = performance.now() - t;
  const buildCpuMs = cpu() - c;
  db.close();
  const m: Measured = {
    concepts: counts.reduce((n, c) => n + c.n, 0),
    bySystem: Object.fromEntries(counts.map((c) => [c.system, c.n])),
    buildMs,
    buildCpuMs,
    loadMs,
    loadCpuMs,
    indexMB,
    rssLoadedMB,
    searchP50: percentile(lat, 50),
    searchP99: percentile(lat, 99),
    pageP50: percentile(plat, 50),
    pageP99: percentile(plat, 99),
    rssAfterMB,
  };
  console.log(JSON.stringify(m));
}

async function main(): Promise<void> {
  const dir = resolve(arg('--dir', '/tmp/medcodes-scale'));
  const sizes = arg('--sizes', '0.6,1.3')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  mkdirSync(dir, { recursive: true });
  const bin = join(ROOT, 'bin/medcodes.js');
  const self = fileURLToPath(import.meta.url);
  const measureArgs = (db: string) => ['--expose-gc', '--import', 'tsx', self, 'measure', db];

  // The bundled sets alone: imported here (timed), or a given database.
  const base = join(dir, 'base.db');
  let baseImport: Run | undefined;
  const given = process.argv.includes('--base') ? resolve(arg('--base', '')) : undefined;
  if (given) copyFileSync(given, base);
  else {
    rmSync(base, { force: true });
    console.error('importing the bundled sets ...');
    baseImport = runNode([bin, '--db', base, 'import']);
  }
  const words = vocabulary(base);
  const rows: { label: string; imp?: Run; m: Measured; files?: number }[] = [];
  console.error('measuring the bundled sets ...');
  rows.push({ label: 'bundled', imp: baseImport, m: JSON.parse(runNode(measureArgs(base)).out.trim().split('\n').pop()!) });
  const baseConcepts = rows[0].m.concepts;
  for (const size of sizes) {
    const extra = Math.round(size * 1e6) - baseConcepts;
    if (extra <= 0) continue;
    const files = join(dir, `releases-${size}M`);
    console.error(`${size}M: generating ${extra} concepts of synthetic releases ...`);
    const inputs = await generate(files, extra, words);
    const bytes = spawnSync('du', ['-sb', files], { encoding: 'utf8' }).stdout.split('\t')[0];
    const db = join(dir, `scale-${size}M.db`);
    copyFileSync(base, db);
    console.error(`${size}M: importing ${(Number(bytes) / 2 ** 20).toFixed(0)} MB ...`);
    const imp = runNode([bin, '--db', db, 'import', ...inputs]);
    console.error(`${size}M: measuring ...`);
    const m = JSON.parse(runNode(measureArgs(db)).out.trim().split('\n').pop()!) as Measured;
    rows.push({ label: `${size}M`, imp, m, files: Number(bytes) });
    rmSync(files, { recursive: true, force: true });
    if (!process.argv.includes('--keep')) rmSync(db, { force: true });
  }

  const b = rows[0].m;
  const x = (v: number, base: number) => `${(v / base).toFixed(1)}×`;
  console.log(
    `\nMedCodes at scale, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}; ratios against the bundled sets alone (same run)\n`,
  );
  console.log(`| | ${rows.map((r) => `${(r.m.concepts / 1e6).toFixed(2)}M concepts (${r.label})`).join(' | ')} |`);
  console.log(`|---|${rows.map(() => '---').join('|')}|`);
  const line = (what: string, f: (r: (typeof rows)[number]) => string) => console.log(`| ${what} | ${rows.map(f).join(' | ')} |`);
  line(
    'concepts by set',
    (r) =>
      Object.entries(r.m.bySystem)
        .filter(([s]) => ['snomedct', 'rxnorm', 'loinc', 'ndc'].includes(s))
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'bundled only',
  );
  line('release files', (r) => (r.files ? `${(r.files / 2 ** 20).toFixed(0)} MB` : 'data/'));
  line('import (wall, incl. index build)', (r) =>
    r.imp ? `${r.imp.seconds.toFixed(0)} s${r === rows[0] ? ' (all bundled)' : ' (licensed sets, onto a copy of the bundled)'}` : '-',
  );
  line('import peak RSS', (r) => (r.imp?.peakMB ? `${r.imp.peakMB.toFixed(0)} MB` : '-'));
  line(
    'index build, wall (CPU)',
    (r) => `${(r.m.buildMs / 1000).toFixed(1)} s (${(r.m.buildCpuMs / 1000).toFixed(1)} s) ${x(r.m.buildMs, b.buildMs)}`,
  );
  line('index size (stored)', (r) => `${r.m.indexMB.toFixed(0)} MB`);
  line(
    'index load, wall (CPU)',
    (r) => `${(r.m.loadMs / 1000).toFixed(2)} s (${(r.m.loadCpuMs / 1000).toFixed(2)} s) ${x(r.m.loadMs, b.loadMs)}`,
  );
  line('RSS, database open and index loaded', (r) => `${r.m.rssLoadedMB.toFixed(0)} MB`);
  line(
    'search p50 / p99 (1,000 queries, no cache)',
    (r) => `${r.m.searchP50.toFixed(2)} / ${r.m.searchP99.toFixed(1)} ms (${x(r.m.searchP50, b.searchP50)})`,
  );
  line(
    'code page p50 / p99 (600 codes of every set)',
    (r) => `${r.m.pageP50.toFixed(2)} / ${r.m.pageP99.toFixed(1)} ms (${x(r.m.pageP50, b.pageP50)})`,
  );
  line('RSS after the searches and pages', (r) => `${r.m.rssAfterMB.toFixed(0)} MB`);
}

if (process.argv[2] === 'measure') await measure(process.argv[3]);
else await main();
