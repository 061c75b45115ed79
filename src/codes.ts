import type { SystemId } from './model.js';

/**
 * Code normalization: every code system has one lookup key form, so that `E11.9`, `E119`, `e11.9`
 * and ` E11.9 ` all find the same record. Codes are never split into words; they are matched exactly
 * or by prefix on this key.
 */

/** Key form: upper case, no dots, spaces or dashes inside a code. Ranges keep their dash. */
export function codeKey(system: SystemId, raw: string): string {
  const s = raw.trim().toUpperCase();
  // An NDC's dashes are segment boundaries, not a range (`12345-678` is a product), so NDCs are keyed
  // before the range check.
  if (system === 'ndc') return ndcKey(s);
  if (isRange(s)) {
    const [a, b] = s.split('-');
    return `${codeKey(system, a)}-${codeKey(system, b)}`;
  }
  return s.replace(/[\s.]/g, '');
}

/**
 * NDC key: the 11-digit HIPAA form (5-4-2) without dashes for a package, 9 digits (5-4) for a
 * product (labeler-product), 5 for a labeler. FDA's NDC Directory writes 10-digit NDCs in three
 * hyphenated shapes, 4-4-2, 5-3-2 and 5-4-1 (product 4-4, 5-3 or 5-4); the 11-digit form pads the
 * short segment with a leading zero (CMS, "NDC 11-digit format"), so `0002-1433-80`, `00002-1433-80`
 * and `00002143380` share one key. A 10-digit NDC without dashes cannot be padded (the short segment
 * is unknown) and is kept as typed; so is anything else that is not NDC-shaped.
 */
export function ndcKey(raw: string): string {
  const s = raw.trim();
  const parts = s.split(/\s*-\s*/);
  if (parts.every((p) => /^\d+$/.test(p))) {
    const [a, b, c] = parts;
    if (parts.length === 3 && c.length <= 2 && a.length <= 5 && b.length <= 4 && a.length + b.length + c.length >= 10) {
      return a.padStart(5, '0') + b.padStart(4, '0') + c.padStart(2, '0');
    }
    if (parts.length === 2 && a.length <= 5 && b.length <= 4 && a.length + b.length >= 8) return a.padStart(5, '0') + b.padStart(4, '0');
  }
  return s.replace(/[\s-]/g, '');
}

/** `00002143380` -> `00002-1433-80`; a product key `000021433` -> `00002-1433`. */
export function ndc11Display(key: string): string {
  if (/^\d{11}$/.test(key)) return `${key.slice(0, 5)}-${key.slice(5, 9)}-${key.slice(9)}`;
  if (/^\d{9}$/.test(key)) return `${key.slice(0, 5)}-${key.slice(5)}`;
  return key;
}

/** A range like `E08-E13` (a block or chapter), as opposed to a code. */
export function isRange(s: string): boolean {
  return /^[A-Z0-9.]{3,8}\s*-\s*[A-Z0-9.]{3,8}$/i.test(s.trim());
}

/**
 * Display form of an ICD-10-CM key: a dot after the third character (ICD-10-CM Official Guidelines,
 * Section I.A: "the decimal after the third character").
 */
export function icd10cmDisplay(key: string): string {
  if (key.includes('-')) return key.split('-').map(icd10cmDisplay).join('-');
  return key.length > 3 ? `${key.slice(0, 3)}.${key.slice(3)}` : key;
}

/**
 * Shape check for an ICD-10-CM key: a letter, then 2-6 letters or digits. The second character is a
 * digit in most chapters, but FY2026 added category QA0 (neurodevelopmental disorders of genetic origin).
 */
export function isIcd10cmKey(key: string): boolean {
  return /^[A-Z][0-9A-Z][0-9A-Z]([0-9A-Z]{1,4})?$/.test(key);
}

/** Display form of a key in any system. */
export function displayCode(system: SystemId, key: string): string {
  switch (system) {
    case 'icd10cm':
      return icd10cmDisplay(key);
    case 'icd9cm': {
      // ICD-9-CM diagnoses: dot after 3 characters, after 4 for E codes (external causes).
      const n = key.startsWith('E') ? 4 : 3;
      return key.length > n ? `${key.slice(0, n)}.${key.slice(n)}` : key;
    }
    case 'icd9pcs':
      // ICD-9-CM Volume 3 procedures: two digits, a dot, one or two digits.
      return key.length > 2 ? `${key.slice(0, 2)}.${key.slice(2)}` : key;
    case 'ndc':
      return ndc11Display(key);
    default:
      return key;
  }
}

