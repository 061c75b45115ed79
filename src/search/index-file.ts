import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { MedCodesError } from '../errors.js';

/**
 * The search index's container: a binary, versioned file of named sections (typed arrays, lists of
 * strings, small JSON values), written and read without ever building one string or one buffer of the
 * whole index, so its size has no ceiling below what the arrays' own indexes allow (2^32 postings).
 *
 * Layout (all integers little-endian, as typed arrays are on every platform Node runs on):
 *
 *   0   "MCIX"                      magic: not an index file otherwise
 *   4   u32 format version          INDEX_FILE_VERSION; another version is refused (the caller rebuilds)
 *   8   u32 directory byte length   D
 *   12  directory, UTF-8 JSON       {total, sections: [{name, type, count, offset, bytes}]}: a few
 *                                   dozen entries, never the data
 *   ... sections, each at an offset that is a multiple of 8 (so a typed array can view it in place)
 *
 * Section types: a typed array ('u8', 'u16', 'u32', 'i32', 'f32', 'f64'): its elements; 'strings':
 * `count + 1` f64 byte offsets, then the UTF-8 text of each string followed by a NUL byte, so a run of
 * strings decodes with one `toString` and one `split` (bulk) or each string on its own (lazily, from
 * the offsets); 'json': UTF-8 JSON of a small value (statistics, rewrites). A list of string lists is
 * a 'strings' section plus an f64 section `<name>.start` of list boundaries.
 *
 * `total` in the directory is the file's length, so a truncated file is refused before any section is
 * read. The bytes can live in a file or, as the database keeps them, split over rows of fixed size
 * (src/search/index.ts save/load): readers only ask a source for byte ranges.
 */

export const INDEX_FILE_MAGIC = 'MCIX';
/** Bump when a section's encoding changes; the directory itself is versioned by this number too. */
export const INDEX_FILE_VERSION = 1;

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
type TypedCtor =
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const TYPED: Record<string, TypedCtor> = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
};
const typeOf = (a: TypedArray): string => {
  for (const [t, C] of Object.entries(TYPED)) if (a instanceof C) return t;
  throw new TypeError('unsupported typed array');
};

/** A field of an index: how one property is stored. */
export type FieldType = TypedCtor | 'strings' | 'stringLists' | 'lazyStringLists' | 'json';

interface SectionEntry {
  name: string;
  type: string;
  /** Elements (typed), strings ('strings'), or bytes ('json'). */
  count: number;
  offset: number;
  bytes: number;
}

interface Directory {
  total: number;
  sections: SectionEntry[];
}

const HEADER = 12;
const align8 = (n: number) => Math.ceil(n / 8) * 8;
/** Strings are encoded into blocks of this size (never one buffer of all of them). */
const BLOCK = 16 << 20;

/** Builds an index file from named sections; `chunks()` streams its bytes. */
export class IndexFileWriter {
  private sections: { name: string; type: string; count: number; parts: Uint8Array[]; bytes: number }[] = [];

  /** Add one field by its declared type (see FieldType). */
  put(name: string, type: FieldType, value: unknown): this {
    if (type === 'strings') return this.strings(name, value as string[]);
    if (type === 'stringLists' || type === 'lazyStringLists') return this.stringLists(name, value as string[][]);
    if (type === 'json') return this.json(name, value);
    const a = value as TypedArray;
    if (!(a instanceof type)) throw new TypeError(`${name}: expected ${type.name}`);
    return this.typed(name, a);
  }

  typed(name: string, a: TypedArray): this {
    this.add(name, typeOf(a), a.length, [new Uint8Array(a.buffer, a.byteOffset, a.byteLength)]);
    return this;
  }

