import { describe, it, expect } from 'vitest';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  collect,
  decomposePcsCode,
  expandPcsRow,
  expandPcsTable,
  isValidPcsCode,
  parsePcsTables,
  parsePcsTablesString,
  PcsTableIndex,
  type PcsXmlHeader,
} from './tables.js';
import { expectParseError } from '../../../test/helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SLICE = `${root}test/fixtures/icd10pcs/icd10pcs_tables_2026-slice.xml`;
const FULL = `${root}data/icd10pcs/xml/icd10pcs_tables_2026.xml`;
const ORDER_ZIP = `${root}data/icd10pcs/order/cms_2026_pr.zip`;
const slice = readFileSync(SLICE, 'utf8');

describe('parsePcsTables (slice of icd10pcs_tables_2026.xml)', () => {
  it('reads the header and the four tables with their axes', async () => {
    const { header, tables } = await parsePcsTablesString(slice, 'slice.xml');
    expect(header).toEqual({ version: '2026', title: '2026 ICD-10-PCS Tables' });
    expect(tables.map((t) => t.code)).toEqual(['001', '0DT', 'D70', 'XNS']);
    const t = tables[1];
    expect(t.section).toEqual({ pos: 1, title: 'Section', value: { code: '0', text: 'Medical and Surgical' } });
    expect(t.bodySystem).toEqual({ pos: 2, title: 'Body System', value: { code: 'D', text: 'Gastrointestinal System' } });
    expect(t.operation).toEqual({
      pos: 3,
      title: 'Operation',
      value: { code: 'T', text: 'Resection' },
      definition: 'Cutting out or off, without replacement, all of a body part',
    });
    expect(t.rows.map((r) => r.codes)).toEqual([68, 6, 4, 16, 8, 4]);
    expect(t.rows[2].axes).toEqual([
      {
        pos: 4,
        title: 'Body Part',
        values: [
          { code: 'F', text: 'Large Intestine, Right' },
          { code: 'J', text: 'Appendix' },
        ],
      },
      { pos: 5, title: 'Approach', values: [{ code: '4', text: 'Percutaneous Endoscopic' }] },
      { pos: 6, title: 'Device', values: [{ code: 'Z', text: 'No Device' }] },
      {
        pos: 7,
        title: 'Qualifier',
        values: [
          { code: 'G', text: 'Hand-Assisted' },
          { code: 'Z', text: 'No Qualifier' },
        ],
      },
    ]);
    expect(t.line).toBe(98);
    // Section D has no operation definition, and entities are decoded.
    const d = tables[2];
    expect(d.operation).toEqual({ pos: 3, title: 'Modality', value: { code: '0', text: 'Beam Radiation' } });
    expect(d.rows[0].axes[1].title).toBe('Modality Qualifier');
    expect(d.rows[0].axes[1].values[0]).toEqual({ code: '0', text: 'Photons <1 MeV' });
  });

  it('streams from a byte stream the same as from a string', async () => {
    const fromStream = await collect(parsePcsTables(createReadStream(SLICE, { highWaterMark: 97 }), { file: SLICE }));
    const { tables } = await parsePcsTablesString(slice);
    expect(fromStream).toEqual(tables);
  });

  it('expands rows into their cartesian product', async () => {
    const { tables } = await parsePcsTablesString(slice);
    const t = tables[1];
    expect(expandPcsRow(t, t.rows[2])).toEqual(['0DTF4ZG', '0DTF4ZZ', '0DTJ4ZG', '0DTJ4ZZ']);
    const all = expandPcsTable(t);
    expect(all).toHaveLength(106);
    expect(new Set(all).size).toBe(106);
    expect(all[0]).toBe('0DT10ZZ');
    expect(tables.flatMap(expandPcsTable)).toHaveLength(147 + 106 + 72 + 42);
  });

  it('decomposes 0DTJ4ZZ into its seven axes', async () => {
    const index = new PcsTableIndex((await parsePcsTablesString(slice)).tables);
    expect(decomposePcsCode('0DTJ4ZZ', index)).toEqual([
      { pos: 1, char: '0', axisTitle: 'Section', label: 'Medical and Surgical' },
      { pos: 2, char: 'D', axisTitle: 'Body System', label: 'Gastrointestinal System' },
      {
        pos: 3,
        char: 'T',
        axisTitle: 'Operation',
        label: 'Resection',
        definition: 'Cutting out or off, without replacement, all of a body part',
      },
      { pos: 4, char: 'J', axisTitle: 'Body Part', label: 'Appendix' },
      { pos: 5, char: '4', axisTitle: 'Approach', label: 'Percutaneous Endoscopic' },
      { pos: 6, char: 'Z', axisTitle: 'Device', label: 'No Device' },
      { pos: 7, char: 'Z', axisTitle: 'Qualifier', label: 'No Qualifier' },
    ]);
    expect(isValidPcsCode('0dtj4zz', index)).toBe(true);
    // 0DTJ with approach 3 (Percutaneous) is in no row; 0DTJ4ZX has no qualifier X.
    expect(decomposePcsCode('0DTJ3ZZ', index)).toBeUndefined();
    expect(isValidPcsCode('0DTJ4ZX', index)).toBe(false);
    expect(decomposePcsCode('0DX', index)).toBeUndefined();
    expect(decomposePcsCode('0DTI4ZZ', index)).toBeUndefined();
  });

  it('takes labels from the row that holds the code, and flags partial codes whose rows disagree', async () => {
    const index = new PcsTableIndex((await parsePcsTablesString(slice)).tables);
    // In XNS, body part 4 is "Thoracic Vertebra" in some rows and "Humeral Shaft, Right" in others.
    expect(decomposePcsCode('XNS40GA', index)?.[3]).toEqual({ pos: 4, char: '4', axisTitle: 'Body Part', label: 'Humeral Shaft, Right' });
    expect(decomposePcsCode('XNS4032', index)?.[3].label).toBe('Thoracic Vertebra');
    expect(decomposePcsCode('XNS4', index)?.[3]).toEqual({
      pos: 4,
      char: '4',
      axisTitle: 'Body Part',
      label: 'Thoracic Vertebra',
      otherLabels: ['Humeral Shaft, Right'],
    });
    expect(decomposePcsCode('0D', index)?.map((c) => c.label)).toEqual(['Medical and Surgical', 'Gastrointestinal System']);
    expect(decomposePcsCode('D70', index)?.[2].axisTitle).toBe('Modality');
  });
});

