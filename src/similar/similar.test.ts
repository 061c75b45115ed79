import { describe, it, expect } from 'vitest';
import { classifyDiff, titleDiff } from './similar.js';

const classify = (a: string, b: string) => classifyDiff(titleDiff(a, b), a.split(/\s+/).length);

describe('title differences', () => {
  it('finds the one span in which two titles differ', () => {
    expect(
      titleDiff('Fracture of neck of right femur, initial encounter', 'Fracture of neck of left femur, initial encounter'),
    ).toMatchObject({ mine: 'right', theirs: 'left' });
    expect(titleDiff('Type 2 diabetes mellitus', 'Type 2 diabetes mellitus, in remission')).toMatchObject({
      mine: '',
      theirs: 'in remission',
    });
  });

  it('laterality: right, left, bilateral, unspecified side', () => {
    expect(classify('Primary osteoarthritis, right knee', 'Primary osteoarthritis, left knee')).toMatchObject({
      relation: 'laterality',
      reason: 'Differs only in laterality: “left” instead of “right”',
    });
    expect(classify('Otitis media, right ear', 'Otitis media, bilateral')?.relation).toBe('laterality');
    expect(classify('Cataract, bilateral', 'Cataract, unspecified eye')?.relation).toBe('laterality');
    expect(classify('Fracture of right femur', 'Fracture of left tibia')?.relation).not.toBe('laterality');
    expect(classify('Cataract of right eye', 'Cataract of unspecified eye')?.relation).toBe('laterality');
  });

  it('levels: first / second / each additional (made-up titles in the shape of add-on codes)', () => {
    const base = 'Nerve block injection, lumbar, with imaging';
    expect(classify(`${base}; single level`, `${base}; second level`)).toMatchObject({
      relation: 'level',
      reason: 'Another level of the same service: “second” instead of “single”',
    });
    expect(classify(`${base}; second level`, `${base}; third and any additional level`)?.relation).toBe('level');
  });

  it('variants keep most of the title; different things are not variants', () => {
    expect(classify('Type 2 diabetes mellitus without complications', 'Type 1 diabetes mellitus without complications')).toMatchObject({
      relation: 'variant',
      reason: 'Same title except “1” instead of “2”',
    });
    expect(classify('Injection, dexamethasone sodium phosphate, 1 mg', 'Injection, busulfan, 1 mg')).toBeUndefined();
    expect(classify('Acute appendicitis', 'Acute appendicitis')).toBeUndefined();
  });

  it('variants are weighed by how rare the differing words are, not only by how many', () => {
    // Four of six words shared, but the two that differ name the drug: not a variant once weighed.
    const rare = new Set(['dexamethasone', 'sodium', 'tedizolid', 'phosphate']);
    const weights = { of: (w: string) => (rare.has(w) ? 8 : 2), total: 0 };
    const mine = 'Injection, dexamethasone sodium phosphate, 1 mg';
    weights.total = mine
      .split(/\s+/)
      .map((w) => w.toLowerCase().replace(/[^a-z0-9]/g, ''))
      .reduce((s, w) => s + weights.of(w), 0);
    const d = titleDiff(mine, 'Injection, tedizolid phosphate, 1 mg');
    expect(classifyDiff(d, 6)?.relation).toBe('variant');
    expect(classifyDiff(d, 6, weights)).toBeUndefined();
    // Diabetes type 1 / type 2: the differing word is common, the shared ones carry the title.
    const t = 'Type 2 diabetes mellitus without complications';
    const w2 = { of: (w: string) => (['diabetes', 'mellitus', 'complications'].includes(w) ? 8 : 2), total: 0 };
    w2.total = t
      .split(/\s+/)
      .map((w) => w.toLowerCase())
      .reduce((s, w) => s + w2.of(w), 0);
    expect(classifyDiff(titleDiff(t, 'Type 1 diabetes mellitus without complications'), 6, w2)?.relation).toBe('variant');
  });
});
