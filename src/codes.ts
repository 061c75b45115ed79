import type { SystemId } from './model.js';

/**
 * Code normalization: every code system has one lookup key form, so that `E11.9`, `E119`, `e11.9`
 * and ` E11.9 ` all find the same record. Codes are never split into words; they are matched exactly
 * or by prefix on this key.
 */

/** Key form: upper case, no dots, spaces or dashes inside a code. Ranges keep their dash. */
export function codeKey(system: SystemId, raw: string): string {
  const s = raw.trim().toUpperCase();
  if (isRange(s)) {
    const [a, b] = s.split('-');
    return `${codeKey(system, a)}-${codeKey(system, b)}`;
  }
  switch (system) {
    case 'ndc':
      return s.replace(/[\s-]/g, '');
    default:
      return s.replace(/[\s.]/g, '');
  }
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
    default:
      return key;
  }
}
