import type { SystemId } from './model.js';
import type { Store, CodeRow, NoteOut, HistoryOut, CodeRef } from './store/store.js';
import { toRef } from './store/store.js';
import { codeKey, displayCode } from './codes.js';
import { SYSTEMS, resolveSystem } from './systems.js';
import { MedCodesError } from './errors.js';
import { isPcsTableStructure, pcsCodeAxes } from './importers/icd10pcs/builder.js';
import type { Article } from './articles/sections.js';
import { officialSections } from './articles/official.js';
import { assembleArticle } from './articles/article.js';
import { similarCodes, type SimilarCode } from './similar/similar.js';
import { eventStart } from './validate.js';

/** The document served for one code (REST `GET /api/v1/codes/{system}/{code}`, CLI `lookup --json`). */
export interface CodeDocument {
  system: SystemId;
  systemUri: string;
  systemName: string;
  code: string;
  display: string;
  shortDisplay?: string;
  kind: string;
  billable: boolean;
  status: string;
  version: string;
  /** Ancestors from the chapter down to the direct parent. */
  parents: CodeRef[];
  children: CodeRef[];
  /** Notes written on this code, plus the seventh-character definitions that apply to it. */
  notes: NoteOut[];
  /** Notes written on an ancestor (category, block, chapter) that govern this code too. */
  inheritedNotes: NoteOut[];
  indexTerms: { path: string; source: string; version: string }[];
  /**
   * ICD-10-CM: which Tabular List and Index releases the notes and index entries come from, and, for a
   * code newer than the loaded Tabular, `missing`: that the loaded Tabular has no notes for it.
   */
  notesRelease?: { tabular?: string; index?: string[]; missing?: string };
  /**
   * `effective`: the first day the change applied, for versions that are not dates themselves (FY2024 ->
   * 2023-10-01; a mid-year date where the importer recorded one, U07.1 2020-04-01; validate.ts eventStart).
   */
  history: (HistoryOut & { effective?: string })[];
  mappings: {
    direction: 'to' | 'from';
    system: SystemId;
    code: string;
    display?: string;
    flags: Record<string, unknown> | null;
    source: string;
    version: string;
  }[];
  properties?: Record<string, unknown>;
  notice?: string;
  /**
   * The plain-language article: sections from the official data, curated and generated articles,
   * each with its provenance (src/articles/). Absent when no section exists.
   */
  article?: Article;
  /** Similar codes, ranked, each with its relation and the reason in words (src/similar/). */
  similar: SimilarCode[];
  /**
   * False when the code set is not loaded (CPT is licensed and never bundled) and the document holds
   * only a stored article: `display` is then empty, because MedCodes never invents a descriptor.
   */
  loaded?: false;
}

const SEVENTH = new Set(['sevenChrDef', 'sevenChrNote']);

export function findCode(store: Store, systemText: string, codeText: string): CodeRow {
  const system = resolveSystem(systemText);
  if (!system) throw new MedCodesError('unknown_system', `unknown code system "${systemText}"; known: ${Object.keys(SYSTEMS).join(', ')}`);
  const trimmed = codeText.trim();
  if (!trimmed || trimmed.length > 40) throw new MedCodesError('invalid_parameter', `"${codeText.slice(0, 40)}" is not a code`);
  const row = store.get(system, codeKey(system, trimmed));
  if (!row) throw new MedCodesError('not_found', `${SYSTEMS[system].name} has no code "${trimmed}"`);
  return row;
}

/**
 * A code of a code set that is not loaded, with a stored article (curated or generated): served so
 * that an article imported for a licensed code set (CPT) is readable without the licensed file.
 */
function articleOnly(store: Store, systemText: string, codeText: string): CodeDocument | undefined {
  const system = resolveSystem(systemText);
  if (!system || store.releases().some((r) => r.system === system)) return undefined;
  const trimmed = codeText.trim();
  if (!trimmed || trimmed.length > 40) return undefined;
  const key = codeKey(system, trimmed);
  const stored = store.articleSections(system, key);
  if (!stored.length) return undefined;
  const article = assembleArticle(system, key, undefined, [], stored, store.articleTitles(system, key));
  if (!article) return undefined;
  return {
    system,
    systemUri: SYSTEMS[system].uri,
    systemName: SYSTEMS[system].name,
    code: article.code,
    display: '',
    kind: 'code',
    billable: false,
    status: 'unknown',
    version: '',
    parents: [],
    children: [],
    notes: [],
    inheritedNotes: [],
    indexTerms: [],
    history: [],
    mappings: [],
    article,
    similar: [],
    loaded: false,
  };
}

