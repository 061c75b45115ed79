import { describe, it, expect, inject } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli.js';
import { silentProgress } from '../../src/importers/types.js';

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--db', inject('dbPath'), ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    progress: silentProgress,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npx medcodes', () => {
  it('lookup prints a code with its notes, index terms and history', async () => {
    const r = await cli('lookup', 'i214');
    expect(r.code).toBe(0);
    expect(r.out).toMatchSnapshot();
  });

  it('lookup --json prints the API document', async () => {
    const r = await cli('lookup', 'E11.9', '--system', 'icd10cm', '--json');
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ code: 'E11.9', billable: true, shortDisplay: 'Type 2 diabetes mellitus without complications' });
    expect(doc.parents.map((p: { code: string }) => p.code)).toEqual(['E00-E89', 'E08-E13', 'E11']);
  });

  it('search prints a table of results', async () => {
    const r = await cli('search', 'type', '2', 'diabetes', 'hyperglycemia', '--limit', '3');
    expect(r.out).toMatchSnapshot();
  });

  it('stats lists loaded systems', async () => {
    const r = await cli('stats', '--json');
    const cm = JSON.parse(r.out).systems.find((s: { system: string }) => s.system === 'icd10cm');
    expect(cm.concepts).toMatchObject({ billable: 74719, headers: 23467 });
  });

  it('validate checks a file of codes on a date of service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcodes-cli-'));
    const file = join(dir, 'claims.csv');
    writeFileSync(file, 'code\nE11.9\nB88.01\nE11\n');
    const r = await cli('validate', file, '--date', '2025-06-01', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).results.map((x: { status: string }) => x.status)).toEqual(['valid', 'not_valid_on_date', 'header']);
    expect((await cli('validate', join(dir, 'nope.csv'))).code).toBe(1);
  });

  it('refuses bad arguments with a message and an exit code', async () => {
    expect(await cli('lookup', 'Q99.999')).toMatchObject({
      code: 3,
      err: 'error [not_found]: no loaded code system has the code "Q99.999"',
    });
    expect(await cli('lookup', 'E11', '--system', 'icd42')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/unknown code system "icd42"/),
    });
    expect(await cli('search', 'x', '--limit', 'lots')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--limit must be a whole number/),
    });
    expect((await cli('frobnicate')).code).toBe(2);
  });
});
