import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CodeRecord, HistoryEvent, IndexReference, IndexTerm, Mapping, Note, SystemId, SystemRelease } from '../model.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { MedCodesError } from '../errors.js';
import { SearchIndex } from '../search/index.js';
import { databaseError } from './store.js';

/** Whether a process id is alive on this machine (signal 0 checks without sending: kill(2)). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Remove what killed or failed imports left beside `target`: `<db>.building-<pid>` files and their
 * SQLite journals (`-journal`, `-wal`, `-shm`), only when that pid is no longer running (an import
 * of another live process keeps its file). Returns the removed files with their sizes, for a log line.
 */
export function cleanStaleBuilds(target: string): { file: string; bytes: number }[] {
  const dir = dirname(target);
  const prefix = `${basename(target)}.building-`;
  const removed: { file: string; bytes: number }[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)(-journal|-wal|-shm)?$/.exec(n.slice(prefix.length));
    if (!m || alive(Number(m[1]))) continue;
    const file = join(dir, n);
    try {
      const bytes = statSync(file).size;
      rmSync(file, { force: true });
      removed.push({ file, bytes });
    } catch {
      // Gone meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * Writes a MedCodes database. Every import builds into a temporary file beside the target and renames
 * it over the target only when the import finished and its checks passed: a rename is atomic on one
 * file system (POSIX rename(2)), so readers see the old database or the new one, never a half-built
 * one, and a failed import leaves the previous data serving.
 */
export class StoreWriter {
  readonly db: Database.Database;
  private stmts;
  private counts = new Map<string, number>();

  constructor(readonly path: string) {
    this.db = new Database(path);
    // A temporary build file: durability is given by the final rename, not by the journal.
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -200000');
    const hasSchema = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'meta'").get();
    if (!hasSchema) {
      this.db.exec(SCHEMA_SQL);
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    } else {
      const v = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (Number(v?.value) !== SCHEMA_VERSION) {
        throw new MedCodesError(
          'check_failed',
          `${path}: database schema version ${v?.value} is not ${SCHEMA_VERSION}; rebuild it with "medcodes import"`,
        );
      }
    }
    this.stmts = {
      code: this.db.prepare(
        `INSERT INTO codes (system, key, code, display, short_display, kind, billable, status, parent_key, sort, version, properties)
         VALUES (@system, @key, @code, @display, @shortDisplay, @kind, @billable, @status, @parentKey, @sort, @version, @properties)`,
      ),
      note: this.db.prepare(
        'INSERT INTO notes (system, key, kind, seq, char, text, version) VALUES (@system, @key, @kind, @seq, @char, @text, @version)',
      ),
      term: this.db.prepare(
        'INSERT INTO index_terms (system, key, path, level, source, version) VALUES (@system, @key, @path, @level, @source, @version)',
      ),
      ref: this.db.prepare(
        'INSERT INTO index_refs (system, path, kind, target, source, version) VALUES (@system, @path, @kind, @target, @source, @version)',
      ),
      history: this.db.prepare(
        `INSERT INTO history (system, key, version, action, display, previous_display, replaced_by, billable_change)
         VALUES (@system, @key, @version, @action, @display, @previousDisplay, @replacedBy, @billableChange)`,
      ),
      mapping: this.db.prepare(
        `INSERT INTO mappings (from_system, from_key, to_system, to_key, flags, source, version)
         VALUES (@fromSystem, @fromKey, @toSystem, @toKey, @flags, @source, @version)`,
      ),
    };
    this.db.exec('BEGIN');
  }

  private count(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** Remove everything of a system, so a re-import replaces it whole. */
  clearSystem(system: SystemId): void {
    for (const t of ['codes', 'notes', 'index_terms', 'index_refs', 'history'])
      this.db.prepare(`DELETE FROM ${t} WHERE system = ?`).run(system);
    // Mappings belong to the source that wrote them (GEMs), not to the systems they join: re-importing
    // ICD-10-CM must not drop the crosswalks (clearMappings).
    this.db.prepare('DELETE FROM releases WHERE system = ?').run(system);
  }

  /** Remove every mapping written by one source (e.g. `gems`), so its re-import replaces them. */
  clearMappings(source: string): number {
    return this.db.prepare('DELETE FROM mappings WHERE source = ?').run(source).changes;
  }

  /** Write many codes, ticking a progress phase (an importer's `progress.phase(...)`) once per code. */
  putCodes(records: readonly CodeRecord[], phase?: { tick(n?: number): void; done(): void }): void {
    for (const c of records) {
      this.putCode(c);
      phase?.tick();
    }
    phase?.done();
  }

  putCode(c: CodeRecord): void {
    try {
      this.stmts.code.run({
        ...c,
        shortDisplay: c.shortDisplay ?? null,
        billable: c.billable ? 1 : 0,
        parentKey: c.parentKey ?? null,
        properties: c.properties ? JSON.stringify(c.properties) : null,
      });
    } catch (e) {
      if (/UNIQUE/.test(String(e))) throw new MedCodesError('check_failed', `${c.system} code ${c.code} is imported twice`);
      throw e;
    }
    this.count('codes');
  }
  putNote(n: Note): void {
    this.stmts.note.run({ ...n, char: n.char ?? null });
    this.count('notes');
  }
  putIndexTerm(t: IndexTerm): void {
    this.stmts.term.run({ ...t, level: t.level ?? null });
    this.count('indexTerms');
  }
  putIndexReference(r: IndexReference): void {
    this.stmts.ref.run(r);
    this.count('indexReferences');
  }
  putHistory(h: HistoryEvent): void {
    this.stmts.history.run({
      system: h.system,
      key: h.key,
      version: h.version,
      action: h.action,
      display: h.display ?? null,
      previousDisplay: h.previousDisplay ?? null,
      replacedBy: h.replacedBy ? JSON.stringify(h.replacedBy) : null,
      billableChange: h.billableChange ? JSON.stringify(h.billableChange) : null,
    });
    this.count('history');
  }
  putMapping(m: Mapping): void {
    this.stmts.mapping.run({ ...m, flags: m.flags ? JSON.stringify(m.flags) : null });
    this.count('mappings');
  }
  putRelease(r: SystemRelease, counts: Record<string, number>, sources: unknown): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO releases (system, version, effective, notice, imported_at, counts, sources) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        r.system,
        r.version,
        r.effective ?? null,
        r.notice ?? null,
        new Date().toISOString(),
        JSON.stringify(counts),
        JSON.stringify(sources),
      );
  }

  /** Rows written by this writer, by kind. */
  written(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  commit(): void {
    this.db.exec('COMMIT');
    this.db.exec('ANALYZE');
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?)").run(new Date().toISOString());
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

/**
 * Build a database at `target` through `run`, atomically. With `incremental`, the new file starts as
 * a copy of the current one (to add or replace one system and keep the others); otherwise it starts
 * empty. On any error the temporary file is removed and `target` is untouched.
 */
export async function buildDatabase<T>(
  target: string,
  run: (w: StoreWriter) => Promise<T>,
  opts: { incremental?: boolean; log?: (line: string) => void } = {},
): Promise<T> {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.building-${process.pid}`;
  for (const r of cleanStaleBuilds(target))
    opts.log?.(`removed ${r.file} (${(r.bytes / 1e6).toFixed(1)} MB) left by an import that did not finish`);
  rmSync(tmp, { force: true });
  let w: StoreWriter | undefined;
  try {
    if (opts.incremental && existsSync(target)) copyFileSync(target, tmp);
    w = new StoreWriter(tmp);
    const result = await run(w);
    // The search index is built from the finished rows and stored with them (src/search/index.ts).
    SearchIndex.build(w.db).save(w.db);
    w.commit();
    const check = w.db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new MedCodesError('check_failed', `the new database failed SQLite's quick_check: ${check}`);
    w.db.exec('VACUUM');
    w.close();
    w = undefined;
    renameSync(tmp, target);
    return result;
  } catch (e) {
    try {
      w?.close();
    } catch {
      // Closing a writer whose disk is full may fail too; the file goes anyway.
    }
    for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    throw databaseError(e, tmp);
  }
}
