import { describe, it, expect } from 'vitest';
import { useTestApp } from '../helpers.js';

const testApp = useTestApp();

const page = async (path: string) => {
  const res = await testApp.app().request(path);
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
};

/** Text as hono/html escapes it, to look for stored text in a page. */
const escaped = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The value cell of a row headed `<th scope="row">label</th>`. */
const rowCell = (html: string, label: string) => new RegExp(`<th scope="row">${label}</th><td>(.*?)</td></tr>`).exec(html)?.[1];

/** The target of the first link whose text starts with `text` (markup inside the link allowed). */
const hrefOf = (html: string, text: RegExp) => {
  for (const m of html.matchAll(/<a [^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/g)) if (text.test(m[2])) return m[1].replace(/&amp;/g, '&');
  return undefined;
};

/** One h1, headings that never skip a level, and data tables with header cells. */
function expectAccessibleStructure(html: string) {
  const levels = [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
  expect(levels.filter((l) => l === 1)).toHaveLength(1);
  expect(levels[0]).toBe(1);
  levels.forEach((l, i) => {
    if (i) expect(l, `heading h${l} after h${levels[i - 1]}`).toBeLessThanOrEqual(levels[i - 1] + 1);
  });
  for (const t of html.match(/<table[\s\S]*?<\/table>/g) ?? []) expect(t).toContain('<th');
  // Scripts only as files (the CSP forbids inline code); JSON-LD is a data block, never run.
  expect(html).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/)(?! type="application\/ld\+json">)/i);
}

