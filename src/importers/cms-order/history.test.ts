import { describe, it, expect } from 'vitest';
import { buildHistory } from './history.js';
import type { OrderRecord } from './order.js';

const rec = (code: string, longTitle: string, valid = true): OrderRecord => ({
  order: 0,
  code,
  valid,
  shortTitle: longTitle,
  longTitle,
  line: 0,
});

describe('history from consecutive order files', () => {
  const releases = [
    {
      fiscalYear: 2016,
      records: [rec('B880', 'Other acariasis'), rec('A047', 'Enterocolitis due to Clostridium difficile'), rec('Z99', 'Dependence', false)],
    },
    {
      fiscalYear: 2017,
      records: [
        rec('B880', 'Other acariasis'),
        rec('A0471', 'Enterocolitis due to C diff, recurrent'),
        rec('A047', 'Enterocolitis due to Clostridium difficile', false),
        rec('Z99', 'Dependence on enabling machines', false),
      ],
    },
    {
      fiscalYear: 2026,
      records: [
        rec('B880', 'Other acariasis', false),
        rec('B8801', 'Infestation by Demodex mites'),
        rec('A0471', 'Enterocolitis due to C diff, recurrent'),
        rec('A047', 'Enterocolitis due to Clostridium difficile', false),
      ],
    },
  ];
  const { events, deleted } = buildHistory('icd10cm', releases, (key, fy) => (key === 'Z99' && fy === 2026 ? ['Z991'] : []));

  it('marks additions, revisions, billable changes and deletions with their year', () => {
    const of = (k: string) => events.filter((e) => e.key === k).map((e) => [e.version, e.action]);
    expect(of('B880')).toEqual([
      ['FY2016', 'added'],
      ['FY2026', 'revised'],
    ]);
    expect(events.find((e) => e.key === 'B880' && e.action === 'revised')!.billableChange).toEqual({ from: true, to: false });
    expect(of('A0471')).toEqual([['FY2017', 'added']]);
    expect(events.find((e) => e.key === 'Z99' && e.action === 'revised')).toMatchObject({
      version: 'FY2017',
      previousDisplay: 'Dependence',
      display: 'Dependence on enabling machines',
    });
    expect(events.find((e) => e.key === 'Z99' && e.action === 'deleted')).toMatchObject({ version: 'FY2026', replacedBy: ['Z991'] });
  });

  it('keeps the last record of each deleted code', () => {
    expect([...deleted.keys()]).toEqual(['Z99']);
    expect(deleted.get('Z99')).toMatchObject({ lastYear: 2017, deletedIn: 2026 });
  });
});
