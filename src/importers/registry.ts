import type { Importer } from './types.js';
import { icd10cmImporter } from './icd10cm/import.js';

/** Every importer, asked in order which files are theirs. */
export const IMPORTERS: Importer[] = [icd10cmImporter];
