import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MedCodesError } from '../errors.js';
import { INDEX_FILE_VERSION, IndexFileReader, IndexFileWriter, StringBlock, bufferSource, chunkSource, fileSource } from './index-file.js';
import { SearchIndex } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'medcodes-ixfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (w: IndexFileWriter, size?: number) => Buffer.concat([...w.chunks(size)]);

/** Strings that exercise the encoding: empty, non-ASCII (2, 3 and 4 bytes in UTF-8), long, and a NUL of their own. */
const STRINGS = [
  '',
  'E11.9',
  'Type 2 diabetes mellitus without complications',
  'Ménière’s disease',
  '腎臓',
  '🫀 heart',
  'x'.repeat(70_000),
];

function sample(): IndexFileWriter {
  return new IndexFileWriter()
    .typed('u8', Uint8Array.from([0, 1, 255]))
    .typed('u16', Uint16Array.from([0, 65535]))
    .typed('u32', Uint32Array.from([7, 4_000_000_000]))
    .typed('f64', Float64Array.from([1.5, -2, Number.MAX_SAFE_INTEGER]))
    .typed('empty', new Uint32Array(0))
    .strings('strings', STRINGS)
    .strings('nul', ['a\u0000b', 'c'])
    .stringLists('lists', [[], ['one'], ['two', 'three'], []])
    .json('meta', { n: 3, rewrites: [['heart attack', [{ to: ['infarction'] }]]] });
}

function expectSample(r: IndexFileReader) {
  expect([...r.typed('u8', Uint8Array)]).toEqual([0, 1, 255]);
  expect([...r.typed('u16', Uint16Array)]).toEqual([0, 65535]);
  expect([...r.typed('u32', Uint32Array)]).toEqual([7, 4_000_000_000]);
  expect([...r.typed('f64', Float64Array)]).toEqual([1.5, -2, Number.MAX_SAFE_INTEGER]);
  expect(r.typed('empty', Uint32Array).length).toBe(0);
  expect(r.strings('strings')).toEqual(STRINGS);
  expect(r.strings('nul')).toEqual(['a\u0000b', 'c']);
  expect(r.stringLists('lists')).toEqual([[], ['one'], ['two', 'three'], []]);
  expect(r.json('meta')).toEqual({ n: 3, rewrites: [['heart attack', [{ to: ['infarction'] }]]] });
}

function errorOf(f: () => unknown): MedCodesError {
  try {
    f();
  } catch (e) {
    if (e instanceof MedCodesError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('index file', () => {
  it('round-trips typed arrays, strings, string lists and JSON', () => {
    expectSample(new IndexFileReader(bufferSource(bytesOf(sample()))));
  });

  it('reads the same from a file, and from pieces of any size (as the database stores it)', () => {
    const path = join(dir, 'ix.mcix');
    sample().writeFile(path);
    const src = fileSource(path);
    try {
      expectSample(new IndexFileReader(src));
    } finally {
      src.close();
    }
    for (const size of [64, 1000, 4096]) {
      const pieces = [...sample().chunks(size)].map((c) => Buffer.from(c));
      expect(pieces.slice(0, -1).every((p) => p.length === size)).toBe(true);
      const total = pieces.reduce((n, p) => n + p.length, 0);
      expectSample(new IndexFileReader(chunkSource(total, size, (i) => pieces[i])));
    }
  });

  it('puts every section at an offset a typed array can view (a multiple of 8)', () => {
    const b = bytesOf(sample());
    const dirJson = JSON.parse(b.toString('utf8', 12, 12 + b.readUInt32LE(8)));
    for (const s of dirJson.sections) expect(s.offset % 8).toBe(0);
    expect(dirJson.total).toBe(b.length);
  });

  it('refuses another format version with an error that says to rebuild', () => {
    const b = bytesOf(sample());
    b.writeUInt32LE(INDEX_FILE_VERSION + 1, 4);
    const e = errorOf(() => new IndexFileReader(bufferSource(b)));
    expect(e.code).toBe('unknown_format');
    expect(e.message).toMatch(/version .* rebuilt/);
  });

  it('refuses a file that is not an index', () => {
    const e = errorOf(() => new IndexFileReader(bufferSource(Buffer.from('SQLite format 3\u0000 and more bytes'))));
    expect(e.code).toBe('unknown_format');
  });

  it('refuses a truncated file with corrupt_file, whatever the cut', () => {
    const b = bytesOf(sample());
    for (const cut of [0, 5, 20, Math.floor(b.length / 2), b.length - 1]) {
      const path = join(dir, `cut-${cut}.mcix`);
      writeFileSync(path, b.subarray(0, cut));
      const e = errorOf(() => {
        const src = fileSource(path);
        try {
          expectSample(new IndexFileReader(src));
        } finally {
          src.close();
        }
      });
      expect(e.code).toBe('corrupt_file');
      expect(e.message).toMatch(/search index is truncated/);
    }
    expect(readFileSync(join(dir, 'cut-0.mcix')).length).toBe(0);
  });

  it('names a missing section and a section read as the wrong type', () => {
    const r = new IndexFileReader(bufferSource(bytesOf(sample())));
    expect(errorOf(() => r.typed('nope', Uint32Array)).message).toMatch(/no section "nope"/);
    expect(errorOf(() => r.typed('u8', Uint32Array)).message).toMatch(/"u8" is u8, expected Uint32Array/);
  });

  it('reads string lists lazily as the same lists, read-only', () => {
    const lists = [[], ['one'], ['two', 'three'], []];
    const lazy = new IndexFileReader(bufferSource(bytesOf(new IndexFileWriter().stringLists('l', lists)))).lazyStringLists('l');
    expect(lazy.length).toBe(4);
    expect(lazy[2]).toEqual(['two', 'three']);
    expect(lazy[4]).toBeUndefined();
    expect([...lazy]).toEqual(lists);
    expect(1 in lazy).toBe(true);
    expect(() => {
      (lazy as any)[0] = ['x'];
    }).toThrow(/read-only/);
  });

  it('decodes strings in bulk and one by one to the same text, across run boundaries', () => {
    const list = Array.from({ length: 30_000 }, (_, i) => (i % 7 === 0 ? `é${i}` : `term ${i} `.repeat(i % 13)));
    const block = new IndexFileReader(bufferSource(bytesOf(new IndexFileWriter().strings('s', list)))).stringBlock('s');
    expect(block).toBeInstanceOf(StringBlock);
    expect(block.all()).toEqual(list);
    expect(block.at(29_999)).toBe(list[29_999]);
  });
});

describe('SearchIndex in the database', () => {
  it('treats an index saved by an older version as absent, so it is rebuilt', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE search_index (name TEXT PRIMARY KEY, data BLOB NOT NULL)');
    db.prepare('INSERT INTO search_index VALUES (?, ?)').run('json', Buffer.from('{"n":1}'));
    expect(SearchIndex.load(db)).toBeUndefined();
    const old = bytesOf(new IndexFileWriter().json('meta', {}));
    old.writeUInt32LE(0, 4);
    db.prepare('INSERT INTO search_index VALUES (?, ?)').run('mcix.000000', old);
    expect(SearchIndex.load(db)).toBeUndefined();
  });
});
