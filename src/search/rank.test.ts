import { describe, it, expect } from 'vitest';
import Database from 'better-sqlite3';
import { SCHEMA_SQL } from '../store/schema.js';
import { SearchIndex, docFlags, headWord } from './index.js';
import { SearchEngine } from './engine.js';
import {
  rankScore,
  queryIntent,
  WEIGHTS,
  DOC_SEQUELA,
  DOC_QUALITY,
  DOC_ACCESSORY,
  DOC_SUBSEQUENT,
  DOC_HISTORY,
  type DocFeatures,
} from './rank.js';

const base: DocFeatures = {
  relevance: 1,
  factor: 1,
  allInTitle: true,
  allInMain: false,
  extraWords: 2,
  billable: true,
  browseNode: false,
  partialCode: false,
  active: true,
  fuzzy: false,
  retired: false,
  flags: 0,
};

describe('rankScore', () => {
  const plain = queryIntent(['fracture', 'femur']);
  it('puts sequela and subsequent encounters after the initial encounter unless asked', () => {
    const initial = rankScore(base, plain);
    expect(rankScore({ ...base, flags: DOC_SEQUELA }, plain)).toBeLessThan(initial);
    expect(rankScore({ ...base, flags: DOC_SUBSEQUENT }, plain)).toBeLessThan(initial);
    const asked = queryIntent(['fracture', 'femur', 'sequela']);
    expect(rankScore({ ...base, flags: DOC_SEQUELA }, asked)).toBe(rankScore(base, asked));
  });
  it('puts quality-reporting codes, accessories and retired sets after services unless asked', () => {
    const q = queryIntent(['tetanus', 'vaccine']);
    expect(rankScore({ ...base, flags: DOC_QUALITY }, q)).toBeLessThan(rankScore(base, q));
    expect(rankScore({ ...base, flags: DOC_QUALITY }, queryIntent(['tetanus', 'quality']))).toBe(
      rankScore(base, queryIntent(['tetanus', 'quality'])),
    );
    expect(rankScore({ ...base, flags: DOC_ACCESSORY }, queryIntent(['wheelchair']))).toBeLessThan(
      rankScore(base, queryIntent(['wheelchair'])),
    );
    expect(rankScore({ ...base, retired: true }, q)).toBe(rankScore(base, q) - WEIGHTS.RETIRED);
    expect(rankScore({ ...base, retired: true }, queryIntent(['hernia'], true))).toBe(rankScore(base, queryIntent(['hernia'], true)));
  });
  it('puts a past condition (old, history of) after the condition unless asked', () => {
    const q = queryIntent(['myocardial', 'infarction']);
    expect(rankScore({ ...base, flags: DOC_HISTORY }, q)).toBeLessThan(rankScore(base, q));
    const old = queryIntent(['old', 'myocardial', 'infarction']);
    expect(rankScore({ ...base, flags: DOC_HISTORY }, old)).toBe(rankScore(base, old));
  });
  it('keeps an exact match above a partial one whatever its class', () => {
    const partial = rankScore({ ...base, factor: 0.7 * 0.66, allInTitle: false }, plain);
    expect(rankScore({ ...base, flags: DOC_SUBSEQUENT }, plain)).toBeGreaterThan(partial);
  });
});

describe('docFlags and headWord', () => {
  it('reads encounters, quality codes, accessories from the record', () => {
    expect(docFlags({ system: 'icd10cm', key: 'S72001S', display: 'Fracture of neck of right femur, sequela' })).toBe(DOC_SEQUELA);
    expect(
      docFlags({ system: 'hcpcs', key: 'G9416', display: 'Patient had one tdap vaccine', pricing: '00:Z2' }) & DOC_QUALITY,
    ).toBeTruthy();
    expect(docFlags({ system: 'hcpcs', key: 'G0009', display: 'Administration of pneumococcal vaccine', pricing: '13:O1A' })).toBe(0);
    expect(docFlags({ system: 'hcpcs', key: 'E0950', display: 'Wheelchair accessory, tray, each' }) & DOC_ACCESSORY).toBeTruthy();
  });
  it('finds the head noun of a title', () => {
    expect(headWord('Standard wheelchair')).toBe('wheelchair');
    expect(headWord('Wheelchair seat cushion, powered')).toBe('cushion');
    expect(headWord('Fracture of neck of femur')).toBe('fracture');
  });
});

