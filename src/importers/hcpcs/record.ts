/**
 * HCPCS Level II (alpha-numeric HCPCS, CMS quarterly release): the record both official editions carry,
 * the code tables that put its coded fields into words, and the assembly of a code's lines into one
 * record, shared by the two parsers (xlsx.ts: the spreadsheet `HCPC2025_OCT_ANWEB.xlsx`; fixed-width.ts:
 * the text edition).
 *
 * The layout is the CMS RIF report "HCPCS Contractor Record - 2019" (HCPCS2019_recordlayout.txt in
 * data/hcpcs/2025-10/2019-HCPCS-Record-Layout.zip, "AS OF: 10/31/2018"), cited below as "layout"
 * with its field numbers (1.-31.) and 1-based record positions. It defines a 320-character record; a
 * code's long description runs over several records, told apart by the Record Identification Code
 * (field 6, position 11):
 *   3 = first line of a procedure record (carries the detail information),
 *   4 = second, third, ... description line of a procedure record (no detail information),
 *   7 = first line of a modifier record (carries the detail information),
 *   8 = second, third, ... description line of a modifier record (no detail information).
 * The spreadsheet has one column per layout field (OPPS, OPPS_PI and OPPS_DT are the layout's MOG
 * payment group, MOG payment policy indicator and MOG effective date, fields 19-21).
 *
 * Decode tables are the layout's own CODES lists and its TABLE OF CODES APPENDIX (BETOS_TB,
 * CMS_TYPE_SRVC_TB), worded as there: line breaks joined with one space, and "e.G." (an upper-casing
 * artifact of the report) written "e.g."; spelling otherwise kept as published. Codes the 2019 layout
 * does not list have no meaning here: the October 2025 file uses pricing indicator `40` and BETOS
 * `O1L`, both on exactly the same 83 codes (the gradient compression garments and wraps A6515-A6611),
 * which the 2019 layout predates; decodeHcpcs reports them with `meaning` undefined rather than guess.
 */
import { parseError, type SourceLocation } from '../../errors.js';

/** Procedure code (Record Identification Code 3/4) or modifier (7/8), layout field 6. */
export type HcpcsKind = 'procedure' | 'modifier';

/** One HCPCS procedure code or modifier, with all of its lines merged. Blank fields are left out. */
export interface HcpcsRecord {
  /**
   * Procedures: "Healthcare Common Procedure Coding System Code" (field 1, positions 1-5), `A0021`.
   * Modifiers: "HCPCS Modifier Code" (field 4, positions 4-5; positions 1-3 are FILLER, field 3), `AA`.
   * Spreadsheet column HCPC (modifiers there are `   AA`, blank filled as in the layout).
   */
  code: string;
  /** From the "HCPCS Record Identification Code" (field 6, position 11; column RECID). */
  kind: HcpcsKind;
  /**
   * "HCPCS Long Description" (field 7, positions 12-91 of the first line and of every continuation
   * line; column LONG DESCRIPTION), the lines joined: see `joinDescriptionLines`.
   */
  longDescription: string;
  /** "HCPCS Short Description" (field 8, positions 92-119, at most 28 characters; SHORT DESCRIPTION). */
  shortDescription: string;
  /**
   * "HCPCS Pricing Indicator Code" (field 9, 2 characters, occurs 1-4 times: positions 120-127;
   * columns PRICE1-PRICE4), blank occurrences left out, order kept. Decode: PRICING_INDICATOR.
   */
  pricingIndicators: string[];
  /** "HCPCS Multiple Pricing Indicator Code" (field 10, position 128; MULT_PI). Decode: MULTIPLE_PRICING_INDICATOR. */
  multiplePricingIndicator?: string;
  /**
   * "HCPCS Coverage Issues Manual Reference Section Number" (field 11, 6 characters, occurs 0-3
   * times: positions 129-146; CIM1-CIM3), e.g. `60-9`.
   */
  coverageIssuesManual: string[];
  /**
   * "HCPCS Medicare Carriers Manual Reference Section Number" (field 12, 8 characters, occurs 0-3
   * times: positions 147-170; MCM1-MCM3), e.g. `2049`.
   */
  carriersManual: string[];
  /** "HCPCS Statute Number" (field 13, positions 171-180; STATUTE), e.g. `1833(t)`. */
  statute?: string;
  /**
   * "HCPCS Lab Certification Code" (field 14, 3 characters, occurs 0-8 times: positions 181-204;
   * LABCERT1-LABCERT8). Decode: LAB_CERTIFICATION.
   */
  labCertifications: string[];
  /**
   * "HCPCS Cross Reference Code" (field 15, 5 characters, occurs 0-5 times: positions 205-229;
   * XREF1-XREF5): the valid code(s) a deleted or non-Medicare code is crosswalked to.
   */
  crossReferences: string[];
  /** "HCPCS Coverage Code" (field 16, position 230; COV). Decode: COVERAGE. */
  coverage?: string;
  /** "HCPCS ASC Payment Group Code" (field 17, positions 231-232; ASC_GRP): `YY` or blank. */
  ascPaymentGroup?: string;
  /** "HCPCS ASC Payment Group Effective Date" (field 18, positions 233-240, YYYYMMDD; ASC_DT), ISO. */
  ascEffectiveDate?: string;
  /** "HCPCS MOG Payment Group Code" (field 19, positions 241-243; OPPS). Decode: MOG_PAYMENT_GROUP. */
  mogPaymentGroup?: string;
  /** "HCPCS MOG Payment Policy Indicator" (field 20, position 244; OPPS_PI). Decode: MOG_PAYMENT_POLICY. */
  mogPaymentPolicyIndicator?: string;
  /** "HCPCS MOG Effective Date" (field 21, positions 245-252, YYYYMMDD; OPPS_DT), ISO. */
  mogEffectiveDate?: string;
  /**
   * "HCPCS Processing Note Number" (field 22, positions 253-256; PROCNOTE), e.g. `0088`: a note in
   * Appendix A of the HCPCS manual (not part of these files, so not decoded here).
   */
  processingNote?: string;
  /** "HCPCS Berenson-Eggers Type Of Service Code" (field 23, positions 257-259; BETOS). Decode: BETOS. */
  betos?: string;
  /**
   * "HCPCS Type Of Service Code" (field 25, 1 character, occurs 1-5 times: positions 261-265;
   * TOS1-TOS5). Decode: TYPE_OF_SERVICE.
   */
  typesOfService: string[];
  /** "HCPCS Anesthesia Base Unit Quantity" (field 26, positions 266-268, numeric; ANEST_BU). */
  anesthesiaBaseUnits?: number;
  /** "HCPCS Code Added Date" (field 27, positions 269-276, YYYYMMDD; ADD DT), ISO `2002-07-01`. */
  addedDate?: string;
  /** "HCPCS Action Effective Date" (field 28, positions 277-284, YYYYMMDD; ACT EFF DT), ISO. */
  actionEffectiveDate?: string;
  /**
   * "HCPCS Termination Date" (field 29, positions 285-292, YYYYMMDD; TERM DT), ISO: "Last date for
   * which a procedure or modifier code may be used by Medicare providers".
   */
  terminationDate?: string;
  /** "HCPCS Action Code" (field 30, position 293; ACTION CD). Decode: ACTION_CODE. */
  actionCode?: string;
  /**
   * `deleted` when the termination date lies before the release's effective date (the code may be
   * used up to and including its termination date, field 29), else `active`. See `hcpcsStatus`.
   */
  status: 'active' | 'deleted';
}