  strings(name: string, list: readonly string[]): this {
    const offsets = new Float64Array(list.length + 1);
    const parts: Uint8Array[] = [new Uint8Array(offsets.buffer)];
    let block = Buffer.allocUnsafe(BLOCK);
    let used = 0;
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      // Worst case 3 bytes per UTF-16 unit, plus the NUL.
      const need = s.length * 3 + 1;
      if (used + need > block.length) {
        parts.push(block.subarray(0, used));
        block = Buffer.allocUnsafe(Math.max(BLOCK, need));
        used = 0;
      }
      offsets[i] = total;
      const n = block.write(s, used, 'utf8');
      block[used + n] = 0;
      used += n + 1;
      total += n + 1;
    }
    offsets[list.length] = total;
    if (used) parts.push(block.subarray(0, used));
    this.add(name, 'strings', list.length, parts);
    return this;
  }

  stringLists(name: string, lists: readonly (readonly string[])[]): this {
    const start = new Float64Array(lists.length + 1);
    const flat: string[] = [];
    for (let i = 0; i < lists.length; i++) {
      start[i] = flat.length;
      for (const s of lists[i]) flat.push(s);
    }
    start[lists.length] = flat.length;
    this.typed(`${name}.start`, start);
    return this.strings(name, flat);
  }

  json(name: string, value: unknown): this {
    const b = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
    this.add(name, 'json', b.length, [b]);
    return this;
  }

  private add(name: string, type: string, count: number, parts: Uint8Array[]) {
    if (this.sections.some((s) => s.name === name)) throw new Error(`index file: section ${name} written twice`);
    this.sections.push({ name, type, count, parts, bytes: parts.reduce((n, p) => n + p.length, 0) });
  }

  /** The directory and header; section offsets follow it, each aligned to 8 bytes. */
  private head(): Buffer {
    // The directory's length depends on the offsets, which depend on its length: settle it in two passes.
    let dirBytes = 0;
    for (;;) {
      let offset = align8(HEADER + dirBytes);
      const sections: SectionEntry[] = this.sections.map((s) => {
        const e = { name: s.name, type: s.type, count: s.count, offset, bytes: s.bytes };
        offset = align8(offset + s.bytes);
        return e;
      });
      const dir: Directory = { total: offset, sections };
      const json = Buffer.from(JSON.stringify(dir), 'utf8');
      if (json.length <= dirBytes) {
        const head = Buffer.alloc(align8(HEADER + dirBytes), 0x20);
        head.write(INDEX_FILE_MAGIC, 0, 'latin1');
        head.writeUInt32LE(INDEX_FILE_VERSION, 4);
        head.writeUInt32LE(dirBytes, 8);
        head.fill(0x20, HEADER);
        json.copy(head, HEADER);
        return head;
      }
      dirBytes = json.length + 64;
    }
  }

  /** The file's bytes, as pieces of at most `size` bytes each (the last one shorter). */
  *chunks(size = 64 << 20): Generator<Buffer> {
    let chunk = Buffer.alloc(size);
    let used = 0;
    const pieces = function* (this: IndexFileWriter): Generator<Uint8Array> {
      const head = this.head();
      yield head;
      let at = head.length;
      for (const s of this.sections) {
        for (const p of s.parts) yield p;
        const end = align8(at + s.bytes);
        if (end > at + s.bytes) yield new Uint8Array(end - at - s.bytes);
        at = end;
      }
    }.call(this);
    for (const p of pieces) {
      let from = 0;
      while (from < p.length) {
        const n = Math.min(p.length - from, size - used);
        chunk.set(p.subarray(from, from + n), used);
        used += n;
        from += n;
        if (used === size) {
          yield chunk;
          chunk = Buffer.alloc(size);
          used = 0;
        }
      }
    }
    if (used) yield chunk.subarray(0, used);
  }

  writeFile(path: string): void {
    const fd = openSync(path, 'w');
    try {
      for (const c of this.chunks()) writeSync(fd, c);
    } finally {
      closeSync(fd);
    }
  }
}

/** Where an index file's bytes are read from: a file, or rows of a database. */
export interface ByteSource {
  /** Total length in bytes. */
  size: number;
  /** Copy bytes [offset, offset + target.length) into target; fewer available is an error of the caller's size check. */
  readInto(offset: number, target: Uint8Array): void;
}

export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  return {
    size: fstatSync(fd).size,
    readInto(offset, target) {
      let done = 0;
      while (done < target.length) {
        const n = readSync(fd, target, done, target.length - done, offset + done);
        if (n <= 0) throw truncated(`it ends at byte ${offset + done}`);
        done += n;
      }
    },
    close: () => closeSync(fd),
  };
}

/**
 * A source over consecutive pieces of fixed size (the last one shorter), fetched by number: the
 * database stores the file as rows of `chunkSize` bytes. The last piece read is kept, so reading the
 * sections in order fetches each piece once.
 */
