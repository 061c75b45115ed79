/**
 * General Equivalence Mappings (GEMs), 2018 (final) release, CMS / CDC-NCHS:
 *
 *   2018_I10gem.txt  ICD-10-CM  -> ICD-9-CM diagnoses   (in Dxgem_2018.zip)
 *   2018_I9gem.txt   ICD-9-CM   -> ICD-10-CM diagnoses  (in Dxgem_2018.zip)
 *   gem_pcsi9.txt    ICD-10-PCS -> ICD-9-CM procedures
 *   gem_i9pcs.txt    ICD-9-CM   -> ICD-10-PCS procedures
 *
 * Layout ("Diagnosis Code Set General Equivalence Mappings", 2018, Appendix A "File and Format
 * Detail"; the procedure files follow the same layout, checked on every line of the 2018 files): one
 * row per line, CRLF line ends, ASCII, no header, 19 characters:
 *
 *   ICD-10 source:  1-7 source code, 8 blank, 9-13 target code, 14 blank, 15-19 flags
 *   ICD-9 source:   1-5 source code, 6 blank, 7-13 target code, 14 blank, 15-19 flags
 *
 * Codes are left justified, blank filled, without decimal point. Flags ("GEMs Documentation for
 * Technical Users", FY2018, FAQs 3-18): 15 approximate (0/1), 16 no map (0/1), 17 combination (0/1),
 * 18 scenario (0-9), 19 choice list (0-9). When the no-map flag is 1 the target field holds the text
 * `NoDx` (diagnoses), `NoPCS` (ICD-9 -> PCS) or `NoI9` (PCS -> ICD-9).
 *
 * Quirks of the 2018 files this reader accepts (it reports them faithfully rather than failing):
 * - gem_pcsi9.txt: the documentation says this GEM has no no-map rows, but 31 rows have the target
 *   `NoI9`, and only 2 of them (XR2G021, XR2H021) carry no-map flag 1; the other 29 (e.g. line 6269
 *   `02H40NZ NoI9  10000`) have flags 10000. `target` is null for all 31; `noMap` is the flag as filed.
 * - 2018_I10gem.txt line 73170: `T8853XD v5889 10000`, a lower-case ICD-9-CM code. Codes are read
 *   case-insensitively and returned upper-case (`V5889`).
 *
 * An "entry" is all rows of one source code. In a combination entry (combination flag 1) the rows of
 * one scenario are sorted into choice lists; one target from each choice list, taken together (a
 * "cluster"), translates the source code. `groupCombinations` builds that structure.
 */
import { parseError } from '../../errors.js';
import type { Mapping, SystemId } from '../../model.js';
import { latin1Lines, type TextInput } from '../lines.js';

/** Which GEM a file is: source system -> target system. */
export type GemDirection = 'icd10cm-icd9cm' | 'icd9cm-icd10cm' | 'icd10pcs-icd9pcs' | 'icd9pcs-icd10pcs';

/** One row of a GEM file. */
export interface GemEntry {
  /** Columns 1-7 (ICD-10 source) or 1-5 (ICD-9 source): the source code, no decimal point (`E119`). */
  source: string;
  /**
   * Columns 9-13 or 7-13: the target code, no decimal point, upper-case; null when the field holds the
   * no-map text (NoDx/NoPCS/NoI9), which in gem_pcsi9.txt also happens with no-map flag 0.
   */
  target: string | null;
  /** Column 15: 1 = the source and target do not have the same complete meaning. */
  approximate: boolean;
  /** Column 16 as filed: 1 = no acceptable translation exists in the target system. */
  noMap: boolean;
  /** Column 17: 1 = the target is part of a cluster that together translates the source. */
  combination: boolean;
  /** Column 18 (0-9): which variation of a combination this row belongs to; 0 outside combinations. */
  scenario: number;
  /** Column 19 (0-9): which choice list of the scenario this target belongs to; 0 outside combinations. */
  choiceList: number;
  /** Columns 15-19 as in the file, e.g. `10111`. */
  flags: string;
  /** 1-based line number in the file. */
  line: number;
}

/** One choice list of a combination scenario: pick one of `targets`. */
export interface GemChoiceList {
  /** The choice list number from column 19. */
  choiceList: number;
  /** Target codes in file order, without duplicates. */
  targets: string[];
}

/** One scenario of a combination entry: one target from each choice list, together, translate `source`. */
export interface GemCombination {
  source: string;
  scenario: number;
  /** Sorted by choice list number. The 2018 files number them 1..n, except where noted in groupCombinations. */
  choiceLists: GemChoiceList[];
  /** True when any row of the scenario is flagged approximate (in 2018 all rows of a scenario agree). */
  approximate: boolean;
}

interface SideRule {
  system: SystemId;
  pattern: RegExp;
  what: string;
}

