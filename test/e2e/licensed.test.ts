import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runImport } from '../../src/importers/run.js';
import { silentProgress } from '../../src/importers/types.js';
import { Store } from '../../src/store/store.js';
import { createApp } from '../../src/api/app.js';
import { lookup } from '../../src/lookup.js';
import { search } from '../../src/search/search.js';
import { stats } from '../../src/stats.js';
import { runCli } from '../../src/cli.js';
import { MedCodesError } from '../../src/errors.js';
import { deriveHcpcsBrandTerms } from '../../src/importers/rxnorm/brands.js';
import { StoreWriter } from '../../src/store/writer.js';

/**
 * The licensed and large code sets end to end: the made-up fixtures of each official layout
 * (test/fixtures/{cpt,loinc,snomedct,rxnorm,ndc}) imported with the HCPCS fixture slice into a database
 * of their own, then served by stats, search, lookup, the code pages, the API and the CLI.
 */
const F = fileURLToPath(new URL('../fixtures/', import.meta.url));
const HCPCS = join(F, 'hcpcs', 'HCPC2025_OCT_ANWEB-slice.xlsx');
const LOINC_DIR = join(F, 'loinc', 'Loinc_2.80');
const LOINC_ZIP = join(F, 'loinc', 'Loinc_2.80.zip');
const RXNORM_DIR = join(F, 'rxnorm', 'RxNorm_full_11042024');
const RXNORM_ZIP = join(F, 'rxnorm', 'RxNorm_full_11042024.zip');
const NDC_DIR = join(F, 'ndc', 'ndctext');
const SNOMED_DIR = join(F, 'snomedct', 'SnomedCT_MadeUpRF2_PRODUCTION_20250101T120000Z');
const CPT_DIR = join(F, 'cpt', 'CPT 2026 data files');

const dir = mkdtempSync(join(tmpdir(), 'medcodes-licensed-'));
const db = join(dir, 'medcodes.db');
let store: Store;
let app: ReturnType<typeof createApp>;
let summaries: Awaited<ReturnType<typeof runImport>>;

