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
