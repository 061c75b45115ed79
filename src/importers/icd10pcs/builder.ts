import { MedCodesError } from '../../errors.js';
import { PCS_CHAR, type PcsTable } from './tables.js';
import type { PcsDefinitions } from './definitions.js';

/**
 * ICD-10-PCS tables as stored, and the code builder that walks them.
 *
 * A PCS code is built from one table: characters 1-3 name the table, and each `pcsRow` lists the
 * values allowed at positions 4-7; every combination of one value per row axis is a valid code, and
 * no other (ICD-10-PCS Reference Manual, "ICD-10-PCS Tables": "each row ... specifies the valid
 * combinations of characters 4-7"). The importer stores each table once, in this shape, in the
 * `properties` of the table's record (key `0DT`); each code record stores only its own seven decoded
 * characters (`PcsCodeAxis`). Everything here is pure: the builder and the decomposition read the
 * stored shape and never the XML, so the API can answer from the database alone.
 */

/** A value of a row axis: the character and its label, e.g. `J` "Appendix". */
export interface PcsValue {
  char: string;
  label: string;
}

/** One of the table's fixed characters 1-3 (section, body system, operation). */
export interface PcsHeaderValue {
  pos: 1 | 2 | 3;
  /** The axis title: "Section", "Body System" / "Section Qualifier", "Operation" / "Type" / "Modality". */
  axis: string;
  char: string;
  label: string;
  /** Position 3: the operation's definition printed in the table. */
  definition?: string;
}

/** One axis (positions 4-7) of a row, with its values in table order. */
export interface PcsRowAxisStructure {
  pos: 4 | 5 | 6 | 7;
  axis: string;
  values: PcsValue[];
}

export interface PcsRowStructure {
  /** Number of valid codes in the row (the product of its axes' value counts). */
  codes: number;
  axes: PcsRowAxisStructure[];
}

/** What the Definitions file says about one value of the table. */
export interface PcsValueDefinition {
  /** The entry title that matched, when it differs from the label (Device Key: "X in Heart and Great Vessels"). */
  term?: string;
  definition?: string;
  explanation?: string;
  /** Examples (operations) or synonyms (Body Part, Device and Substance Keys). */
  includes?: string[];
}

/** A table as stored in its record's `properties`. */
export interface PcsTableStructure {
  /** Positions 1-3. */
  axes: PcsHeaderValue[];
  rows: PcsRowStructure[];
  /**
   * Definitions of this table's values by position (`"3"` ... `"7"`) and label. Resolved per table,
   * because Device Key entries are named per operation and body system ("Synthetic Substitute for
   * Replacement in Lower Joints"), so the same label can have different entries in different tables.
   */
  definitions: Record<string, Record<string, PcsValueDefinition>>;
  /** Number of valid codes in the table. */
  validCodes: number;
}

/**
 * What a code's record stores in `properties`: the index of its row in the table and the labels of
 * characters 4-7. Characters 1-3, the axis titles and the definitions are the table's, stored once on
 * the table's record; `pcsCodeAxes` assembles the full decomposition from it. (FY2026, JSON bytes
 * over the 79,115 codes: these two fields 7.4 MB; the seven characters with axis titles 38 MB; with
 * their definitions too 99 MB. The 914 stored tables take 4.1 MB.)
 */
export interface PcsCodeProperties {
  row: number;
  labels: string[];
}

/** One character of a decoded code. */
export interface PcsCodeAxis {
  pos: number;
  axis: string;
  char: string;
  label: string;
}

/** One character with its definition, as served. */
export interface PcsDefinedAxis extends PcsCodeAxis, Omit<PcsValueDefinition, 'term'> {
  /** The definitions entry title, when it differs from the label. */
  term?: string;
}

/** The table code (characters 1-3) of a stored structure. */
export function tableCode(t: PcsTableStructure): string {
  return t.axes.map((a) => a.char).join('');
}

/**
 * The stored shape of a parsed table, with the definitions of its values resolved through the
 * Definitions file (when given) in the table's context: section, body system and operation.
 */
