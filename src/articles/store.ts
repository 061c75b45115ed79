import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SystemId } from '../model.js';
import { MedCodesError } from '../errors.js';
import type { ArticleKind, ArticleSource, ReviewStatus } from './sections.js';

/**
 * Where curated and generated articles live: a SQLite file of their own beside the code database
 * (`var/medcodes.db` → `var/medcodes.articles.db`, or MEDCODES_ARTICLES_DB).
 *
 * Articles are user data, the code database is derived data: `medcodes import` rebuilds the latter
 * from the official files into a temporary file and renames it over the old one (store/writer.ts).
 * Keeping articles out of that file means no import, full rebuild, `--replace` or failed import can
 * touch them, an `articles import` running during a `medcodes import` is not lost in the rename, and
 * the file can be backed up or shared on its own. Official sections are not stored: they are derived
 * from the code document when it is read (official.ts).
 */

/** 2: sections record who reviewed them and when (version 1 files are upgraded when opened for writing). */
export const ARTICLES_SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- One row per section of a stored article. A code has at most one curated and one generated article;
-- importing or generating again replaces that source's sections of the code.
CREATE TABLE IF NOT EXISTS sections (
  system  TEXT NOT NULL,
  key     TEXT NOT NULL,
  code    TEXT NOT NULL,             -- display form, for codes of a system that is not loaded
  source  TEXT NOT NULL CHECK (source IN ('curated', 'generated')),
  kind    TEXT NOT NULL,
  section TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  heading TEXT NOT NULL,
  text    TEXT NOT NULL,
  author  TEXT NOT NULL,             -- curator, or model id
  date    TEXT NOT NULL,             -- YYYY-MM-DD
  review  TEXT NOT NULL CHECK (review IN ('draft', 'reviewed')),
  reviewer    TEXT,                  -- who marked it reviewed (articles review), when someone did
  reviewed_at TEXT,                  -- YYYY-MM-DD
  PRIMARY KEY (system, key, source, section)
);
CREATE TABLE IF NOT EXISTS titles (
  system TEXT NOT NULL,
  key    TEXT NOT NULL,
  source TEXT NOT NULL,
  title  TEXT NOT NULL,
  PRIMARY KEY (system, key, source)
);
-- Language-model runs per code, for resuming and for the token bill.
CREATE TABLE IF NOT EXISTS generations (
  system            TEXT NOT NULL,
  key               TEXT NOT NULL,
  model             TEXT NOT NULL,
  date              TEXT NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  attempts          INTEGER NOT NULL,
  PRIMARY KEY (system, key, model)
);
`;

export interface StoredSection {
  system: SystemId;
  key: string;
  code: string;
  source: Exclude<ArticleSource, 'official'>;
  kind: ArticleKind;
  section: string;
  seq: number;
  heading: string;
  text: string;
  author: string;
  date: string;
  review: ReviewStatus;
  /** Who marked the section reviewed, and when (`articles review`); absent for imported review states. */
  reviewer?: string | null;
  reviewed_at?: string | null;
}

export interface StoredArticle {
  system: SystemId;
  key: string;
  code: string;
  source: Exclude<ArticleSource, 'official'>;
  kind: ArticleKind;
  title?: string;
  author: string;
  date: string;
  review: ReviewStatus;
  sections: { section: string; heading: string; text: string }[];
}

/** The articles file that belongs to a code database. */
export function articlesPathFor(dbPath: string): string {
  if (process.env.MEDCODES_ARTICLES_DB) return process.env.MEDCODES_ARTICLES_DB;
  return dbPath.endsWith('.db') ? `${dbPath.slice(0, -3)}.articles.db` : `${dbPath}.articles.db`;
}

export class ArticleStore {
  readonly db: Database.Database;
  private stmts;

  private constructor(
    readonly path: string,
    readonly writable: boolean,
  ) {
    if (writable) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, writable ? {} : { readonly: true, fileMustExist: true });
    if (writable) {
      // The default rollback journal, not WAL: a read-only connection (the server's) cannot open a WAL
      // file whose -shm it may not create. Writes are short transactions; readers wait for them
      // (better-sqlite3's busy timeout, 5 s).
      this.db.exec(SCHEMA);
      const v = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (!v) this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(ARTICLES_SCHEMA_VERSION));
      else if (v.value === '1') {
        // Version 1 lacked the reviewer columns: add them, keeping every article.
        this.db.transaction(() => {
          this.db.exec('ALTER TABLE sections ADD COLUMN reviewer TEXT; ALTER TABLE sections ADD COLUMN reviewed_at TEXT');
          this.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(ARTICLES_SCHEMA_VERSION));
        })();
      }
    }
    const v = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    // A reader also takes a version 1 file (its sections have no reviewer yet).
    if (Number(v?.value) !== ARTICLES_SCHEMA_VERSION && !(!writable && v?.value === '1')) {
      this.db.close();
      throw new MedCodesError('check_failed', `${path}: articles schema version ${v?.value ?? 'none'} is not ${ARTICLES_SCHEMA_VERSION}`);
    }
    this.stmts = {
      sections: this.db.prepare('SELECT * FROM sections WHERE system = ? AND key = ? ORDER BY source, seq'),
      titles: this.db.prepare('SELECT source, title FROM titles WHERE system = ? AND key = ?'),
      hasGenerated: this.db.prepare("SELECT 1 FROM sections WHERE system = ? AND key = ? AND source = 'generated' AND author = ? LIMIT 1"),
    };
  }

  /** Open for writing (created when missing). */
  static open(path: string): ArticleStore {
    try {
      return new ArticleStore(path, true);
    } catch (e) {
      if (e instanceof MedCodesError) throw e;
      throw new MedCodesError('check_failed', `cannot open the articles database ${path}: ${(e as Error).message}`);
    }
  }

  /** Open read-only, or undefined when there is no articles file (yet). */
  static openReadOnly(path: string): ArticleStore | undefined {
    if (!existsSync(path)) return undefined;
    return new ArticleStore(path, false);
  }

  close(): void {
    this.db.close();
  }

  sections(system: SystemId, key: string): StoredSection[] {
    return this.stmts.sections.all(system, key) as StoredSection[];
  }

  titles(system: SystemId, key: string): Partial<Record<'curated' | 'generated', string>> {
    const out: Partial<Record<'curated' | 'generated', string>> = {};
    for (const r of this.stmts.titles.all(system, key) as { source: 'curated' | 'generated'; title: string }[]) out[r.source] = r.title;
    return out;
  }

  hasGenerated(system: SystemId, key: string, model: string): boolean {
    return !!this.stmts.hasGenerated.get(system, key, model);
  }

  /** Replace the sections of one source of one code, in one transaction. */
  put(a: StoredArticle): void {
    const del = this.db.prepare('DELETE FROM sections WHERE system = ? AND key = ? AND source = ?');
    const delTitle = this.db.prepare('DELETE FROM titles WHERE system = ? AND key = ? AND source = ?');
    const ins = this.db.prepare(
      `INSERT INTO sections (system, key, code, source, kind, section, seq, heading, text, author, date, review)
       VALUES (@system, @key, @code, @source, @kind, @section, @seq, @heading, @text, @author, @date, @review)`,
    );
    const insTitle = this.db.prepare('INSERT INTO titles (system, key, source, title) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      del.run(a.system, a.key, a.source);
      delTitle.run(a.system, a.key, a.source);
      a.sections.forEach((s, seq) =>
        ins.run({
          system: a.system,
          key: a.key,
          code: a.code,
          source: a.source,
          kind: a.kind,
          section: s.section,
          seq,
          heading: s.heading,
          text: s.text,
          author: a.author,
          date: a.date,
          review: a.review,
        }),
      );
      if (a.title) insTitle.run(a.system, a.key, a.source, a.title);
    })();
  }

  /**
   * Mark the sections of one source of one code reviewed by `reviewer` on `date` (or back to draft).
   * Returns how many sections changed; 0 when the code has no article from that source.
   */
  review(r: {
    system: SystemId;
    key: string;
    source: 'curated' | 'generated';
    reviewer: string;
    date: string;
    status: ReviewStatus;
    sections?: string[];
  }): number {
    const only = r.sections?.length ? ` AND section IN (${r.sections.map(() => '?').join(', ')})` : '';
    const reviewed = r.status === 'reviewed';
    return this.db
      .prepare(`UPDATE sections SET review = ?, reviewer = ?, reviewed_at = ? WHERE system = ? AND key = ? AND source = ?${only}`)
      .run(r.status, reviewed ? r.reviewer : null, reviewed ? r.date : null, r.system, r.key, r.source, ...(r.sections ?? [])).changes;
  }

  recordGeneration(g: {
    system: SystemId;
    key: string;
    model: string;
    date: string;
    promptTokens: number;
    completionTokens: number;
    attempts: number;
  }): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO generations (system, key, model, date, prompt_tokens, completion_tokens, attempts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(g.system, g.key, g.model, g.date, g.promptTokens, g.completionTokens, g.attempts);
  }

  /** Every stored article, grouped by code and source (for export and listing). */
  *all(filter: { system?: SystemId; source?: 'curated' | 'generated' } = {}): Generator<StoredArticle> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.system) where.push('s.system = ?'), args.push(filter.system);
    if (filter.source) where.push('s.source = ?'), args.push(filter.source);
    const rows = this.db
      .prepare(
        `SELECT s.*, t.title FROM sections s LEFT JOIN titles t ON t.system = s.system AND t.key = s.key AND t.source = s.source
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.system, s.key, s.source, s.seq`,
      )
      .iterate(...args) as Iterable<StoredSection & { title: string | null }>;
    let cur: StoredArticle | undefined;
    for (const r of rows) {
      if (!cur || cur.system !== r.system || cur.key !== r.key || cur.source !== r.source) {
        if (cur) yield cur;
        cur = {
          system: r.system,
          key: r.key,
          code: r.code,
          source: r.source,
          kind: r.kind,
          ...(r.title ? { title: r.title } : {}),
          author: r.author,
          date: r.date,
          review: r.review,
          sections: [],
        };
      }
      cur.sections.push({ section: r.section, heading: r.heading, text: r.text });
    }
    if (cur) yield cur;
  }

  /** Token totals of the generations recorded, per model. */
  usage(): { model: string; codes: number; promptTokens: number; completionTokens: number }[] {
    return this.db
      .prepare(
        'SELECT model, count(*) AS codes, sum(prompt_tokens) AS promptTokens, sum(completion_tokens) AS completionTokens FROM generations GROUP BY model ORDER BY model',
      )
      .all() as { model: string; codes: number; promptTokens: number; completionTokens: number }[];
  }
}
