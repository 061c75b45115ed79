import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseArticles, parseJsonLines, parseMarkdown } from './parse.js';
import { MedCodesError } from '../errors.js';
import { findSection, articleKind, sectionsOf } from './sections.js';

const MD = 'test/fixtures/articles/cpt-64491.md';
const JSONL = 'test/fixtures/articles/cpt-64491.jsonl';

function parseErrorOf(fn: () => unknown): MedCodesError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MedCodesError);
    expect((e as MedCodesError).code).toBe('parse_error');
    return e as MedCodesError;
  }
  throw new Error('expected a parse error');
}

describe('Markdown articles', () => {
  it('reads the reference page: front matter, one heading per section, lists kept as lines', () => {
    const [{ article, line }] = parseMarkdown(readFileSync(MD, 'utf8'), MD);
    expect(line).toBe(1);
    expect(article).toMatchObject({
      system: 'cpt',
      code: '64491',
      author: 'MedCodes reference page',
      date: '2026-11-24',
      review: 'reviewed',
    });
    expect(article.title).toMatch(/^Injection\(s\), diagnostic or therapeutic agent.*second level$/);
    expect(article.sections.map((s) => s.section)).toEqual(sectionsOf('procedure').map((s) => s.heading));
    expect(article.sections[2].text.split('\n')[0]).toBe('- Chronic pain in the neck or upper back');
    expect(article.sections[4].text.split('\n')).toHaveLength(5);
    expect(article.sections[4].text).toMatch(/^1\. Positioning: The patient is positioned face down/);
  });

  it('reads several articles, "•" and "*" bullets, quoted values, and a draft by default', () => {
    const md =
      '---\nsystem: icd10cm\ncode: "E11.9"\nauthor: A. Coder\ndate: 2026-01-02\n---\n# Summary\nOne.\n\n# Symptoms\n• thirst\n* tiredness\n\n---\nsystem: icd10cm\ncode: I21.4\nauthor: B\ndate: 2026-01-03\n---\n## Outlook\nGood.\n';
    const r = parseMarkdown(md);
    expect(r.map((a) => [a.article.code, a.line, a.article.review])).toEqual([
      ['E11.9', 1, 'draft'],
      ['I21.4', 14, 'draft'],
    ]);
    expect(r[0].article.sections[1]).toEqual({ section: 'Symptoms', text: '- thirst\n- tiredness' });
  });

  it('names the line of each problem', () => {
    expect(parseErrorOf(() => parseMarkdown('# Summary\ntext', 'a.md')).message).toBe(
      'a.md, line 1: expected a front-matter block ("---") opening an article',
    );
    expect(parseErrorOf(() => parseMarkdown('---\nsystem: cpt\ncolour: red\n---\n', 'a.md')).message).toMatch(
      /^a\.md, line 3: front matter: unknown key "colour"/,
    );
    expect(parseErrorOf(() => parseMarkdown('---\nsystem: cpt\n', 'a.md')).message).toMatch(/line 1: front matter is not closed/);
    expect(
      parseErrorOf(() =>
        parseMarkdown('---\nsystem: cpt\ncode: 1\nauthor: x\ndate: 2026-01-01\n---\n## Summary\n\n## Purpose\nx\n', 'a.md'),
      ).message,
    ).toMatch(/line 7: section "Summary" is empty/);
    expect(
      parseErrorOf(() => parseMarkdown('---\nsystem: cpt\ncode: 1\nauthor: x\ndate: 1/2/2026\n---\n## Summary\nx\n', 'a.md')).message,
    ).toMatch(/line 1: not an article: date: date must be YYYY-MM-DD/);
    expect(
      parseErrorOf(() => parseMarkdown('---\nsystem: cpt\ncode: 1\nauthor: x\ndate: 2026-01-01\n---\nstray text\n## Summary\nx\n', 'a.md'))
        .message,
    ).toMatch(/line 7: text before the first section heading/);
  });
});