describe('parsePcsTables errors', () => {
  it('names file and line of truncated XML', async () => {
    const cut = slice.slice(0, slice.indexOf('<label code="J">Appendix</label>') + 20);
    const line = cut.split('\n').length;
    const err = await expectParseError(collect(parsePcsTables(cut, { file: 'cut.xml' })), /truncated/);
    expect(err.message).toContain(`cut.xml, line ${line}`);
  });

  it('names file and line of malformed XML', async () => {
    const bad = slice.replace('<label code="J">Appendix</label>', '<label code="J">Appendix</lable>');
    const line = bad.slice(0, bad.indexOf('</lable>')).split('\n').length;
    const err = await expectParseError(collect(parsePcsTables(bad, { file: 'bad.xml' })), /malformed XML/);
    expect(err.message).toContain(`bad.xml, line ${line}`);
  });

  it('refuses another root, stating the expected one', async () => {
    const index = '<?xml version="1.0" encoding="utf-8"?>\n<ICD10PCS.index>\n  <version>2025</version>\n</ICD10PCS.index>\n';
    await expectParseError(
      collect(parsePcsTables(index, { file: 'x.xml' })),
      /x\.xml, line 2: root element is <ICD10PCS\.index>, expected <ICD10PCS\.tabular>/,
    );
  });

  it('refuses an empty file and a non-XML file', async () => {
    await expectParseError(collect(parsePcsTables('', { file: 'empty.xml' })), /empty\.xml.*no root element.*ICD10PCS\.tabular/);
    const zipBytes = (async function* () {
      yield new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe, 0x00]);
    })();
    await expectParseError(collect(parsePcsTables(zipBytes, { file: 'a.zip' })), /a\.zip.*(not UTF-8|malformed XML)/);
  });

  it('refuses a label code that is not a PCS character', async () => {
    const bad = slice.replace('<label code="J">Appendix</label>', '<label code="I">Appendix</label>');
    await expectParseError(
      collect(parsePcsTables(bad, { file: 'bad.xml' })),
      /pcsTable\[0DT\]\/pcsRow\[2\]\/axis\[pos=4\]: label code="I" is not one ICD-10-PCS character/,
    );
  });

  it('refuses a row whose codes attribute disagrees with its labels', async () => {
    const bad = slice.replace('<pcsRow codes="68">', '<pcsRow codes="67">');
    await expectParseError(collect(parsePcsTables(bad)), /pcsTable\[0DT\].*codes="67" but its axes combine to 68 codes/);
  });

  it('refuses an axis whose values attribute disagrees with its labels', async () => {
    const bad = slice.replace('<axis pos="7" values="2">', '<axis pos="7" values="3">');
    await expectParseError(collect(parsePcsTables(bad)), /axis\[pos=7\]: axis values="3" but it lists 2 label/);
  });

  it('refuses axes out of order', async () => {
    const bad = slice.replace('<axis pos="5" values="3">', '<axis pos="6" values="3">');
    await expectParseError(collect(parsePcsTables(bad)), /pcsTable\[001\].*axis pos="6" where pos="5" was expected/);
  });
});

describe.runIf(existsSync(FULL))('full icd10pcs_tables_2026.xml', () => {
  it('has 914 tables whose rows expand to exactly the 79,115 valid codes of the FY2026 order file', async () => {
    let header: PcsXmlHeader = {};
    const tables = await collect(parsePcsTables(createReadStream(FULL), { file: FULL, onHeader: (h) => (header = h) }));
    expect(header.version).toBe('2026');
    expect(tables).toHaveLength(914);
    expect(new Set(tables.map((t) => t.code)).size).toBe(914);
    expect(tables.reduce((n, t) => n + t.rows.length, 0)).toBe(2733);
    const codes = tables.flatMap(expandPcsTable);
    expect(codes).toHaveLength(79115);
    const distinct = new Set(codes);
    expect(distinct.size).toBe(79115);

    if (existsSync(ORDER_ZIP)) {
      const order = execFileSync('unzip', ['-p', ORDER_ZIP, 'icd10pcs_order_2026.txt'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const valid = order
        .split('\n')
        .filter((l) => l[14] === '1')
        .map((l) => l.slice(6, 13).trim());
      expect(valid).toHaveLength(79115);
      expect(valid.filter((c) => !distinct.has(c))).toEqual([]);
    }

    const index = new PcsTableIndex(tables);
    expect(decomposePcsCode('0DTJ4ZZ', index)?.map((c) => c.label)).toEqual([
      'Medical and Surgical',
      'Gastrointestinal System',
      'Resection',
      'Appendix',
      'Percutaneous Endoscopic',
      'No Device',
      'No Qualifier',
    ]);
    expect(codes.every((c) => isValidPcsCode(c, index))).toBe(true);
  });
});
