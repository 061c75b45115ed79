import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { createApp } from '../../src/api/app.js';
import { codeKey } from '../../src/codes.js';
import { resolveSystem } from '../../src/systems.js';
import { ArticleStore } from '../../src/articles/store.js';
import { articleKind, findSection, sectionsOf } from '../../src/articles/sections.js';
import { importBundledArticles, readBundledArticles } from '../../src/articles/bundled.js';
import { parseJsonLines } from '../../src/articles/parse.js';
import { runCli } from '../../src/cli.js';
import { silentProgress } from '../../src/importers/types.js';

/**
 * Every article shipped in data/articles/ checked against the code it describes in the release
 * loaded from the bundled data: the code exists and is active, the article's title is the release's
 * title, its sections are exactly its kind's layout in order and none is empty, its provenance says
 * it was generated and by which model, and it says nothing that reads as dosing or as advice to one
 * patient. Then the whole set imported as on first start and served with its provenance.
 */

const MODEL = "Claude (Anthropic), MedCodes editors' session";
const shipped = readBundledArticles().flatMap(({ file, parsed }) => parsed.map((p) => ({ file: basename(file), ...p })));
const where = (a: (typeof shipped)[number]) => `${a.file}:${a.line} ${a.article.system} ${a.article.code}`;

/** Dosing and personal instructions: amounts per weight or time, "take 2 tablets", schedules. */
const DOSING = [
  /\b\d+(\.\d+)?\s*(mg|mcg|µg|g|ml|mL|units?|iu|IU)\s*\/\s*(kg|m2|day|d|hr|hour)\b/i,
  /\b\d+(\.\d+)?\s*(mg|mcg|µg|ml|units?)\b[^.\n]{0,20}\b(per|a|each|every)\s+(day|dose|kg|hour|week|night)\b/i,
  /\btake\s+(\d+|one|two|three|four|half)\s+(tablets?|capsules?|pills?|puffs?|drops?|doses?)\b/i,
  /\b(once|twice|three times|four times)\s+(a|per|each)\s+(day|daily|week)\b/i,
  /\bevery\s+\d+\s*(-\s*\d+\s*)?hours\b/i,
  /\b(q\.?d|b\.?i\.?d|t\.?i\.?d|q\.?i\.?d|prn)\b\.?/i,
];
/** Advice addressed to the reader ("you should …") is advice to a particular patient. */
const PERSONAL = /\b(you|your|yours|yourself)\b/i;