describe('server-rendered pages', () => {
  it('home page has a labelled search box and the loaded code sets', async () => {
    const p = await page('/');
    expect(p.status).toBe(200);
    expect(p.html).toContain('<label for="q"');
    expect(p.html).toMatch(/ICD-10-CM<\/a> FY2026/);
    expect(p.html).toMatch(/ICD-9-CM diagnoses<\/a> v32 <span class="muted">\(14,567 codes, retired\)/);
  });

  it('search works without JavaScript', async () => {
    const p = await page('/search?q=nstemi');
    expect(p.html).toContain('href="/codes/icd10cm/I21.4"');
  });

  it('code page shows title, breadcrumb, notes and history, escaped', async () => {
    const p = await page('/codes/icd10cm/I21.4');
    expect(p.html).toContain('<title>I21.4 Non-ST elevation (NSTEMI) myocardial infarction | MedCodes</title>');
    expect(p.html).toContain('href="/codes/icd10cm/I20-I25"');
    expect(p.html).toContain('Excludes2');
    expect(p.html).toMatch(/<span class="badge">ICD-10-CM<\/span> <span>Billable<\/span>/);
    expectAccessibleStructure(p.html);
    const header = await page('/codes/icd10cm/E11');
    expect(header.html).toContain('Header: not valid for billing; use a more specific code');
    const xss = await page('/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(xss.html).not.toContain('<script>alert(1)</script>');
    expect(xss.html).toContain('&lt;script&gt;');
  });

  it('unknown code and unknown page answer 404 with a search box', async () => {
    const p = await page('/codes/icd10cm/Q99.999');
    expect(p.status).toBe(404);
    expect(p.html).toContain('name="q"');
    expect((await page('/nowhere')).status).toBe(404);
  });
});

describe('HCPCS code pages', () => {
  it('E0143 shows the decoded record fields under the layout field names', async () => {
    const p = await page('/codes/hcpcs/E0143');
    expect(p.status).toBe(200);
    expect(p.html).toContain('<h2>HCPCS record</h2>');
    expect(p.html).toContain('<span>Billable code</span>');
    expect(rowCell(p.html, 'HCPCS Pricing Indicator Code')).toBe(
      '<span class="code">32</span> Inexpensive &amp; routinely purchased DME (price subject to floors and ceilings)<br><span class="muted">Group: Durable Medical Equipment, Prosthetics, Orthotics, Supplies and Surgical Dressings</span>',
    );
    expect(rowCell(p.html, 'HCPCS Coverage Code')).toBe('<span class="code">D</span> Special coverage instructions apply');
    expect(rowCell(p.html, 'HCPCS Berenson-Eggers Type Of Service Code')).toBe('<span class="code">D1E</span> Other DME');
    expect(rowCell(p.html, 'HCPCS Type Of Service Code')).toBe(
      '<span class="code">A</span> Used durable medical equipment (DME)<br><span class="code">P</span> Lump sum purchase of DME, prosthetics, orthotics<br><span class="code">R</span> Rental of DME',
    );
    expect(rowCell(p.html, 'HCPCS ASC Payment Group Code')).toBe('Not approved for ASC');
    expect(rowCell(p.html, 'HCPCS Action Code')).toBe('<span class="code">N</span> No maintenance for this code');
    expect(rowCell(p.html, 'HCPCS Code Added Date')).toBe('<time datetime="1986-01-01">1986-01-01</time>');
    expect(rowCell(p.html, 'HCPCS Coverage Issues Manual Reference Section Number')).toBe('60-9');
    // Blank fields are left out, not shown empty.
    expect(rowCell(p.html, 'HCPCS Termination Date')).toBeUndefined();
    expect(rowCell(p.html, 'HCPCS Lab Certification Code')).toBeUndefined();
    expectAccessibleStructure(p.html);
  });

  it('a terminated code is marked deleted with its termination date and linked cross-reference', async () => {
    const p = await page('/codes/hcpcs/A4466');
    expect(p.status).toBe(200);
    expect(p.html).toContain(
      '<span class="deleted">Deleted code</span><span>: terminated <time datetime="2016-12-31">2016-12-31</time> (the last date it may be used); replaced by <a class="code" href="/codes/hcpcs/A4467">A4467</a></span>',
    );
    expect(p.html).not.toContain('Billable');
    expect(rowCell(p.html, 'HCPCS Cross Reference Code')).toBe(
      '<a class="code" href="/codes/hcpcs/A4467">A4467</a> Belt, strap, sleeve, garment, or covering, any type',
    );
    expect(rowCell(p.html, 'HCPCS Termination Date')).toBe('<time datetime="2016-12-31">2016-12-31</time>');
    // A cross-reference to a code no loaded system has (C8904 -> CPT 77046) stays plain text.
    const cpt = await page('/codes/hcpcs/C8904');
    expect(rowCell(cpt.html, 'HCPCS Cross Reference Code')).toBe('<span class="code">77046</span> <span class="muted">(not loaded)</span>');
  });

  it('lab certifications are shown with their meaning', async () => {
    const p = await page('/codes/hcpcs/G0027');
    expect(rowCell(p.html, 'HCPCS Lab Certification Code')).toBe('<span class="code">400</span> Hematology');
  });

  it('modifiers and groups say what they are', async () => {
    const mod = await page('/codes/hcpcs/LT');
    expect(mod.html).toContain('<span>Modifier: appended to a procedure code to qualify it; not reported alone</span>');
    expect(rowCell(mod.html, 'HCPCS Record Identification Code')).toBe('<span class="code">7</span> Modifier');
    const group = await page('/codes/hcpcs/E');
    expect(group.html).toMatch(/<span>Group of [\d,]+ codes, E\w{4} to E\w{4}<\/span>/);
    expect(group.html).toContain('href="/codes/hcpcs/E0143"');
  });
});

describe('ICD-10-PCS pages and the code builder', () => {
  it('0DTJ4ZZ shows its seven characters with the definition of Resection and a builder link', async () => {
    const p = await page('/codes/icd10pcs/0DTJ4ZZ');
    expect(p.status).toBe(200);
    expect(p.html).toContain(
      '<thead><tr><th scope="col">Position</th><th scope="col">Axis</th><th scope="col">Character</th><th scope="col">Value</th><th scope="col">Definition</th></tr></thead>',
    );
    expect(p.html).toContain(
      '<tr><td>3</td><td>Operation</td><td class="code">T</td><td>Resection</td><td class="def"><p>Cutting out or off, without replacement, all of a body part</p>',
    );
    expect(p.html).toContain(
      '<tr><td>5</td><td>Approach</td><td class="code">4</td><td>Percutaneous Endoscopic</td><td class="def"><p>Entry, by puncture or minor incision',
    );
    expect(hrefOf(p.html, /^Build a code in table 0DT$/)).toBe('/codes/icd10pcs/tables/0DT');
    expect(p.html).toContain('<span>Valid code (billable)</span>');
    expectAccessibleStructure(p.html);
    const table = await page('/codes/icd10pcs/0DT');
    expect(table.html).toMatch(/Table \(characters 1-3\) of \d+ valid codes/);
    expect(hrefOf(table.html, /^Build a code in table 0DT$/)).toBe('/codes/icd10pcs/tables/0DT');
  });

  it('builds 0DTJ4ZZ by following links from the code page: 0DT, J, 4, Z, Z', async () => {
    let p = await page(hrefOf((await page('/codes/icd10pcs/0DTJ4ZZ')).html, /^Build a code in table 0DT$/)!);
    expect(p.status).toBe(200);
    expect(p.html).toContain('<h1>Build an ICD-10-PCS code in table <span class="code">0DT</span></h1>');
    expect(p.html).toContain('<td>Resection</td><td class="def"><p>Cutting out or off, without replacement, all of a body part</p>');
    expect(p.html).toContain('<h2>Character 4: Body Part</h2>');
    expectAccessibleStructure(p.html);
    const steps: [string, string, string][] = [
      ['J', 'Appendix', 'Character 5: Approach'],
      ['4', 'Percutaneous Endoscopic', 'Character 6: Device'],
      ['Z', 'No Device', 'Character 7: Qualifier'],
      ['Z', 'No Qualifier', 'Your code'],
    ];
    let chars = '';
    for (const [ch, label, next] of steps) {
      const href = hrefOf(p.html, new RegExp(`^<span class="code">${ch}</span> ${label}$`));
      chars += ch;
      expect(href).toBe(`/codes/icd10pcs/tables/0DT?chars=${chars}`);
      p = await page(href!);
      expect(p.status).toBe(200);
      expect(p.html).toContain(`<h2>Chosen so far: <span class="code">0DT${chars}</span></h2>`);
      expect(p.html).toContain(`<h2>${next}</h2>`);
      expect(hrefOf(p.html, /^Undo the last choice$/)).toBe(
        chars.length > 1 ? `/codes/icd10pcs/tables/0DT?chars=${chars.slice(0, -1)}` : '/codes/icd10pcs/tables/0DT',
      );
      expectAccessibleStructure(p.html);
    }
    expect(p.html).toContain(
      '<p><a class="code" href="/codes/icd10pcs/0DTJ4ZZ">0DTJ4ZZ</a> Resection of Appendix, Percutaneous Endoscopic Approach</p>',
    );
    expect(p.html).toContain('Valid code in FY2026.');
    const code = await page(hrefOf(p.html, /^0DTJ4ZZ$/)!);
    expect(code.html).toContain('<title>0DTJ4ZZ Resection of Appendix, Percutaneous Endoscopic Approach | MedCodes</title>');
  });

  it('offers only what the table allows, and a disallowed character answers 400 from the valid prefix', async () => {
    const p = await page('/codes/icd10pcs/tables/0DT?chars=J');
    const offered = [...p.html.matchAll(/href="\/codes\/icd10pcs\/tables\/0DT\?chars=J(.)"/g)].map((m) => m[1]);
    expect(offered).toEqual(['0', '4', '7', '8']);
    const bad = await page('/codes/icd10pcs/tables/0DT?chars=J9');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('<p class="alert" role="alert">0DTJ: character 5 (Approach) cannot be &quot;9&quot;; valid: 0, 4, 7, 8</p>');
    expect(bad.html).toContain('<h2>Character 5: Approach</h2>');
    expect((await page('/codes/icd10pcs/tables/ZZZ')).status).toBe(404);
    const deleted = await page('/codes/icd10pcs/tables/XV5');
    expect(deleted.status).toBe(404);
    expect(deleted.html).toContain('ICD-10-PCS table XV5 was deleted in FY2024');
    expect((await page('/codes/icd10pcs/tables/0D')).status).toBe(400);
  });
});

describe('crosswalks (GEMs)', () => {
  it('E11.9 lists 250.00 in both directions, linked', async () => {
    const p = await page('/codes/icd10cm/E11.9');
    expect(p.html).toContain('<h2>Crosswalks</h2>');
    const link =
      '<a class="code" href="/codes/icd9cm/250.00">250.00</a> Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled <span class="muted">(approximate)</span>';
    expect(p.html).toContain(`<h3>ICD-10-CM → ICD-9-CM</h3><ul><li>${link}</li></ul>`);
    expect(p.html).toContain(`<h3>ICD-9-CM → ICD-10-CM</h3><ul><li>${link}</li></ul>`);
    expectAccessibleStructure(p.html);
    // And back: 250.00 leads to E11.9 (I9gem) and is the target of E11.9 and E13.9 (I10gem).
    const back = await page('/codes/icd9cm/250.00');
    expect(back.html).toContain(
      '<h3>ICD-9-CM → ICD-10-CM</h3><ul><li><a class="code" href="/codes/icd10cm/E11.9">E11.9</a> Type 2 diabetes mellitus without complications <span class="muted">(approximate)</span></li></ul>',
    );
    expect(back.html).toMatch(
      /<h3>ICD-10-CM → ICD-9-CM<\/h3><ul><li><a class="code" href="\/codes\/icd10cm\/E11.9">E11.9<\/a>.*<a class="code" href="\/codes\/icd10cm\/E13.9">E13.9<\/a>/,
    );
  });

  it('says when there is no equivalent, and shows combinations joined with +', async () => {
    expect((await page('/codes/icd10cm/R29.700')).html).toContain('<h3>ICD-10-CM → ICD-9-CM</h3><ul><li>No ICD-9-CM equivalent</li></ul>');
    // 806.4: each scenario takes one of three spinal cord injury codes plus the fracture code.
    const combo = await page('/codes/icd9cm/806.4');
    expect(combo.html).toMatch(
      /<li>Combination \(scenario 1\): \(<a class="code" href="\/codes\/icd10cm\/S34.109A">S34.109A<\/a> [^<]+ or <a class="code" href="\/codes\/icd10cm\/S34.119A">S34.119A<\/a> [^<]+ or <a class="code" href="\/codes\/icd10cm\/S34.129A">S34.129A<\/a> [^<]+\) \+ <a class="code" href="\/codes\/icd10cm\/S32.009A">S32.009A<\/a> /,
    );
    // Seen from one of the targets, the whole combination, with this code in it.
    const part = await page('/codes/icd10cm/S32.009A');
    expect(part.html).toMatch(
      /<a class="code" href="\/codes\/icd9cm\/806.4">806.4<\/a> Closed fracture of lumbar spine with spinal cord injury, as part of the combination: \(<a [^>]*>S34.109A<\/a>[^+]*\) \+ <strong class="code">S32.009A<\/strong>/,
    );
  });

  it('long crosswalk lists stop at 100 entries and point to the API', async () => {
    // ICD-9-CM 00.40 is a target of thousands of ICD-10-PCS rows (I10 procedure GEM).
    const sources = new Set(
      testApp
        .store()
        .mappings('icd9pcs', '0040')
        .filter((m) => m.direction === 'from')
        .map((m) => m.key),
    );
    expect(sources.size).toBeGreaterThan(100);
    const p = await page('/codes/icd9pcs/00.40');
    expect(p.status).toBe(200);
    expect(p.html).toContain(
      `<p class="muted">And ${(sources.size - 100).toLocaleString('en-US')} more ICD-10-PCS codes: all of them are in <a href="/api/v1/codes/icd9pcs/00.40">the API answer for 00.40</a>.</p>`,
    );
    const section = p.html.split('<h3>ICD-10-PCS → ICD-9-CM Vol. 3</h3>')[1].split('</ul>')[0];
    expect(new Set([...section.matchAll(/<li><a class="code" href="\/codes\/icd10pcs\/(\w+)">/g)].map((m) => m[1])).size).toBe(100);
    expect(p.html.length).toBeLessThan(200_000);
  });

  it('procedures too: 0DTJ4ZZ and ICD-9-CM Vol. 3', async () => {
    const p = await page('/codes/icd10pcs/0DTJ4ZZ');
    expect(p.html).toContain(
      '<h3>ICD-10-PCS → ICD-9-CM Vol. 3</h3><ul><li><a class="code" href="/codes/icd9pcs/47.01">47.01</a> Laparoscopic appendectomy <span class="muted">(approximate)</span></li></ul>',
    );
  });
});

describe('NUCC and ICD-9-CM pages', () => {
  const nuccNotice = () =>
    testApp
      .store()
      .releases()
      .find((r) => r.system === 'nucc')!.notice!;

  it('a NUCC page shows the taxonomy columns and the release notice', async () => {
    expect(nuccNotice()).toMatch(/National Uniform Claim Committee/);
    const p = await page('/codes/nucc/103TA0400X');
    expect(p.status).toBe(200);
    expect(p.html).toContain(
      `<section class="notice" aria-labelledby="notice-h"><h2 id="notice-h">Notice</h2><p>${escaped(nuccNotice())}</p></section>`,
    );
    expect(rowCell(p.html, 'Grouping')).toBe('Behavioral Health &amp; Social Service Providers');
    expect(rowCell(p.html, 'Classification')).toBe('Psychologist');
    expect(rowCell(p.html, 'Specialization')).toBe('Addiction (Substance Use Disorder)');
    expect(rowCell(p.html, 'Definition')).toMatch(/^A psychologist with a proficiency/);
    // NUCC's <br/> become line breaks; the text between them stays escaped.
    expect(rowCell(p.html, 'Notes')).toBe(
      'Source: American Psychological Association, www.apa.org  [1/1/2019: new definition]<br><br>Additional Resources:  The APA proficiency is Addiction Psychology.',
    );
    expectAccessibleStructure(p.html);
    // Other angle brackets in NUCC text are text, and its lists are lists.
    expect(rowCell((await page('/codes/nucc/3336C0004X')).html, 'Notes')).toContain('USP &lt;795&gt; and &lt;797&gt;');
    expect(rowCell((await page('/codes/nucc/224ZR0403X')).html, 'Notes')).toMatch(
      /requirements: <ul><li>Professional or technical degree.*<\/li><\/ul>AOTA Fact Sheets/,
    );
    // Every NUCC page: groups, inactive codes, and the browse page.
    for (const path of ['/codes/nucc/G-ALLOPATHIC-OSTEOPATHIC-PHYSICIANS', '/codes/nucc/103GC0700X', '/codes/nucc']) {
      expect((await page(path)).html, path).toContain(escaped(nuccNotice()));
    }
    const inactive = await page('/codes/nucc/103GC0700X');
    expect(inactive.html).toContain(
      '<span class="deleted">Deleted code</span><span> on <time datetime="2007-01-01">2007-01-01</time>; replaced by <a class="code" href="/codes/nucc/103G00000X">103G00000X</a></span>',
    );
  });

  it('an ICD-9-CM page says the code set is retired, with its notice', async () => {
    for (const path of ['/codes/icd9cm/250.00', '/codes/icd9pcs/47.01']) {
      const p = await page(path);
      expect(p.status).toBe(200);
      expect(p.html, path).toContain('<span class="retired">Retired code set (replaced by ICD-10-CM/PCS on 2015-10-01)</span>');
      expect(p.html, path).toContain('<h2 id="notice-h">Notice</h2><p>ICD-9-CM is retired');
    }
    // Current code sets carry neither.
    const current = await page('/codes/icd10cm/E11.9');
    expect(current.html).not.toContain('class="retired"');
    expect(current.html).not.toContain('notice-h');
  });
});

describe('browsing a code set', () => {
  it('icd9cm is paged 200 to a page with previous and next links', async () => {
    const roots = testApp.store().roots('icd9cm');
    expect(roots).toHaveLength(14567);
    const p = await page('/codes/icd9cm?page=2');
    expect(p.status).toBe(200);
    expect(p.html).toContain('<span>Page 2 of 73 (201-400 of 14,567)</span>');
    expect(hrefOf(p.html, /^Previous page$/)).toBe('/codes/icd9cm');
    expect(hrefOf(p.html, /^Next page$/)).toBe('/codes/icd9cm?page=3');
    const listed = [...p.html.matchAll(/<li><a class="code" href="([^"]+)">/g)].map((m) => m[1]);
    expect(listed).toHaveLength(200);
    expect(listed[0]).toBe(`/codes/icd9cm/${encodeURIComponent(roots[200].code)}`);
    expect(listed[199]).toBe(`/codes/icd9cm/${encodeURIComponent(roots[399].code)}`);
    expect(p.html).toContain('<span class="retired">Retired code set');
    expectAccessibleStructure(p.html);
    const last = await page('/codes/icd9cm?page=73');
    expect([...last.html.matchAll(/<li><a class="code"/g)]).toHaveLength(14567 - 72 * 200);
    expect(hrefOf(last.html, /^Next page$/)).toBeUndefined();
    expect((await page('/codes/icd9cm?page=74')).status).toBe(404);
    expect((await page('/codes/icd9cm?page=0')).status).toBe(400);
    expect((await page('/codes/icd9cm?page=two')).status).toBe(400);
  });

  it('small code sets list their whole top level: ICD-10-CM chapters, HCPCS groups', async () => {
    const cm = await page('/codes/icd10cm');
    expect(cm.status).toBe(200);
    expect(cm.html).toContain('<a class="code" href="/codes/icd10cm/E00-E89">E00-E89</a>');
    expect(cm.html).not.toContain('class="pager"');
    const hcpcs = await page('/codes/hcpcs');
    expect(hcpcs.html).toContain('<h2>Groups</h2>');
    expect(hcpcs.html).toContain('<a class="code" href="/codes/hcpcs/Modifiers">Modifiers</a> HCPCS Level II modifiers');
    // The breadcrumb's first link on a code page leads here.
    expect(hrefOf((await page('/codes/hcpcs/E0143')).html, /^HCPCS Level II$/)).toBe('/codes/hcpcs');
    expect((await page('/codes/cpt')).status).toBe(404);
    expect((await page('/codes/nosuch')).status).toBe(404);
  });
});

describe('escaping', () => {
  it('no input reaches a page unescaped', async () => {
    const evil = '<script>alert(1)</script>';
    const e = encodeURIComponent(evil);
    const paths = [
      `/codes/icd10cm/${e}`,
      `/codes/${e}`,
      `/codes/${e}/E11.9`,
      `/codes/icd9cm?page=${e}`,
      `/codes/icd10pcs/tables/${e}`,
      `/codes/icd10pcs/tables/0DT?chars=${e}`,
      `/codes/icd10pcs/tables/0DT?chars=${encodeURIComponent('<b>')}`,
      `/search?q=${e}`,
      `/codes/icd10cm/${encodeURIComponent('"><img src=x onerror=alert(1)>')}`,
    ];
    for (const path of paths) {
      const p = await page(path);
      expect(p.status, path).toBeLessThan(500);
      expect(p.type, path).toMatch(/^text\/html/);
      expect(p.html, path).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/)(?! type="application\/ld\+json">)|<img|<b>/i);
      expect(p.html, path).toContain('&lt;');
    }
  });
});