/** Options of both parsers. */
export interface HcpcsParseOptions {
  /** File name used in error messages. */
  file?: string;
  /**
   * Effective date of the release, ISO `YYYY-MM-DD` (`2025-10-01` for the October 2025 file). The
   * files do not carry it; it decides `status`.
   */
  effective: string;
}

/**
 * One physical line of either edition (a text record or a spreadsheet row), every field still the
 * published text. Repeated fields (OCCURS) are arrays with one entry per occurrence.
 */
export interface HcpcsLine {
  /** Positions 1-5 / HCPC, untrimmed (`   AA` for a modifier). */
  code: string;
  /** "HCPCS Sequence Number" (field 5, positions 6-10, "sequence number by 100s"; SEQNUM). */
  sequence: string;
  /** Position 11 / RECID. */
  recordId: string;
  /** Positions 12-91 / LONG DESCRIPTION, untrimmed: trailing blanks matter when joining lines. */
  longDescription: string;
  shortDescription: string;
  pricingIndicators: string[];
  multiplePricingIndicator: string;
  coverageIssuesManual: string[];
  carriersManual: string[];
  statute: string;
  labCertifications: string[];
  crossReferences: string[];
  coverage: string;
  ascPaymentGroup: string;
  ascEffectiveDate: string;
  mogPaymentGroup: string;
  mogPaymentPolicyIndicator: string;
  mogEffectiveDate: string;
  processingNote: string;
  betos: string;
  typesOfService: string[];
  anesthesiaBaseUnits: string;
  addedDate: string;
  actionEffectiveDate: string;
  terminationDate: string;
  actionCode: string;
}

/** Names a field of a line in an error message (spreadsheet cell, or text positions). */
export type HcpcsLocator = (field: keyof HcpcsLine) => SourceLocation;

/** The layout's name of each record field (for labels on a code page and in error messages). */
export const HCPCS_FIELD_NAMES: Readonly<Record<keyof HcpcsLine, string>> = {
  code: 'HCPCS Code',
  sequence: 'HCPCS Sequence Number',
  recordId: 'HCPCS Record Identification Code',
  longDescription: 'HCPCS Long Description',
  shortDescription: 'HCPCS Short Description',
  pricingIndicators: 'HCPCS Pricing Indicator Code',
  multiplePricingIndicator: 'HCPCS Multiple Pricing Indicator Code',
  coverageIssuesManual: 'HCPCS Coverage Issues Manual Reference Section Number',
  carriersManual: 'HCPCS Medicare Carriers Manual Reference Section Number',
  statute: 'HCPCS Statute Number',
  labCertifications: 'HCPCS Lab Certification Code',
  crossReferences: 'HCPCS Cross Reference Code',
  coverage: 'HCPCS Coverage Code',
  ascPaymentGroup: 'HCPCS ASC Payment Group Code',
  ascEffectiveDate: 'HCPCS ASC Payment Group Effective Date',
  mogPaymentGroup: 'HCPCS MOG Payment Group Code',
  mogPaymentPolicyIndicator: 'HCPCS MOG Payment Policy Indicator',
  mogEffectiveDate: 'HCPCS MOG Effective Date',
  processingNote: 'HCPCS Processing Note Number',
  betos: 'HCPCS Berenson-Eggers Type Of Service Code',
  typesOfService: 'HCPCS Type Of Service Code',
  anesthesiaBaseUnits: 'HCPCS Anesthesia Base Unit Quantity',
  addedDate: 'HCPCS Code Added Date',
  actionEffectiveDate: 'HCPCS Action Effective Date',
  terminationDate: 'HCPCS Termination Date',
  actionCode: 'HCPCS Action Code',
};

