import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import type { CodeStatus, ConceptKind, NoteKind, SystemId } from '../model.js';
import { SCHEMA_VERSION } from './schema.js';
import { MedCodesError } from '../errors.js';
import { SYSTEMS } from '../systems.js';
import { ArticleStore, articlesPathFor, type StoredSection } from '../articles/store.js';

/** A row of the codes table as the read side sees it. */
export interface CodeRow {
  id: number;
  system: SystemId;
  key: string;
  code: string;
  display: string;
  shortDisplay: string | null;
  kind: ConceptKind;
  billable: boolean;
  status: CodeStatus;
  parentKey: string | null;
  sort: number;
  version: string;
  properties: Record<string, unknown> | null;
}

export interface CodeRef {
  system: SystemId;
  code: string;
  display: string;
  kind: ConceptKind;
  billable: boolean;
  status: CodeStatus;
}

export interface NoteOut {
  kind: NoteKind;
  text: string;
  char?: string;
  version: string;
  /** For inherited notes: the code they are written on. */
  from?: string;
  /** sevenChrDef on a complete code: this is the value its seventh character takes. */
  selected?: boolean;
}

export interface HistoryOut {
  version: string;
  action: string;
  display?: string;
  previousDisplay?: string;
  billableChange?: { from: boolean; to: boolean };
  replacedBy?: { code: string; display?: string }[];
}

export interface ReleaseOut {
  system: SystemId;
  uri: string;
  name: string;
  version: string;
  effective?: string;
  notice?: string;
  importedAt: string;
  counts: Record<string, number>;
}

const CODE_COLUMNS = `id, system, key, code, display, short_display AS shortDisplay, kind, billable, status,
  parent_key AS parentKey, sort, version, properties`;

function toRow(r: any): CodeRow {
  return { ...r, billable: !!r.billable, properties: r.properties ? JSON.parse(r.properties) : null };
}

export function toRef(r: CodeRow): CodeRef {
  return { system: r.system, code: r.code, display: r.display, kind: r.kind, billable: r.billable, status: r.status };
}

/**
 * A failure to open or read a database file as a catalog error naming the file, the problem and what
 * to do, instead of SQLite's bare message and stack (SQLite result codes: sqlite.org/rescode.html).
 * Errors that are not SQLite's or the file system's are returned unchanged.
 */
export function databaseError(e: unknown, path: string): unknown {
  if (e instanceof MedCodesError || !(e instanceof Error)) return e;
  const code = String((e as { code?: string }).code ?? '');
  const msg = e.message.slice(0, 200);
  if (code === 'ENOSPC' || code === 'SQLITE_FULL' || /database or disk is full|no space left/i.test(msg))
    return new MedCodesError(
      'disk_full',
      `${path}: the disk is full (${msg}). Free some space (an import needs about twice the database's size) and retry.`,
    );
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code) || /no such table: meta|malformed|not a database/i.test(msg))
    return new MedCodesError(
      'corrupt_database',
      `${path} is damaged or is not a MedCodes database (${msg}). Move it away and run "npx medcodes import" to build a new one.`,
    );
  if (/^SQLITE_(CANTOPEN|PERM|READONLY|AUTH|BUSY|LOCKED|IOERR)/.test(code) || /^E(ACCES|PERM|ISDIR|NOENT|ROFS|IO)$/.test(code))
    return new MedCodesError(
      'unreadable_database',
      `${path} cannot be read (${code || 'error'}: ${msg}). Check that the file and its folder exist and are readable by this user.`,
    );
  return e;
}

/**
 * Read access to a MedCodes database. Opened read-only; `reopenIfReplaced()` picks up a database that
 * an import swapped in, so a running server serves new data without a restart.
 */
export class Store {
  db!: Database.Database;
  private ino = 0;
  private mtime = 0;
  private stmts!: ReturnType<Store['prepare']>;
  /** Curated and generated articles live in a file of their own, beside this one (articles/store.ts). */
  readonly articlesPath: string;
  private articleStore?: ArticleStore;