describe('the shipped articles (data/articles/)', () => {
  let store: Store;
  beforeAll(() => {
    store = new Store(inject('dbPath'), { articlesPath: join(mkdtempSync(join(tmpdir(), 'medcodes-shipped-')), 'none.articles.db') });
  });
  afterAll(() => store.close());

  it('are at least 300, across ICD-10-CM, ICD-10-PCS and HCPCS, one per code', () => {
    const per = (s: string) => shipped.filter((a) => resolveSystem(a.article.system) === s).length;
    expect({ icd10cm: per('icd10cm') >= 120, icd10pcs: per('icd10pcs') >= 75, hcpcs: per('hcpcs') >= 85 }).toEqual({
      icd10cm: true,
      icd10pcs: true,
      hcpcs: true,
    });
    expect(shipped.length).toBeGreaterThanOrEqual(300);
    const ids = shipped.map((a) => `${a.article.system} ${a.article.code}`);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('describe active codes of the loaded release, under the release’s exact title', () => {
    const problems: string[] = [];
    for (const a of shipped) {
      const system = resolveSystem(a.article.system);
      const row = system && store.get(system, codeKey(system, a.article.code));
      if (!system || !row) problems.push(`${where(a)}: no such code`);
      else {
        if (row.code !== a.article.code) problems.push(`${where(a)}: written ${a.article.code}, the release writes ${row.code}`);
        if (row.status !== 'active') problems.push(`${where(a)}: ${row.status}`);
        if (a.article.title !== row.display) problems.push(`${where(a)}: title "${a.article.title}" is not "${row.display}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('have exactly their layout’s sections, in order, none empty, lists written as lists', () => {
    const problems: string[] = [];
    for (const a of shipped) {
      const system = resolveSystem(a.article.system);
      if (!system) continue;
      const kind = articleKind(system);
      expect(['diagnosis', 'procedure', 'supply']).toContain(kind);
      const ids = a.article.sections.map((s) => findSection(kind, s.section)?.id);
      const layout = sectionsOf(kind);
      if (ids.join() !== layout.map((d) => d.id).join()) problems.push(`${where(a)}: sections ${ids.join(', ')}`);
      for (const s of a.article.sections) {
        const def = findSection(kind, s.section);
        if (!s.text.trim()) problems.push(`${where(a)}: ${s.section} is empty`);
        const lines = s.text.split('\n').filter((l) => l.trim());
        if (def?.list === 'bullets' && !lines.every((l) => l.startsWith('- '))) problems.push(`${where(a)}: ${s.section} is not a list`);
        if (def?.list === 'steps' && !lines.every((l, i) => l.startsWith(`${i + 1}. `)))
          problems.push(`${where(a)}: ${s.section} is not numbered steps`);
        if (!def?.list && lines.some((l) => /^(- |\d+\. )/.test(l))) problems.push(`${where(a)}: ${s.section} should be prose`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('say they were generated, by which model and when, and are not reviewed', () => {
    for (const a of shipped) {
      expect({ where: where(a), source: a.source, author: a.article.author, date: a.article.date, review: a.article.review }).toEqual({
        where: where(a),
        source: 'generated',
        author: MODEL,
        date: '2026-12-02',
        review: 'draft',
      });
    }
  });

  it('hold no dosing and no advice addressed to a patient, and are written per code, not from a template', () => {
    const problems: string[] = [];
    for (const a of shipped)
      for (const s of a.article.sections) {
        for (const p of DOSING) if (p.test(s.text)) problems.push(`${where(a)} ${s.section}: dosing "${p.exec(s.text)![0]}"`);
        if (PERSONAL.test(s.text)) problems.push(`${where(a)} ${s.section}: addressed to the reader "${PERSONAL.exec(s.text)![0]}"`);
      }
    expect(problems).toEqual([]);
    // A summary is the article's own: no two codes share one.
    const summaries = shipped.map((a) => a.article.sections[0].text);
    expect(summaries.filter((s, i) => summaries.indexOf(s) !== i)).toEqual([]);
  });

  it('name only codes that are active in the release when they point to other codes', () => {
    // Codes as the texts write them: ICD-10-CM with an optional "-" (a category or subcategory),
    // HCPCS five characters. "vitamin B12" is a vitamin, not the category B12.
    const PATTERN: Partial<Record<string, RegExp>> = {
      icd10cm: /(?<!vitamin )\b[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?-?(?=[\s,;)]|$)/g,
      hcpcs: /\b[A-V][0-9]{4}\b/g,
    };
    const problems: string[] = [];
    let named = 0;
    for (const a of shipped) {
      const system = resolveSystem(a.article.system);
      const pattern = system && PATTERN[system];
      if (!system || !pattern) continue;
      for (const s of a.article.sections)
        for (const m of s.text.matchAll(pattern)) {
          named++;
          const row = store.get(system, codeKey(system, m[0].replace(/-$/, '')));
          if (row?.status !== 'active') problems.push(`${where(a)} ${s.section}: ${m[0]} is ${row ? row.status : 'not in the release'}`);
        }
    }
    expect(problems).toEqual([]);
    expect(named).toBeGreaterThan(300);
  });

  it('are imported as on first start, served with their provenance and the generated notice flag, and exported as generated', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medcodes-shipped-')), 'medcodes.articles.db');
    const target = ArticleStore.open(path);
    const r = importBundledArticles(store, target, undefined);
    expect(r).toEqual({ added: shipped.length, updated: 0, unchanged: 0, kept: 0, missing: [] });
    expect(importBundledArticles(store, target).unchanged).toBe(shipped.length);
    target.close();
    const served = new Store(inject('dbPath'), { articlesPath: path });
    try {
      const app = createApp({ store: () => served });
      const doc = await (await app.request('/api/v1/codes/icd10cm/E11.9')).json();
      expect(doc.article.generated).toBe(true);
      const causes = doc.article.sections.find((s: { id: string }) => s.id === 'causes');
      expect(causes).toMatchObject({
        source: 'generated',
        author: MODEL,
        date: '2026-12-02',
        review: 'draft',
        provenance: `generated by ${MODEL} on 2026-12-02, not reviewed`,
      });
      const e119 = shipped.find((a) => a.article.code === 'E11.9')!;
      expect(causes.text).toBe(e119.article.sections.find((s) => s.section === 'Causes')!.text);
    } finally {
      served.close();
    }
    // Exported, they say they are generated, so an export read back stays generated.
    const out: string[] = [];
    const code = await runCli(
      ['--db', inject('dbPath'), 'articles', '--articles-db', path, 'export', '--source', 'generated', '-s', 'hcpcs'],
      {
        out: (line) => out.push(line),
        err: () => {},
        progress: silentProgress,
      },
    );
    expect(code).toBe(0);
    const back = parseJsonLines(out.join('\n'), 'export.jsonl');
    expect(back).toHaveLength(shipped.filter((a) => a.article.system === 'hcpcs').length);
    expect(new Set(back.map((b) => b.source))).toEqual(new Set(['generated']));
    const j1100 = back.find((b) => b.article.code === 'J1100')!.article;
    const shippedJ1100 = shipped.find((a) => a.article.code === 'J1100')!.article;
    expect(j1100.sections.map((s) => s.text)).toEqual(shippedJ1100.sections.map((s) => s.text));
    expect({ title: j1100.title, author: j1100.author, date: j1100.date }).toEqual({
      title: shippedJ1100.title,
      author: shippedJ1100.author,
      date: shippedJ1100.date,
    });
  });
});
