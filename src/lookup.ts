import type { SystemId } from './model.js';
import type { Store, CodeRow, NoteOut, HistoryOut, CodeRef } from './store/store.js';
import { toRef } from './store/store.js';
import { codeKey, displayCode } from './codes.js';
import { SYSTEMS, resolveSystem } from './systems.js';
import { MedCodesError } from './errors.js';
import { isPcsTableStructure, pcsCodeAxes } from './importers/icd10pcs/builder.js';

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
  history: HistoryOut[];
  mappings: { direction: 'to' | 'from'; system: SystemId; code: string; display?: string; flags: Record<string, unknown> | null; source: string; version: string }[];
  properties?: Record<string, unknown>;
  notice?: string;
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

export function lookup(store: Store, systemText: string, codeText: string): CodeDocument {
  const row = findCode(store, systemText, codeText);
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
  // One code can map to the same target in many rows (GEM combinations): look each up once.
  const titles = new Map<string, { code: string; display: string } | undefined>();
  const titleOf = (s: SystemId, k: string) => {
    const id = `${s}\u0000${k}`;
    if (!titles.has(id)) titles.set(id, store.title(s, k));
    return titles.get(id);
  };
  const doc: CodeDocument = {
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
    history: store.history(system, key),
    mappings: store.mappings(system, key).map((m) => {
      const target = m.key ? titleOf(m.system, m.key) : undefined;
      // No-map rows have no target code (GEMs "NoDx"): an empty code with flags.noMap.
      return { direction: m.direction, system: m.system, code: target?.code ?? (m.key ? displayCode(m.system, m.key) : ''), ...(target ? { display: target.display } : {}), flags: m.flags, source: m.source, version: m.version };
    }),
  };
  if (row.properties) doc.properties = row.properties;
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