const cli = async (...args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--db', db, ...args], { out: (s) => out.push(s), err: (s) => err.push(s), progress: silentProgress });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

beforeAll(async () => {
  await runImport({ db, inputs: [HCPCS], progress: silentProgress, incremental: false });
  summaries = await runImport({
    db,
    inputs: [LOINC_DIR, RXNORM_ZIP, NDC_DIR, SNOMED_DIR, CPT_DIR],
    progress: silentProgress,
    incremental: true,
  });
  store = new Store(db);
  app = createApp({ store: () => store });
}, 60_000);
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const reopen = () => {
  store.close();
  store = new Store(db);
};

describe('importing the licensed sets', () => {
  it('reports imported and skipped counts per set', () => {
    const by = Object.fromEntries(summaries.map((s) => [s.system, s]));
    expect(Object.keys(by).sort()).toEqual(['cpt', 'loinc', 'ndc', 'rxnorm', 'snomedct']);
    expect(by.loinc).toMatchObject({
      version: '2.80',
      imported: { codes: 12, deprecated: 1, withThirdPartyCopyright: 1, replacements: 1 },
    });
    expect(by.loinc.skipped).toMatchObject({ 'other release files (not read)': 2 });
    expect(by.rxnorm).toMatchObject({ version: '2024-11-04', imported: { codes: 17, ndcs: 3, hcpcsCodesWithBrandNames: 1 } });
    expect(by.rxnorm.skipped).toMatchObject({
      'names of other sources (UMLS licence)': 1,
      'suppressed or obsolete names': 1,
      'NDCs of other sources': 1,
      'duplicate NDCs': 1,
    });
    expect(by.ndc).toMatchObject({ imported: { labelers: 3, products: 4, packages: 5 } });
    expect(by.ndc.skipped).toMatchObject({ 'products listed again under another SPL': 1, 'packages of products not in product.txt': 1 });
    // Inactive concepts are imported as retired (status deleted), so they are answered as inactive, not unknown.
    expect(by.snomedct).toMatchObject({ version: 'INT-20250101', imported: { codes: 11, inactiveCodes: 1, withSeveralParents: 1 } });
    expect(store.get('snomedct', '9100009005')?.status).toBe('deleted');
    expect(by.cpt).toMatchObject({ version: '2026', imported: { codes: 14, modifiers: 2, withConsumerDescriptor: 3 } });
  });

  it('shows every set in stats, with its notice', () => {
    const s = stats(store).systems;
    const by = Object.fromEntries(s.map((r) => [r.system, r]));
    expect(Object.keys(by)).toEqual(expect.arrayContaining(['hcpcs', 'cpt', 'loinc', 'snomedct', 'rxnorm', 'ndc']));
    expect(by.cpt.notice).toMatch(/^CPT® copyright 2025 American Medical Association\. All rights reserved\./);
    expect(by.loinc.notice).toMatch(/Regenstrief Institute, Inc\..*loinc\.org\/license/);
    expect(by.snomedct.notice).toMatch(/SNOMED International/);
    expect(by.rxnorm.notice).toMatch(/National Library of Medicine/);
    expect(by.rxnorm.effective).toBe('2024-11-04');
  });

  it('reads the release zips as well as the extracted folders', async () => {
    const other = join(dir, 'zip.db');
    const out = await runImport({ db: other, inputs: [LOINC_ZIP, RXNORM_DIR], progress: silentProgress, incremental: false });
    expect(out.map((s) => [s.system, s.version, s.imported.codes])).toEqual([
      ['loinc', '2.80', 12],
      ['rxnorm', '2024-11-04', 17],
    ]);
    const s = new Store(other);
    try {
      expect(lookup(s, 'loinc', '90001-9').display).toBe('Zentorin [Mass/volume] in Serum or Plasma');
    } finally {
      s.close();
    }
  });

  it('replaces a set and its own mappings on re-import, keeping the others', async () => {
    const count = () => store.db.prepare("SELECT count(*) FROM mappings WHERE source = 'rxnorm'").pluck().get();
    const before = count();
    await runImport({ db, inputs: [RXNORM_DIR], progress: silentProgress });
    reopen();
    expect(count()).toBe(before);
    expect(store.db.prepare("SELECT count(*) FROM index_terms WHERE system = 'hcpcs' AND source = 'rxnorm'").pluck().get()).toBe(1);
    expect(lookup(store, 'loinc', '90001-9').code).toBe('90001-9');
  });
});

describe('refusing files that are not what they claim to be', () => {
  const refused = async (input: string, ...expected: RegExp[]) => {
    const err = await runImport({ db: join(dir, 'bad.db'), inputs: [input], progress: silentProgress }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MedCodesError);
    expect((err as MedCodesError).code).toBe('parse_error');
    for (const x of expected) expect((err as MedCodesError).message).toMatch(x);
  };
  it('names the file and the problem', async () => {
    await refused(join(F, 'loinc', 'bad', 'Loinc.csv'), /^Loinc\.csv, line 1: not the LOINC table/);
    await refused(join(F, 'rxnorm', 'bad', 'RXNCONSO.RRF'), /^RXNCONSO\.RRF, line 1: not a RXNCONSO\.RRF row/);
    await refused(join(F, 'ndc', 'bad', 'product.txt'), /^product\.txt, line 1: not the NDC directory's product file/);
    await refused(join(F, 'snomedct', 'bad', 'sct2_Concept_Snapshot_INT_20250101.txt'), /not an RF2 concept file/);
    await refused(join(F, 'cpt', 'bad', 'LONGULT.txt'), /^LONGULT\.txt, line \d+: not a CPT code and descriptor line/);
  });
  it('leaves the database as it was', () => {
    expect(lookup(store, 'cpt', '99213').code).toBe('99213');
  });
});

describe('LOINC', () => {
  it('serves a term with its axes, class hierarchy and synonyms', () => {
    const doc = lookup(store, 'loinc', '90001-9');
    expect(doc).toMatchObject({
      display: 'Zentorin [Mass/volume] in Serum or Plasma',
      shortDisplay: 'Zentorin SerPl-mCnc',
      status: 'active',
      version: '2.80',
    });
    expect(doc.properties).toMatchObject({
      component: 'Zentorin',
      property: 'MCnc',
      timeAspect: 'Pt',
      system: 'Ser/Plas',
      scale: 'Qn',
      class: 'CHEM',
      status: 'ACTIVE',
      consumerName: 'Zentorin blood level',
    });
    expect(doc.parents.map((p) => p.code)).toEqual(['T-1', 'C-CHEM']);
    expect(doc.indexTerms.map((t) => t.path)).toEqual(['Zentorin SerPl-mCnc', 'Zentorin blood level', 'Zentorin [Mass/volume]']);
    expect(doc.notice).toMatch(/LOINC/);
  });
  it('keeps a deprecated term with its replacement from MapTo.csv', () => {
    const doc = lookup(store, 'loinc', '90005-0');
    expect(doc.status).toBe('deleted');
    expect(doc.history).toEqual([
      {
        version: '2.80',
        action: 'deleted',
        display: 'Zentorin [Mass/volume] in Urine (old)',
        replacedBy: [{ code: '90006-8', display: 'Zentorin [Mass/volume] in Urine' }],
      },
    ]);
  });
  it('shows the third-party copyright of a term on its page', async () => {
    const doc = lookup(store, 'loinc', '90007-6');
    expect(doc.properties?.externalCopyrightNotice).toMatch(/Example Survey Press/);
    expect(doc.notes.map((n) => n.text)).toContainEqual(
      expect.stringMatching(/^Third-party copyright: Copyright \(c\) 2020 Example Survey Press/),
    );
    const page = await (await app.request('/codes/loinc/90007-6')).text();
    expect(page).toContain('Example Survey Press');
    expect(page).toContain('Regenstrief Institute');
  });
  it('reads quoted fields with quotes and line breaks', () => {
    expect(lookup(store, 'loinc', '90009-2').notes[0].text).toBe('A made-up clinical observation with "quoted" words,\nand a line break.');
  });
  it('finds terms by words of the name and the short name', () => {
    expect(search(store, { q: 'zentorin mass serum' }).results[0]).toMatchObject({ system: 'loinc', code: '90001-9' });
    expect(search(store, { q: 'quorblasts manual' }).results[0]).toMatchObject({ system: 'loinc', code: '90004-3' });
  });
});

describe('SNOMED CT', () => {
  it('titles a concept by its US preferred term, with its FSN and synonyms', () => {
    const doc = lookup(store, 'snomedct', '9100004000');
    expect(doc.display).toBe('Glimmerflimberitis');
    expect(doc.properties).toMatchObject({
      fsn: 'Glimmer-flimber inflammation (disorder)',
      semanticTag: 'disorder',
      parents: ['9100002009', '9100003004'],
    });
    expect(doc.indexTerms.map((t) => t.path).sort()).toEqual(['Glimmer-flimber inflammation', 'Inflamed glimmer flimber']);
    expect(lookup(store, 'snomedct', '9100010000').display).toBe('Color of glimmer');
  });
  it('keeps the lowest parent as parent and the others as is-a mappings', () => {
    const doc = lookup(store, 'snomedct', '9100004000');
    expect(doc.parents.map((p) => p.code)).toEqual(['138875005', '9100001003', '9100002009']);
    expect(doc.mappings).toEqual([
      expect.objectContaining({
        direction: 'to',
        system: 'snomedct',
        code: '9100003004',
        source: 'snomed-isa',
        flags: { relation: 'is-a' },
      }),
    ]);
    expect(doc.children.map((c) => c.code)).toEqual(['9100005004', '9100006003']);
    // The second parent lists the concept among the concepts that point to it.
    expect(lookup(store, 'snomedct', '9100003004').mappings).toEqual([expect.objectContaining({ direction: 'from', code: '9100004000' })]);
  });
  it('answers inactive concepts as inactive (issue 17), and skips inactive is-a relationships', async () => {
    expect(lookup(store, 'snomedct', '9100009005').status).toBe('deleted');
    const r = await (await app.request('/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=9100009005&property=inactive')).json();
    expect(r.parameter.find((p: any) => p.name === 'property' && p.part[0].valueCode === 'inactive').part[1].valueBoolean).toBe(true);
    expect(lookup(store, 'snomedct', '9100006003').parents.at(-1)?.code).toBe('9100004000');
  });
  it('finds concepts by synonyms', () => {
    expect(search(store, { q: 'inflamed glimmer' }).results[0]).toMatchObject({ system: 'snomedct', code: '9100004000' });
  });
  it('FHIR follows every is-a parent: $subsumes, is-a value sets and their validation', async () => {
    const get = async (path: string) => (await app.request(path)).json();
    const sct = 'http://snomed.info/sct';
    const outcome = async (a: string, b: string) =>
      (await get(`/fhir/CodeSystem/$subsumes?system=${sct}&codeA=${a}&codeB=${b}`)).parameter[0].valueCode;
    // 9100004000's second parent is 9100003004 (kept as a snomed-isa mapping).
    expect(await outcome('9100003004', '9100004000')).toBe('subsumes');
    expect(await outcome('9100003004', '9100005004')).toBe('subsumes');
    expect(await outcome('9100004000', '9100003004')).toBe('subsumed-by');
    expect(await outcome('9100002009', '9100003004')).toBe('not-subsumed');
    const vs = encodeURIComponent(`${sct}?fhir_vs=isa/9100003004`);
    const expansion = await get(`/fhir/ValueSet/$expand?url=${vs}`);
    expect(expansion.expansion.contains.map((c: { code: string }) => c.code).sort()).toEqual([
      '9100003004',
      '9100004000',
      '9100005004',
      '9100006003',
    ]);
    expect(expansion.expansion.total).toBe(4);
    const v = await get(`/fhir/ValueSet/$validate-code?url=${vs}&system=${sct}&code=9100006003`);
    expect(v.parameter[0]).toEqual({ name: 'result', valueBoolean: true });
  });
  it('lists a concept under each of its parents', () => {
    expect(lookup(store, 'snomedct', '9100003004').children.map((c) => c.code)).toContain('9100004000');
    expect(lookup(store, 'snomedct', '9100002009').children.map((c) => c.code)).toContain('9100004000');
  });
});

describe('codes of the licensed sets typed as codes', () => {
  it('finds LOINC codes with their check digit, long SNOMED CT ids and dashed NDCs as codes, not words or ranges', () => {
    for (const [q, system, code] of [
      ['90001-9', 'loinc', '90001-9'],
      ['9100004000', 'snomedct', '9100004000'],
      ['0999-1433-80', 'ndc', '0999-1433-80'],
      ['12345-678', 'ndc', '12345-678'],
    ] as const) {
      const r = search(store, { q });
      expect(r.results[0], q).toMatchObject({ system, code, matched: { field: 'code' } });
    }
  });
});

describe('RxNorm and NDC', () => {
  it('serves a drug with its term type, relations and NDCs', () => {
    const doc = lookup(store, 'rxnorm', '1004');
    expect(doc).toMatchObject({
      display: 'zorbatinib 10 MG Oral Tablet [Zorbex]',
      properties: { tty: 'SBD', termType: 'Semantic branded drug' },
    });
    expect(doc.parents.map((p) => p.code)).toEqual(['T-SBD']);
    expect(doc.indexTerms.map((t) => t.path)).toEqual(['Zorbex 10 MG Tablets']);
    expect(doc.mappings.map((m) => [m.direction, m.system, m.code, m.flags?.relation ?? null])).toEqual([
      ['to', 'ndc', '0999-1433-80', null],
      ['from', 'rxnorm', '1003', 'has_tradename'],
    ]);
  });
  it('links an ingredient to its brand names', () => {
    const doc = lookup(store, 'rxnorm', '1001');
    expect(doc.mappings.filter((m) => m.flags?.relation === 'has_tradename').map((m) => m.display)).toEqual(['Zorbex']);
  });
  it('finds one package from every written form of its NDC', () => {
    for (const form of ['0999-1433-80', '00999-1433-80', '00999143380']) expect(lookup(store, 'ndc', form).code).toBe('0999-1433-80');
    for (const form of ['12345-678-01', '12345-0678-01', '12345067801']) expect(lookup(store, 'ndc', form).code).toBe('12345-678-01');
    for (const form of ['54321-0123-5', '54321-0123-05']) expect(lookup(store, 'ndc', form).code).toBe('54321-0123-5');
    expect(lookup(store, 'ndc', '12345-678').code).toBe('12345-678');
  });
  it('puts packages under products under labelers, linked to RxNorm', () => {
    const pkg = lookup(store, 'ndc', '0999-1433-80');
    expect(pkg.parents.map((p) => [p.code, p.display])).toEqual([
      ['00999', 'Testlabs Pharma Inc.'],
      ['0999-1433', 'Zorbex (zorbatinib) 10 mg/1, tablet, film coated'],
    ]);
    expect(pkg.properties).toMatchObject({ ndc10: '0999-1433-80', ndc11: '00999-1433-80' });
    expect(pkg.mappings).toEqual([
      expect.objectContaining({
        direction: 'from',
        system: 'rxnorm',
        code: '1004',
        display: 'zorbatinib 10 MG Oral Tablet [Zorbex]',
        source: 'rxnorm',
      }),
    ]);
    expect(lookup(store, 'ndc', '0999-1433').children.map((c) => c.code)).toEqual(['0999-1433-80', '0999-1433-90']);
  });
  it('searches NDCs typed in 10- and 11-digit forms', () => {
    for (const q of ['0999-1433-80', '00999-1433-80', '00999143380', '0999143380']) {
      expect(search(store, { q, systems: ['ndc'] }).results[0], q).toMatchObject({ system: 'ndc', code: '0999-1433-80' });
    }
  });
  it('adds brand names to the HCPCS drug code of their ingredient', () => {
    const hits = search(store, { q: 'mycofake' }).results;
    expect(hits.map((h) => [h.system, h.code])).toContainEqual(['hcpcs', 'J7518']);
    expect(lookup(store, 'hcpcs', 'J7518').indexTerms).toContainEqual(expect.objectContaining({ path: 'Mycofake', source: 'rxnorm' }));
    // "Buprenorphine implant" is not the ingredient alone: no brand.
    expect(lookup(store, 'hcpcs', 'J0570').indexTerms.filter((t) => t.source === 'rxnorm')).toEqual([]);
  });
  it('derives the brand names again after HCPCS is re-imported', async () => {
    await runImport({ db, inputs: [HCPCS], progress: silentProgress });
    // Re-importing HCPCS clears its index terms; run.ts derives the brand names again after an
    // HCPCS-only import (docs/LICENSED.md). The derivation is idempotent: it replaces what is there.
    store.close();
    const w = new StoreWriter(db);
    expect(deriveHcpcsBrandTerms(w.db, '2024-11-04')).toEqual({ codes: 1, terms: 1 });
    expect(deriveHcpcsBrandTerms(w.db, '2024-11-04')).toEqual({ codes: 1, terms: 1 });
    w.commit();
    w.close();
    store = new Store(db);
    expect(store.db.prepare("SELECT count(*) FROM index_terms WHERE system = 'hcpcs' AND source = 'rxnorm'").pluck().get()).toBe(1);
    expect(lookup(store, 'hcpcs', 'J7518').indexTerms).toContainEqual(expect.objectContaining({ path: 'Mycofake', source: 'rxnorm' }));
  });
});

describe('CPT', () => {
  it('serves a code with its descriptors, section and notice', () => {
    const doc = lookup(store, 'cpt', '99213');
    expect(doc).toMatchObject({
      display: 'Made-up office visit for an established patient, low complexity, 20 minutes',
      shortDisplay: 'OFFICE VISIT EST LOW',
      version: '2026',
    });
    expect(doc.properties).toMatchObject({
      category: 'I',
      mediumDescriptor: 'OFFICE VISIT ESTABLISHED PATIENT LOW',
      consumerDescriptor: 'Doctor visit for a returning patient, short',
    });
    expect(doc.parents.map((p) => p.display)).toEqual(['Evaluation and Management (Category I)']);
    expect(doc.indexTerms.map((t) => t.source)).toEqual(['cpt-consumer', 'cpt-clinician', 'cpt-clinician']);
    expect(lookup(store, 'cpt', '0999T').parents.map((p) => p.code)).toEqual(['C-III']);
    expect(lookup(store, 'cpt', '25')).toMatchObject({ kind: 'modifier', parents: [expect.objectContaining({ code: 'Modifiers' })] });
  });
  it('finds codes by consumer words', () => {
    expect(search(store, { q: 'doctor visit returning patient' }).results[0]).toMatchObject({ system: 'cpt', code: '99213' });
    expect(search(store, { q: '99213' }).results[0]).toMatchObject({ system: 'cpt', code: '99213' });
  });
  it('shows the AMA notice on the code page and in the API', async () => {
    const page = await (await app.request('/codes/cpt/99213')).text();
    expect(page).toContain('CPT® copyright 2025 American Medical Association. All rights reserved.');
    const res = await app.request('/api/v1/codes/cpt/99213');
    expect(res.status).toBe(200);
    expect((await res.json()).notice).toMatch(/^CPT® copyright 2025 American Medical Association/);
    // The AMA asks for its notice before the first CPT content shown.
    expect(page.indexOf('CPT® copyright')).toBeLessThan(page.indexOf('<h2 id="art-summary">'));
    expect(page.match(/CPT® copyright/g)).toHaveLength(1);
  });
});

describe('similar codes in CPT', () => {
  it('relates the levels of one service, as on the reference page (64490 / 64491 / 64492)', () => {
    const similar = lookup(store, 'cpt', '64491').similar;
    const level = similar.filter((s) => s.relation === 'level').map((s) => s.code);
    expect(level.sort()).toEqual(['64490', '64492']);
    expect(similar.find((s) => s.code === '64490')!.reason).toMatch(/level/i);
  });
});

describe('code pages of the licensed sets', () => {
  const page = async (path: string) => (await app.request(path)).text();
  it('say what each concept is and show the release fields under their documented names', async () => {
    const loinc = await page('/codes/loinc/90001-9');
    expect(loinc).toContain('<span>LOINC term, status active (orderable and result)</span>');
    expect(loinc).toContain('<h2>LOINC parts</h2>');
    expect(loinc).toContain('<tr><th scope="row">Component (COMPONENT)</th><td>Zentorin</td></tr>');
    expect(loinc).toContain('90001-9 is a LOINC term:');
    expect(loinc).not.toMatch(/billable LOINC/);
    const snomed = await page('/codes/snomedct/9100004000');
    expect(snomed).toContain('<span>SNOMED CT concept (disorder)</span>');
    expect(snomed).toContain('<tr><th scope="row">Fully specified name</th><td>Glimmer-flimber inflammation (disorder)</td></tr>');
    expect(snomed).toContain('It is a kind of Glimmer organ disorder (9100002009) and of Flimber system disorder (9100003004).');
    const ndc = await page('/codes/ndc/0999-1433-80');
    expect(ndc).toContain('<span>NDC package code</span>');
    expect(ndc).toContain('<tr><th scope="row">NDC (11-digit, 5-4-2)</th><td>00999-1433-80</td></tr>');
  });
  it('show RxNorm relations, NDC links and further SNOMED CT parents as relations, not crosswalks', async () => {
    const rx = await page('/codes/rxnorm/1001');
    expect(rx).toContain('<h2>Relations</h2>');
    expect(rx).toMatch(/<h3>Has tradename<\/h3><ul><li><a class="code" href="\/codes\/rxnorm\/1002">1002<\/a> Zorbex<\/li>/);
    expect(rx).toMatch(/<h3>Ingredient of<\/h3>/);
    expect(rx).not.toContain('<h2>Crosswalks</h2>');
    expect(await page('/codes/rxnorm/1004')).toMatch(/<h3>NDC packages<\/h3><ul><li><a class="code" href="\/codes\/ndc\/0999-1433-80">/);
    expect(await page('/codes/ndc/0999-1433-80')).toMatch(/<h3>RxNorm concept<\/h3>/);
    expect(await page('/codes/snomedct/9100004000')).toMatch(
      /<h3>Also a subtype of<\/h3><ul><li><a class="code" href="\/codes\/snomedct\/9100003004">/,
    );
  });
});

describe('API and CLI', () => {
  it('answers the API for every set', async () => {
    for (const [system, code] of [
      ['loinc', '90001-9'],
      ['snomedct', '9100004000'],
      ['rxnorm', '1001'],
      ['ndc', '00999-1433-80'],
      ['cpt', '0999U'],
    ]) {
      const res = await app.request(`/api/v1/codes/${system}/${encodeURIComponent(code)}`);
      expect(res.status, `${system} ${code}`).toBe(200);
    }
    const sys = await (await app.request('/api/v1/systems')).json();
    expect(JSON.stringify(sys)).toContain('snomedct');
  });
  it('browses a set from its top level', async () => {
    const res = await app.request('/codes/rxnorm');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Ingredient (IN)');
  });
  it('imports with one command and prints a line per set', async () => {
    const copy = join(dir, 'cli-input');
    cpSync(CPT_DIR, copy, { recursive: true });
    const r = await cli('import', copy, NDC_DIR);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual([
      'cpt 2026: imported 14 codes, 2 modifiers, 6 synonyms, 11 withShortDescriptor, 3 withConsumerDescriptor; skipped 1 other release files (not read)',
      expect.stringMatching(
        /^ndc \d{4}-\d\d-\d\d: imported 3 labelers, 4 products, 5 packages; skipped 1 products listed again under another SPL, 1 packages of products not in product.txt$/,
      ),
    ]);
    reopen();
  });
});
