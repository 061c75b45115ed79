import { describe, it, expect } from 'vitest';
import { useTestApp } from '../helpers.js';
import { similarCodes, type SimilarCode } from '../../src/similar/similar.js';
import type { SystemId } from '../../src/model.js';

/**
 * Similar codes on cases where the classification's structure gives the answer: the other side of a
 * lateral code, the other encounters of a 7th-character code, the other codes of a category, a PCS
 * code one character apart, a diabetes type.
 */
const testApp = useTestApp();
const similar = (system: SystemId, key: string, limit?: number) => similarCodes(testApp.store(), system, key, limit);
const find = (list: SimilarCode[], code: string) => list.find((c) => c.code === code);

describe('similar codes', () => {
  it('S72.001A: the left and unspecified sides first, then other encounters of the same fracture', () => {
    const s = similar('icd10cm', 'S72001A');
    expect(s.slice(0, 2).map((c) => [c.code, c.relation])).toEqual([
      ['S72.002A', 'laterality'],
      ['S72.009A', 'laterality'],
    ]);
    expect(find(s, 'S72.002A')!.reason).toBe('Differs only in laterality: “left” instead of “right”');
    expect(find(s, 'S72.001D')).toMatchObject({
      relation: 'encounter',
      reason: 'Same condition, another encounter (7th character D): subsequent encounter for closed fracture with routine healing',
    });
    expect(find(s, 'S72.001S')?.relation).toBe('encounter');
    // At most three encounter variants: the list is not crowded by all 16 of them.
    expect(s.filter((c) => c.relation === 'encounter').length).toBeLessThanOrEqual(3);
    expect(s.every((c) => c.billable && c.code !== 'S72.001A')).toBe(true);
  });

  it('I21.4: the other acute myocardial infarctions of category I21', () => {
    const s = similar('icd10cm', 'I214');
    const siblings = s.filter((c) => c.code.startsWith('I21.')).map((c) => c.code);
    expect(siblings).toEqual(expect.arrayContaining(['I21.0', 'I21.1', 'I21.2', 'I21.3', 'I21.9', 'I21.A']));
    expect(find(s, 'I21.9')!.reason).toBe('Also in category I21 (Acute myocardial infarction)');
    expect(find(s, 'I22.2')).toMatchObject({ relation: 'variant', reason: 'Same title with “Subsequent” added' });
  });

  it('0DTJ4ZZ: the same resection of the appendix by another approach, first', () => {
    const s = similar('icd10pcs', '0DTJ4ZZ');
    expect(s[0]).toMatchObject({
      code: '0DTJ0ZZ',
      relation: 'approach',
      reason: 'Same procedure, differs only in approach (character 5): Open instead of Percutaneous Endoscopic',
    });
    expect(find(s, '0DTJ4ZG')).toMatchObject({ relation: 'qualifier' });
    // Another body part ranks after every other approach, device or qualifier of the appendix.
    const firstBodyPart = s.findIndex((c) => c.relation === 'body-part');
    expect(s.slice(0, firstBodyPart).every((c) => c.code.startsWith('0DTJ'))).toBe(true);
  });

  it('E11.9: type 1 diabetes without complications is one word away; no parent or child of its own', () => {
    const s = similar('icd10cm', 'E119');
    expect(find(s, 'E10.9')).toMatchObject({ relation: 'variant', reason: 'Same title except “1” instead of “2”' });
    expect(s.some((c) => c.code === 'E11' || c.code.startsWith('E11.9'))).toBe(false);
    const e11 = similar('icd10cm', 'E11');
    expect(e11[0]).toMatchObject({ code: 'E10', relation: 'variant' });
    expect(e11.every((c) => !c.code.startsWith('E11'))).toBe(true);
  });

  it('crosswalks: codes that the GEMs translate to the same ICD-9-CM code (not as a part of a combination)', () => {
    // A06.81 Amebic cystitis and A06.3 Ameboma of intestine both translate to 006.8 (2018 GEMs).
    const s = similar('icd10cm', 'A0681', 20);
    expect(find(s, 'A06.3')).toMatchObject({ relation: 'crosswalk', reason: 'Both translate to ICD-9-CM 006.8 in the GEMs' });
    // A18.01 shares 720.81 with M49.8- only inside combinations: no crosswalk relation.
    expect(similar('icd10cm', 'A1801', 20).filter((c) => c.relation === 'crosswalk')).toEqual([]);
  });

  it('limits, unknown codes, and every answer in the documented shape', () => {
    expect(similar('icd10cm', 'S72001A', 3)).toHaveLength(3);
    expect(similar('icd10cm', 'NOPE')).toEqual([]);
    for (const c of similar('hcpcs', 'E0143')) {
      expect(Object.keys(c).sort()).toEqual(['billable', 'code', 'display', 'reason', 'relation', 'score', 'status', 'system']);
      expect(c.reason.length).toBeGreaterThan(10);
      expect(c.score).toBeGreaterThan(0);
    }
  });

  it('HCPCS drugs: another form of the same drug before other drugs, never a drug swapped for another as a "variant"', () => {
    const sim = similarCodes(testApp.store(), 'hcpcs', 'J1100', 10);
    expect(sim[0].display.toLowerCase()).toContain('dexamethasone');
    expect(sim.filter((s) => s.relation === 'variant').every((s) => s.display.toLowerCase().includes('dexamethasone'))).toBe(true);
    // The letter group (all J codes) is no reason to be similar.
    expect(sim.some((s) => s.relation === 'sibling')).toBe(false);
    // Walkers: the other walkers by what differs.
    const walkers = similarCodes(testApp.store(), 'hcpcs', 'E0143', 6);
    expect(walkers.every((s) => /walker/i.test(s.display))).toBe(true);
  });

  it('served in the code document and on the code page', async () => {
    const res = await testApp.app().request('/api/v1/codes/icd10cm/S72.001A');
    const body = await res.json();
    expect(body.similar[0]).toMatchObject({ system: 'icd10cm', code: 'S72.002A', relation: 'laterality' });
    const page = await (await testApp.app().request('/codes/icd10cm/S72.001A')).text();
    expect(page).toContain('<h2>Similar codes</h2>');
    expect(page).toContain(
      '<a class="code" href="/codes/icd10cm/S72.002A">S72.002A</a> Fracture of unspecified part of neck of left femur, initial encounter for closed fracture<br><span class="muted">Differs only in laterality: “left” instead of “right”</span>',
    );
  });
});
