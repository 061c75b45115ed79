import { describe, expect, it } from 'vitest';
import { updateCheckHours } from './schedule.js';

describe('MEDCODES_UPDATE_CHECK', () => {
  it('is off unless set to the hours between checks', () => {
    expect(updateCheckHours({})).toBe(0);
    expect(updateCheckHours({ MEDCODES_UPDATE_CHECK: '0' })).toBe(0);
    expect(updateCheckHours({ MEDCODES_UPDATE_CHECK: 'off' })).toBe(0);
    expect(updateCheckHours({ MEDCODES_UPDATE_CHECK: '24' })).toBe(24);
    expect(() => updateCheckHours({ MEDCODES_UPDATE_CHECK: 'daily' })).toThrow(/MEDCODES_UPDATE_CHECK must be the hours between checks/);
    expect(() => updateCheckHours({ MEDCODES_UPDATE_CHECK: '0.1' })).toThrow(/1 or more/);
  });
});