// ---------------------------------------------------------------------------------------------------
// Code tables (layout CODES lists and TABLE OF CODES APPENDIX)

/** Field 9, "HCPCS Pricing Indicator Code": the methodology for pricing under Part B. */
export const PRICING_INDICATOR: Readonly<Record<string, string>> = {
  '00': 'Service not separately priced by part B (e.g., services not covered, bundled, used by part a only, etc.)',
  '11': "Price established using national rvu's",
  '12': 'Price established using national anesthesia base units',
  '13': 'Price established by carriers (e.g., not otherwise classified, individual determination, carrier discretion)',
  '21': 'Price subject to national limitation amount',
  '22': 'Price established by carriers (e.g., gap-fills, carrier established panels)',
  '31': 'Frequently serviced DME (price subject to floors and ceilings)',
  '32': 'Inexpensive & routinely purchased DME (price subject to floors and ceilings)',
  '33': 'Oxygen and oxygen equipment (price subject to floors and ceilings)',
  '34': 'DME supplies (price subject to floors and ceilings)',
  '35': 'Surgical dressings (price subject to floors and ceilings)',
  '36': 'Capped rental DME (price subject to floors and ceilings)',
  '37': 'Ostomy, tracheostomy and urological supplies (price subject to floors and ceilings)',
  '38': 'Orthotics, prosthetics, prosthetic devices & vision services (price subject to floors and ceilings)',
  '39': 'Parenteral and Enteral Nutrition',
  '45': 'Customized DME items',
  '46': 'Carrier priced (e.g., not otherwise classified, individual determination, carrier discretion, gap-filled amounts)',
  '51': 'Drugs',
  '52': 'Reasonable charge',
  '53': 'Statute',
  '54': 'Vaccinations',
  '55': 'Splints and Casts (effec 10/1/2014)',
  '56': "IOL's inserted in a physician's office (eff 10/1/2014)",
  '57': 'Other carrier priced',
  '99': 'Value not established',
};

/**
 * The layout's headings over the pricing indicator codes, by code: 1x under "Physician Fee Schedule And
 * Non-Physician Practitioners Linked To The Physician Fee Schedule", 2x "Clinical Lab Fee Schedule",
 * 31-46 "Durable Medical Equipment, Prosthetics, Orthotics, Supplies And Surgical Dressings", 5x
 * "Other"; 00 and 99 stand under no heading.
 */
export function pricingIndicatorGroup(code: string): string | undefined {
  if (!(code in PRICING_INDICATOR)) return undefined;
  if (/^1\d$/.test(code)) return 'Physician Fee Schedule and Non-Physician Practitioners Linked to the Physician Fee Schedule';
  if (/^2\d$/.test(code)) return 'Clinical Lab Fee Schedule';
  if (/^[34]\d$/.test(code)) return 'Durable Medical Equipment, Prosthetics, Orthotics, Supplies and Surgical Dressings';
  if (/^5\d$/.test(code)) return 'Other';
  return undefined;
}

/** Field 10, "HCPCS Multiple Pricing Indicator Code": a procedure priced under several methodologies. */
export const MULTIPLE_PRICING_INDICATOR: Readonly<Record<string, string>> = {
  '9': "Not applicable as HCPCS not priced separately by part B (pricing indicator is 00) or value is not established (pricing indicator is '99')",
  A: 'Not applicable as HCPCS priced under one methodology',
  B: "Professional component of HCPCS priced using RVU's, while technical component and global service priced by Medicare part B carriers",
  C: "Physician interpretation of clinical lab service is priced under physician fee schedule using RVU's, while pricing of lab service is paid under clinical lab fee schedule",
  D: "Service performed by physician is priced under physician fee schedule using RVU's, while service performed by clinical psychologist is priced under clinical psychologist fee schedule (not applicable as of January 1, 1998)",
  E: "Service performed by physician is priced under physician fee schedule using RVU's, service performed by clinical psychologist is priced under clinical psychologist's fee schedule and service performed by clinical social worker is priced under clinical social worker fee schedule (not applicable as of January 1, 1998)",
  F: "Service performed by physician is priced under physician fee schedule by carriers, service performed by clinical psychologist is priced under clinical psychologist's fee schedule and service performed by clinical social worker is priced under clinical social worker fee schedule (not applicable as of January 1, 1998)",
  G: 'Clinical lab service priced under reasonable charge when service is submitted on claim with blood products, while service is priced under clinical lab fee schedule when there are no blood products on claim.',
};

/**
 * Field 14, "HCPCS Lab Certification Code": CMS specialty certification categories. "Any generally
 * certified laboratory (e.g., 100) may perform any of the tests in its subgroups (e.g., 110, 120,
 * etc.)": the subgroups are indented under their group in the layout; see `labCertificationGroup`.
 */
export const LAB_CERTIFICATION: Readonly<Record<string, string>> = {
  '010': 'Histocompatibility testing',
  '100': 'Microbiology',
  '110': 'Bacteriology',
  '115': 'Mycobacteriology',
  '120': 'Mycology',
  '130': 'Parasitology',
  '140': 'Virology',
  '150': 'Other microbiology',
  '200': 'Diagnostic immunology',
  '210': 'Syphilis serology',
  '220': 'General immunology',
  '300': 'Chemistry',
  '310': 'Routine chemistry',
  '320': 'Urinalysis',
  '330': 'Endocrinology',
  '340': 'Toxicology',
  '350': 'Other chemistry',
  '400': 'Hematology',
  '500': 'Immunohematology',
  '510': 'Abo group & RH type',
  '520': 'Antibody detection (transfusion)',
  '530': 'Antibody detection (nontransfusion)',
  '540': 'Antibody identification',
  '550': 'Compatibility testing',
  '560': 'Other immunohematology',
  '600': 'Pathology',
  '610': 'Histopathology',
  '620': 'Oral pathology',
  '630': 'Cytology',
  '800': 'Radiobioassay',
  '900': 'Clinical cytogenetics',
};