export function chunkSource(size: number, chunkSize: number, fetch: (i: number) => Uint8Array | undefined): ByteSource {
  let cached = -1;
  let piece: Uint8Array | undefined;
  return {
    size,
    readInto(offset, target) {
      let done = 0;
      while (done < target.length) {
        const at = offset + done;
        const i = Math.floor(at / chunkSize);
        if (i !== cached) {
          piece = fetch(i);
          cached = i;
        }
        const from = at - i * chunkSize;
        if (!piece || piece.length <= from) throw truncated(`piece ${i} is missing or short`);
        const n = Math.min(piece.length - from, target.length - done);
        target.set(piece.subarray(from, from + n), done);
        done += n;
      }
    },
  };
}

const truncated = (why: string) => new MedCodesError('corrupt_file', `the search index is truncated or corrupt: ${why}`);

/** Reads sections of an index file; each is read from the source when asked for. */
export class IndexFileReader {
  private readonly dir = new Map<string, SectionEntry>();

  constructor(private readonly source: ByteSource) {
    if (source.size < HEADER) throw truncated(`${source.size} bytes, less than its header`);
    const head = Buffer.alloc(HEADER);
    source.readInto(0, head);
    const magic = head.toString('latin1', 0, 4);
    if (magic !== INDEX_FILE_MAGIC) throw new MedCodesError('unknown_format', 'not a MedCodes search index (no MCIX header)');
    const version = head.readUInt32LE(4);
    if (version !== INDEX_FILE_VERSION)
      throw new MedCodesError(
        'unknown_format',
        `search index format version ${version}, this MedCodes reads version ${INDEX_FILE_VERSION}: the index must be rebuilt`,
        { version },
      );
    const dirBytes = head.readUInt32LE(8);
    if (source.size < HEADER + dirBytes) throw truncated('its directory is cut short');
    const raw = Buffer.alloc(dirBytes);
    source.readInto(HEADER, raw);
    let dir: Directory;
    try {
      dir = JSON.parse(raw.toString('utf8'));
    } catch {
      throw truncated('its directory is not readable');
    }
    if (source.size < dir.total) throw truncated(`${source.size} bytes of ${dir.total}`);
    for (const s of dir.sections) this.dir.set(s.name, s);
  }

  has(name: string): boolean {
    return this.dir.has(name);
  }

  get names(): string[] {
    return [...this.dir.keys()];
  }

  private entry(name: string, type?: string): SectionEntry {
    const e = this.dir.get(name);
    if (!e) throw new MedCodesError('corrupt_file', `the search index has no section "${name}": the index must be rebuilt`);
    if (type && e.type !== type) throw new MedCodesError('corrupt_file', `search index section "${name}" is ${e.type}, expected ${type}`);
    return e;
  }

  /** Read one field by its declared type (see FieldType). */
  get(name: string, type: FieldType): unknown {
    if (type === 'strings') return this.strings(name);
    if (type === 'stringLists') return this.stringLists(name);
    if (type === 'lazyStringLists') return this.lazyStringLists(name);
    if (type === 'json') return this.json(name);
    return this.typed(name, type);
  }

  /** A typed array in memory of its own (aligned, not shared with other sections). */
  typed<C extends TypedCtor>(name: string, ctor: C): InstanceType<C> {
    const e = this.entry(name);
    if (TYPED[e.type] !== ctor)
      throw new MedCodesError('corrupt_file', `search index section "${name}" is ${e.type}, expected ${ctor.name}`);
    const a = new ctor(e.count) as InstanceType<C>;
    if (a.byteLength !== e.bytes) throw truncated(`section "${name}" has ${e.bytes} bytes for ${e.count} elements`);
    this.source.readInto(e.offset, new Uint8Array(a.buffer));
    return a;
  }

  json<T = unknown>(name: string): T {
    const e = this.entry(name, 'json');
    const b = Buffer.alloc(e.bytes);
    this.source.readInto(e.offset, b);
    return JSON.parse(b.toString('utf8'));
  }

  /** A strings section's offsets and bytes, for decoding all of it or one string at a time. */
  stringBlock(name: string): StringBlock {
    const e = this.entry(name, 'strings');
    const offBytes = (e.count + 1) * 8;
    if (e.bytes < offBytes) throw truncated(`section "${name}" is shorter than its offsets`);
    const offsets = new Float64Array(e.count + 1);
    this.source.readInto(e.offset, new Uint8Array(offsets.buffer));
    const text = Buffer.allocUnsafe(e.bytes - offBytes);
    this.source.readInto(e.offset + offBytes, text);
    if (offsets[e.count] !== text.length)
      throw truncated(`section "${name}" has ${text.length} bytes of text, its offsets say ${offsets[e.count]}`);
    return new StringBlock(offsets, text);
  }

