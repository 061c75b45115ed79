import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../src/cli.js';
import { silentProgress } from '../../src/importers/types.js';
import { runImport } from '../../src/importers/run.js';
import { Store } from '../../src/store/store.js';
import { createApp } from '../../src/api/app.js';
import { ArticleStore } from '../../src/articles/store.js';
import { parseMarkdown } from '../../src/articles/parse.js';
import { sectionsOf, type ArticleKind } from '../../src/articles/sections.js';
import { generateArticles, type LlmConfig } from '../../src/articles/generate.js';
import { MedCodesError } from '../../src/errors.js';

/**
 * The article layer end to end: curated files imported through the CLI and rendered on the code page
 * (the reference page, CPT 64491, whose code set is not loaded), official sections derived for every
 * code, articles that outlive every kind of re-import, and generation against a small
 * OpenAI-compatible server started here on loopback.
 */

const MD = 'test/fixtures/articles/cpt-64491.md';
const JSONL = 'test/fixtures/articles/cpt-64491.jsonl';
const tmp = mkdtempSync(join(tmpdir(), 'medcodes-articles-'));
const escaped = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

async function cli(db: string, articlesDb: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--db', db, 'articles', '--articles-db', articlesDb, ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    progress: silentProgress,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function appOver(db: string, articlesPath: string) {
  const store = new Store(db, { articlesPath });
  return { store, app: createApp({ store: () => store }) };
}