/** The general certification a lab certification subgroup falls under (`110` -> `100`), if any. */
export function labCertificationGroup(code: string): string | undefined {
  const group = `${code[0]}00`;
  return code !== group && code in LAB_CERTIFICATION && group in LAB_CERTIFICATION ? group : undefined;
}

/** Field 16, "HCPCS Coverage Code": Medicare coverage status. */
export const COVERAGE: Readonly<Record<string, string>> = {
  C: 'Carrier judgment',
  D: 'Special coverage instructions apply',
  I: 'Not payable by Medicare',
  M: 'Non-covered by Medicare',
  S: 'Non-covered by Medicare statute',
};

/**
 * Field 17, "HCPCS ASC Payment Group Code": "The 'YY' indicator represents that this procedure is
 * approved to be performed in an ambulatory surgical center"; "BLANK = Not Approved For ASC".
 */
export const ASC_PAYMENT_GROUP: Readonly<Record<string, string>> = {
  YY: 'Approved to be performed in an ambulatory surgical center',
  '': 'Not approved for ASC',
};

/**
 * Field 19, "HCPCS MOG Payment Group Code" (Medicare outpatient groups). First digit: body system;
 * second: sequence within it; third: level of intensity (1-4 levels, 0 and 9 single level).
 */
export const MOG_PAYMENT_GROUP: Readonly<Record<string, string>> = {
  '000': 'No MOG applies',
  '102': 'Level II needle biopsy/aspiration',
  '112': 'Level II incision and drainage',
  '132': 'Level II debridement/destruction',
  '142': 'Level II excision/biopsy',
  '143': 'Level III excision/biopsy',
  '151': 'Level I skin repair',
  '152': 'Level II skin repair',
  '153': 'Level III skin repair',
  '160': 'Incision/excision breast',
  '169': 'Breast reconstruction/mastectomy',
  '201': 'Level I skull and facial bone procedures',
  '202': 'Level II skull and facial bone procedures',
  '211': 'Level I hand musculoskeletal procedures',
  '212': 'Level II hand musculoskeletal procedures',
  '221': 'Level I foot musculoskeletal procedures',
  '222': 'Level II foot musculoskeletal procedures',
  '231': 'Level I musculoskeletal procedures',
  '232': 'Level II musculoskeletal procedures',
  '233': 'Level III musculoskeletal procedures',
  '241': 'Level I arthroscopy',
  '242': 'Level II arthroscopy',
  '260': 'Closed treatment fracture finger/toe/trunk',
  '269': 'Closed treatment fracture/dislocation/except finger/toe/trunk',
  '270': 'Open/percutaneous treatment fracture or dislocation',
  '279': 'Bone/joint manipulation under anesthesia',
  '280': 'Bunion procedures',
  '289': 'Arthroplasty',
  '290': 'Arthroplasty with prosthesis',
  '302': 'Level II ENT procedures',
  '303': 'Level III ENT procedures',
  '304': 'Level IV ENT procedures',
  '309': 'Implantation of cochlear device (ASC rate does not include cost of implant)',
  '310': 'Nasal cauterization/packing',
  '319': 'Tonsil/adenoid procedures',
  '322': 'Level II endoscopy upper airway',
  '323': 'Level III endoscopy upper airway',
  '329': 'Endoscopy lower airway',
  '330': 'Thoracentesis/lavage procedures',
  '350': 'Placement transvenous caths/cutdown',
  '359': 'Removal/revision, pacemaker/vascular device',
  '360': 'Vascular ligation',
  '369': 'Vascular repair/fistula construction',
  '370': 'Lymph node excisions',
  '379': 'Thyroid/lymphadenectomy procedures',
  '400': 'Esophageal dilation without endoscopy',
  '410': 'Esophagoscopy',
  '421': 'Level I upper GI endoscopy/intubation',
  '422': 'Level II upper GI endoscopy/intubation',
  '429': 'Lower GI endoscopy',
  '430': 'Anoscopy and diagnostic sigmoidoscopy',
  '439': 'Therapeutic proctosigmoidoscopy',
  '440': 'Small intestine endoscopy',
  '449': 'Percutaneous biliary endoscopic procedures',
  '450': 'Endoscopic retrograde cholangio-pancreatography (ERCP)',
  '460': 'Hernia/hydrocele procedures',
  '472': 'Level II anal/rectal procedures',
  '473': 'Level III anal/rectal procedures',
  '480': 'Peritoneal and abdominal procedures',
  '490': 'Tube procedures',
  '501': 'Level I laparoscopy',
  '502': 'Level II laparoscopy',
  '509': 'Lithotripsy',
  '511': 'Level I cystourethroscopy and other genitourinary procedures',
  '512': 'Level II cystourethroscopy and other genitourinary procedures',
  '513': 'Level III cystourethroscopy and other genitourinary procedures',
  '521': 'Level I urethral procedures',
  '522': 'Level II urethral procedures',
  '530': 'Circumcision',
  '539': 'Penile procedures',
  '540': 'Insertion of penile prosthesis (ASC rate does include cost of implant)',
  '549': 'Testes/epididymis procedures',
  '550': 'Prostrate biopsy',
  '562': 'Level II female reproductive procedures',
  '563': 'Level III female reproductive procedures',
  '570': 'Surgical hysteroscopy',
  '579': 'D & C',
  '580': 'Spontaneous abortion',
  '589': 'Therapeutic abortion',
  '602': 'Level II nervous system injections',
  '609': 'Revision/removal neurological device',
  '610': 'Implantation of neurostimulator electrodes (ASC rate does not include cost of implant)',
  '619': 'Implantation of neurological devices (asc rate does not include cost of implant)',
  '621': 'Level I nerve procedures',
  '622': 'Level II nerve procedures',
  '629': 'Spinal tap',
  '639': 'Laser eye procedures except retinal',
  '640': 'Cataract procedures',
  '649': 'Cataract procedures with IOL insert (includes $150 insert)',
  '651': 'Level I anterior segment eye procedures',
  '652': 'Level II anterior segment eye procedures',
  '659': 'Corneal transplant (ASC rate includes price of transplant)',
  '660': 'Posterior segment eye procedures',
  '669': 'Strabismus/muscle procedures',
  '673': 'Level III eye procedure',
  '674': 'Level IV eye procedure',
  '680': 'Vitrectomy',
  '689': 'Implantation/replacement of intraitreal drug',
};