export function tableStructure(table: PcsTable, definitions?: PcsDefinitions): PcsTableStructure {
  const axes: PcsHeaderValue[] = [table.section, table.bodySystem, table.operation].map((a) => ({
    pos: a.pos,
    axis: a.title,
    char: a.value.code,
    label: a.value.text,
    ...(a.definition !== undefined ? { definition: a.definition } : {}),
  }));
  const rows: PcsRowStructure[] = table.rows.map((r) => ({
    codes: r.codes,
    axes: r.axes.map((a) => ({ pos: a.pos, axis: a.title, values: a.values.map((v) => ({ char: v.code, label: v.text })) })),
  }));
  const defs: PcsTableStructure['definitions'] = {};
  if (definitions) {
    const q = { section: table.section.value.code, operation: table.operation.value.text, bodySystem: table.bodySystem.value.text };
    const put = (pos: number, label: string) => {
      const byLabel = (defs[String(pos)] ??= {});
      if (label in byLabel) return;
      const hit = definitions.resolve({ ...q, pos, label });
      if (!hit) return;
      const { definition, explanation, includes } = hit.term;
      const d: PcsValueDefinition = {
        ...(hit.title !== label ? { term: hit.title } : {}),
        ...(definition !== undefined ? { definition } : {}),
        ...(explanation !== undefined ? { explanation } : {}),
        ...(includes.length ? { includes } : {}),
      };
      if (Object.keys(d).length) byLabel[label] = d;
    };
    put(3, table.operation.value.text);
    for (const r of table.rows) for (const a of r.axes) for (const v of a.values) put(a.pos, v.text);
    for (const [pos, byLabel] of Object.entries(defs)) if (!Object.keys(byLabel).length) delete defs[pos];
  }
  return { axes, rows, definitions: defs, validCodes: rows.reduce((n, r) => n + r.codes, 0) };
}

/** The definition of one value of a table, if the Definitions file has one. */
export function valueDefinition(t: PcsTableStructure, pos: number, label: string): PcsValueDefinition | undefined {
  const d = t.definitions[String(pos)]?.[label];
  if (pos === 3 && !d?.definition) {
    // The operation's definition is printed in the table itself too; the Definitions file adds its explanation.
    const printed = t.axes[2]?.definition;
    if (printed) return { ...d, definition: printed };
  }
  return d;
}

/**
 * Attach the definitions stored on the table to a code's stored characters: what the API serves for
 * a code (`axes` with definition / explanation / includes per character).
 */
export function defineAxes(axes: PcsCodeAxis[], table: PcsTableStructure): PcsDefinedAxis[] {
  return axes.map((a) => {
    const d = a.pos >= 3 ? valueDefinition(table, a.pos, a.label) : undefined;
    return d ? { ...a, ...d } : { ...a };
  });
}

/** The characters of a code of this table, from the one row that holds it; undefined when no row allows it. */
export function decomposeInTable(t: PcsTableStructure, code: string): { row: number; axes: PcsCodeAxis[] } | undefined {
  const c = code.trim().toUpperCase();
  if (c.length !== 7 || c.slice(0, 3) !== tableCode(t)) return undefined;
  const tail = c.slice(3);
  const row = t.rows.findIndex((r) => [...tail].every((ch, i) => r.axes[i].values.some((v) => v.char === ch)));
  if (row < 0) return undefined;
  const head: PcsCodeAxis[] = t.axes.map((a) => ({ pos: a.pos, axis: a.axis, char: a.char, label: a.label }));
  const rest = t.rows[row].axes.map((a, i) => ({
    pos: a.pos,
    axis: a.axis,
    char: tail[i],
    label: a.values.find((v) => v.char === tail[i])!.label,
  }));
  return { row, axes: [...head, ...rest] };
}

/**
 * The full decomposition of a code as served: its seven characters with axis titles and labels from
 * its table's row, and the definition, explanation and key entries of each value. Undefined when the
 * table has no row that allows the code (a code of another release).
 */
export function pcsCodeAxes(code: string, t: PcsTableStructure): PcsDefinedAxis[] | undefined {
  const d = decomposeInTable(t, code);
  return d ? defineAxes(d.axes, t) : undefined;
}

/** True when a record's `properties` hold a stored table (the table records of an import with the Tables XML). */
export function isPcsTableStructure(p: unknown): p is PcsTableStructure {
  const t = p as PcsTableStructure | null | undefined;
  return !!t && Array.isArray(t.axes) && t.axes.length === 3 && Array.isArray(t.rows) && typeof t.definitions === 'object';
}

// ---------------------------------------------------------------------------------------------
// Code builder
// ---------------------------------------------------------------------------------------------

/** A value offered at the next position. */
export interface PcsChoice extends PcsValue {
  /** Other names the character has in other rows still possible (FY2026 XNS: 4 "Thoracic Vertebra" / "Humeral Shaft, Right"). */
  otherLabels?: string[];
  definition?: string;
  includes?: string[];
}

