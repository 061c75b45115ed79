import { describe, it, expect } from 'vitest';
import { codeShapeHint } from './codes.js';

describe('codeShapeHint', () => {
  it('recognises CPT shapes and says the AMA licenses them', () => {
    expect(codeShapeHint('99213')?.kind).toBe('cpt-category-1');
    expect(codeShapeHint('3074F')?.kind).toBe('cpt-category-2');
    expect(codeShapeHint('0042t')?.kind).toBe('cpt-category-3');
    expect(codeShapeHint('0001U')?.kind).toBe('cpt-pla');
    expect(codeShapeHint('25')?.kind).toBe('cpt-modifier');
    expect(codeShapeHint('99213')?.message).toMatch(/American Medical Association/);
    expect(codeShapeHint('99213')?.message).toMatch(/LICENSED\.md/);
  });
  it('relates CPT modifier 59 to the HCPCS X{EPSU} modifiers', () => {
    expect(codeShapeHint('59')?.related).toEqual(['XE', 'XP', 'XS', 'XU']);
  });
  it('gives nothing for other codes', () => {
    expect(codeShapeHint('E11.9')).toBeUndefined();
    expect(codeShapeHint('J3420')).toBeUndefined();
    expect(codeShapeHint('5')).toBeUndefined();
    expect(codeShapeHint('1234')).toBeUndefined();
  });
});