/**
 * Field 20, "HCPCS MOG Payment Policy Indicator": whether the code is subject to an ASC facility fee,
 * a separate fee under another provision of Medicare, or no fee.
 */
export const MOG_PAYMENT_POLICY: Readonly<Record<string, string>> = {
  '1': 'ASC covered procedure',
  '2': 'Bundled service/no separate payment',
  '3': 'Excluded from ASC list',
  '4': 'Invalid code/90 day grace period',
  '6': 'Separate payment when furnished in an ASC',
  '7': 'ASC restricted coverage procedure',
  '9': 'ASC payment not applicable',
};

/** Field 30, "HCPCS Action Code": the change made to the code in this release. */
export const ACTION_CODE: Readonly<Record<string, string>> = {
  A: 'Add procedure or modifier code',
  B: 'Change in both administrative data field and long description of procedure or modifier code',
  C: 'Change in long description of procedure or modifier code',
  D: 'Discontinue procedure or modifier code',
  F: 'Change in administrative data field of procedure or modifier code',
  N: 'No maintenance for this code',
  P: 'Payment change (MOG, pricing indicator codes, anesthesia base units,Ambulatory Surgical Centers)',
  R: 'Re-activate discontinued/deleted procedure or modifier code',
  S: 'Change in short description of procedure code',
  T: 'Miscellaneous change (BETOS, type of service)',
};