describe('curated articles: the reference page for CPT 64491', () => {
  const articlesDb = join(tmp, 'ref.articles.db');
  let served: ReturnType<typeof appOver>;
  const reference = parseMarkdown(readFileSync(MD, 'utf8'), MD)[0].article;

  beforeAll(async () => {
    const r = await cli(inject('dbPath'), articlesDb, 'import', MD);
    expect(r).toMatchObject({
      code: 0,
      out: `${MD}: 1 article, 13 sections imported (1 for CPT, which is not loaded)\narticles: ${articlesDb}`,
    });
    served = appOver(inject('dbPath'), articlesDb);
  });
  afterAll(() => served.store.close());

  it('imports the same article from Markdown and from JSON Lines', async () => {
    const other = join(tmp, 'jsonl.articles.db');
    expect((await cli(inject('dbPath'), other, 'import', JSONL)).code).toBe(0);
    const read = (p: string) => {
      const s = ArticleStore.open(p);
      const all = [...s.all()];
      s.close();
      return all;
    };
    expect(read(other)).toEqual(read(articlesDb));
    const exported = await cli(inject('dbPath'), articlesDb, 'export');
    expect(JSON.parse(exported.out)).toEqual({ ...JSON.parse(readFileSync(JSONL, 'utf8')), code: '64491' });
  });

  it('renders every section at /codes/cpt/64491, in the reference order, with the text intact and its provenance', async () => {
    const res = await served.app.request('/codes/cpt/64491');
    expect(res.status).toBe(200);
    const html = await res.text();
    const headings = [...html.matchAll(/<h2 id="art-[^"]+">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual([
      'Summary',
      'Purpose',
      'Indications',
      'Preparation',
      'Procedure Description',
      'Duration',
      'Setting',
      'Personnel',
      'Risks and Complications',
      'Benefits',
      'Recovery',
      'Alternatives',
      'Patient Experience',
    ]);
    for (const s of reference.sections) {
      for (const line of s.text.split('\n')) {
        const words = line.replace(/^- |^\d+\. /, '');
        expect(html, `${s.section}: ${words}`).toContain(escaped(words));
      }
    }
    expect(html).toContain('<ol><li>Positioning: The patient is positioned face down on an examination table.</li>');
    expect(
      html.match(
        /<p class="provenance">Curated: by MedCodes reference page, <time datetime="2026-11-24">2026-11-24<\/time>, reviewed<\/p>/g,
      ),
    ).toHaveLength(13);
    // What is known for certain: the code, its code set, and that the code set is not loaded.
    expect(html).toContain(`<h1><span class="code">64491</span> ${escaped(reference.title!)}</h1>`);
    expect(html).toContain('<span class="badge">CPT</span> <span>Code set not loaded</span>');
    expect(html).toMatch(/CPT is not loaded in this MedCodes \(it is licensed by the American Medical Association and never bundled/);
    expect(html).toContain("the name above is the article's own (curated, MedCodes reference page), not the official descriptor");
    expect(html).toContain('<link rel="canonical" href="/codes/cpt/64491">');
    expect(html).not.toContain('Not medical advice.</strong> Sections marked');
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
  });

  it('answers the article from the API without inventing a CPT descriptor; other CPT codes are not found', async () => {
    const res = await served.app.request('/api/v1/codes/cpt/64491');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc).toMatchObject({
      system: 'cpt',
      systemUri: 'http://www.ama-assn.org/go/cpt',
      code: '64491',
      display: '',
      loaded: false,
      similar: [],
    });
    expect(doc.article).toMatchObject({ kind: 'procedure', title: reference.title, generated: false });
    expect(doc.article.sections.map((s: any) => s.text)).toEqual(reference.sections.map((s) => s.text));
    expect(doc.article.sections[8]).toEqual({
      id: 'risksAndComplications',
      heading: 'Risks and Complications',
      text: reference.sections[8].text,
      source: 'curated',
      author: 'MedCodes reference page',
      date: '2026-11-24',
      review: 'reviewed',
      provenance: 'curated by MedCodes reference page, 2026-11-24, reviewed',
    });
    const missing = await served.app.request('/api/v1/codes/cpt/64492');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toBe(
      'CPT is not loaded (import your licensed release files) and there is no article for "64492"',
    );
    // Without the articles file, the shared test database knows nothing of 64491.
    const bare = createApp({ store: () => served.store });
    expect((await bare.request('/api/v1/codes/icd10cm/64491')).status).toBe(404);
  });

  it('refuses a bad file whole, naming the line, and keeps what was stored', async () => {
    const bad = join(tmp, 'bad.jsonl');
    const line = (code: string) =>
      JSON.stringify({
        system: 'icd10cm',
        code,
        author: 'A. Coder',
        date: '2026-01-02',
        sections: [{ section: 'Summary', text: 'Text.' }],
      });
    writeFileSync(bad, `${line('E11.9')}\n${line('E11.99999')}\n`);
    const r = await cli(inject('dbPath'), articlesDb, 'import', bad);
    expect(r).toMatchObject({ code: 1, err: `error [parse_error]: ${bad}, line 2: ICD-10-CM has no code "E11.99999"` });
    writeFileSync(
      bad,
      JSON.stringify({ system: 'icd10cm', code: 'E11.9', author: 'A', date: '2026-01-02', sections: [{ section: 'Recovery', text: 'x' }] }),
    );
    expect((await cli(inject('dbPath'), articlesDb, 'import', bad)).err).toMatch(
      /line 1: "Recovery" is not a section of a diagnosis article; sections: Summary, Causes, Symptoms/,
    );
    expect((await cli(inject('dbPath'), articlesDb, 'import', join(tmp, 'none.md'))).code).toBe(1);
    const list = await cli(inject('dbPath'), articlesDb, 'list');
    expect(list.out).toBe('CPT       64491      curated   reviewed 2026-11-24  MedCodes reference page  (13 sections)\n1 article');
  });
});