describe('code page order: coders first, then everyone; similar codes last, as on the reference page', () => {
  const h2 = (html: string) => [...html.matchAll(/<h2[^>]*>(.*?)<\/h2>/g)].map((m) => m[1]);

  it('I21.4: summary, what the code means, coding notes, index terms, crosswalks, history, similar codes', async () => {
    const p = await page('/codes/icd10cm/I21.4');
    expect(h2(p.html)).toEqual([
      'Summary',
      'What this code means',
      'Coding notes',
      'Index terms',
      'Crosswalks',
      'History',
      'Similar codes',
    ]);
    expect(p.html).toMatch(/<h1>.*<\/h1>\n<p class="status"><span class="badge">ICD-10-CM<\/span>/);
    expect(p.html).toContain(
      '<p class="provenance">From the official data: ICD-10-CM FY2026, <time datetime="2025-10-01">2025-10-01</time></p>',
    );
    expect(p.html).toContain(
      '<li><a class="code" href="/codes/icd10cm/I21.9">I21.9</a> Acute myocardial infarction, unspecified<br><span class="muted">Also in category I21 (Acute myocardial infarction)</span></li>',
    );
    // The summary says it in plain words (issue 15: the page never said "heart attack"), and so does the description.
    expect(p.html).toContain(
      '<meta name="description" content="I21.4 is a billable ICD-10-CM code. In plain words: non-ST elevation (NSTEMI) heart attack.">',
    );
    expect(p.html).toContain(
      '<dt>Official title</dt><dd>Non-ST elevation (NSTEMI) myocardial infarction</dd><dt>In plain words</dt><dd>Non-ST elevation (NSTEMI) heart attack</dd>',
    );
    expect(p.html).toContain(
      '<li><span class="term">myocardial infarction</span>: heart attack <span class="muted source">(ICD-10-CM Index FY2017: &quot;Attack, attacks, heart - see infarct, myocardium&quot;)</span></li>',
    );
    expect(p.html).toContain('<p class="provenance">Derived from the official text of ICD-10-CM FY2026 and the MedCodes glossary');
    expect(p.html).toContain('<link rel="canonical" href="/codes/icd10cm/I21.4">');
    // No generated text here, so no notice for it; and no empty section headings.
    expect(p.html).not.toContain('class="generated"');
    expectAccessibleStructure(p.html);
  });

  it('coding notes in the order coders read them, with the Tabular release, and every code in them linked', async () => {
    const p = await page('/codes/icd10cm/E11.9');
    const notes = p.html.slice(p.html.indexOf('<h2 id="notes-h">'), p.html.indexOf('</section>', p.html.indexOf('<h2 id="notes-h">')));
    const h3 = [...notes.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]);
    expect(h3).toEqual(['Excludes1', 'Use additional code', 'Includes', 'Notes']);
    expect(notes).toContain('<p class="muted notes-release">From the ICD-10-CM Tabular FY2017.</p>');
    expect(notes).toContain('insulin (<a class="code" href="/codes/icd10cm/Z79.4">Z79.4</a>)');
    // A dash continues a category or subcategory; a range is its block when the classification has one, else a search of the range.
    expect(notes).toContain('(<a class="code" href="/codes/icd10cm/E08">E08.-</a>)');
    expect(notes).toContain('(<a class="code" href="/codes/icd10cm/O24.4">O24.4-</a>)');
    expect(notes).toContain('(<a class="code" href="/codes/icd10cm/P70-P74">P70-P74</a>)');
    expect(notes).toContain('<a class="code" href="/search?q=E16-E31&amp;system=icd10cm">E16-E31</a>');
    const range = await page('/search?q=E16-E31&system=icd10cm');
    expect(range.html).toContain('href="/codes/icd10cm/E16"');
    expect(range.html).not.toContain('href="/codes/icd10cm/E15"');
    // Excludes1 before Excludes2, both before inclusion terms (S72.001A has all three).
    const s72 = (await page('/codes/icd10cm/S72.001A')).html;
    const at = (t: string) => s72.indexOf(`<h3>${t}</h3>`);
    expect(at('Excludes1')).toBeGreaterThan(0);
    expect(at('Excludes1')).toBeLessThan(at('Excludes2'));
    expect(at('Excludes2')).toBeLessThan(at('Inclusion terms'));
    expect(s72).toMatch(/traumatic amputation of hip and thigh \(<a class="code" href="\/codes\/icd10cm\/S78">S78\.-<\/a>\)/);
  });

  it('the 7th characters after the notes, the code’s own marked; the encounter in words', async () => {
    const p = (await page('/codes/icd10cm/S72.001A')).html;
    expect(h2(p)).toEqual(['Summary', 'What this code means', 'Coding notes', '7th characters', 'Crosswalks', 'History', 'Similar codes']);
    expect(p).toContain(
      '<tr class="selected" aria-current="true"><td class="code">A</td><td>initial encounter for closed fracture <strong>(this code)</strong></td></tr>',
    );
    expect(p).toContain(
      '<dt>In plain words</dt><dd>Break of unspecified part of neck of right thighbone, initial visit for closed break</dd>',
    );
    expect(p).toMatch(
      /<dt>7th character A <span class="official">“initial encounter for closed fracture”<\/span><\/dt><dd>The first stage of care, while the patient is receiving active treatment/,
    );
    expect(p).toMatch(/<dt>Side <span class="official">“right”<\/span><\/dt><dd>The right side\./);
  });

  it('history has a line for every release year, "no change" years included', async () => {
    const p = (await page('/codes/icd10cm/E11.9')).html;
    const years = [...p.matchAll(/<li>(FY\d{4}): (.*?)<\/li>/g)].map((m) => [m[1], m[2]]);
    expect(years.map((y) => y[0])).toEqual(Array.from({ length: 11 }, (_, i) => `FY${2016 + i}`));
    expect(years[0][1]).toBe('added');
    expect(years[1][1]).toBe('<span class="muted">no change</span>');
  });

  it('schema.org MedicalCode JSON-LD in the head, which parses', async () => {
    const p = (await page('/codes/icd10pcs/0DTJ4ZZ')).html;
    const json = /<script type="application\/ld\+json">(.*?)<\/script>/.exec(p)?.[1];
    expect(JSON.parse(json!)).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'MedicalCode',
      codeValue: '0DTJ4ZZ',
      codingSystem: 'ICD-10-PCS',
      name: 'Resection of Appendix, Percutaneous Endoscopic Approach',
      url: '/codes/icd10pcs/0DTJ4ZZ',
    });
    expect(p.indexOf('application/ld+json')).toBeLessThan(p.indexOf('</head>'));
  });

  it('JSON-LD cannot close its element early, whatever the data holds', async () => {
    const { jsonLdScript } = await import('../../src/web/layout.js');
    const out = String(await jsonLdScript({ name: '</script><script>alert(1)</script>' }));
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(/>(.*)<\/script>$/.exec(out)![1])).toEqual({ name: '</script><script>alert(1)</script>' });
  });

  it('a header lists its codes after its notes; a code with nothing similar shows no empty heading', async () => {
    const e11 = await page('/codes/icd10cm/E11');
    expect(e11.html.indexOf('<h2 id="notes-h">Coding notes</h2>')).toBeLessThan(e11.html.indexOf('<h2>Codes under E11</h2>'));
    expect(e11.html.indexOf('<h2>Codes under E11</h2>')).toBeLessThan(e11.html.indexOf('<h2>Similar codes</h2>'));
    const chapter = await page('/codes/icd10cm/I00-I99');
    expect(chapter.html).not.toMatch(/<h2>Similar codes<\/h2><ul class="similar"><\/ul>/);
    expectAccessibleStructure(chapter.html);
  });

  it('every set gets its explanation: PCS parts from the definitions, HCPCS drug and billing unit, HCPCS supply', async () => {
    const pcs = (await page('/codes/icd10pcs/0DTJ4ZZ')).html;
    expect(h2(pcs)).toEqual(['Summary', 'What this code means', 'Characters', 'Crosswalks', 'History', 'Similar codes']);
    expect(pcs).toContain(
      'Resection of the appendix: cutting out or off, without replacement, all of the appendix, by keyhole surgery (percutaneous endoscopic approach).',
    );
    expect(pcs).toMatch(
      /<dt>Root operation <span class="official">“Resection”<\/span><\/dt><dd>Cutting out or off, without replacement, all of a body part\. <span class="muted source">\(ICD-10-PCS Definitions\)/,
    );
    const drug = (await page('/codes/hcpcs/J1100')).html;
    expect(drug).toContain('A drug: dexamethasone sodium phosphate, given as an injection, billed in units of 1 mg.');
    expect(drug).toMatch(
      /<dt>Billing unit <span class="official">“1 mg”<\/span><\/dt><dd>One unit of this code stands for 1 milligram of the drug/,
    );
    const supply = (await page('/codes/hcpcs/E0130')).html;
    expect(supply).toContain('Durable medical equipment (DME): walker, rigid (pickup), adjustable or fixed height.');
    expect(h2(supply)).toEqual(['Summary', 'What this code means', 'HCPCS record', 'History', 'Similar codes']);
    for (const html of [pcs, drug, supply]) expectAccessibleStructure(html);
  });
});
