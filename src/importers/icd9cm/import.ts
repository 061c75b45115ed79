import { basename } from 'node:path';
import type { Importer, ImportContext, ImportSummary } from '../types.js';
import { gatherSources, sourceChunks } from '../sources.js';
import type { CodeRecord, SystemId } from '../../model.js';
import { MedCodesError } from '../../errors.js';
import { codeKey } from '../../codes.js';
import { listZip } from '../zip.js';
import { icd9FileKind, joinIcd9Descriptions, type Icd9Kind, type Icd9TitleLength } from './descriptions.js';

/**
 * The ICD-9-CM importer: the final release (v32) of the retired ICD-9-CM, from CMS's
 * `ICD-9-CM-v32-master-descriptions.zip` or its bare `CMS32_DESC_{LONG,SHORT}_{DX,SG}.txt` members.
 *
 * Two systems: `icd9cm` (diagnoses, Volumes 1-2, the DX files) and `icd9pcs` (procedures, Volume 3,
 * the SG files). Each code: display = long title, shortDisplay = short title, code = dotted form
 * (`250.00`, `E849.0`, `00.01`), key = the undotted code (`codeKey`: `25000`), sort = the file's order.
 *
 * The files list only valid codes, no headers, and no header is made up here. A code's parent is its
 * category (diagnoses: the first 3 characters, E codes the first 4; procedures: the first 2) only when
 * that category is itself a code of the file. In ICD-9-CM a code with subdivisions is not valid, so in
 * v32 no category is both listed and subdivided: all 14,567 diagnoses and 3,882 procedures are
 * top-level. A code that is its own category (`024` Glanders, `E030`) has kind `category`; all others
 * `code`.
 *
 * Every code is billable in the sense the model gives the flag (valid in its release, not a header) and
 * `active` within the release; the whole code set is retired, which the system registry marks
 * (`retired`) and the release notice says.
 */

/**
 * The retirement notice shown with ICD-9-CM content. HIPAA (45 CFR 162.1002(c)) adopts ICD-10-CM and
 * ICD-10-PCS, in place of ICD-9-CM Volumes 1-3, for services on or after October 1, 2015.
 */
export function icd9Notice(version: string): string {
  return (
    `ICD-9-CM is retired: since October 1, 2015 ICD-10-CM (diagnoses) and ICD-10-PCS (inpatient procedures) replace it on HIPAA transactions (45 CFR 162.1002). ` +
    `Release ${version}${version === 'v32' ? ', effective October 1, 2014, is the final release;' : ' is shown;'} its codes are kept to read older records and to follow the General Equivalence Mappings.`
  );
}

/**
 * Effective date of a CMS release number: CMS lists "Version 23" (effective October 1, 2005) through
 * "Version 32" (effective October 1, 2014), one a year, each on October 1: version n took effect on
 * October 1 of 1982 + n. Older numbers are not dated here.
 */
export function icd9Effective(release: number): string | undefined {
  return release >= 23 && release <= 32 ? `${1982 + release}-10-01` : undefined;
}

const SYSTEM_OF: Record<Icd9Kind, SystemId> = { diagnosis: 'icd9cm', procedure: 'icd9pcs' };

/** Parent rule: the category of a code, as a key, or undefined when the code is its own category. */
export function icd9Category(key: string, kind: Icd9Kind): string | undefined {
  const head = kind === 'procedure' ? 2 : key.startsWith('E') ? 4 : 3;
  return key.length > head ? key.slice(0, head) : undefined;
}

interface Icd9Source {
  file: string;
  member?: string;
  kind: Icd9Kind;
  length: Icd9TitleLength;
  release: number;
}

const label = (s: Icd9Source) => (s.member ? `${basename(s.file)}:${s.member}` : basename(s.file));

function classify(name: string): Omit<Icd9Source, 'file' | 'member'> | undefined {
  const kind = icd9FileKind(basename(name));
  const release = /CMS(\d+)_/i.exec(basename(name));
  return kind && release ? { ...kind, release: Number(release[1]) } : undefined;
}