describe('official sections, derived for every code', () => {
  let served: ReturnType<typeof appOver>;
  beforeAll(() => {
    served = appOver(inject('dbPath'), join(tmp, 'none.articles.db'));
  });
  afterAll(() => served.store.close());
  const doc = async (path: string) => (await served.app.request(`/api/v1/codes/${path}`)).json();

  it('ICD-10-PCS: the procedure description from the seven characters and their official definitions', async () => {
    const d = await doc('icd10pcs/0DTJ4ZZ');
    expect(d.article.sections.map((s: any) => [s.id, s.source, s.provenance])).toEqual([
      ['summary', 'official', 'official: ICD-10-PCS FY2026'],
      ['procedureDescription', 'official', 'official: ICD-10-PCS FY2026'],
    ]);
    const steps = d.article.sections[1].text.split('\n');
    expect(steps[2]).toBe('3. Operation (character 3, T): Resection — Cutting out or off, without replacement, all of a body part.');
    expect(steps[4]).toMatch(
      /^5\. Approach \(character 5, 4\): Percutaneous Endoscopic — Entry, by puncture or minor incision, of instrumentation through the skin/,
    );
    // What it means in plain words, not the title and the hierarchy again (issue 15).
    expect(d.article.sections[0].text).toBe(
      '0DTJ4ZZ is a valid ICD-10-PCS code. Resection of the appendix: cutting out or off, without replacement, all of the appendix, by keyhole surgery (percutaneous endoscopic approach).',
    );
  });

  it('ICD-10-CM: place in the classification, inclusion terms, seventh character and the notes in words', async () => {
    const s = await doc('icd10cm/S72.001A');
    expect(s.article.sections[0].text).toMatch(
      /^S72\.001A is a billable ICD-10-CM code\. In plain words: break of unspecified part of neck of right thighbone, initial visit for closed break\. Its seventh character A means “initial encounter for closed fracture”: the first stage of care, while the patient is receiving active treatment for the condition\.$/,
    );
    expect(s.article.sections[0].text).not.toContain('It is classified in');
    expect(s.article.sections[1]).toMatchObject({ id: 'codingNotes', heading: 'Coding notes' });
    expect(s.article.sections[1].text).toContain(
      '- Excludes1 (never coded together with this code): traumatic amputation of hip and thigh (S78.-) (from S72)',
    );
    const header = await doc('icd10cm/E11');
    expect(header.article.sections[0].text).toContain('It is not valid on a claim: one of its');
    const i214 = await doc('icd10cm/I21.4');
    expect(i214.article.sections[0].text).toContain(
      'The classification lists under it: Acute subendocardial myocardial infarction; Non-Q wave myocardial infarction NOS; Nontransmural myocardial infarction NOS.',
    );
  });

  it('HCPCS: the long description and decoded record fields; NUCC: its definition', async () => {
    const e = await doc('hcpcs/E0143');
    expect(e.article.sections.map((s: any) => s.id)).toEqual(['summary', 'description', 'billingNotes']);
    expect(e.article.sections[2].text).toContain('- Pricing: Inexpensive & routinely purchased DME (price subject to floors and ceilings)');
    expect(e.article.sections[2].provenance).toBe('official: HCPCS Level II 2025-10');
    const n = await doc('nucc/207Q00000X');
    expect(n.article.sections.map((s: any) => s.id)).toEqual(['summary', 'scope']);
  });

  it('the page shows the summary with its provenance, not what it shows better below', async () => {
    const html = await (await served.app.request('/codes/icd10pcs/0DTJ4ZZ')).text();
    expect(html).toContain('<h2 id="art-summary">Summary</h2>');
    expect(html).toContain(
      '<p class="provenance">From the official data: ICD-10-PCS FY2026, <time datetime="2025-10-01">2025-10-01</time></p>',
    );
    // The seven characters are the Characters table; no empty or repeated section.
    expect(html).not.toContain('art-procedureDescription');
    expect(html.indexOf('art-summary')).toBeLessThan(html.indexOf('<h2>Characters</h2>'));
    expect(html.indexOf('<h2>Characters</h2>')).toBeLessThan(html.indexOf('<h2>Similar codes</h2>'));
  });
});

describe('articles outlive every import', () => {
  it('a full rebuild, --replace and a failed import leave the articles file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-articles-import-'));
    const db = join(dir, 'm.db');
    await runImport({ db, inputs: ['test/fixtures/icd10cm/release'], progress: silentProgress, incremental: false });
    const file = join(dir, 'i214.md');
    writeFileSync(
      file,
      '---\nsystem: icd10cm\ncode: I21.4\nauthor: A. Coder\ndate: 2026-01-02\nreview: reviewed\n---\n## Symptoms\n- Chest pain\n',
    );
    // The default articles file sits beside the database.
    const out: string[] = [];
    expect(
      await runCli(['--db', db, 'articles', 'import', file], {
        out: (s) => out.push(s),
        err: (s) => out.push(s),
        progress: silentProgress,
      }),
    ).toBe(0);
    expect(existsSync(join(dir, 'm.articles.db'))).toBe(true);
    const symptoms = async () => {
      const store = new Store(db);
      try {
        const doc = await (await createApp({ store: () => store }).request('/api/v1/codes/icd10cm/I21.4')).json();
        return doc.article.sections.find((s: { id: string }) => s.id === 'symptoms');
      } finally {
        store.close();
      }
    };
    expect(await symptoms()).toMatchObject({ text: '- Chest pain', source: 'curated' });
    await runImport({ db, inputs: ['test/fixtures/icd10cm/release'], progress: silentProgress, incremental: false });
    expect(await symptoms()).toMatchObject({ text: '- Chest pain' });
    expect(
      await runCli(['--db', db, 'import', '--replace', 'test/fixtures/icd10cm/release'], {
        out: () => {},
        err: () => {},
        progress: silentProgress,
      }),
    ).toBe(0);
    expect(await symptoms()).toMatchObject({ text: '- Chest pain' });
    const broken = mkdtempSync(join(tmpdir(), 'medcodes-broken-'));
    for (const f of readdirSync('test/fixtures/icd10cm/release')) copyFileSync(join('test/fixtures/icd10cm/release', f), join(broken, f));
    writeFileSync(join(broken, 'icd10cm_tabular_2017.xml'), readFileSync(join(broken, 'icd10cm_tabular_2017.xml'), 'utf8').slice(0, 5000));
    await expect(runImport({ db, inputs: [broken], progress: silentProgress, incremental: false })).rejects.toThrow();
    expect(await symptoms()).toMatchObject({ text: '- Chest pain' });
  });
});