// ICD-10-CM: letter, digit, then 1-5 alphanumerics (3-7 characters). ICD-9-CM diagnoses: 3-5 digits, V + 2-4
// digits, E + 3-4 digits. ICD-9-CM procedures: 3-4 digits. ICD-10-PCS: 7 characters of 0-9 and A-Z less I and O.
// Patterns are matched against the upper-cased field (see the v5889 quirk above).
const ICD10CM: SideRule = { system: 'icd10cm', pattern: /^[A-Z]\d[0-9A-Z]{1,5}$/, what: 'ICD-10-CM code' };
const ICD9CM: SideRule = { system: 'icd9cm', pattern: /^(?:\d{3,5}|V\d{2,4}|E\d{3,4})$/, what: 'ICD-9-CM diagnosis code' };
const ICD10PCS: SideRule = { system: 'icd10pcs', pattern: /^[0-9A-HJ-NP-Z]{7}$/, what: 'ICD-10-PCS code' };
const ICD9PCS: SideRule = { system: 'icd9pcs', pattern: /^\d{3,4}$/, what: 'ICD-9-CM procedure code' };

const DIRECTIONS: Record<GemDirection, { from: SideRule; to: SideRule; sourceWidth: 5 | 7; noMap: string }> = {
  'icd10cm-icd9cm': { from: ICD10CM, to: ICD9CM, sourceWidth: 7, noMap: 'NoDx' },
  'icd9cm-icd10cm': { from: ICD9CM, to: ICD10CM, sourceWidth: 5, noMap: 'NoDx' },
  'icd10pcs-icd9pcs': { from: ICD10PCS, to: ICD9PCS, sourceWidth: 7, noMap: 'NoI9' },
  'icd9pcs-icd10pcs': { from: ICD9PCS, to: ICD10PCS, sourceWidth: 5, noMap: 'NoPCS' },
};

/** Source and target systems of each GEM, as MedCodes system ids. */
export const GEM_SYSTEMS: Record<GemDirection, { from: SystemId; to: SystemId }> = {
  'icd10cm-icd9cm': { from: 'icd10cm', to: 'icd9cm' },
  'icd9cm-icd10cm': { from: 'icd9cm', to: 'icd10cm' },
  'icd10pcs-icd9pcs': { from: 'icd10pcs', to: 'icd9pcs' },
  'icd9pcs-icd10pcs': { from: 'icd9pcs', to: 'icd10pcs' },
};

/**
 * The direction of an official GEM file from its name (also inside a path): `2018_I10gem.txt`,
 * `2018_I9gem.txt`, `gem_pcsi9.txt`, `gem_i9pcs.txt` (and the `YYYY_` / `gem_` spellings of other years).
 */
export function gemDirectionFromFileName(fileName: string): GemDirection | undefined {
  const base = fileName.replace(/^.*[\\/]/, '').toLowerCase();
  if (/^(\d{4}_)?i10gem\.txt$/.test(base) || /^gem_i10i9\.txt$/.test(base)) return 'icd10cm-icd9cm';
  if (/^(\d{4}_)?i9gem\.txt$/.test(base) || /^gem_i9i10\.txt$/.test(base)) return 'icd9cm-icd10cm';
  if (/^(\d{4}_)?gem_pcsi9\.txt$/.test(base)) return 'icd10pcs-icd9pcs';
  if (/^(\d{4}_)?gem_i9pcs\.txt$/.test(base)) return 'icd9pcs-icd10pcs';
  return undefined;
}

/** Input accepted by the reader: a file or zip member stream, or any chunks of bytes or text. */
export type { TextInput } from '../lines.js';

/** Parses one row; throws a parse_error naming file, line and problem. Exported for the reader's tests. */
export function parseGemLine(text: string, where: { file: string; line: number; direction: GemDirection }): GemEntry {
  const { file, line, direction } = where;
  const rule = DIRECTIONS[direction];
  const w = rule.sourceWidth;
  const fail = (problem: string) => parseError(problem, { file, line });
  if (!text.trim()) throw fail('blank line: expected source code, target code and 5 flags');
  const trimmed = text.trimEnd();
  if (trimmed.length < 19) {
    throw fail(`row is truncated: ${trimmed.length} characters, expected 19 (source, target, flags in columns 15-19): "${trimmed}"`);
  }
  if (trimmed.length > 19) throw fail(`row is ${trimmed.length} characters long, expected 19: "${trimmed}"`);
  const source = text.slice(0, w).trimEnd().toUpperCase();
  const targetField = text.slice(w + 1, 13).trimEnd();
  const flags = text.slice(14, 19);
  if (text[w] !== ' ' || text[13] !== ' ' || source.includes(' ') || targetField.includes(' ')) {
    throw fail(
      `not a ${GEM_SYSTEMS[direction].from} -> ${GEM_SYSTEMS[direction].to} GEM row: expected the source code in columns 1-${w}, the target in ${w + 2}-13 and blanks in columns ${w + 1} and 14: "${trimmed}"`,
    );
  }
  if (!rule.from.pattern.test(source)) throw fail(`source "${text.slice(0, w).trimEnd()}" is not an ${rule.from.what}`);
  if (!/^[01]{3}\d\d$/.test(flags))
    throw fail(`flags "${flags}" in columns 15-19 are not approximate, no map, combination (0/1), scenario, choice list (0-9)`);
  const noMap = flags[1] === '1';
  let target: string | null = null;
  if (targetField !== rule.noMap) {
    if (noMap) throw fail(`no-map flag is 1 but the target is "${targetField}", expected "${rule.noMap}"`);
    target = targetField.toUpperCase();
    if (!rule.to.pattern.test(target)) throw fail(`target "${targetField}" is not an ${rule.to.what}`);
  }
  return {
    source,
    target,
    approximate: flags[0] === '1',
    noMap,
    combination: flags[2] === '1',
    scenario: Number(flags[3]),
    choiceList: Number(flags[4]),
    flags,
    line,
  };
}

