import { describe, it, expect } from 'vitest';
import { classifyDiff, titleDiff } from './similar.js';

const classify = (a: string, b: string) => classifyDiff(titleDiff(a, b), a.split(/\s+/).length);

describe('title differences', () => {
  it('finds the one span in which two titles differ', () => {
    expect(titleDiff('Fracture of neck of right femur, initial encounter', 'Fracture of neck of left femur, initial encounter')).toMatchObject({ mine: 'right', theirs: 'left' });
    expect(titleDiff('Type 2 diabetes mellitus', 'Type 2 diabetes mellitus, in remission')).toMatchObject({ mine: '', theirs: 'in remission' });
  });

  it('laterality: right, left, bilateral, unspecified side', () => {
    expect(classify('Primary osteoarthritis, right knee', 'Primary osteoarthritis, left knee')).toMatchObject({ relation: 'laterality', reason: 'Differs only in laterality: “left” instead of “right”' });
    expect(classify('Otitis media, right ear', 'Otitis media, bilateral')?.relation).toBe('laterality');
    expect(classify('Cataract, bilateral', 'Cataract, unspecified eye')?.relation).toBe('laterality');
    expect(classify('Fracture of right femur', 'Fracture of left tibia')?.relation).not.toBe('laterality');
    expect(classify('Cataract of right eye', 'Cataract of unspecified eye')?.relation).toBe('laterality');
  });

  it('levels: first / second / each additional (made-up titles in the shape of add-on codes)', () => {
    const base = 'Nerve block injection, lumbar, with imaging';
    expect(classify(`${base}; single level`, `${base}; second level`)).toMatchObject({ relation: 'level', reason: 'Another level of the same service: “second” instead of “single”' });
    expect(classify(`${base}; second level`, `${base}; third and any additional level`)?.relation).toBe('level');
  });

  it('variants keep most of the title; different things are not variants', () => {
    expect(classify('Type 2 diabetes mellitus without complications', 'Type 1 diabetes mellitus without complications')).toMatchObject({ relation: 'variant', reason: 'Same title except “1” instead of “2”' });
    expect(classify('Injection, dexamethasone sodium phosphate, 1 mg', 'Injection, busulfan, 1 mg')).toBeUndefined();
    expect(classify('Acute appendicitis', 'Acute appendicitis')).toBeUndefined();
  });
});