// ---------------------------------------------------------------------------------------------
// Generation against a loopback OpenAI-compatible server

interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  content?: string;
}

/** A chat-completions server that answers from a script per code (read from the prompt), then with valid articles. */
class FakeLlm {
  server!: Server;
  scripts = new Map<string, Scripted[]>();
  requests: { code: string; messages: { role: string; content: string }[]; auth?: string }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  static valid(kind: ArticleKind, code: string): string {
    return JSON.stringify({
      title: `Plain name of ${code}`,
      sections: Object.fromEntries(
        sectionsOf(kind).map((s) => [s.id, s.list ? `- ${s.heading} of ${code}, first\n- second` : `${s.heading} of ${code}.`]),
      ),
    });
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let body = '';
    for await (const chunk of req) body += chunk;
    const json = JSON.parse(body);
    const prompt = json.messages.find((m: any) => m.role === 'user').content as string;
    const code = /^Code: (.+)$/m.exec(prompt)![1];
    const kind: ArticleKind = /Code set: ICD-10-PCS/.test(prompt) ? 'procedure' : /Code set: HCPCS/.test(prompt) ? 'supply' : 'diagnosis';
    this.requests.push({ code, messages: json.messages, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const step = this.scripts.get(code)?.shift() ?? {};
    await new Promise((r) => setTimeout(r, 10));
    this.inFlight--;
    // `connection: close`: a kept-alive socket that this server closes after its keep-alive timeout
    // while the client reuses it (a race a loaded machine loses) fails that request at the socket
    // level, and the generator counts the retry: the request counts would depend on scheduling.
    res.writeHead(step.status ?? 200, { 'content-type': 'application/json', connection: 'close', ...step.headers });
    if (step.status && step.status !== 200) return res.end(JSON.stringify({ error: { message: 'scripted failure' } }));
    res.end(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        model: json.model,
        choices: [{ index: 0, message: { role: 'assistant', content: step.content ?? FakeLlm.valid(kind, code) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      }),
    );
  }
}

describe('generated articles', () => {
  const llm = new FakeLlm();
  let config: LlmConfig;
  const articlesDb = join(tmp, 'generated.articles.db');
  let store: Store;
  let target: ArticleStore;

  beforeAll(async () => {
    config = { baseUrl: await llm.start(), model: 'test-model', apiKey: 'secret', timeoutMs: 5000 };
    store = new Store(inject('dbPath'), { articlesPath: articlesDb });
    target = ArticleStore.open(articlesDb);
  });
  afterAll(async () => {
    target.close();
    store.close();
    await llm.stop();
  });

  const run = (targets: { system: any; key: string }[], extra: Partial<Parameters<typeof generateArticles>[0]> = {}) =>
    generateArticles({
      store,
      articles: target,
      config,
      targets,
      concurrency: 2,
      backoffMs: 5,
      progress: silentProgress,
      date: '2026-02-03',
      ...extra,
    });

  it('retries an invalid answer with the problem, a 429 after Retry-After and a 500 with backoff; counts tokens; stays within the concurrency limit', async () => {
    llm.scripts.set('E11.9', [{ content: 'Type 2 diabetes is a common condition.' }]);
    llm.scripts.set('0DTJ4ZZ', [{ status: 429, headers: { 'retry-after': '0' } }]);
    llm.scripts.set('E0143', [{ status: 503 }, { content: JSON.stringify({ sections: { summary: 'only a summary' } }) }]);
    const r = await run([
      { system: 'icd10cm', key: 'E119' },
      { system: 'icd10pcs', key: '0DTJ4ZZ' },
      { system: 'hcpcs', key: 'E0143' },
      { system: 'icd10cm', key: 'I214' },
    ]);
    expect(r).toMatchObject({ model: 'test-model', generated: 4, skipped: 0, failed: [], requests: 8 });
    // Tokens are counted from `usage` of every answer that came back (2 failures had none).
    expect([r.promptTokens, r.completionTokens]).toEqual([600, 300]);
    expect(llm.maxInFlight).toBeLessThanOrEqual(2);
    // The invalid answer was sent back with what was wrong.
    const retry = llm.requests.filter((q) => q.code === 'E11.9')[1].messages;
    expect(retry.at(-2)).toEqual({ role: 'assistant', content: 'Type 2 diabetes is a common condition.' });
    expect(retry.at(-1)!.content).toMatch(/^That answer is not valid: the answer is not JSON/);
    // The prompt is grounded on the official data and the key is sent as a bearer token.
    const first = llm.requests.find((q) => q.code === '0DTJ4ZZ')!;
    expect(first.auth).toBe('Bearer secret');
    expect(first.messages[1].content).toContain(
      'Operation (character 3, T): Resection — Cutting out or off, without replacement, all of a body part.',
    );
    expect(target.usage()).toEqual([{ model: 'test-model', codes: 4, promptTokens: 600, completionTokens: 300 }]);
  });

  it('resumes: codes done by the same model are skipped unless forced', async () => {
    const before = llm.requests.length;
    const again = await run([
      { system: 'icd10cm', key: 'E119' },
      { system: 'icd10cm', key: 'E109' },
    ]);
    expect(again).toMatchObject({ generated: 1, skipped: 1, requests: 1 });
    expect(llm.requests.slice(before).map((q) => q.code)).toEqual(['E10.9']);
    const forced = await run([{ system: 'icd10cm', key: 'E119' }], { force: true });
    expect(forced).toMatchObject({ generated: 1, skipped: 0 });
  });

  it('gives up on a code after the attempts, and stops the run on an error that retrying cannot fix', async () => {
    llm.scripts.set('E13.9', [{ content: '{}' }, { content: '{}' }]);
    const r = await run([{ system: 'icd10cm', key: 'E139' }], { maxAttempts: 2 });
    expect(r.failed).toEqual([{ system: 'icd10cm', code: 'E13.9', problem: expect.stringMatching(/^invalid answer: sections: /) }]);
    llm.scripts.set('E08.9', [{ status: 401 }]);
    const err = await run([{ system: 'icd10cm', key: 'E089' }]).catch((e) => e);
    expect(err).toBeInstanceOf(MedCodesError);
    expect(err.message).toMatch(/^the language model server answered 401: .*scripted failure.*run again to resume/);
  });

  it('labels generated sections with model and date, under a "not medical advice" notice; official text is not replaced', async () => {
    const app = createApp({ store: () => store });
    const doc = await (await app.request('/api/v1/codes/icd10cm/E11.9')).json();
    expect(doc.article).toMatchObject({ generated: true, title: 'Plain name of E11.9' });
    expect(doc.article.sections.map((s: any) => [s.id, s.source])).toEqual([
      ['summary', 'official'],
      ['causes', 'generated'],
      ['symptoms', 'generated'],
      ['diagnosis', 'generated'],
      ['treatment', 'generated'],
      ['outlook', 'generated'],
      ['codingNotes', 'official'],
    ]);
    expect(doc.article.sections[1]).toMatchObject({
      author: 'test-model',
      date: '2026-02-03',
      review: 'draft',
      provenance: 'generated by test-model on 2026-02-03, not reviewed',
    });
    const html = await (await app.request('/codes/icd10cm/E11.9')).text();
    expect(html).toContain(
      '<aside class="generated" aria-label="About generated text"><p><strong>Not medical advice.</strong> Sections marked “Generated” were written by a language model (test-model (2026-02-03))',
    );
    expect(html).toContain(
      '<section class="article-section generated" aria-labelledby="art-causes"><h2 id="art-causes">Causes</h2>\n<ul><li>Causes of E11.9, first</li><li>second</li></ul><p class="provenance">Generated by a language model: model test-model, <time datetime="2026-02-03">2026-02-03</time>, not reviewed by a person</p></section>',
    );
  });

  it('a person marks a generated article reviewed; the API and the page name the reviewer', async () => {
    const r = await cli(
      inject('dbPath'),
      articlesDb,
      'review',
      'E11.9',
      '--system',
      'icd10cm',
      '--by',
      'Dr. A. Reviewer',
      '--sections',
      'causes,symptoms',
    );
    expect(r).toMatchObject({ code: 0, out: 'ICD-10-CM E11.9: 2 generated sections marked reviewed by Dr. A. Reviewer' });
    const reopened = new Store(inject('dbPath'), { articlesPath: articlesDb });
    try {
      const app = createApp({ store: () => reopened });
      const doc = await (await app.request('/api/v1/codes/icd10cm/E11.9')).json();
      const today = new Date().toISOString().slice(0, 10);
      expect(doc.article.sections[1]).toMatchObject({
        id: 'causes',
        review: 'reviewed',
        reviewer: 'Dr. A. Reviewer',
        reviewedAt: today,
        provenance: `generated by test-model on 2026-02-03, reviewed by Dr. A. Reviewer on ${today}`,
      });
      expect(doc.article.sections[3]).toMatchObject({ id: 'diagnosis', review: 'draft' });
      const html = await (await app.request('/codes/icd10cm/E11.9')).text();
      expect(html).toContain(
        `model test-model, <time datetime="2026-02-03">2026-02-03</time>, reviewed by Dr. A. Reviewer on <time datetime="${today}">${today}</time></p>`,
      );
    } finally {
      reopened.close();
    }
    // Back to draft; a code without such an article is an error.
    expect(
      (await cli(inject('dbPath'), articlesDb, 'review', 'E11.9', '--system', 'icd10cm', '--by', 'Dr. A. Reviewer', '--draft')).out,
    ).toBe('ICD-10-CM E11.9: 7 generated sections marked draft');
    expect((await cli(inject('dbPath'), articlesDb, 'review', 'A00.0', '--system', 'icd10cm', '--by', 'X')).code).toBe(3);
    expect((await cli(inject('dbPath'), articlesDb, 'review', 'E11.9', '--system', 'icd10cm', '--by', ' ')).code).toBe(1);
  });

  it('the CLI reads the endpoint from the environment and prints progress totals in tokens', async () => {
    const env = { ...process.env };
    Object.assign(process.env, { MEDCODES_LLM_BASE_URL: config.baseUrl, MEDCODES_LLM_MODEL: 'cli-model' });
    delete process.env.MEDCODES_LLM_API_KEY;
    try {
      const before = llm.requests.length;
      const r = await cli(inject('dbPath'), articlesDb, 'generate', '--system', 'icd10cm', '--codes', 'I21.4,E11.9', '--concurrency', '2');
      // The totals line reports every request sent, retries included; compare it with what the server
      // received rather than a constant, so that the test does not depend on how the run was scheduled.
      const received = llm.requests.slice(before);
      expect(received.map((q) => q.code).sort()).toEqual(expect.arrayContaining(['E11.9', 'I21.4']));
      expect(r).toMatchObject({
        code: 0,
        out: `2 generated, 0 skipped (already done), 0 failed · ${received.length} requests\ntokens: 200 prompt + 100 completion = 300 (cli-model)`,
      });
      const limited = await cli(inject('dbPath'), articlesDb, 'generate', '--system', 'hcpcs', '--limit', '2');
      expect(limited.out).toMatch(/^2 generated/);
      expect((await cli(inject('dbPath'), articlesDb, 'generate', '--codes', 'Q99.999')).code).toBe(3);
      delete process.env.MEDCODES_LLM_MODEL;
      expect((await cli(inject('dbPath'), articlesDb, 'generate')).err).toMatch(/set MEDCODES_LLM_BASE_URL .* and MEDCODES_LLM_MODEL/);
    } finally {
      process.env = env;
    }
  });
});
