import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ArticleStore, articlesPathFor, type StoredArticle } from './store.js';

const article = (over: Partial<StoredArticle> = {}): StoredArticle => ({
  system: 'cpt',
  key: '64491',
  code: '64491',
  source: 'curated',
  kind: 'procedure',
  title: 'A name',
  author: 'A. Curator',
  date: '2026-01-02',
  review: 'draft',
  sections: [
    { section: 'summary', heading: 'Summary', text: 'One.' },
    { section: 'duration', heading: 'Duration', text: 'Two.' },
  ],
  ...over,
});

describe('the articles file', () => {
  it('lives beside the database unless MEDCODES_ARTICLES_DB says otherwise', () => {
    const saved = process.env.MEDCODES_ARTICLES_DB;
    delete process.env.MEDCODES_ARTICLES_DB;
    expect(articlesPathFor('/srv/var/medcodes.db')).toBe('/srv/var/medcodes.articles.db');
    expect(articlesPathFor('/srv/data')).toBe('/srv/data.articles.db');
    process.env.MEDCODES_ARTICLES_DB = '/elsewhere/a.db';
    expect(articlesPathFor('/srv/var/medcodes.db')).toBe('/elsewhere/a.db');
    if (saved === undefined) delete process.env.MEDCODES_ARTICLES_DB;
    else process.env.MEDCODES_ARTICLES_DB = saved;
  });

  it('stores, replaces one source of a code whole, and reads back in order', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medcodes-as-')), 'a.db');
    expect(ArticleStore.openReadOnly(path)).toBeUndefined();
    const w = ArticleStore.open(path);
    w.put(article());
    w.put(
      article({
        source: 'generated',
        author: 'm1',
        title: undefined,
        sections: [{ section: 'summary', heading: 'Summary', text: 'Gen.' }],
      }),
    );
    w.put(article({ review: 'reviewed', sections: [{ section: 'purpose', heading: 'Purpose', text: 'Replaced.' }] }));
    const r = ArticleStore.openReadOnly(path)!;
    expect(r.sections('cpt', '64491').map((s) => [s.source, s.section, s.text, s.review])).toEqual([
      ['curated', 'purpose', 'Replaced.', 'reviewed'],
      ['generated', 'summary', 'Gen.', 'draft'],
    ]);
    expect(r.titles('cpt', '64491')).toEqual({ curated: 'A name' });
    expect(r.hasGenerated('cpt', '64491', 'm1')).toBe(true);
    expect(r.hasGenerated('cpt', '64491', 'm2')).toBe(false);
    expect([...r.all({ source: 'curated' })]).toHaveLength(1);
    // Read-only means read-only.
    expect(() => r.put(article())).toThrow(/readonly/);
    r.close();
    w.close();
  });

  it('upgrades a version 1 file (no reviewer columns) when opened for writing, keeping its articles; a reader takes it as it is', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medcodes-as-')), 'v1.db');
    // A version 1 file, as the first release of the articles layer wrote it.
    const db = new Database(path);
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE sections (system TEXT NOT NULL, key TEXT NOT NULL, code TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL,
        seq INTEGER NOT NULL, heading TEXT NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL, date TEXT NOT NULL, review TEXT NOT NULL, PRIMARY KEY (system, key, source, section));
      INSERT INTO sections VALUES ('cpt', '64491', '64491', 'curated', 'procedure', 'summary', 0, 'Summary', 'One.', 'A. Curator', '2026-01-02', 'draft');
      CREATE TABLE titles (system TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (system, key, source));
      CREATE TABLE generations (system TEXT NOT NULL, key TEXT NOT NULL, model TEXT NOT NULL, date TEXT NOT NULL, prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (system, key, model));`);
    db.close();
    const r1 = ArticleStore.openReadOnly(path)!;
    expect(r1.sections('cpt', '64491').map((x) => x.text)).toEqual(['One.']);
    r1.close();
    const w = ArticleStore.open(path);
    expect(
      w.review({ system: 'cpt', key: '64491', source: 'curated', reviewer: 'B. Reviewer', date: '2026-03-04', status: 'reviewed' }),
    ).toBe(1);
    expect(w.sections('cpt', '64491')[0]).toMatchObject({
      text: 'One.',
      review: 'reviewed',
      reviewer: 'B. Reviewer',
      reviewed_at: '2026-03-04',
    });
    expect(w.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    w.close();
  });

  it('refuses a file of another schema version rather than read it wrongly', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medcodes-as-')), 'a.db');
    ArticleStore.open(path).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => ArticleStore.open(path)).toThrow(/articles schema version 99 is not 2/);
  });
});
