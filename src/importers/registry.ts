import type { Importer } from './types.js';
import { icd10cmImporter } from './icd10cm/import.js';
import { icd10pcsImporter } from './icd10pcs/import.js';

/** Every importer, asked in order which files are theirs. */
export const IMPORTERS: Importer[] = [icd10cmImporter, icd10pcsImporter];
