import { describe, it, expect } from 'vitest';
import { clean, tokenize, terms, variants, singular, editDistance, allowedEdits } from './text.js';

describe('search text steps', () => {
  it('cleans diacritics, case and control characters', () => {
    expect(clean('Ménière\u0000S')).toBe('meniere s');
    expect(tokenize("Athlete's foot, Colles' fracture")).toEqual(['athletes', 'foot', 'colles', 'fracture']);
    expect(tokenize('Non-ST elevation (NSTEMI)')).toEqual(['non', 'st', 'elevation', 'nstemi']);
  });
  it('drops function words but keeps the ones that decide between codes', () => {
    expect(terms('Type 2 diabetes mellitus without complications')).toEqual([
      'type',
      '2',
      'diabetes',
      'mellitus',
      'without',
      'complications',
    ]);
    expect(terms('Fracture of the lower end of radius')).toEqual(['fracture', 'lower', 'end', 'radius']);
  });
  it('gives plural and singular variants, leaving -is, -us, -ss words alone', () => {
    expect(variants('fractures')).toEqual(['fracture']);
    expect(variants('injuries')).toEqual(['injury']);
    expect(variants('injury')).toEqual(['injuries']);
    expect(variants('arthritis')).toEqual([]);
    expect(variants('abscess')).toEqual([]);
    expect(singular('attacks')).toBe('attack');
    expect(singular('calculus')).toBe('calculus');
  });
  it('counts edits with transpositions and stops past the bound', () => {
    expect(editDistance('pnuemonia', 'pneumonia', 2)).toBe(1);
    expect(editDistance('diabetis', 'diabetes', 2)).toBe(1);
    expect(editDistance('asthama', 'asthma', 1)).toBe(1);
    expect(editDistance('heart', 'hernia', 1)).toBe(2);
    expect(allowedEdits('lung')).toBe(0);
    expect(allowedEdits('asthma')).toBe(1);
    expect(allowedEdits('pneumonia')).toBe(2);
  });
});

describe('americanize', () => {
  it('spells British medical words the American way', async () => {
    const { americanize } = await import('./text.js');
    expect(americanize('anaemia')).toBe('anemia');
    expect(americanize('haemorrhoids')).toBe('hemorrhoids');
    expect(americanize('oesophagitis')).toBe('esophagitis');
    expect(americanize('caesarean')).toBe('cesarean');
    expect(americanize('tumour')).toBe('tumor');
    expect(americanize('paralyse')).toBe('paralyze');
    expect(americanize('immunisation')).toBe('immunization');
    expect(americanize('fibre')).toBe('fiber');
    expect(americanize('toes')).toBe('toes');
  });
});