  strings(name: string): string[] {
    return this.stringBlock(name).all();
  }

  stringLists(name: string): string[][] {
    const start = this.typed(`${name}.start`, Float64Array);
    const flat = this.strings(name);
    if (start[start.length - 1] !== flat.length)
      throw truncated(`section "${name}" has ${flat.length} strings, its lists say ${start.at(-1)}`);
    const out: string[][] = new Array(start.length - 1);
    for (let i = 0; i < out.length; i++) out[i] = start[i] === start[i + 1] ? EMPTY : flat.slice(start[i], start[i + 1]);
    return out;
  }

  /**
   * The same lists, read-only, each decoded when it is read (`lists[i]` decodes list i; `length` and
   * iteration work): for a field read for a few documents per request (the synonyms a result shows),
   * whose text then stays in memory as UTF-8 bytes rather than as millions of strings.
   */
  lazyStringLists(name: string): string[][] {
    const start = this.typed(`${name}.start`, Float64Array);
    const block = this.stringBlock(name);
    const n = start.length - 1;
    if (start[n] !== block.length) throw truncated(`section "${name}" has ${block.length} strings, its lists say ${start[n]}`);
    const list = (i: number): string[] => {
      const a = start[i];
      const b = start[i + 1];
      if (a === b) return EMPTY;
      const out: string[] = new Array(b - a);
      for (let k = a; k < b; k++) out[k - a] = block.at(k);
      return out;
    };
    return new Proxy([] as string[][], {
      get(target, p, receiver) {
        if (typeof p === 'string') {
          if (p === 'length') return n;
          const i = Number(p);
          if (Number.isInteger(i) && i >= 0 && i < n && String(i) === p) return list(i);
        } else if (p === Symbol.iterator)
          return function* () {
            for (let i = 0; i < n; i++) yield list(i);
          };
        return Reflect.get(target, p, receiver);
      },
      has(target, p) {
        if (typeof p === 'string' && String(Number(p)) === p) return Number(p) >= 0 && Number(p) < n;
        return Reflect.has(target, p);
      },
      set() {
        throw new TypeError(`search index field "${name}" is read-only`);
      },
    });
  }
}

/** Shared by every empty list: most documents have no synonyms, and one array each would be millions. */
const EMPTY: string[] = [];
Object.freeze(EMPTY);

/** UTF-8 strings, each followed by NUL, with their byte offsets. */
export class StringBlock {
  constructor(
    readonly offsets: Float64Array,
    readonly text: Buffer,
  ) {}

  get length(): number {
    return this.offsets.length - 1;
  }

  /** One string, decoded on its own. */
  at(i: number): string {
    return this.text.toString('utf8', this.offsets[i], this.offsets[i + 1] - 1);
  }

  /**
   * Every string: runs of up to 1 MB decoded with one `toString` and cut with one `split`, which costs
   * a fraction of decoding each string on its own. A run whose text holds a NUL of its own (the split
   * count does not match) is decoded string by string.
   */
  all(): string[] {
    const n = this.length;
    const out: string[] = new Array(n);
    const RUN = 1 << 20;
    let i = 0;
    while (i < n) {
      let j = i + 1;
      const base = this.offsets[i];
      while (j < n && this.offsets[j + 1] - base <= RUN) j++;
      const end = this.offsets[j] - 1;
      // ASCII decodes as Latin-1, a plain copy into a one-byte string (about twice as fast as UTF-8).
      const parts = this.text.toString(isAscii(this.text.subarray(base, end)) ? 'latin1' : 'utf8', base, end).split('\u0000');
      if (parts.length === j - i) for (let k = 0; k < parts.length; k++) out[i + k] = parts[k];
      else for (let k = i; k < j; k++) out[k] = this.at(k);
      i = j;
    }
    return out;
  }
}

/** An in-memory source over one buffer (tests, small files). */
export function bufferSource(b: Uint8Array): ByteSource {
  return {
    size: b.length,
    readInto(offset, target) {
      if (offset + target.length > b.length) throw truncated(`it ends at byte ${b.length}`);
      target.set(b.subarray(offset, offset + target.length));
    },
  };
}
