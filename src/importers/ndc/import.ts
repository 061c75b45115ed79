import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { MedCodesError, parseError } from '../../errors.js';
import { sourceChunks, sourceLabel, type FileSource } from '../sources.js';
import { latin1Lines } from '../lines.js';
import { ndcKey, ndc11Display } from '../../codes.js';
import { classifyAll, claims, dirHas, firstLine, headOf, linesWithProgress, Skips, type ReleaseLayout } from '../release.js';
import { headerProblem, isoDate, PACKAGE_REQUIRED, PRODUCT_REQUIRED, productTitle, readNdcPackages, readNdcProducts } from './record.js';
import type { Progress } from '../types.js';

/**
 * The NDC importer: FDA's NDC Directory, text edition (`ndctext.zip` or its extracted `product.txt`
 * and `package.txt`).
 *
 * Model, three levels:
 *  - labeler (`group`): key = the labeler code padded to 5 digits (`00002`), title = LABELERNAME;
 *  - product (`category`): key = labeler-product padded to 5-4 (`000021433`), code as FDA writes it
 *    (`0002-1433`), title = brand (generic) strength, dosage form; not billable (claims carry a
 *    package NDC);
 *  - package (`code`): key = the 11-digit HIPAA form (`00002143380`), code = the 10-digit NDC as FDA
 *    writes it (`0002-1433-80`); properties.ndc11 = `00002-1433-80`. codes.ts ndcKey makes every
 *    written form (4-4-2, 5-3-2, 5-4-1 with dashes, 5-4-2 with or without) find the same key.
 * The other forms of each product and package code are also stored as one index term (source `ndc`),
 * so that word search finds an NDC typed in any form (the query tokenizer does not treat dashed NDCs
 * as codes).
 * Links to RxNorm come from RxNorm's RXNSAT (rxnorm importer), kept with RxNorm.
 * Release: the directory has no version in its files; the date of the product file (or zip) as
 * downloaded is used.
 */

type Kind = 'product' | 'package';

const isNdcRoot = (dir: string) => dirHas(dir, '.', /^product\.txt$/i) && dirHas(dir, '.', /^package\.txt$/i);

export const NDC_LAYOUT: ReleaseLayout<Kind> = {
  byName: (n) => (/^product\.txt$/i.test(n) ? 'product' : /^package\.txt$/i.test(n) ? 'package' : undefined),
  byContent: (head) => {
    const l = firstLine(head);
    if (!headerProblem(l, PACKAGE_REQUIRED, 'package file')) return 'package';
    if (!headerProblem(l, PRODUCT_REQUIRED, 'product file')) return 'product';
    return undefined;
  },
  isRoot: isNdcRoot,
};

export const NDC_NOTICE =
  'National Drug Code Directory from the U.S. Food and Drug Administration (https://www.fda.gov/drugs/drug-approvals-and-databases/national-drug-code-directory), ' +
  'public domain. Listing in the directory does not denote FDA approval of a drug; FDA does not endorse this product.';

export const ndcImporter: Importer = {
  id: 'ndc',
  systems: ['ndc'],
  describe: 'FDA NDC Directory (ndctext.zip or product.txt and package.txt)',
  claim: (file) => claims(file, NDC_LAYOUT),
  async run(files, ctx) {
    return [await importNdc(files, ctx)];
  },
};

/** Latin-1 lines of a source with a progress bar (the directory's files are Windows-1252/Latin-1). */
const latin1WithProgress = (s: FileSource, progress: Progress, label: string) =>
  linesWithProgress(s, progress, label, (src) => latin1Lines(sourceChunks(src)));

export function ndcFormsTerm(code: string): string {
  const key = ndcKey(code);
  const forms = [code, ndc11Display(key), key];
  if (/^\d+-\d+-\d+$/.test(code)) forms.push(code.replace(/-/g, ''));
  return `NDC ${[...new Set(forms)].join(', ')}`;
}