  constructor(
    readonly path: string,
    opts: { articlesPath?: string } = {},
  ) {
    this.articlesPath = opts.articlesPath ?? articlesPathFor(path);
    this.open();
  }

  private open(): void {
    if (!existsSync(this.path)) throw new MedCodesError('no_database', `no database at ${this.path}: run "npx medcodes import" first`);
    let db: Database.Database | undefined;
    let v: { value: string } | undefined;
    try {
      db = new Database(this.path, { readonly: true, fileMustExist: true });
      v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    } catch (e) {
      db?.close();
      throw databaseError(e, this.path);
    }
    if (Number(v?.value) !== SCHEMA_VERSION) {
      db.close();
      throw new MedCodesError(
        'no_database',
        `${this.path} has schema version ${v?.value ?? 'none'}, this MedCodes reads ${SCHEMA_VERSION}: re-run "npx medcodes import"`,
      );
    }
    // A bounded page cache and no memory mapping: mapped pages of the file count in the server's
    // resident memory and, as requests touch the whole file, grew it by the database's size (235 MB
    // on the bundled sets). The kernel's own page cache still keeps the file warm; it is not ours.
    db.pragma('cache_size = -32000');
    db.pragma('mmap_size = 0');
    const st = statSync(this.path);
    this.ino = st.ino;
    this.mtime = st.mtimeMs;
    this.db = db;
    this.stmts = this.prepare();
    this.countsCache = undefined;
    this.releasesCache = undefined;
    this.rows = new Map();
  }

  private prepare() {
    const db = this.db;
    return {
      byKey: db.prepare(`SELECT ${CODE_COLUMNS} FROM codes WHERE system = ? AND key = ?`),
      title: db.prepare('SELECT code, display FROM codes WHERE system = ? AND key = ?'),
      // Children by parent_key, plus concepts whose further is-a parents are mappings (SNOMED CT
      // concepts with several parents keep the lowest id in parent_key: importers/snomedct).
      children: db.prepare(
        `SELECT ${CODE_COLUMNS} FROM codes WHERE system = @system AND (parent_key = @key OR key IN (
           SELECT from_key FROM mappings WHERE to_system = @system AND to_key = @key AND from_system = @system AND source = 'snomed-isa'))
         AND (status = 'active' OR @deleted) ORDER BY sort`,
      ),
      isaParents: db.prepare(
        "SELECT to_key AS key FROM mappings WHERE from_system = ? AND from_key = ? AND to_system = ? AND source = 'snomed-isa'",
      ),
      roots: db.prepare(`SELECT ${CODE_COLUMNS} FROM codes WHERE system = ? AND parent_key IS NULL AND status = 'active' ORDER BY sort`),
      notes: db.prepare('SELECT kind, text, char, version FROM notes WHERE system = ? AND key = ? ORDER BY rowid'),
      terms: db.prepare('SELECT path, source, version FROM index_terms WHERE system = ? AND key = ? ORDER BY rowid'),
      history: db.prepare(
        `SELECT version, action, display, previous_display AS previousDisplay, replaced_by AS replacedBy, billable_change AS billableChange
         FROM history WHERE system = ? AND key = ? ORDER BY version, rowid`,
      ),
      releases: db.prepare('SELECT * FROM releases ORDER BY system'),
      countBy: db.prepare(`SELECT system, kind, billable, status, count(*) AS n FROM codes GROUP BY system, kind, billable, status`),
      mappingsFrom: db.prepare(
        'SELECT to_system AS system, to_key AS key, flags, source, version FROM mappings WHERE from_system = ? AND from_key = ? ORDER BY rowid',
      ),
      mappingsTo: db.prepare(
        'SELECT from_system AS system, from_key AS key, flags, source, version FROM mappings WHERE to_system = ? AND to_key = ? ORDER BY rowid',
      ),
    };
  }

