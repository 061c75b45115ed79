import type { Importer } from './types.js';
import { icd10cmImporter } from './icd10cm/import.js';
import { icd10pcsImporter } from './icd10pcs/import.js';
import { hcpcsImporter } from './hcpcs/import.js';
import { icd9cmImporter } from './icd9cm/import.js';
import { nuccImporter } from './nucc/import.js';
import { gemsImporter } from './gems/import.js';
import { cptImporter } from './cpt/import.js';
import { loincImporter } from './loinc/import.js';
import { snomedImporter } from './snomedct/import.js';
import { rxnormImporter } from './rxnorm/import.js';
import { ndcImporter } from './ndc/import.js';

/**
 * Every importer, asked in this order which files are theirs, and run in this order: the ICD
 * importers claim their xlsx/csv files before HCPCS and NUCC sniff theirs, and the GEMs run last.
 * The licensed and large releases a user imports (CPT, LOINC, SNOMED CT, NDC, RxNorm) come after the
 * bundled formats; RxNorm runs after HCPCS, since it derives brand-name synonyms of HCPCS drug codes.
 */
export const IMPORTERS: Importer[] = [
  icd10cmImporter,
  icd10pcsImporter,
  hcpcsImporter,
  icd9cmImporter,
  nuccImporter,
  cptImporter,
  loincImporter,
  snomedImporter,
  ndcImporter,
  rxnormImporter,
  gemsImporter,
];