async function sourcesOf(file: string): Promise<Icd9Source[]> {
  const direct = classify(file);
  if (direct) return [{ ...direct, file }];
  if (!/\.zip$/i.test(file)) return [];
  let members;
  try {
    members = await listZip(file);
  } catch {
    return [];
  }
  return members.flatMap((m) => {
    const c = classify(m.name);
    return c ? [{ ...c, file, member: m.name }] : [];
  });
}

export const icd9cmImporter: Importer = {
  id: 'icd9cm',
  systems: ['icd9cm', 'icd9pcs'],
  describe: 'ICD-9-CM diagnoses and procedures, final release v32 (CMS long and short descriptions)',
  async claim(file) {
    return (await sourcesOf(file)).length > 0;
  },
  async run(files, ctx) {
    return importIcd9(files, ctx);
  },
};

export async function importIcd9(files: string[], ctx: ImportContext): Promise<ImportSummary[]> {
  const { writer, progress } = ctx;
  const sources: Icd9Source[] = await gatherSources(files, ctx, 'ICD-9-CM', sourcesOf);

  const summaries: ImportSummary[] = [];
  for (const kind of ['diagnosis', 'procedure'] as const) {
    const ofKind = sources.filter((s) => s.kind === kind);
    if (!ofKind.length) continue;
    const system = SYSTEM_OF[kind];
    const skipped: Record<string, number> = {};
    // The newest release given; the long and short file of that release must both be there.
    const release = Math.max(...ofKind.map((s) => s.release));
    const older = ofKind.filter((s) => s.release !== release);
    if (older.length) {
      skipped['files of older releases'] = older.length;
      progress.log(`  ICD-9-CM: ${older.map(label).join(', ')} not imported: release ${release} is newer`);
    }
    const pick = (length: Icd9TitleLength) => {
      const found = ofKind.filter((s) => s.release === release && s.length === length);
      const suffix = kind === 'diagnosis' ? 'DX' : 'SG';
      if (found.length !== 1) {
        const problem = found.length
          ? `two ${length}-title files (${found.map(label).join(', ')})`
          : `no CMS${release}_DESC_${length.toUpperCase()}_${suffix}.txt`;
        throw new MedCodesError(
          'parse_error',
          `ICD-9-CM ${kind === 'diagnosis' ? 'diagnoses' : 'procedures'} need the long and the short descriptions of release ${release}: ${problem}, given ${ofKind.map(label).join(', ')}`,
        );
      }
      return found[0];
    };
    const long = pick('long');
    const short = pick('short');
    const version = `v${release}`;

    const records: CodeRecord[] = [];
    const p = progress.phase(`ICD-9-CM: ${kind === 'diagnosis' ? 'diagnoses' : 'procedures'} ${version}`, 0);
    for await (const d of joinIcd9Descriptions(
      { input: sourceChunks(long), file: label(long) },
      { input: sourceChunks(short), file: label(short) },
      kind,
    )) {
      const key = codeKey(system, d.dotted);
      records.push({
        system,
        key,
        code: d.dotted,
        display: d.long,
        shortDisplay: d.short,
        kind: icd9Category(key, kind) ? 'code' : 'category',
        billable: true,
        status: 'active',
        sort: d.seq * 10,
        version,
      });
    }
    p.done();
    const keys = new Set(records.map((r) => r.key));
    let parented = 0;
    for (const r of records) {
      const cat = icd9Category(r.key, kind);
      if (cat && keys.has(cat)) {
        r.parentKey = cat;
        parented++;
      }
    }
    for (const r of records) writer.putCode(r);
    const imported = { codes: records.length, categories: records.filter((r) => r.kind === 'category').length, withParent: parented };
    const effective = icd9Effective(release);
    writer.putRelease({ system, version, ...(effective ? { effective } : {}), notice: icd9Notice(version) }, imported, [
      label(long),
      label(short),
    ]);
    summaries.push({ system, version, imported, skipped, files });
  }
  if (!summaries.length)
    throw new MedCodesError(
      'unknown_format',
      `ICD-9-CM needs CMSnn_DESC_LONG/SHORT_DX/SG.txt files; got ${files.map((f) => basename(f)).join(', ')}`,
    );
  return summaries;
}