  /** Reopen when an import has renamed a new database over the path. Cheap: one stat. */
  reopenIfReplaced(): boolean {
    try {
      const st = statSync(this.path);
      if (st.ino === this.ino && st.mtimeMs === this.mtime) return false;
      const old = this.db;
      this.open();
      old.close();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.db.close();
    this.articleStore?.close();
    this.articleStore = undefined;
  }

  /**
   * The articles file, read-only, opened on first use. Rows written later by `articles import` or
   * `articles generate` are visible at once (SQLite readers see each committed transaction), and a
   * file created after the server started is found on the next read (one stat while it is missing).
   */
  private articles(): ArticleStore | undefined {
    this.articleStore ??= ArticleStore.openReadOnly(this.articlesPath);
    return this.articleStore;
  }

  /** Stored (curated and generated) sections of one code, which need not be in this database. */
  articleSections(system: SystemId, key: string): StoredSection[] {
    return this.articles()?.sections(system, key) ?? [];
  }

  articleTitles(system: SystemId, key: string): Partial<Record<'curated' | 'generated', string>> {
    return this.articles()?.titles(system, key) ?? {};
  }

  /**
   * One code's row. The last rows read are kept (least recently used out), per opened database: a
   * page reads the same rows again and again (its ancestors, a PCS table whose properties are a large
   * JSON document), and the file never changes while open. Callers must not modify the result.
   */
  get(system: SystemId, key: string): CodeRow | undefined {
    const id = `${system}\u0000${key}`;
    const cached = this.rows.get(id);
    if (cached) {
      this.rows.delete(id);
      this.rows.set(id, cached);
      return cached;
    }
    const r = this.stmts.byKey.get(system, key);
    if (!r) return undefined;
    const row = toRow(r);
    this.rows.set(id, row);
    if (this.rows.size > 5000) this.rows.delete(this.rows.keys().next().value!);
    return row;
  }

  private rows = new Map<string, CodeRow>();

  /** Children in classification order; deleted ones only under a deleted parent (they are history, not choices). */
  /** Code and title only: for lists of references (crosswalks), without parsing properties. */
  title(system: SystemId, key: string): { code: string; display: string } | undefined {
    return this.stmts.title.get(system, key) as { code: string; display: string } | undefined;
  }

  children(system: SystemId, key: string, includeDeleted = false): CodeRow[] {
    return this.stmts.children.all({ system, key, deleted: includeDeleted ? 1 : 0 }).map(toRow);
  }

  /** Top-level concepts of a system (chapters, or codes of a flat system). */
  roots(system: SystemId): CodeRow[] {
    return this.stmts.roots.all(system).map(toRow);
  }

  /** Ancestors from the root (chapter) down to the direct parent. */
  /**
   * Whether `ancestorKey` is above `row` in its system's is-a hierarchy, through any parent: the
   * parent_key chain, and for SNOMED CT the further is-a parents kept as `snomed-isa` mappings.
   */
  isDescendantOf(row: CodeRow, ancestorKey: string): boolean {
    const seen = new Set<string>();
    const queue = [row.key];
    while (queue.length) {
      const key = queue.shift()!;
      const cur = key === row.key ? row : this.get(row.system, key);
      const parents = cur?.parentKey ? [cur.parentKey] : [];
      if (row.system === 'snomedct')
        for (const m of this.stmts.isaParents.all(row.system, key, row.system) as { key: string }[]) parents.push(m.key);
      for (const p of parents) {
        if (p === ancestorKey) return true;
        if (!seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
      }
    }
    return false;
  }

  /** The chain of parents from the top down (the first parent at each step: the breadcrumb). */
  ancestors(row: CodeRow): CodeRow[] {
    const out: CodeRow[] = [];
    let cur = row;
    // SNOMED CT hierarchies run some 30 levels deep; the guard only stops a cycle in a broken file.
    for (let guard = 0; cur.parentKey && guard < 100; guard++) {
      const p = this.get(cur.system, cur.parentKey);
      if (!p) break;
      out.unshift(p);
      cur = p;
    }
    return out;
  }

  notes(system: SystemId, key: string): NoteOut[] {
    return (this.stmts.notes.all(system, key) as any[]).map((n) => (n.char ? n : { kind: n.kind, text: n.text, version: n.version }));
  }

  indexTerms(system: SystemId, key: string): { path: string; source: string; version: string }[] {
    return this.stmts.terms.all(system, key) as any[];
  }

  history(system: SystemId, key: string): HistoryOut[] {
    return (this.stmts.history.all(system, key) as any[]).map((h) => {
      const out: HistoryOut = { version: h.version, action: h.action };
      if (h.display) out.display = h.display;
      if (h.previousDisplay) out.previousDisplay = h.previousDisplay;
      if (h.billableChange) out.billableChange = JSON.parse(h.billableChange);
      if (h.replacedBy) {
        out.replacedBy = (JSON.parse(h.replacedBy) as string[]).map((k) => {
          const r = this.get(system, k);
          return r ? { code: r.code, display: r.display } : { code: k };
        });
      }
      return out;
    });
  }

  mappings(
    system: SystemId,
    key: string,
  ): { direction: 'to' | 'from'; system: SystemId; key: string; flags: Record<string, unknown> | null; source: string; version: string }[] {
    const parse = (d: 'to' | 'from') => (m: any) => ({ direction: d, ...m, flags: m.flags ? JSON.parse(m.flags) : null });
    return [
      ...(this.stmts.mappingsFrom.all(system, key) as any[]).map(parse('to')),
      ...(this.stmts.mappingsTo.all(system, key) as any[]).map(parse('from')),
    ];
  }

  /**
   * The loaded releases. Read once per opened database (every lookup asks for them, and the file never
   * changes while open). Callers must not modify the result.
   */
  releases(): ReleaseOut[] {
    return (this.releasesCache ??= this.readReleases());
  }

  private releasesCache: ReleaseOut[] | undefined;

  private readReleases(): ReleaseOut[] {
    return (this.stmts.releases.all() as any[]).map((r) => ({
      system: r.system,
      uri: SYSTEMS[r.system as SystemId]?.uri ?? '',
      name: SYSTEMS[r.system as SystemId]?.name ?? r.system,
      version: r.version,
      ...(r.effective ? { effective: r.effective } : {}),
      ...(r.notice ? { notice: r.notice } : {}),
      importedAt: r.imported_at,
      counts: JSON.parse(r.counts),
    }));
  }

  /**
   * Concept counts per system: total, billable, headers, deleted, by kind. A full scan of the codes
   * table (~100 ms), so counted once per opened database: the file never changes while open (an
   * import swaps in a new file, and reopening starts afresh). Callers must not modify the result.
   */
  counts(): Record<
    string,
    { total: number; active: number; billable: number; headers: number; deleted: number; byKind: Record<string, number> }
  > {
    return (this.countsCache ??= this.countAll());
  }

  private countsCache: ReturnType<Store['countAll']> | undefined;

  private countAll(): Record<
    string,
    { total: number; active: number; billable: number; headers: number; deleted: number; byKind: Record<string, number> }
  > {
    const out: ReturnType<Store['countAll']> = {};
    for (const r of this.stmts.countBy.all() as any[]) {
      const s = (out[r.system] ??= { total: 0, active: 0, billable: 0, headers: 0, deleted: 0, byKind: {} });
      s.total += r.n;
      s.byKind[r.kind] = (s.byKind[r.kind] ?? 0) + r.n;
      if (r.status === 'deleted') s.deleted += r.n;
      else {
        s.active += r.n;
        if (r.billable) s.billable += r.n;
        else if (!['chapter', 'block', 'group', 'modifier'].includes(r.kind)) s.headers += r.n;
      }
    }
    return out;
  }
}
