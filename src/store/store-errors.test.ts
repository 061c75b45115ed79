import { describe, it, expect } from 'vitest';
import { databaseError } from './store.js';
import { MedCodesError } from '../errors.js';

/** How failures to open or write a database file are reported (the file, the problem, what to do). */
describe('databaseError', () => {
  const as = (e: unknown) => databaseError(e, '/srv/medcodes.db') as MedCodesError;
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('names a full disk, from SQLite or from the file system', () => {
    for (const e of [err('SQLITE_FULL', 'database or disk is full'), err('ENOSPC', 'ENOSPC: no space left on device, copyfile')]) {
      expect(as(e).code).toBe('disk_full');
      expect(as(e).message).toMatch(/^\/srv\/medcodes\.db: the disk is full .*Free some space/);
    }
  });

  it('names a damaged file or one that is not a MedCodes database, and says how to rebuild', () => {
    for (const e of [
      err('SQLITE_NOTADB', 'file is not a database'),
      err('SQLITE_CORRUPT', 'database disk image is malformed'),
      err('SQLITE_ERROR', 'no such table: meta'),
    ]) {
      expect(as(e).code).toBe('corrupt_database');
      expect(as(e).message).toContain('npx medcodes import');
    }
  });

  it('names a file that cannot be read, and leaves other errors alone', () => {
    expect(as(err('SQLITE_CANTOPEN', 'unable to open database file')).code).toBe('unreadable_database');
    expect(as(err('EACCES', 'permission denied')).code).toBe('unreadable_database');
    const other = new TypeError('x is not a function');
    expect(databaseError(other, '/srv/medcodes.db')).toBe(other);
    const mine = new MedCodesError('no_database', 'none');
    expect(databaseError(mine, '/srv/medcodes.db')).toBe(mine);
  });
});