/**
 * Lookup keys for a typed token that the generic code-token rule (letters and digits, at most 8,
 * optional dot) does not cover, for the search engine: LOINC codes (`2345-7`: the dash and check
 * digit are part of the key), NDCs written with dashes (every 10- and 11-digit shape, products
 * `0002-1433`), and long numeric identifiers (SNOMED CT ids of 6-18 digits, RxNorm RXCUIs, 11-digit
 * NDCs). A 10-digit NDC without dashes could pad any of its three segments, so all three 11-digit keys
 * are candidates. The engine keeps the candidates that exist.
 */
export function specialCodeKeys(token: string): string[] {
  const t = token.trim();
  if (/^\d{1,7}-\d$/.test(t)) return [t];
  if (/^\d{4,5}-\d{3,4}(-\d{1,2})?$/.test(t)) {
    const k = ndcKey(t);
    return /^\d{9}$|^\d{11}$/.test(k) ? [k] : [];
  }
  if (/^\d{9,18}$/.test(t)) {
    if (t.length === 10) return [t, `0${t}`, `${t.slice(0, 5)}0${t.slice(5)}`, `${t.slice(0, 9)}0${t.slice(9)}`];
    return [t];
  }
  return [];
}

/**
 * What a typed token that is shaped like a code of a licensed set is, for the user who searches it
 * while that set is not loaded (search, pages and validation say the same thing). Shapes follow the
 * AMA's CPT code book conventions: Category I codes are five digits (99213); Category II performance
 * measurement codes four digits and F (3074F); Category III emerging technology codes four digits and
 * T (0042T); Proprietary Laboratory Analyses four digits and U (0001U); CPT modifiers two digits
 * (25, 59). CDT (ADA) procedure codes are D and four digits (D0120). The descriptors themselves are
 * licensed text and never shipped: the hint names the kind of code, who licenses it and how to import
 * a licensed release (docs/LICENSED.md).
 */
export interface CodeShapeHint {
  /** The code as typed, upper case. */
  code: string;
  system: 'cpt' | 'cdt';
  kind: 'cpt-category-1' | 'cpt-category-2' | 'cpt-category-3' | 'cpt-pla' | 'cpt-modifier' | 'cdt';
  /** One sentence for people: what kind of code, who licenses it, how to load it. */
  message: string;
  /** HCPCS Level II codes a coder uses with or instead of it (CMS), when there are some. */
  related?: string[];
}

const CPT_IMPORT = 'import your licensed CPT data files with `medcodes import` (see docs/LICENSED.md)';

/**
 * CPT modifiers whose use CMS defines through HCPCS Level II modifiers: 59 (distinct procedural
 * service) has the subsets XE, XP, XS, XU (CMS MLN Fact Sheet "Proper Use of the -59 Modifier",
 * Change Request 8863, 2015); 50 (bilateral) is reported on some claims as RT and LT.
 */
const CPT_MODIFIER_RELATED: Record<string, string[]> = { '59': ['XE', 'XP', 'XS', 'XU'], '50': ['RT', 'LT'] };

/** The CPT code categories by shape (AMA CPT Professional): Category I, II, III and PLA codes. */
const CPT_CATEGORIES: { shape: RegExp; kind: CodeShapeHint['kind']; what: string }[] = [
  { shape: /^\d{5}$/, kind: 'cpt-category-1', what: 'a CPT Category I code (a procedure or service)' },
  { shape: /^\d{4}F$/, kind: 'cpt-category-2', what: 'a CPT Category II code (performance measurement, reported for quality programs)' },
  { shape: /^\d{4}T$/, kind: 'cpt-category-3', what: 'a CPT Category III code (emerging technology or service)' },
  { shape: /^\d{4}U$/, kind: 'cpt-pla', what: 'a CPT Proprietary Laboratory Analyses (PLA) code' },
];

export function codeShapeHint(input: string): CodeShapeHint | undefined {
  const code = input.trim().toUpperCase();
  const lic = 'The American Medical Association licenses CPT; MedCodes does not ship it:';
  const category = CPT_CATEGORIES.find((c) => c.shape.test(code));
  if (category)
    return { code, system: 'cpt', kind: category.kind, message: `${code} has the shape of ${category.what}. ${lic} ${CPT_IMPORT}.` };
  if (/^\d{2}$/.test(code) && Number(code) >= 22) {
    const related = CPT_MODIFIER_RELATED[code];
    return {
      code,
      system: 'cpt',
      kind: 'cpt-modifier',
      message:
        `${code} has the shape of a CPT modifier (two digits, appended to a CPT code). ${lic} ${CPT_IMPORT}.` +
        (related ? ` CMS reports related HCPCS Level II modifiers: ${related.join(', ')}.` : ''),
      ...(related ? { related } : {}),
    };
  }
  if (/^D\d{4}$/.test(code))
    return {
      code,
      system: 'cdt',
      kind: 'cdt',
      message: `${code} has the shape of a CDT dental procedure code. The American Dental Association licenses CDT; MedCodes does not ship it and has no CDT importer yet (see docs/LICENSED.md).`,
    };
  return undefined;
}