/** A tiny store in the real schema, indexed and searched as the server does. */
function tinyEngine(): SearchEngine {
  const db = new Database(':memory:');
  db.exec(SCHEMA_SQL);
  const put = db.prepare(
    `INSERT INTO codes (system, key, code, display, kind, billable, status, parent_key, sort, version, properties)
     VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, 'test', ?)`,
  );
  let sort = 0;
  const code = (system: string, key: string, display: string, billable = 1, parent: string | null = null, props: unknown = null) =>
    put.run(system, key, key, display, billable ? 'code' : 'category', billable, parent, sort++, props ? JSON.stringify(props) : null);
  code('icd10cm', 'S7200', 'Fracture of unspecified part of neck of femur', 0);
  code('icd10cm', 'S72009', 'Fracture of unspecified part of neck of unspecified femur', 0, 'S7200');
  code('icd10cm', 'S72009S', 'Fracture of unspecified part of neck of unspecified femur, sequela', 1, 'S72009');
  code(
    'icd10cm',
    'S72009D',
    'Fracture of unspecified part of neck of unspecified femur, subsequent encounter for closed fracture',
    1,
    'S72009',
  );
  code(
    'icd10cm',
    'S72009A',
    'Fracture of unspecified part of neck of unspecified femur, initial encounter for closed fracture',
    1,
    'S72009',
  );
  code('icd10cm', 'M84459A', 'Pathological fracture, hip, unspecified, initial encounter for fracture');
  code('hcpcs', 'E0950', 'Wheelchair accessory, tray, each');
  code('hcpcs', 'K0001', 'Standard wheelchair');
  code('hcpcs', 'G9416', 'Patient had one tetanus toxoid vaccine', 1, null, { pricingIndicators: [{ code: '00' }], betos: { code: 'Z2' } });
  code('hcpcs', 'J1670', 'Injection, tetanus immune globulin, human, up to 250 units', 1, null, {
    pricingIndicators: [{ code: '13' }],
    betos: { code: 'O1E' },
  });
  db.prepare(
    "INSERT INTO codes (system, key, code, display, kind, billable, status, sort, version) VALUES ('hcpcs', 'XS', 'XS', ?, 'modifier', 0, 'active', ?, 'test')",
  ).run('Separate structure, a service that is distinct because it was performed on a separate organ/structure', sort++);
  db.prepare(
    "INSERT INTO index_terms (system, key, path, level, source, version) VALUES ('icd10cm', 'S7200', 'Fracture, traumatic, femur, neck', 2, 'index', 'test')",
  ).run();
  db.prepare(
    "INSERT INTO index_refs (system, path, kind, target, source, version) VALUES ('icd10cm', 'Fracture, traumatic, hip', 'see', 'Fracture, femur, neck', 'index', 'test')",
  ).run();
  return new SearchEngine(SearchIndex.build(db, [], [['femur', 'femoral']]), { cacheSize: 0 });
}

describe('ranking on a tiny index', () => {
  const e = tinyEngine();
  const codes = (q: string) => e.search({ q: `${q} ` }).results.map((r) => r.code);
  it('initial encounter before subsequent and sequela, Index default first', () => {
    const r = codes('femoral neck fracture');
    expect(r[0]).toBe('S72009A');
    expect(r.indexOf('S72009A')).toBeLessThan(r.indexOf('S72009D'));
    expect(r.indexOf('S72009D')).toBeLessThan(r.indexOf('S72009S'));
    expect(codes('fracture femur neck sequela')[0]).toBe('S72009S');
  });
  it('follows an Index reference from a subterm without the intermediate one', () => {
    expect(codes('hip fracture').slice(0, 3)).toContain('S72009A');
  });
  it('the thing itself before its accessories, services before quality codes', () => {
    expect(codes('wheelchair')[0]).toBe('K0001');
    expect(codes('tetanus')[0]).toBe('J1670');
  });
  it('finds a two-letter modifier by its code', () => {
    expect(codes('XS')[0]).toBe('XS');
  });
  it('says what a CPT-shaped code is when CPT is not loaded, with no "did you mean"', () => {
    const r = e.search({ q: '99213' });
    expect(r.hints?.[0]?.kind).toBe('cpt-category-1');
    expect(r.didYouMean).toBeUndefined();
  });
});
