import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { codeKey } from '../codes.js';
import { ArticleStore } from './store.js';
import { bundledArticleFiles, importBundledArticles, importBundledArticlesOnStart } from './bundled.js';

/**
 * The first-start import of shipped articles, against the database built from the bundled data
 * (test/global-setup.ts) and a folder of made-up shipped articles: it fills gaps only, is idempotent,
 * and never replaces a curated, reviewed or other model's article.
 */

const MODEL = "Claude (Anthropic), MedCodes editors' session";
const tmp = mkdtempSync(join(tmpdir(), 'medcodes-bundled-'));

function article(code: string, title: string, summary: string, extra = ''): string {
  return `---\nsystem: icd10cm\ncode: ${code}\ntitle: ${title}\nsource: generated\nauthor: ${MODEL}\ndate: 2026-12-02\n${extra}---\n## Summary\n${summary}\n\n## Outlook\nUsually good.\n`;
}

/** A folder of shipped articles: E11.9 and I10, and a code no release has. */
function shipped(name: string, e119Summary = 'A long-term condition with high blood sugar.'): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'icd10cm-01.md'),
    [
      article('E11.9', 'Type 2 diabetes mellitus without complications', e119Summary),
      article('I10', 'Essential (primary) hypertension', 'High blood pressure without a single cause.'),
      article('E11.99', 'Not a code', 'No release has this code.'),
    ].join('\n'),
  );
  writeFileSync(join(dir, 'README.md'), '# How these were chosen\n');
  return dir;
}

describe('shipped articles imported on first start', () => {
  let store: Store;
  beforeAll(() => {
    store = new Store(inject('dbPath'), { articlesPath: join(tmp, 'unused.articles.db') });
  });
  afterAll(() => store.close());
  const open = (name: string) => ArticleStore.open(join(tmp, `${name}.articles.db`));
  const texts = (a: ArticleStore, code: string) =>
    a.sections('icd10cm', codeKey('icd10cm', code)).map((s) => [s.source, s.section, s.text, s.author, s.review] as const);

  it('reads the article files of the folder, not its README', () => {
    expect(bundledArticleFiles(shipped('files')).map((f) => f.replace(/^.*\//, ''))).toEqual(['icd10cm-01.md']);
    expect(bundledArticleFiles(join(tmp, 'no-such-folder'))).toEqual([]);
  });

  it('stores them as generated drafts, names the codes the release lacks, and changes nothing the second time', () => {
    const dir = shipped('first');
    const a = open('first');
    expect(importBundledArticles(store, a, dir)).toEqual({ added: 2, updated: 0, unchanged: 0, kept: 0, missing: ['icd10cm E11.99'] });
    expect(texts(a, 'E11.9')).toEqual([
      ['generated', 'summary', 'A long-term condition with high blood sugar.', MODEL, 'draft'],
      ['generated', 'outlook', 'Usually good.', MODEL, 'draft'],
    ]);
    expect(a.titles('icd10cm', codeKey('icd10cm', 'E11.9'))).toEqual({ generated: 'Type 2 diabetes mellitus without complications' });
    const before = [...a.all()];
    expect(importBundledArticles(store, a, dir)).toEqual({ added: 0, updated: 0, unchanged: 2, kept: 0, missing: ['icd10cm E11.99'] });
    expect([...a.all()]).toEqual(before);
    a.close();
  });

  it('never replaces a curated article, a reviewed one or another model’s; replaces its own earlier unreviewed text', () => {
    const a = open('kept');
    expect(importBundledArticles(store, a, shipped('v1')).added).toBe(2);
    // I10: a person reviewed the shipped text.
    expect(
      a.review({
        system: 'icd10cm',
        key: codeKey('icd10cm', 'I10'),
        source: 'generated',
        reviewer: 'Dr. R',
        date: '2026-12-03',
        status: 'reviewed',
      }),
    ).toBe(2);
    // E11.9 (a second file): a curator wrote an article of their own for K21.9; another model wrote J06.9.
    const more = join(tmp, 'v2');
    writeFileSync(
      join(shipped('v2', 'Corrected summary.'), 'icd10cm-02.md'),
      [
        article('K21.9', 'Gastro-esophageal reflux disease without esophagitis', 'Acid flows back.'),
        article('J06.9', 'Acute upper respiratory infection, unspecified', 'A cold.'),
      ].join('\n'),
    );
    a.put({
      system: 'icd10cm',
      key: codeKey('icd10cm', 'K21.9'),
      code: 'K21.9',
      source: 'curated',
      kind: 'diagnosis',
      author: 'A. Curator',
      date: '2026-11-01',
      review: 'draft',
      sections: [{ section: 'summary', heading: 'Summary', text: 'Curated text.' }],
    });
    a.put({
      system: 'icd10cm',
      key: codeKey('icd10cm', 'J06.9'),
      code: 'J06.9',
      source: 'generated',
      kind: 'diagnosis',
      author: 'llama3.1:8b',
      date: '2026-11-02',
      review: 'draft',
      sections: [{ section: 'summary', heading: 'Summary', text: 'Local model text.' }],
    });
    const reviewed = texts(a, 'I10');
    expect(importBundledArticles(store, a, more)).toEqual({ added: 0, updated: 1, unchanged: 0, kept: 3, missing: ['icd10cm E11.99'] });
    expect(texts(a, 'E11.9')[0][2]).toBe('Corrected summary.');
    expect(texts(a, 'I10')).toEqual(reviewed);
    expect(a.sections('icd10cm', codeKey('icd10cm', 'I10')).map((s) => s.reviewer)).toEqual(['Dr. R', 'Dr. R']);
    expect(texts(a, 'K21.9')).toEqual([['curated', 'summary', 'Curated text.', 'A. Curator', 'draft']]);
    expect(texts(a, 'J06.9')).toEqual([['generated', 'summary', 'Local model text.', 'llama3.1:8b', 'draft']]);
    a.close();
  });

  it('refuses a broken shipped file whole, naming file and line, and stores nothing', () => {
    const dir = shipped('broken');
    const a = open('broken');
    const problem = (file: string) => {
      writeFileSync(join(dir, 'icd10cm-02.md'), file);
      try {
        importBundledArticles(store, a, dir);
      } catch (e) {
        expect(e).toBeInstanceOf(MedCodesError);
        return (e as MedCodesError).message;
      }
      throw new Error('expected an error');
    };
    expect(
      problem(article('K21.9', 'Gastro-esophageal reflux disease without esophagitis', 'x').replace('## Outlook', '## Dosage')),
    ).toMatch(/icd10cm-02\.md, line 1: "Dosage" is not a section of a diagnosis article/);
    expect(problem(article('i10', 'Essential (primary) hypertension', 'x'))).toMatch(
      /icd10cm-02\.md, line 1: icd10cm I10 already has an article in .*icd10cm-01\.md/,
    );
    expect([...a.all()]).toEqual([]);
    a.close();
  });

  it('on first start, reports an articles file it cannot write instead of stopping the server', () => {
    // A path below a regular file can never be created.
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(importBundledArticlesOnStart(store, join(file, 'medcodes.articles.db'))).toMatch(
      /^shipped articles not imported \(.*a-file\/medcodes\.articles\.db\): .+/,
    );
    const path = join(tmp, 'start.articles.db');
    expect(importBundledArticlesOnStart(store, path)).toMatch(/^shipped articles: \d+ added → /);
  });
});