export async function importNdc(files: string[], ctx: ImportContext): Promise<ImportSummary> {
  const { writer, progress } = ctx;
  const skips = new Skips();
  const sources = await classifyAll(files, NDC_LAYOUT, skips, 'other files (not read)');
  // A file that is not what its name says is refused first, naming it.
  for (const s of sources) {
    const problem =
      s.kind === 'product'
        ? headerProblem(firstLine(await headOf(s)), PRODUCT_REQUIRED, 'product file')
        : headerProblem(firstLine(await headOf(s)), PACKAGE_REQUIRED, 'package file');
    if (problem) throw parseError(problem, { file: sourceLabel(s), line: 1 });
  }
  const of = (k: Kind) => sources.filter((s) => s.kind === k);
  if (of('product').length !== 1 || of('package').length !== 1) {
    throw new MedCodesError(
      'unknown_format',
      `the NDC directory needs one product.txt and one package.txt; got ${sources.map(sourceLabel).join(', ') || 'neither'}`,
    );
  }
  const [product] = of('product');
  const [pkg] = of('package');
  const version = statSync(product.file).mtime.toISOString().slice(0, 10);

  const db = writer.db;
  const exists = db.prepare("SELECT 1 FROM codes WHERE system = 'ndc' AND key = ?").pluck();
  const labelers = new Map<string, { name: string; products: number }>();
  let products = 0;
  for await (const p of readNdcProducts(latin1WithProgress(product, progress, 'NDC: product.txt'), sourceLabel(product))) {
    const key = ndcKey(p.productNdc);
    if (exists.get(key)) {
      skips.add('products listed again under another SPL');
      continue;
    }
    const labeler = key.slice(0, 5);
    const l = labelers.get(labeler);
    if (l) l.products++;
    else labelers.set(labeler, { name: p.labelerName, products: 1 });
    const props: Record<string, unknown> = {
      productType: p.productType,
      labeler: p.labelerName,
      proprietaryName: p.proprietaryName,
      nonproprietaryName: p.nonproprietaryName,
      dosageForm: p.dosageForm,
      ndc11: ndc11Display(key),
      productId: p.productId,
    };
    for (const k of [
      'proprietaryNameSuffix',
      'route',
      'marketingCategory',
      'applicationNumber',
      'substanceName',
      'strength',
      'strengthUnit',
      'pharmClasses',
      'deaSchedule',
    ] as const)
      if (p[k]) props[k] = p[k];
    if (p.startMarketingDate) props.startMarketingDate = isoDate(p.startMarketingDate);
    if (p.endMarketingDate) props.endMarketingDate = isoDate(p.endMarketingDate);
    writer.putCode({
      system: 'ndc',
      key,
      code: p.productNdc,
      display: productTitle(p),
      ...(p.proprietaryName ? { shortDisplay: p.proprietaryName } : {}),
      kind: 'category',
      billable: false,
      status: 'active',
      parentKey: labeler,
      sort: Number(key),
      version,
      properties: props,
    });
    writer.putIndexTerm({ system: 'ndc', key, path: ndcFormsTerm(p.productNdc), source: 'ndc', version });
    products++;
  }
  for (const [key, l] of labelers) {
    writer.putCode({
      system: 'ndc',
      key,
      code: key,
      display: l.name,
      kind: 'group',
      billable: false,
      status: 'active',
      sort: Number(key),
      version,
      properties: { labelerCode: key, products: l.products },
    });
  }

  let packages = 0;
  const productOf = db.prepare("SELECT display, short_display AS shortDisplay FROM codes WHERE system = 'ndc' AND key = ?");
  for await (const p of readNdcPackages(latin1WithProgress(pkg, progress, 'NDC: package.txt'), sourceLabel(pkg))) {
    const key = ndcKey(p.ndcPackageCode);
    const parent = ndcKey(p.productNdc);
    const prod = productOf.get(parent) as { display: string; shortDisplay: string | null } | undefined;
    if (!prod) {
      skips.add('packages of products not in product.txt');
      continue;
    }
    if (exists.get(key)) {
      skips.add('packages listed again');
      continue;
    }
    const props: Record<string, unknown> = {
      ndc10: p.ndcPackageCode,
      ndc11: ndc11Display(key),
      productNdc: p.productNdc,
      packageDescription: p.description,
    };
    if (p.startMarketingDate) props.startMarketingDate = isoDate(p.startMarketingDate);
    if (p.endMarketingDate) props.endMarketingDate = isoDate(p.endMarketingDate);
    if (p.sample) props.sample = p.sample === 'Y';
    writer.putCode({
      system: 'ndc',
      key,
      code: p.ndcPackageCode,
      display: `${prod.shortDisplay ?? prod.display}: ${p.description}`,
      shortDisplay: p.description,
      kind: 'code',
      billable: true,
      status: 'active',
      parentKey: parent,
      sort: Number(key),
      version,
      properties: props,
    });
    writer.putIndexTerm({ system: 'ndc', key, path: ndcFormsTerm(p.ndcPackageCode), source: 'ndc', version });
    packages++;
  }
  if (!products) throw parseError('the product file has a header but no products', { file: sourceLabel(product) });

  const imported = { labelers: labelers.size, products, packages };
  writer.putRelease({ system: 'ndc', version, effective: version, notice: NDC_NOTICE }, imported, [sourceLabel(product), sourceLabel(pkg)]);
  return { system: 'ndc', version, imported, skipped: skips.counts, files };
}
