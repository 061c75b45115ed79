/**
 * Text processing for search, as named steps shared by indexing and querying, so that a document and
 * a query are always cut the same way:
 *
 *   clean      -> NFKD, strip diacritics, control characters and apostrophes, lower case ("Ménière's" -> "menieres")
 *   tokenize   -> runs of letters and digits ("non-st elevation" -> non, st, elevation)
 *   stopwords  -> drop function words that carry no meaning in code titles (of, the, and, ...)
 *
 * There is deliberately no stemmer: medical words stem badly ("hepatitis" -> "hepat"), and ICD titles
 * are precise. Plural/singular variants are tried at query time against the term dictionary instead
 * (variants()), and autocomplete prefixes cover most suffixes.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const DIACRITICS = /\p{M}+/gu;

/** Apostrophes join rather than split: "Athlete's foot" -> athletes foot, "Colles' fracture" -> colles. */
const APOSTROPHE = /['\u2019]/g;

export function clean(text: string): string {
  return text.normalize('NFKD').replace(DIACRITICS, '').replace(CONTROL, ' ').replace(APOSTROPHE, '').toLowerCase();
}

export function tokenize(text: string): string[] {
  return clean(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Function words. "with", "without", "due", "not", "other", "unspecified" are kept: in ICD titles they
 * decide between codes (E11.9 "without complications", E11.65 "with hyperglycemia").
 */
export const STOPWORDS = new Set(['of', 'the', 'and', 'a', 'an', 'in', 'to', 'for', 'by', 'on', 'or', 'at', 'as', 'is', 'from', 'its']);

/** Index and query terms: tokens without stopwords. */
export function terms(text: string): string[] {
  return tokenize(text).filter((t) => !STOPWORDS.has(t));
}

/**
 * Singular/plural variants of a word to try when the word itself is not in the dictionary or to widen
 * a match: fractures <-> fracture, injuries <-> injury, disorders <-> disorder. Conservative on
 * purpose: words in -ss, -us, -is (abscess, calculus, arthritis) are left alone.
 */
export function variants(word: string): string[] {
  const out: string[] = [];
  if (word.length < 4) return out;
  if (/ies$/.test(word)) out.push(word.slice(0, -3) + 'y');
  else if (/(ches|shes|xes|ses)$/.test(word) && !/sses$/.test(word)) out.push(word.slice(0, -2));
  else if (/s$/.test(word) && !/(ss|us|is)$/.test(word)) out.push(word.slice(0, -1));
  if (/y$/.test(word) && !/[aeiou]y$/.test(word)) out.push(word.slice(0, -1) + 'ies');
  else if (!/s$/.test(word)) out.push(word + 's');
  return out;
}

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions, the commonest
 * typing error: "pnuemonia"), stopping as soon as the distance must exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  let prev2 = new Array<number>(lb + 1);
  let prev = new Array<number>(lb + 1);
  let cur = new Array<number>(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= lb; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1))
        v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[lb];
}

/** Edits allowed for a word of this length: one from 5 letters, two from 8, none below. */
export function allowedEdits(word: string): number {
  return word.length >= 8 ? 2 : word.length >= 5 ? 1 : 0;
}

/** The singular of a plural word by the same conservative rules as variants(); other words as they are. */
export function singular(word: string): string {
  if (word.length < 4) return word;
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ches|shes|xes)$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * American spelling of a British medical word, by the regular correspondences of the two spellings
 * (Oxford and Merriam-Webster: ae/oe -> e in Greek and Latin stems, -our -> -or, -ise -> -ize,
 * -tre -> -ter, -yse -> -yze): anaemia -> anemia, haemorrhage -> hemorrhage, oesophagus -> esophagus,
 * caesarean -> cesarean, paediatric -> pediatric, tumour -> tumor, centre -> center, paralyse ->
 * paralyze. ICD-10-CM, ICD-10-PCS and HCPCS are written in American English. Returns the word itself
 * when no rule applies; the engine uses the result only when it is a word of the dictionary.
 */
export function americanize(word: string): string {
  if (word.length < 4) return word;
  return word
    .replace(/ae/g, 'e')
    .replace(/oe(?!s$)/g, 'e')
    .replace(/our(s?)$/, 'or$1')
    .replace(/([^aeiou])is(e|ed|es|ing|ation|ations)$/, '$1iz$2')
    .replace(/([bt])re(s?)$/, '$1er$2')
    .replace(/ys(e|ed|es|ing)$/, 'yz$1');
}