/**
 * Streams the rows of one GEM file. `direction` says which GEM it is (see `gemDirectionFromFileName`);
 * a file of another direction or format fails on its first line. Throws a parse_error naming file and
 * line for a truncated row, a code of the wrong system, or malformed flags.
 */
export async function* readGem(input: TextInput, options: { file: string; direction: GemDirection }): AsyncGenerator<GemEntry> {
  for await (const { text, line } of latin1Lines(input)) {
    yield parseGemLine(text, { file: options.file, line, direction: options.direction });
  }
}

/** Convenience for tests and small inputs. */
export async function parseGem(text: string | Uint8Array, options: { file: string; direction: GemDirection }): Promise<GemEntry[]> {
  const out: GemEntry[] = [];
  for await (const e of readGem([text], options)) out.push(e);
  return out;
}

/**
 * Groups the combination rows (combination flag 1) by source code and scenario, each scenario's
 * targets by choice list: one target from each choice list, together, translate the source (a
 * cluster). Rows with combination flag 0 are single translations and are left out, whatever their
 * scenario and choice-list digits say. Result order: sources in order of first appearance, then
 * scenario number.
 *
 * The structure is reported as in the file, not repaired. Quirks of the 2018 files: in gem_i9pcs.txt
 * 16.51 scenario 2 has choice lists 1 and 3 but no 2, and 02.31 scenario 1 has a single choice list;
 * 35.84 has two rows flagged 10013 (combination 0, choice list 3) and 86.28 one flagged 10001, which
 * this function therefore treats as single translations.
 */
export function groupCombinations(entries: Iterable<GemEntry>): GemCombination[] {
  const bySource = new Map<string, Map<number, { approximate: boolean; lists: Map<number, string[]> }>>();
  for (const e of entries) {
    if (!e.combination || e.target === null) continue;
    let scenarios = bySource.get(e.source);
    if (!scenarios) bySource.set(e.source, (scenarios = new Map()));
    let sc = scenarios.get(e.scenario);
    if (!sc) scenarios.set(e.scenario, (sc = { approximate: false, lists: new Map() }));
    sc.approximate ||= e.approximate;
    let targets = sc.lists.get(e.choiceList);
    if (!targets) sc.lists.set(e.choiceList, (targets = []));
    if (!targets.includes(e.target)) targets.push(e.target);
  }
  const out: GemCombination[] = [];
  for (const [source, scenarios] of bySource) {
    for (const scenario of [...scenarios.keys()].sort((a, b) => a - b)) {
      const sc = scenarios.get(scenario)!;
      const choiceLists = [...sc.lists.keys()]
        .sort((a, b) => a - b)
        .map((choiceList) => ({ choiceList, targets: sc.lists.get(choiceList)! }));
      out.push({ source, scenario, choiceLists, approximate: sc.approximate });
    }
  }
  return out;
}

/**
 * Every cluster of a combination: each way of taking one target from each choice list, in choice-list
 * order. E.g. 800.22 scenario 1 -> [S020XXA, S064X1A], [S020XXA, S064X2A].
 */
export function* clusters(combination: GemCombination): Generator<string[]> {
  const lists = combination.choiceLists.map((c) => c.targets);
  if (!lists.length || lists.some((l) => !l.length)) return;
  const idx = lists.map(() => 0);
  for (;;) {
    yield lists.map((l, i) => l[idx[i]]);
    let i = lists.length - 1;
    while (i >= 0 && ++idx[i] === lists[i].length) idx[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * The model's Mapping for one row (keys are the GEM's undotted codes, as the model's keys are), or
 * undefined for a no-map row, which has no target. Flags are carried decoded.
 */
export function gemEntryToMapping(entry: GemEntry, direction: GemDirection, version = '2018', source = 'gems'): Mapping | undefined {
  if (entry.target === null) return undefined;
  const sys = GEM_SYSTEMS[direction];
  return {
    fromSystem: sys.from,
    fromKey: entry.source,
    toSystem: sys.to,
    toKey: entry.target,
    flags: {
      approximate: entry.approximate,
      noMap: entry.noMap,
      combination: entry.combination,
      scenario: entry.scenario,
      choiceList: entry.choiceList,
    },
    source,
    version,
  };
}
