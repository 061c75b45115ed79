import type { SystemId } from '../model.js';
import { displayCode } from '../codes.js';
import type { StoredSection } from './store.js';
import { articleKind, provenanceLine, sectionsOf, type Article, type ArticleSection } from './sections.js';

/**
 * One article from its three sources. Each section is taken from one source, in this order of
 * precedence: curated (a person wrote it; reviewed before draft), then official (assembled from the
 * release, so a generated text never hides what the release states), then generated; except that a
 * generated narrative comes before an official section that only restates the code's structured data. Sections follow
 * the order of the code's kind (sections.ts), which for procedures is the reference page's order.
 */
/** Official sections that restate structured data shown elsewhere on the page (see rank below). */
const RESTATES_DATA: ReadonlySet<string> = new Set(['procedureDescription', 'description']);

export function assembleArticle(
  system: SystemId,
  key: string,
  code: string | undefined,
  official: ArticleSection[],
  stored: StoredSection[],
  titles: Partial<Record<'curated' | 'generated', string>> = {},
): Article | undefined {
  const kind = articleKind(system);
  const bySection = new Map<string, ArticleSection[]>();
  const add = (s: ArticleSection) => {
    if (!bySection.has(s.id)) bySection.set(s.id, []);
    bySection.get(s.id)!.push(s);
  };
  for (const s of official) add(s);
  for (const r of stored) {
    const base = {
      source: r.source,
      author: r.author,
      date: r.date,
      review: r.review,
      ...(r.reviewer ? { reviewer: r.reviewer } : {}),
      ...(r.reviewed_at ? { reviewedAt: r.reviewed_at } : {}),
    };
    add({ id: r.section, heading: r.heading, text: r.text, ...base, provenance: provenanceLine(base) });
  }
  // A narrative written for the reader outranks an official section that only restates structured
  // data the page shows in full elsewhere (the PCS axis table as "Procedure Description", the HCPCS
  // title as "Description"); every other official section, which states what the release says,
  // still outranks generated text.
  const rank = (s: ArticleSection) =>
    s.source === 'curated' ? (s.review === 'reviewed' ? 0 : 1) : s.source === 'official' ? (RESTATES_DATA.has(s.id) ? 4 : 2) : 3;
  const sections: ArticleSection[] = [];
  for (const def of sectionsOf(kind)) {
    const candidates = bySection.get(def.id);
    if (candidates?.length) sections.push([...candidates].sort((a, b) => rank(a) - rank(b))[0]);
  }
  if (!sections.length) return undefined;
  const title = titles.curated ?? titles.generated;
  return {
    system,
    code: code ?? stored[0]?.code ?? displayCode(system, key),
    kind,
    ...(title ? { title } : {}),
    sections,
    generated: sections.some((s) => s.source === 'generated'),
  };
}