/** A code's crosswalks in both directions, each target with its code and title (CodeDocument.mappings). */
export function codeMappings(store: Store, system: SystemId, key: string): CodeDocument['mappings'] {
  // One code can map to the same target in many rows (GEM combinations): look each up once.
  const titles = new Map<string, { code: string; display: string } | undefined>();
  const titleOf = (s: SystemId, k: string) => {
    const id = `${s}\u0000${k}`;
    if (!titles.has(id)) titles.set(id, store.title(s, k));
    return titles.get(id);
  };
  return store.mappings(system, key).map((m) => {
    const target = m.key ? titleOf(m.system, m.key) : undefined;
    // No-map rows have no target code (GEMs "NoDx"): an empty code with flags.noMap.
    return {
      direction: m.direction,
      system: m.system,
      code: target?.code ?? (m.key ? displayCode(m.system, m.key) : ''),
      ...(target ? { display: target.display } : {}),
      flags: m.flags,
      source: m.source,
      version: m.version,
    };
  });
}

export interface LookupOptions {
  /**
   * Assemble the article and the similar codes (default true). Callers that answer from the official
   * data alone (FHIR $lookup) skip them: similar codes are most of a lookup's time.
   */
  extras?: boolean;
}

/**
 * The Tabular and Index releases a code's notes and index entries come from. The Tabular release is
 * the notes' own label, or the chapter's (chapters come from the Tabular). A code added after that
 * release has no notes of its own in it, which is said rather than shown as nothing.
 */
function notesReleaseOf(
  store: Store,
  doc: Pick<CodeDocument, 'code' | 'kind' | 'notes' | 'inheritedNotes' | 'indexTerms' | 'history'>,
  parents: CodeRow[],
): CodeDocument['notesRelease'] {
  const fy = (v: string | undefined) => Number(/^FY(\d{4})$/.exec(v ?? '')?.[1]) || undefined;
  // Chapters come from the Tabular (those from the cited chapter table carry `properties.source`).
  const fromTabular = (rows: CodeRow[]) => rows.find((p) => p.kind === 'chapter' && !p.properties?.source && fy(p.version))?.version;
  const tabular =
    [...doc.notes, ...doc.inheritedNotes].map((n) => n.version).find((v) => fy(v)) ??
    fromTabular(parents) ??
    fromTabular(store.roots('icd10cm'));
  const index = [...new Set(doc.indexTerms.map((t) => t.version))];
  if (!tabular && !index.length) return undefined;
  const out: NonNullable<CodeDocument['notesRelease']> = { ...(tabular ? { tabular } : {}), ...(index.length ? { index } : {}) };
  const added = doc.history.find((h) => h.action === 'added');
  const own = doc.notes.filter((n) => !n.from);
  if (tabular && added && fy(added.version)! > fy(tabular)! && !own.length && !['chapter', 'block'].includes(doc.kind)) {
    out.missing = `The loaded Tabular List (${tabular}) has no notes for ${doc.code}, added in ${added.version}${doc.inheritedNotes.length ? "; the notes shown are its ancestors'" : ''}. "medcodes update" brings the current Tabular List and Index.`;
  }
  return out;
}

export function lookup(store: Store, systemText: string, codeText: string, opts: LookupOptions = {}): CodeDocument {
  let row: CodeRow;
  try {
    row = findCode(store, systemText, codeText);
  } catch (e) {
    const doc = e instanceof MedCodesError && e.code === 'not_found' ? articleOnly(store, systemText, codeText) : undefined;
    if (doc) return doc;
    const system = resolveSystem(systemText);
    if (e instanceof MedCodesError && e.code === 'not_found' && system && !store.releases().some((r) => r.system === system)) {
      throw new MedCodesError(
        'not_found',
        `${SYSTEMS[system].name} is not loaded${SYSTEMS[system].bundled ? '' : ' (import your licensed release files)'} and there is no article for "${codeText.trim().slice(0, 40)}"`,
      );
    }
    throw e;
  }
  const { system, key } = row;
  const release = store.releases().find((r) => r.system === row.system);
  const entry = cachedCore(store, row);
  if (opts.extras === false) return { ...entry.doc, similar: [] };
  const doc: Omit<CodeDocument, 'similar'> & { similar?: SimilarCode[] } = { ...entry.doc };
  const article = assembleArticle(
    system,
    key,
    row.code,
    officialSections(doc, release?.effective, release?.version),
    store.articleSections(system, key),
    store.articleTitles(system, key),
  );
  if (article) doc.article = article;
  entry.similar ??= similarCodes(store, system, key);
  return { ...doc, similar: entry.similar };
}

