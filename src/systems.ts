import type { SystemId } from './model.js';

/**
 * The registry of code systems: short id, canonical FHIR URI (as listed in HL7's terminology
 * registry, https://terminology.hl7.org/), name and licence. Everything that names a system across an
 * API boundary uses these ids or URIs.
 */
export interface SystemInfo {
  id: SystemId;
  /** Canonical URI for FHIR `system` values. */
  uri: string;
  name: string;
  /** Short label for badges. */
  label: string;
  publisher: string;
  /** Whether MedCodes may ship the content (public domain / redistributable). */
  bundled: boolean;
  /** Retired code sets stay searchable for history but are marked as such. */
  retired?: boolean;
  /** What the codes name: drives the article sections and page layout. */
  domain: 'diagnosis' | 'procedure' | 'supply' | 'lab' | 'clinical' | 'drug' | 'provider';
}

export const SYSTEMS: Record<SystemId, SystemInfo> = {
  icd10cm: {
    id: 'icd10cm',
    uri: 'http://hl7.org/fhir/sid/icd-10-cm',
    name: 'ICD-10-CM',
    label: 'ICD-10-CM',
    publisher: 'CDC National Center for Health Statistics',
    bundled: true,
    domain: 'diagnosis',
  },
  icd10pcs: {
    id: 'icd10pcs',
    uri: 'http://www.cms.gov/Medicare/Coding/ICD10',
    name: 'ICD-10-PCS',
    label: 'ICD-10-PCS',
    publisher: 'Centers for Medicare & Medicaid Services',
    bundled: true,
    domain: 'procedure',
  },
  hcpcs: {
    id: 'hcpcs',
    uri: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    name: 'HCPCS Level II',
    label: 'HCPCS',
    publisher: 'Centers for Medicare & Medicaid Services',
    bundled: true,
    domain: 'supply',
  },
  icd9cm: {
    id: 'icd9cm',
    uri: 'http://hl7.org/fhir/sid/icd-9-cm',
    name: 'ICD-9-CM diagnoses',
    label: 'ICD-9-CM',
    publisher: 'Centers for Medicare & Medicaid Services',
    bundled: true,
    retired: true,
    domain: 'diagnosis',
  },
  icd9pcs: {
    id: 'icd9pcs',
    uri: 'http://hl7.org/fhir/sid/icd-9-cm/procedure',
    name: 'ICD-9-CM procedures',
    label: 'ICD-9-CM Vol. 3',
    publisher: 'Centers for Medicare & Medicaid Services',
    bundled: true,
    retired: true,
    domain: 'procedure',
  },
  nucc: {
    id: 'nucc',
    uri: 'http://nucc.org/provider-taxonomy',
    name: 'NUCC Health Care Provider Taxonomy',
    label: 'NUCC',
    publisher: 'National Uniform Claim Committee',
    bundled: true,
    domain: 'provider',
  },
  cpt: {
    id: 'cpt',
    uri: 'http://www.ama-assn.org/go/cpt',
    name: 'CPT',
    label: 'CPT',
    publisher: 'American Medical Association',
    bundled: false,
    domain: 'procedure',
  },
  cdt: {
    id: 'cdt',
    uri: 'http://www.ada.org/cdt',
    name: 'CDT',
    label: 'CDT',
    publisher: 'American Dental Association',
    bundled: false,
    domain: 'procedure',
  },
  loinc: {
    id: 'loinc',
    uri: 'http://loinc.org',
    name: 'LOINC',
    label: 'LOINC',
    publisher: 'Regenstrief Institute',
    bundled: false,
    domain: 'lab',
  },
  snomedct: {
    id: 'snomedct',
    uri: 'http://snomed.info/sct',
    name: 'SNOMED CT',
    label: 'SNOMED CT',
    publisher: 'SNOMED International',
    bundled: false,
    domain: 'clinical',
  },
  rxnorm: {
    id: 'rxnorm',
    uri: 'http://www.nlm.nih.gov/research/umls/rxnorm',
    name: 'RxNorm',
    label: 'RxNorm',
    publisher: 'National Library of Medicine',
    bundled: false,
    domain: 'drug',
  },
  ndc: {
    id: 'ndc',
    uri: 'http://hl7.org/fhir/sid/ndc',
    name: 'National Drug Code',
    label: 'NDC',
    publisher: 'U.S. Food and Drug Administration',
    bundled: false,
    domain: 'drug',
  },
};

export const SYSTEM_IDS = Object.keys(SYSTEMS) as SystemId[];

/** Resolve a short id or a canonical URI (any case for the id) to a system id, or undefined. */
export function resolveSystem(idOrUri: string): SystemId | undefined {
  const s = idOrUri.trim();
  const lower = s.toLowerCase();
  if (lower in SYSTEMS) return lower as SystemId;
  for (const info of Object.values(SYSTEMS)) if (info.uri === s) return info.id;
  // Common spellings users type: "icd-10-cm", "ICD10-CM", "hcpcs2".
  const compact = lower.replace(/[^a-z0-9]/g, '');
  if (compact in SYSTEMS) return compact as SystemId;
  return undefined;
}
