import type Database from 'better-sqlite3';

/**
 * Brand and generic names from RxNorm as search synonyms of HCPCS drug codes.
 *
 * HCPCS Level II drug codes name the ingredient in a comma part of their description ("Injection,
 * adalimumab, 20 mg"; "Mycophenolic acid, oral, 180 mg"), never the brand. A user who types "Humira"
 * should find J0135. So every HCPCS code whose description has a comma part that is an RxNorm
 * ingredient (TTY IN, or a precise ingredient PIN such as "ondansetron hydrochloride" through its IN)
 * gets the ingredient's brand names (BN, by RxNorm's `has_tradename` relation IN -> BN) as index terms
 * with source `rxnorm`.
 *
 * Matching is deliberately strict: the comma part must be the ingredient name exactly (case and
 * spacing aside), so "adalimumab-aacf (idacio)", a biosimilar with its own brand, does not get
 * Humira, and "oxygen concentrator" does not get oxygen's brands.
 *
 * The terms are derived from the database, not the files: they are recomputed from the stored RxNorm
 * concepts and relations and the stored HCPCS codes, so they are right after an import of either
 * system in any order (run it after each; re-importing HCPCS clears them with the rest of HCPCS).
 */
export interface BrandTermsResult {
  codes: number;
  terms: number;
}

/** The comma parts of an HCPCS description, normalized for matching against RxNorm names. */
export function descriptionParts(display: string): string[] {
  return display.split(',').map(normName).filter(Boolean);
}

/** Lower case, single spaces, no trailing period. */
export function normName(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').replace(/\.$/, '').trim();
}

export function deriveHcpcsBrandTerms(db: Database.Database, version: string): BrandTermsResult {
  db.prepare("DELETE FROM index_terms WHERE system = 'hcpcs' AND source = 'rxnorm'").run();
  const hasHcpcs = db.prepare("SELECT 1 FROM codes WHERE system = 'hcpcs' LIMIT 1").get();
  const hasRx = db.prepare("SELECT 1 FROM codes WHERE system = 'rxnorm' LIMIT 1").get();
  if (!hasHcpcs || !hasRx) return { codes: 0, terms: 0 };

  // Ingredient names -> the IN concept whose brands apply (a PIN through `IN has_form PIN`).
  const ingredient = new Map<string, string>();
  for (const r of db
    .prepare("SELECT key, display FROM codes WHERE system = 'rxnorm' AND status = 'active' AND json_extract(properties, '$.tty') = 'IN'")
    .iterate() as Iterable<{ key: string; display: string }>) {
    ingredient.set(normName(r.display), r.key);
  }
  const pinOf = db.prepare(
    "SELECT from_key AS inKey FROM mappings WHERE to_system = 'rxnorm' AND to_key = ? AND from_system = 'rxnorm' AND source = 'rxnorm' AND json_extract(flags, '$.relation') = 'has_form' LIMIT 1",
  );
  const pins = db
    .prepare("SELECT key, display FROM codes WHERE system = 'rxnorm' AND status = 'active' AND json_extract(properties, '$.tty') = 'PIN'")
    .all() as { key: string; display: string }[];
  for (const p of pins) {
    const n = normName(p.display);
    if (ingredient.has(n)) continue;
    const inKey = (pinOf.get(p.key) as { inKey: string } | undefined)?.inKey;
    if (inKey) ingredient.set(n, inKey);
  }

  const brandsOf = db.prepare(
    `SELECT c.display AS name FROM mappings m JOIN codes c ON c.system = 'rxnorm' AND c.key = m.to_key
     WHERE m.from_system = 'rxnorm' AND m.from_key = ? AND m.to_system = 'rxnorm' AND m.source = 'rxnorm'
       AND json_extract(m.flags, '$.relation') = 'has_tradename' AND json_extract(c.properties, '$.tty') = 'BN' AND c.status = 'active'
     ORDER BY c.display`,
  );
  const hcpcs = db.prepare("SELECT key, display FROM codes WHERE system = 'hcpcs' AND kind = 'code'").all() as {
    key: string;
    display: string;
  }[];
  const insert = db.prepare(
    "INSERT INTO index_terms (system, key, path, level, source, version) VALUES ('hcpcs', ?, ?, NULL, 'rxnorm', ?)",
  );
  const brandCache = new Map<string, string[]>();
  let codes = 0;
  let terms = 0;
  for (const h of hcpcs) {
    const names = new Set<string>();
    for (const part of descriptionParts(h.display)) {
      const inKey = ingredient.get(part);
      if (!inKey) continue;
      if (!brandCache.has(inKey))
        brandCache.set(
          inKey,
          (brandsOf.all(inKey) as { name: string }[]).map((b) => b.name),
        );
      for (const b of brandCache.get(inKey)!) names.add(b);
    }
    if (!names.size) continue;
    codes++;
    for (const n of names) {
      insert.run(h.key, n, version);
      terms++;
    }
  }
  return { codes, terms };
}