/** Field 23: BETOS_TB, "BETOS Table" of the layout's TABLE OF CODES APPENDIX. */
export const BETOS: Readonly<Record<string, string>> = {
  M1A: 'Office visits - new',
  M1B: 'Office visits - established',
  M2A: 'Hospital visit - initial',
  M2B: 'Hospital visit - subsequent',
  M2C: 'Hospital visit - critical care',
  M3: 'Emergency room visit',
  M4A: 'Home visit',
  M4B: 'Nursing home visit',
  M5A: 'Specialist - pathology',
  M5B: 'Specialist - psychiatry',
  M5C: 'Specialist - opthamology',
  M5D: 'Specialist - other',
  M6: 'Consultations',
  P0: 'Anesthesia',
  P1A: 'Major procedure - breast',
  P1B: 'Major procedure - colectomy',
  P1C: 'Major procedure - cholecystectomy',
  P1D: 'Major procedure - turp',
  P1E: 'Major procedure - hysterectomy',
  P1F: 'Major procedure - explor/decompr/excisdisc',
  P1G: 'Major procedure - Other',
  P2A: 'Major procedure, cardiovascular-CABG',
  P2B: 'Major procedure, cardiovascular-Aneurysm repair',
  P2C: 'Major Procedure, cardiovascular-Thromboendarterectomy',
  P2D: 'Major procedure, cardiovascualr-Coronary angioplasty (PTCA)',
  P2E: 'Major procedure, cardiovascular-Pacemaker insertion',
  P2F: 'Major procedure, cardiovascular-Other',
  P3A: 'Major procedure, orthopedic - Hip fracture repair',
  P3B: 'Major procedure, orthopedic - Hip replacement',
  P3C: 'Major procedure, orthopedic - Knee replacement',
  P3D: 'Major procedure, orthopedic - other',
  P4A: 'Eye procedure - corneal transplant',
  P4B: 'Eye procedure - cataract removal/lens insertion',
  P4C: 'Eye procedure - retinal detachment',
  P4D: 'Eye procedure - treatment of retinal lesions',
  P4E: 'Eye procedure - other',
  P5A: 'Ambulatory procedures - skin',
  P5B: 'Ambulatory procedures - musculoskeletal',
  P5C: 'Ambulatory procedures - inguinal hernia repair',
  P5D: 'Ambulatory procedures - lithotripsy',
  P5E: 'Ambulatory procedures - other',
  P6A: 'Minor procedures - skin',
  P6B: 'Minor procedures - musculoskeletal',
  P6C: 'Minor procedures - other (Medicare fee schedule)',
  P6D: 'Minor procedures - other (non-Medicare fee schedule)',
  P7A: 'Oncology - radiation therapy',
  P7B: 'Oncology - other',
  P8A: 'Endoscopy - arthroscopy',
  P8B: 'Endoscopy - upper gastrointestinal',
  P8C: 'Endoscopy - sigmoidoscopy',
  P8D: 'Endoscopy - colonoscopy',
  P8E: 'Endoscopy - cystoscopy',
  P8F: 'Endoscopy - bronchoscopy',
  P8G: 'Endoscopy - laparoscopic cholecystectomy',
  P8H: 'Endoscopy - laryngoscopy',
  P8I: 'Endoscopy - other',
  P9A: 'Dialysis services (medicare fee schedule)',
  P9B: 'Dialysis services (non-medicare fee schedule)',
  I1A: 'Standard imaging - chest',
  I1B: 'Standard imaging - musculoskeletal',
  I1C: 'Standard imaging - breast',
  I1D: 'Standard imaging - contrast gastrointestinal',
  I1E: 'Standard imaging - nuclear medicine',
  I1F: 'Standard imaging - other',
  I2A: 'Advanced imaging - CAT/CT/CTA: brain/head/neck',
  I2B: 'Advanced imaging - CAT/CT/CTA: other',
  I2C: 'Advanced imaging - MRI/MRA: brain/head/neck',
  I2D: 'Advanced imaging - MRI/MRA: other',
  I3A: 'Echography/ultrasonography - eye',
  I3B: 'Echography/ultrasonography - abdomen/pelvis',
  I3C: 'Echography/ultrasonography - heart',
  I3D: 'Echography/ultrasonography - carotid arteries',
  I3E: 'Echography/ultrasonography - prostate, transrectal',
  I3F: 'Echography/ultrasonography - other',
  I4A: 'Imaging/procedure - heart including cardiac catheterization',
  I4B: 'Imaging/procedure - other',
  T1A: 'Lab tests - routine venipuncture (non Medicare fee schedule)',
  T1B: 'Lab tests - automated general profiles',
  T1C: 'Lab tests - urinalysis',
  T1D: 'Lab tests - blood counts',
  T1E: 'Lab tests - glucose',
  T1F: 'Lab tests - bacterial cultures',
  T1G: 'Lab tests - other (Medicare fee schedule)',
  T1H: 'Lab tests - other (non-Medicare fee schedule)',
  T2A: 'Other tests - electrocardiograms',
  T2B: 'Other tests - cardiovascular stress tests',
  T2C: 'Other tests - EKG monitoring',
  T2D: 'Other tests - other',
  D1A: 'Medical/surgical supplies',
  D1B: 'Hospital beds',
  D1C: 'Oxygen and supplies',
  D1D: 'Wheelchairs',
  D1E: 'Other DME',
  D1F: 'Prosthetic/Orthotic devices',
  D1G: 'Drugs Administered through DME',
  O1A: 'Ambulance',
  O1B: 'Chiropractic',
  O1C: 'Enteral and parenteral',
  O1D: 'Chemotherapy',
  O1E: 'Other drugs',
  O1F: 'Hearing and speech services',
  O1G: 'Immunizations/Vaccinations',
  Y1: 'Other - Medicare fee schedule',
  Y2: 'Other - non-Medicare fee schedule',
  Z1: 'Local codes',
  Z2: 'Undefined codes',
};

/** Field 25: CMS_TYPE_SRVC_TB, "CMS Type of Service Table" of the layout's TABLE OF CODES APPENDIX. */
export const TYPE_OF_SERVICE: Readonly<Record<string, string>> = {
  '1': 'Medical care',
  '2': 'Surgery',
  '3': 'Consultation',
  '4': 'Diagnostic radiology',
  '5': 'Diagnostic laboratory',
  '6': 'Therapeutic radiology',
  '7': 'Anesthesia',
  '8': 'Assistant at surgery',
  '9': 'Other medical items or services',
  '0': 'Whole blood only eff 01/96, whole blood or packed red cells before 01/96',
  A: 'Used durable medical equipment (DME)',
  B: 'High risk screening mammography (obsolete 1/1/98)',
  C: 'Low risk screening mammography (obsolete 1/1/98)',
  D: 'Ambulance (eff 04/95)',
  E: 'Enteral/parenteral nutrients/supplies (eff 04/95)',
  F: 'Ambulatory surgical center (facility usage for surgical services)',
  G: 'Immunosuppressive drugs',
  H: 'Hospice services (discontinued 01/95)',
  I: 'Purchase of DME (installment basis) (discontinued 04/95)',
  J: 'Diabetic shoes (eff 04/95)',
  K: 'Hearing items and services (eff 04/95)',
  L: 'ESRD supplies (eff 04/95) (renal supplier in the home before 04/95)',
  M: 'Monthly capitation payment for dialysis',
  N: 'Kidney donor',
  P: 'Lump sum purchase of DME, prosthetics, orthotics',
  Q: 'Vision items or services',
  R: 'Rental of DME',
  S: 'Surgical dressings or other medical supplies (eff 04/95)',
  T: 'Psychological therapy (term. 12/31/97) outpatient mental health limitation (eff. 1/1/98)',
  U: 'Occupational therapy',
  V: 'Pneumococcal/flu vaccine (eff 01/96), Pneumococcal/flu/hepatitis B vaccine (eff 04/95-12/95), Pneumococcal only before 04/95',
  W: 'Physical therapy',
  Y: 'Second opinion on elective surgery (obsoleted 1/97)',
  Z: 'Third opinion on elective surgery (obsoleted 1/97)',
};

// ---------------------------------------------------------------------------------------------------
// Field rules shared by both editions

