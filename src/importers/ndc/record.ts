import { parseError } from '../../errors.js';

/**
 * FDA National Drug Code Directory, text edition (`ndctext.zip`: `product.txt`, `package.txt`), as
 * described on FDA's "National Drug Code Directory" page ("NDC Directory file definitions"):
 * tab-delimited, one header row naming the columns, one row per product or package. Columns are read
 * by header name (FDA has appended columns over the years, e.g. NDC_EXCLUDE_FLAG,
 * LISTING_RECORD_CERTIFIED_THROUGH). Dates are `YYYYMMDD`. The files are Windows-1252/Latin-1 text.
 */

/** product.txt: one row per listed product (a labeler's drug in one dosage form and strength). */
export interface NdcProduct {
  /** PRODUCTID: PRODUCTNDC + `_` + SPL document id. */
  productId: string;
  /** PRODUCTNDC: labeler-product code, 4-4, 5-3 or 5-4 digits with a dash, e.g. `0002-1433`. */
  productNdc: string;
  /** PRODUCTTYPENAME, e.g. `HUMAN PRESCRIPTION DRUG`. */
  productType: string;
  /** PROPRIETARYNAME (brand), PROPRIETARYNAMESUFFIX. */
  proprietaryName: string;
  proprietaryNameSuffix?: string;
  /** NONPROPRIETARYNAME: the generic name(s). */
  nonproprietaryName: string;
  /** DOSAGEFORMNAME, ROUTENAME (`;`-separated when several). */
  dosageForm: string;
  route?: string;
  /** STARTMARKETINGDATE, ENDMARKETINGDATE (YYYYMMDD). */
  startMarketingDate?: string;
  endMarketingDate?: string;
  /** MARKETINGCATEGORYNAME (NDA, ANDA, BLA, OTC MONOGRAPH ...), APPLICATIONNUMBER. */
  marketingCategory?: string;
  applicationNumber?: string;
  /** LABELERNAME. */
  labelerName: string;
  /** SUBSTANCENAME, ACTIVE_NUMERATOR_STRENGTH, ACTIVE_INGRED_UNIT (`;`-separated lists, in step). */
  substanceName?: string;
  strength?: string;
  strengthUnit?: string;
  /** PHARM_CLASSES: established pharmacologic classes. */
  pharmClasses?: string;
  /** DEASCHEDULE, e.g. `CII`. */
  deaSchedule?: string;
  /** NDC_EXCLUDE_FLAG: `N` in the directory proper. */
  excludeFlag?: string;
  line: number;
}

/** package.txt: one row per package of a product. */
export interface NdcPackage {
  productId: string;
  productNdc: string;
  /** NDCPACKAGECODE: the 10-digit NDC with dashes, 4-4-2, 5-3-2 or 5-4-1, e.g. `0002-1433-80`. */
  ndcPackageCode: string;
  /** PACKAGEDESCRIPTION, e.g. `1 SYRINGE in 1 CARTON (0002-1433-80) > .5 mL in 1 SYRINGE`. */
  description: string;
  startMarketingDate?: string;
  endMarketingDate?: string;
  excludeFlag?: string;
  /** SAMPLE_PACKAGE: Y/N. */
  sample?: string;
  line: number;
}

export const PRODUCT_REQUIRED = [
  'PRODUCTID',
  'PRODUCTNDC',
  'PROPRIETARYNAME',
  'NONPROPRIETARYNAME',
  'DOSAGEFORMNAME',
  'LABELERNAME',
] as const;
export const PACKAGE_REQUIRED = ['PRODUCTID', 'PRODUCTNDC', 'NDCPACKAGECODE', 'PACKAGEDESCRIPTION'] as const;

