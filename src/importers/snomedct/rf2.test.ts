import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { expectParseError } from '../../../test/helpers.js';
import { sourceLines, classify } from '../release.js';
import { utf8Lines } from '../lines.js';
import {
  readConcepts,
  readDescriptions,
  readLanguage,
  readRelationships,
  rf2HeaderProblem,
  rf2KindOf,
  rf2ReleaseOf,
  semanticTag,
} from './rf2.js';
import { bySctid, SNOMED_LAYOUT } from './import.js';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/snomedct/SnomedCT_MadeUpRF2_PRODUCTION_20250101T120000Z/', import.meta.url));
const SNAP = `${ROOT}Snapshot/`;
const all = async <T>(g: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

describe('RF2 file names', () => {
  it('recognises the Snapshot files read, not Full, Delta or stated relationships', () => {
    expect(rf2KindOf('sct2_Concept_Snapshot_INT_20250101.txt')).toBe('concept');
    expect(rf2KindOf('sct2_Description_Snapshot-en_US1000124_20250301.txt')).toBe('description');
    expect(rf2KindOf('sct2_Relationship_Snapshot_INT_20250101.txt')).toBe('relationship');
    expect(rf2KindOf('der2_cRefset_LanguageSnapshot-en_INT_20250101.txt')).toBe('language');
    expect(rf2KindOf('sct2_StatedRelationship_Snapshot_INT_20250101.txt')).toBeUndefined();
    expect(rf2KindOf('sct2_Concept_Full_INT_20250101.txt')).toBeUndefined();
    expect(rf2KindOf('sct2_RelationshipConcreteValues_Snapshot_INT_20250101.txt')).toBeUndefined();
    expect(rf2ReleaseOf('sct2_Concept_Snapshot_US1000124_20250301.txt')).toEqual({ edition: 'US1000124', date: '20250301' });
    expect(rf2ReleaseOf('sct2_Concept_Snapshot_INT_20250101.txt')).toEqual({ edition: 'INT', date: '20250101' });
  });
  it('claims the other files of an extracted release', async () => {
    expect(await classify(`${ROOT}Full/Terminology/sct2_Concept_Full_INT_20250101.txt`, SNOMED_LAYOUT)).toEqual({ sources: [], other: 1 });
    expect(await classify(`${ROOT}Readme_en_20250101.txt`, SNOMED_LAYOUT)).toEqual({ sources: [], other: 1 });
  });

  it('claims the other files of an extract laid out as Terminology/ and Refset/ (HL7 test subontology layout)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sct-'));
    try {
      mkdirSync(join(dir, 'Terminology'));
      mkdirSync(join(dir, 'Refset', 'Metadata'), { recursive: true });
      const concept = join(dir, 'Terminology', 'sct2_Concept_Snapshot_INT_20250909.txt');
      writeFileSync(concept, 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n');
      writeFileSync(join(dir, 'Terminology', 'sct2_TextDefinition_Snapshot-en_INT_20250909.txt'), 'x\n');
      writeFileSync(join(dir, 'Refset', 'Metadata', 'der2_ssRefset_ModuleDependencySnapshot_INT_20250909.txt'), 'x\n');
      writeFileSync(join(dir, 'Readme.txt'), 'x\n');
      expect((await classify(concept, SNOMED_LAYOUT)).sources).toHaveLength(1);
      for (const f of [
        join(dir, 'Terminology', 'sct2_TextDefinition_Snapshot-en_INT_20250909.txt'),
        join(dir, 'Refset', 'Metadata', 'der2_ssRefset_ModuleDependencySnapshot_INT_20250909.txt'),
        join(dir, 'Readme.txt'),
      ])
        expect(await classify(f, SNOMED_LAYOUT)).toEqual({ sources: [], other: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RF2 rows', () => {
  it('reads concepts, descriptions, relationships and language members', async () => {
    const c = await all(readConcepts(sourceLines({ file: `${SNAP}Terminology/sct2_Concept_Snapshot_INT_20250101.txt` }), 'c.txt'));
    expect(c).toHaveLength(12);
    expect(c.find((x) => x.id === '9100009005')).toMatchObject({ active: false, effectiveTime: '20250101' });
    const d = await all(
      readDescriptions(sourceLines({ file: `${SNAP}Terminology/sct2_Description_Snapshot-en_INT_20250101.txt` }), 'd.txt'),
    );
    expect(d[0]).toEqual({
      id: '9200001011',
      effectiveTime: '20250101',
      active: true,
      conceptId: '138875005',
      languageCode: 'en',
      typeId: '900000000000003001',
      term: 'Made-up root concept (root)',
      line: 2,
    });
    const r = await all(
      readRelationships(sourceLines({ file: `${SNAP}Terminology/sct2_Relationship_Snapshot_INT_20250101.txt` }), 'r.txt'),
    );
    expect(r.filter((x) => x.sourceId === '9100004000').map((x) => x.destinationId)).toEqual(['9100003004', '9100002009']);
    const l = await all(
      readLanguage(sourceLines({ file: `${SNAP}Refset/Language/der2_cRefset_LanguageSnapshot-en_INT_20250101.txt` }), 'l.txt'),
    );
    expect(l[0]).toMatchObject({
      refsetId: '900000000000509007',
      referencedComponentId: '9200001011',
      acceptabilityId: '900000000000548007',
    });
  });
  it('refuses a file whose header or rows are not RF2, naming file and line', async () => {
    expect(rf2HeaderProblem('conceptId,term', 'concept')).toMatch(/^not an RF2 concept file/);
    await expectParseError(all(readConcepts(utf8Lines(['conceptId,term\r\n']), 'c.txt')), 'c.txt, line 1', 'not an RF2 concept file');
    const head = 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n';
    await expectParseError(
      all(readConcepts(utf8Lines([`${head}9100001003\t20250101\t1\n`]), 'c.txt')),
      'c.txt, line 2',
      '3 fields where an RF2 concept row has 5',
    );
    await expectParseError(all(readConcepts(utf8Lines([`${head}9100001003\t20250101\tyes\t1\t2\n`]), 'c.txt')), 'active is "yes"');
    await expectParseError(all(readConcepts(utf8Lines([`${head}12ab\t20250101\t1\t1\t2\n`]), 'c.txt')), 'is not an SCTID');
  });
  it('orders SCTIDs numerically past 2^53 and reads semantic tags', () => {
    expect(['900000000000509007', '138875005', '9100002009'].sort(bySctid)).toEqual(['138875005', '9100002009', '900000000000509007']);
    expect(['999999999999999999', '999999999999999998'].sort(bySctid)).toEqual(['999999999999999998', '999999999999999999']);
    expect(semanticTag('Myocardial infarction (disorder)')).toBe('disorder');
    expect(semanticTag('No tag')).toBeUndefined();
  });
});