/** `YYYYMMDD` (layout EDIT RULES of fields 18, 21, 27-29) to ISO `YYYY-MM-DD`; blank to undefined. */
export function hcpcsDate(value: string, where: SourceLocation): string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  const iso = m ? `${m[1]}-${m[2]}-${m[3]}` : '';
  // Round-tripping through Date rejects 20250231 and the like.
  if (!m || Number.isNaN(Date.parse(iso)) || new Date(iso).toISOString().slice(0, 10) !== iso) {
    throw parseError(`"${v}" is not a date in the layout's YYYYMMDD form`, where);
  }
  return iso;
}

/**
 * Status at a release's effective date: a code whose Termination Date (field 29, "Last date for which
 * a procedure or modifier code may be used") lies before that date is `deleted`; one without a
 * termination date, or terminating on or after it, is still `active`. In the October 2025 file every
 * termination date is 2025-09-30 or earlier, so there `deleted` is the same as "has a termination
 * date": 8,463 procedure codes of which 7,258 active, and 383 modifiers (363 active).
 */
export function hcpcsStatus(terminationDate: string | undefined, effective: string): 'active' | 'deleted' {
  return terminationDate !== undefined && terminationDate < effective ? 'deleted' : 'active';
}

/**
 * Joins the long description pieces of a code's lines (field 7 of the first line and of each RecID
 * 4/8 line, in file order). The layout does not say where the text is broken between lines, so the
 * join works both for text cut every 80 characters and for text wrapped at word ends and blank-padded:
 * a piece that ends in blanks (padding, or a cut just after a blank) loses them and is followed by one
 * blank; a piece that fills its field to the last character runs straight into the next (a cut inside a
 * word, or before a blank that the next piece then starts with). The whole is trimmed at the ends.
 */
export function joinDescriptionLines(pieces: readonly string[]): string {
  let text = '';
  for (const [i, piece] of pieces.entries()) {
    if (i > 0 && /\s$/.test(text)) text = `${text.trimEnd()} `;
    text += piece;
  }
  return text.trim();
}

const PROCEDURE_CODE = /^[A-Z0-9]{5}$/;
const MODIFIER_CODE = /^[A-Z0-9]{2}$/;

/**
 * Turns lines into records: a first line (RecID 3 or 7) opens a record, continuation lines (4 after
 * 3 or 4; 8 after 7 or 8) of the same code add description text, and the record is complete when the
 * next first line or the end of the input comes. Checks what the layout fixes and throws a parse error
 * naming the line and field otherwise.
 */
export class HcpcsAssembler {
  private open?: { record: HcpcsRecord; pieces: string[]; code: string };
  private readonly seen = new Set<string>();

  constructor(private readonly options: HcpcsParseOptions) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(options.effective ?? '')) {
      throw parseError(`the release's effective date must be given as YYYY-MM-DD, got "${options.effective}"`, {
        file: options.file,
      });
    }
  }

  /** Adds a line; returns the record that this line completes, if any. */
  push(line: HcpcsLine, at: HcpcsLocator): HcpcsRecord | undefined {
    const recordId = line.recordId.trim();
    if (!/^\d+$/.test(line.sequence.trim())) {
      throw parseError(`HCPCS Sequence Number "${line.sequence}" is not a number`, at('sequence'));
    }
    if (recordId === '4' || recordId === '8') {
      const kind: HcpcsKind = recordId === '4' ? 'procedure' : 'modifier';
      const open = this.open;
      if (!open || open.record.kind !== kind || open.code !== line.code.trim()) {
        const first = kind === 'procedure' ? '3' : '7';
        throw parseError(
          `continuation line (Record Identification Code ${recordId}) of "${line.code.trim()}" does not follow ` +
            `a first line (${first}) or continuation of the same code`,
          at('recordId'),
        );
      }
      // Continuation lines carry "no detail information in positions 92-275" (layout, field 6).
      open.pieces.push(line.longDescription);
      return undefined;
    }
    if (recordId !== '3' && recordId !== '7') {
      throw parseError(`Record Identification Code "${line.recordId}" is not one of the layout's 3, 4, 7, 8`, at('recordId'));
    }
    const done = this.finish();
    const record = this.firstLine(line, recordId === '3' ? 'procedure' : 'modifier', at);
    this.open = { record, pieces: [line.longDescription], code: line.code.trim() };
    return done;
  }

  /** Completes the last open record (call at the end of the input). */
  finish(): HcpcsRecord | undefined {
    const open = this.open;
    this.open = undefined;
    if (!open) return undefined;
    open.record.longDescription = joinDescriptionLines(open.pieces);
    return open.record;
  }

  private firstLine(line: HcpcsLine, kind: HcpcsKind, at: HcpcsLocator): HcpcsRecord {
    const code = line.code.trim();
    if (!(kind === 'procedure' ? PROCEDURE_CODE : MODIFIER_CODE).test(code)) {
      const what = kind === 'procedure' ? 'a 5-character procedure code' : 'a 2-character modifier';
      const recordId = line.recordId.trim();
      throw parseError(`"${line.code}" is not ${what} (Record Identification Code ${recordId})`, at('code'));
    }
    const key = `${kind}:${code}`;
    if (this.seen.has(key)) throw parseError(`${kind} ${code} appears a second time`, at('code'));
    this.seen.add(key);

    const anesthesia = line.anesthesiaBaseUnits.trim();
    if (anesthesia !== '' && !/^\d+$/.test(anesthesia)) {
      const problem = `HCPCS Anesthesia Base Unit Quantity "${line.anesthesiaBaseUnits}" is not a number`;
      throw parseError(problem, at('anesthesiaBaseUnits'));
    }
    const terminationDate = hcpcsDate(line.terminationDate, at('terminationDate'));
    const optional = {
      multiplePricingIndicator: line.multiplePricingIndicator.trim(),
      statute: line.statute.trim(),
      coverage: line.coverage.trim(),
      ascPaymentGroup: line.ascPaymentGroup.trim(),
      ascEffectiveDate: hcpcsDate(line.ascEffectiveDate, at('ascEffectiveDate')),
      mogPaymentGroup: line.mogPaymentGroup.trim(),
      mogPaymentPolicyIndicator: line.mogPaymentPolicyIndicator.trim(),
      mogEffectiveDate: hcpcsDate(line.mogEffectiveDate, at('mogEffectiveDate')),
      processingNote: line.processingNote.trim(),
      betos: line.betos.trim(),
      anesthesiaBaseUnits: anesthesia === '' ? undefined : Number(anesthesia),
      addedDate: hcpcsDate(line.addedDate, at('addedDate')),
      actionEffectiveDate: hcpcsDate(line.actionEffectiveDate, at('actionEffectiveDate')),
      terminationDate,
      actionCode: line.actionCode.trim(),
    };
    const record: HcpcsRecord = {
      code,
      kind,
      longDescription: '',
      shortDescription: line.shortDescription.trim(),
      pricingIndicators: present(line.pricingIndicators),
      coverageIssuesManual: present(line.coverageIssuesManual),
      carriersManual: present(line.carriersManual),
      labCertifications: present(line.labCertifications),
      crossReferences: present(line.crossReferences),
      typesOfService: present(line.typesOfService),
      status: hcpcsStatus(terminationDate, this.options.effective),
    };
    for (const [k, v] of Object.entries(optional)) {
      if (v !== undefined && v !== '') (record as unknown as Record<string, unknown>)[k] = v;
    }
    return record;
  }
}