/** A chosen character, decoded in the rows that remain possible. */
export interface PcsChosen extends PcsCodeAxis {
  /** Other names it has in other rows that remain possible, until a later choice settles the row. */
  otherLabels?: string[];
}

/** Where the builder stands after the characters chosen so far. */
export interface PcsBuildState {
  /** Characters 1-3. */
  table: string;
  /** The characters chosen after the first three (0-4 of them). */
  chars: string;
  /** Table plus chosen characters, e.g. `0DTJ4`. */
  prefix: string;
  chosen: PcsChosen[];
  /** Indexes of the table rows that allow every character chosen so far. */
  rows: number[];
  /** True when seven characters are chosen; every complete state is a code the table allows. */
  complete: boolean;
  /** The seven-character code, when complete. */
  code?: string;
  /** The next position to choose and its valid values (only those some remaining row allows), when not complete. */
  next?: { pos: number; axis: string; choices: PcsChoice[] };
}

const labelsIn = (t: PcsTableStructure, rows: number[], i: number, ch: string): string[] => {
  const out: string[] = [];
  for (const r of rows) {
    const v = t.rows[r].axes[i].values.find((x) => x.char === ch);
    if (v && !out.includes(v.label)) out.push(v.label);
  }
  return out;
};

/** Characters a position allows in the given rows, in code order (digits, then letters). */
export function allowedAt(t: PcsTableStructure, rows: number[], i: number): string[] {
  const set = new Set<string>();
  for (const r of rows) for (const v of t.rows[r].axes[i].values) set.add(v.char);
  return [...set].sort();
}

/**
 * Apply the characters chosen after the first three (`J4` = body part J, approach 4) and say what
 * comes next. Throws `invalid_parameter` when a character is not a PCS character, when more than four
 * are given, or when no row of the table allows it after the earlier ones; the message names the
 * position and lists the values that would be valid there.
 */
export function buildPcsCode(t: PcsTableStructure, chars: string): PcsBuildState {
  const table = tableCode(t);
  const s = chars.trim().toUpperCase();
  if (s.length > 4)
    throw new MedCodesError(
      'invalid_parameter',
      `"${s.slice(0, 12)}" has ${s.length} characters; after table ${table} a code has 4 more (positions 4-7)`,
    );
  [...s].forEach((ch, i) => {
    if (!PCS_CHAR.test(ch))
      throw new MedCodesError(
        'invalid_parameter',
        `character ${i + 4} "${ch}" is not an ICD-10-PCS character (0-9 and A-Z without I and O)`,
        { pos: i + 4 },
      );
  });
  let rows = t.rows.map((_, i) => i);
  for (let i = 0; i < s.length; i++) {
    const next = rows.filter((r) => t.rows[r].axes[i].values.some((v) => v.char === s[i]));
    if (!next.length) {
      const axis = t.rows[rows[0]].axes[i].axis;
      throw new MedCodesError(
        'invalid_parameter',
        `${table}${s.slice(0, i)}: character ${i + 4} (${axis}) cannot be "${s[i]}"; valid: ${allowedAt(t, rows, i).join(', ')}`,
        { pos: i + 4, allowed: allowedAt(t, rows, i) },
      );
    }
    rows = next;
  }
  // Labels after the last choice: a later character can settle which row, and so which name, an earlier one has.
  const chosen: PcsChosen[] = [...s].map((ch, i) => {
    const labels = labelsIn(t, rows, i, ch);
    return {
      pos: i + 4,
      axis: t.rows[rows[0]].axes[i].axis,
      char: ch,
      label: labels[0],
      ...(labels.length > 1 ? { otherLabels: labels.slice(1) } : {}),
    };
  });
  const state: PcsBuildState = { table, chars: s, prefix: table + s, chosen, rows, complete: s.length === 4 };
  if (state.complete) {
    state.code = table + s;
    return state;
  }
  const i = s.length;
  const pos = i + 4;
  const choices = allowedAt(t, rows, i).map((ch): PcsChoice => {
    const labels = labelsIn(t, rows, i, ch);
    const d = valueDefinition(t, pos, labels[0]);
    return {
      char: ch,
      label: labels[0],
      ...(labels.length > 1 ? { otherLabels: labels.slice(1) } : {}),
      ...(d?.definition ? { definition: d.definition } : {}),
      ...(d?.includes ? { includes: d.includes } : {}),
    };
  });
  state.next = { pos, axis: t.rows[rows[0]].axes[i].axis, choices };
  return state;
}