/**
 * The documents of recently read codes, without their article, per open database: a database never
 * changes while it is open (an import swaps in a new file, and a new connection starts a new cache),
 * so they cannot go stale. The article is assembled on every read, because curated and generated
 * articles live in a file of their own that can change at any time. Bounded (least recently used
 * first out): a page or API answer for a popular code then costs the article and the rendering only.
 */
const CORE_CACHE_SIZE = 1000;
interface CoreEntry {
  doc: Omit<CodeDocument, 'similar' | 'article'>;
  similar?: SimilarCode[];
}
const cores = new WeakMap<object, Map<string, CoreEntry>>();

function cachedCore(store: Store, row: CodeRow): CoreEntry {
  let cache = cores.get(store.db);
  if (!cache) cores.set(store.db, (cache = new Map()));
  const id = `${row.system}\u0000${row.key}`;
  let entry = cache.get(id);
  if (entry) {
    cache.delete(id);
    cache.set(id, entry);
    return entry;
  }
  entry = { doc: coreDocument(store, row) };
  cache.set(id, entry);
  if (cache.size > CORE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return entry;
}

/** Everything of a code's document that comes from the code database alone. */
function coreDocument(store: Store, row: CodeRow): Omit<CodeDocument, 'similar' | 'article'> {
  const { system, key } = row;
  const parents = store.ancestors(row);
  const own = store.notes(system, key);
  const notes: NoteOut[] = [...own];
  const inheritedNotes: NoteOut[] = [];
  // Seventh characters are defined once on a category or subcategory and apply to every code below
  // it (ICD-10-CM Tabular, "7th characters"); the nearest definition wins.
  let seventhFound = own.some((n) => n.kind === 'sevenChrDef');
  for (const p of [...parents].reverse()) {
    const pNotes = store.notes(system, p.key);
    for (const n of pNotes) {
      if (SEVENTH.has(n.kind)) {
        if (!seventhFound) notes.push({ ...n, from: p.code });
      } else inheritedNotes.push({ ...n, from: p.code });
    }
    if (pNotes.some((n) => n.kind === 'sevenChrDef')) seventhFound = true;
  }
  // On a complete 7-character code, mark the value its seventh character takes.
  if (system === 'icd10cm' && key.length === 7) {
    for (const n of notes) if (n.kind === 'sevenChrDef' && n.char === key[6]) n.selected = true;
  }
  const release = store.releases().find((r) => r.system === system);
  const doc: Omit<CodeDocument, 'similar' | 'article'> = {
    system,
    systemUri: SYSTEMS[system].uri,
    systemName: SYSTEMS[system].name,
    code: row.code,
    display: row.display,
    ...(row.shortDisplay ? { shortDisplay: row.shortDisplay } : {}),
    kind: row.kind,
    billable: row.billable,
    status: row.status,
    version: row.version,
    parents: parents.map(toRef),
    children: store.children(system, key, row.status === 'deleted').map(toRef),
    notes,
    inheritedNotes,
    indexTerms: store.indexTerms(system, key),
    history: store.history(system, key).map((h) => {
      // Versions that are dates already (HCPCS, NUCC) need no second copy.
      const effective = eventStart(h, row);
      return effective && effective !== h.version ? { ...h, effective } : h;
    }),
    mappings: codeMappings(store, system, key),
  };
  if (row.properties) doc.properties = row.properties;
  if (system === 'icd10cm') {
    const nr = notesReleaseOf(store, doc, parents);
    if (nr) doc.notesRelease = nr;
  }
  // ICD-10-PCS codes store their table row and the labels of characters 4-7; the table record holds
  // the rest (axis titles, values, official definitions), stored once per table.
  if (system === 'icd10pcs' && row.kind === 'code' && row.status === 'active' && row.parentKey) {
    const table = store.get(system, row.parentKey)?.properties;
    const axes = isPcsTableStructure(table) ? pcsCodeAxes(key, table) : undefined;
    if (axes) doc.properties = { ...row.properties, axes };
  }
  if (release?.notice) doc.notice = release.notice;
  return doc;
}