/** The non-blank occurrences of a repeated field, trimmed, in order. */
function present(values: readonly string[]): string[] {
  return values.map((v) => v.trim()).filter((v) => v !== '');
}

// ---------------------------------------------------------------------------------------------------
// Decoding for display

/** A coded value and its meaning from the layout's tables (undefined when the 2019 layout lacks it). */
export interface HcpcsCodedValue {
  code: string;
  meaning?: string;
}

/** The coded fields of a record in words, for a code page. Fields the record leaves blank are absent. */
export interface HcpcsDecoded {
  kind: HcpcsCodedValue;
  /** Each pricing indicator with the layout's heading over it (fee schedule) when it has one. */
  pricingIndicators: Array<HcpcsCodedValue & { group?: string }>;
  multiplePricingIndicator?: HcpcsCodedValue;
  coverage?: HcpcsCodedValue;
  /** Each certification, with the general certification it is a subgroup of (`110` under `100`). */
  labCertifications: Array<HcpcsCodedValue & { group?: HcpcsCodedValue }>;
  /** Procedures only: `YY` approved for ASC, blank "Not approved for ASC" (the layout's edit rule). */
  ascPaymentGroup?: HcpcsCodedValue;
  mogPaymentGroup?: HcpcsCodedValue;
  mogPaymentPolicyIndicator?: HcpcsCodedValue;
  betos?: HcpcsCodedValue;
  typesOfService: HcpcsCodedValue[];
  actionCode?: HcpcsCodedValue;
}

function coded(table: Readonly<Record<string, string>>, code: string): HcpcsCodedValue {
  const meaning = Object.hasOwn(table, code) ? table[code] : undefined;
  return meaning === undefined ? { code } : { code, meaning };
}

function codedOpt(table: Readonly<Record<string, string>>, code: string | undefined): HcpcsCodedValue | undefined {
  return code === undefined ? undefined : coded(table, code);
}

/** The coded fields of a record in words (layout tables above); the codes are kept beside them. */
export function decodeHcpcs(record: HcpcsRecord): HcpcsDecoded {
  const decoded: HcpcsDecoded = {
    kind: {
      code: record.kind === 'procedure' ? '3' : '7',
      meaning: record.kind === 'procedure' ? 'Procedure code' : 'Modifier',
    },
    pricingIndicators: record.pricingIndicators.map((c) => {
      const group = pricingIndicatorGroup(c);
      return group === undefined ? coded(PRICING_INDICATOR, c) : { ...coded(PRICING_INDICATOR, c), group };
    }),
    labCertifications: record.labCertifications.map((c) => {
      const group = labCertificationGroup(c);
      return group === undefined ? coded(LAB_CERTIFICATION, c) : { ...coded(LAB_CERTIFICATION, c), group: coded(LAB_CERTIFICATION, group) };
    }),
    typesOfService: record.typesOfService.map((c) => coded(TYPE_OF_SERVICE, c)),
  };
  const optional: Partial<HcpcsDecoded> = {
    multiplePricingIndicator: codedOpt(MULTIPLE_PRICING_INDICATOR, record.multiplePricingIndicator),
    coverage: codedOpt(COVERAGE, record.coverage),
    ascPaymentGroup: record.kind === 'procedure' ? coded(ASC_PAYMENT_GROUP, record.ascPaymentGroup ?? '') : undefined,
    mogPaymentGroup: codedOpt(MOG_PAYMENT_GROUP, record.mogPaymentGroup),
    mogPaymentPolicyIndicator: codedOpt(MOG_PAYMENT_POLICY, record.mogPaymentPolicyIndicator),
    betos: codedOpt(BETOS, record.betos),
    actionCode: codedOpt(ACTION_CODE, record.actionCode),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (decoded as unknown as Record<string, unknown>)[k] = v;
  }
  return decoded;
}