/** What is wrong with a header line for the given required columns, or undefined. */
export function headerProblem(line: string, required: readonly string[], what: string): string | undefined {
  const cols = new Set(line.split('\t').map((c) => c.trim()));
  const missing = required.filter((c) => !cols.has(c));
  if (missing.length === required.length)
    return `not the NDC directory's ${what}: the first line is not its tab-separated header (${required.slice(0, 3).join(', ')}, ...)`;
  if (missing.length) return `the ${what} header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}

/** PRODUCTNDC shapes: 4-4, 5-3, 5-4. */
export const PRODUCT_NDC = /^(\d{4}-\d{4}|\d{5}-\d{3}|\d{5}-\d{4})$/;
/** NDCPACKAGECODE shapes: 4-4-2, 5-3-2, 5-4-1 (10 digits). */
export const PACKAGE_NDC = /^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1})$/;

async function* tabRows(lines: AsyncIterable<{ text: string; line: number }>, required: readonly string[], what: string, file: string) {
  let index: Map<string, number> | undefined;
  for await (const { text, line } of lines) {
    if (!index) {
      const problem = headerProblem(text, required, what);
      if (problem) throw parseError(problem, { file, line });
      index = new Map(text.split('\t').map((c, i) => [c.trim(), i]));
      continue;
    }
    if (text.trim() === '') continue;
    const f = text.split('\t');
    const get = (c: string) => {
      const i = index!.get(c);
      return i === undefined ? '' : (f[i] ?? '').trim();
    };
    yield { get, line };
  }
  if (!index) throw parseError(`empty file: no ${what} header`, { file });
}

const opt = (v: string) => (v ? v : undefined);

export async function* readNdcProducts(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<NdcProduct> {
  for await (const { get, line } of tabRows(lines, PRODUCT_REQUIRED, 'product file', file)) {
    const productNdc = get('PRODUCTNDC');
    if (!PRODUCT_NDC.test(productNdc))
      throw parseError(`PRODUCTNDC "${productNdc.slice(0, 20)}" is not a labeler-product code (4-4, 5-3 or 5-4 digits)`, { file, line });
    const r: NdcProduct = {
      productId: get('PRODUCTID'),
      productNdc,
      productType: get('PRODUCTTYPENAME'),
      proprietaryName: get('PROPRIETARYNAME'),
      nonproprietaryName: get('NONPROPRIETARYNAME'),
      dosageForm: get('DOSAGEFORMNAME'),
      labelerName: get('LABELERNAME'),
      line,
    };
    const more: [keyof NdcProduct, string][] = [
      ['proprietaryNameSuffix', 'PROPRIETARYNAMESUFFIX'],
      ['route', 'ROUTENAME'],
      ['startMarketingDate', 'STARTMARKETINGDATE'],
      ['endMarketingDate', 'ENDMARKETINGDATE'],
      ['marketingCategory', 'MARKETINGCATEGORYNAME'],
      ['applicationNumber', 'APPLICATIONNUMBER'],
      ['substanceName', 'SUBSTANCENAME'],
      ['strength', 'ACTIVE_NUMERATOR_STRENGTH'],
      ['strengthUnit', 'ACTIVE_INGRED_UNIT'],
      ['pharmClasses', 'PHARM_CLASSES'],
      ['deaSchedule', 'DEASCHEDULE'],
      ['excludeFlag', 'NDC_EXCLUDE_FLAG'],
    ];
    for (const [k, c] of more) {
      const v = opt(get(c));
      if (v) (r as unknown as Record<string, unknown>)[k] = v;
    }
    yield r;
  }
}

export async function* readNdcPackages(lines: AsyncIterable<{ text: string; line: number }>, file: string): AsyncGenerator<NdcPackage> {
  for await (const { get, line } of tabRows(lines, PACKAGE_REQUIRED, 'package file', file)) {
    const code = get('NDCPACKAGECODE');
    if (!PACKAGE_NDC.test(code))
      throw parseError(`NDCPACKAGECODE "${code.slice(0, 20)}" is not a 10-digit NDC (4-4-2, 5-3-2 or 5-4-1)`, { file, line });
    const productNdc = get('PRODUCTNDC');
    if (!code.startsWith(`${productNdc}-`))
      throw parseError(`package ${code} does not belong to its PRODUCTNDC ${productNdc}`, { file, line });
    yield {
      productId: get('PRODUCTID'),
      productNdc,
      ndcPackageCode: code,
      description: get('PACKAGEDESCRIPTION'),
      ...(opt(get('STARTMARKETINGDATE')) ? { startMarketingDate: get('STARTMARKETINGDATE') } : {}),
      ...(opt(get('ENDMARKETINGDATE')) ? { endMarketingDate: get('ENDMARKETINGDATE') } : {}),
      ...(opt(get('NDC_EXCLUDE_FLAG')) ? { excludeFlag: get('NDC_EXCLUDE_FLAG') } : {}),
      ...(opt(get('SAMPLE_PACKAGE')) ? { sample: get('SAMPLE_PACKAGE') } : {}),
      line,
    };
  }
}

/** `20240131` -> `2024-01-31`; anything else unchanged. */
export const isoDate = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d);

/** The product title: brand (suffix) (generic), dosage form. */
export function productTitle(p: NdcProduct): string {
  const brand = [p.proprietaryName, p.proprietaryNameSuffix].filter(Boolean).join(' ');
  const generic =
    p.nonproprietaryName && p.nonproprietaryName.toLowerCase() !== brand.toLowerCase() ? ` (${p.nonproprietaryName.toLowerCase()})` : '';
  const strength = p.strength && p.strengthUnit && !p.strength.includes(';') ? ` ${p.strength} ${p.strengthUnit}` : '';
  return `${brand || p.nonproprietaryName}${generic}${strength}, ${p.dosageForm.toLowerCase()}`;
}