describe('the source of an article', () => {
  it('is curated unless the file says generated, in front matter or JSON', () => {
    const md = (extra: string) => `---\nsystem: icd10cm\ncode: E11.9\nauthor: M\ndate: 2026-01-02\n${extra}---\n## Summary\nx\n`;
    expect(parseMarkdown(md(''))[0].source).toBe('curated');
    expect(parseMarkdown(md('source: generated\n'))[0].source).toBe('generated');
    const json = (extra: object) =>
      JSON.stringify({
        system: 'icd10cm',
        code: 'E11.9',
        author: 'M',
        date: '2026-01-02',
        sections: [{ section: 'summary', text: 'x' }],
        ...extra,
      });
    expect(parseJsonLines(json({}))[0].source).toBe('curated');
    expect(parseJsonLines(json({ source: 'generated' }))[0].source).toBe('generated');
    expect(parseErrorOf(() => parseJsonLines(json({ source: 'official' }), 'a.jsonl')).message).toMatch(
      /^a\.jsonl, line 1: not an article: source must be curated or generated; got "official"/,
    );
    expect(parseErrorOf(() => parseMarkdown(md('source: model\n'), 'a.md')).message).toMatch(
      /line 1: .*source must be curated or generated/,
    );
  });
});

describe('JSON Lines articles', () => {
  it('the JSON Lines edition of the reference page holds the same text as the Markdown one', () => {
    const [j] = parseJsonLines(readFileSync(JSONL, 'utf8'), JSONL);
    const [m] = parseMarkdown(readFileSync(MD, 'utf8'), MD);
    expect(j.article.sections.map((s) => s.text)).toEqual(m.article.sections.map((s) => s.text));
    expect(j.article.sections.map((s) => findSection('procedure', s.section)?.id)).toEqual(
      m.article.sections.map((s) => findSection('procedure', s.section)?.id),
    );
  });

  it('refuses bad lines with their number and keeps nothing', () => {
    expect(parseErrorOf(() => parseJsonLines('{"system":"cpt"}\n', 'x.jsonl')).message).toMatch(
      /^x\.jsonl, line 1: not an article: code: /,
    );
    expect(parseErrorOf(() => parseJsonLines('\n{oops\n', 'x.jsonl')).message).toMatch(/^x\.jsonl, line 2: not valid JSON/);
    expect(parseErrorOf(() => parseJsonLines('\n\n', 'x.jsonl')).message).toBe('x.jsonl: no articles in the file');
    const long = JSON.stringify({
      system: 'cpt',
      code: '1',
      author: 'a',
      date: '2026-01-01',
      sections: [{ section: 'Summary', text: 'x'.repeat(9000) }],
    });
    expect(parseErrorOf(() => parseJsonLines(long, 'x.jsonl')).message).toMatch(/sections\.0\.text: .*8000/);
  });

  it('chooses the format by extension, else by the first character', () => {
    expect(parseArticles(readFileSync(MD, 'utf8'), 'ref.txt')[0].article.code).toBe('64491');
    expect(parseArticles(readFileSync(JSONL, 'utf8'), 'ref')[0].article.code).toBe('64491');
    expect(parseErrorOf(() => parseArticles('hello', 'ref.txt')).message).toMatch(/not an articles file/);
  });
});

describe('sections', () => {
  it('finds a section by id or heading, in any case, with & for and', () => {
    expect(findSection('procedure', 'risks & complications')?.id).toBe('risksAndComplications');
    expect(findSection('procedure', 'PATIENT EXPERIENCE')?.id).toBe('patientExperience');
    expect(findSection('diagnosis', 'codingNotes')?.heading).toBe('Coding notes');
    expect(findSection('diagnosis', 'Recovery')).toBeUndefined();
  });

  it('gives each code set the article kind of what its codes name', () => {
    expect([
      articleKind('cpt'),
      articleKind('icd10pcs'),
      articleKind('icd10cm'),
      articleKind('hcpcs'),
      articleKind('loinc'),
      articleKind('nucc'),
    ]).toEqual(['procedure', 'procedure', 'diagnosis', 'supply', 'lab', 'provider']);
  });
});
