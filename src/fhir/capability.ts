import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../manifest.js';
import { propertyDefs } from './codesystem.js';
import { loadedSystems, type FhirContext } from './resources.js';
import { MAX_EXPAND_COUNT } from './valueset.js';

/**
 * `GET /fhir/metadata`: the CapabilityStatement (http://hl7.org/fhir/R4/capabilitystatement.html),
 * declaring the terminology server capabilities
 * (http://hl7.org/fhir/R4/terminology-service.html#capabilities), and with `mode=terminology` the
 * TerminologyCapabilities resource (http://hl7.org/fhir/R4/terminologycapabilities.html) listing the
 * code systems and versions this server holds.
 */

const SOFTWARE_VERSION = (() => {
  try {
    return String(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
  } catch {
    return 'unknown';
  }
})();

const op = (name: string, type: string) => ({ name, definition: `http://hl7.org/fhir/OperationDefinition/${type}-${name}` });

const CONFORMANCE_PARAMS = [
  { name: 'url', type: 'uri' },
  { name: '_id', type: 'token' },
  { name: 'name', type: 'string' },
  { name: 'title', type: 'string' },
  { name: 'version', type: 'token' },
  { name: 'status', type: 'token' },
];

export function capabilityStatement(ctx: FhirContext): Record<string, unknown> {
  const date = loadedSystems(ctx.store)
    .map((l) => l.release.importedAt)
    .sort()
    .at(-1)
    ?.slice(0, 10);
  return {
    resourceType: 'CapabilityStatement',
    // Features of the terminology ecosystem IG (application-feature framework): the version of the
    // HL7 terminology test suite this server is run against, and code systems accepted as parameters
    // (tx-resource / codeSystem, src/fhir/engine).
    extension: [
      feature('http://hl7.org/fhir/uv/tx-tests/FeatureDefinition/test-version', { valueCode: TX_TESTS_VERSION }),
      feature('http://hl7.org/fhir/uv/tx-ecosystem/FeatureDefinition/CodeSystemAsParameter', { valueBoolean: true }),
    ],
    url: `${ctx.base}/metadata`,
    version: SOFTWARE_VERSION,
    name: 'MedCodes_FHIR_Terminology',
    title: 'MedCodes FHIR terminology server',
    status: 'active',
    experimental: false,
    ...(date ? { date } : {}),
    publisher: 'MedCodes',
    description: 'Read-only FHIR R4 terminology operations over the code systems loaded in this MedCodes database.',
    kind: 'instance',
    instantiates: ['http://hl7.org/fhir/CapabilityStatement/terminology-server'],
    software: { name: 'MedCodes', version: SOFTWARE_VERSION, ...(date ? { releaseDate: date } : {}) },
    implementation: { description: 'MedCodes terminology endpoint', url: ctx.base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'JSON only. Operations take GET (primitive parameters; coding as system|code) or POST with a Parameters resource (at most 1 MB). Errors are OperationOutcome resources.',
        resource: [
          {
            type: 'CodeSystem',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [...CONFORMANCE_PARAMS, { name: 'system', type: 'uri' }, { name: 'publisher', type: 'string' }],
            operation: [op('lookup', 'CodeSystem'), op('validate-code', 'CodeSystem'), op('subsumes', 'CodeSystem')],
          },
          {
            type: 'ValueSet',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: CONFORMANCE_PARAMS,
            operation: [op('expand', 'ValueSet'), op('validate-code', 'ValueSet')],
          },
          {
            type: 'ConceptMap',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [...CONFORMANCE_PARAMS, { name: 'source-system', type: 'uri' }, { name: 'target-system', type: 'uri' }],
            operation: [op('translate', 'ConceptMap')],
          },
        ],
        operation: [{ name: 'versions', definition: 'http://hl7.org/fhir/OperationDefinition/CapabilityStatement-versions' }],
      },
    ],
  };
}

/** The version of HL7's terminology test suite in test/fixtures/hl7-tx-ecosystem (tests/history.json: "1.90"). */
const TX_TESTS_VERSION = '1.9.0';

function feature(definition: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    url: 'http://hl7.org/fhir/uv/application-feature/StructureDefinition/feature',
    extension: [
      { url: 'definition', valueCanonical: definition },
      { url: 'value', ...value },
    ],
  };
}

export function terminologyCapabilities(ctx: FhirContext): Record<string, unknown> {
  const date =
    loadedSystems(ctx.store)
      .map((l) => l.release.importedAt)
      .sort()
      .at(-1) ?? new Date().toISOString();
  return {
    resourceType: 'TerminologyCapabilities',
    url: `${ctx.base}/metadata?mode=terminology`,
    version: SOFTWARE_VERSION,
    name: 'MedCodes_Terminology_Capabilities',
    title: 'MedCodes terminology capabilities',
    status: 'active',
    experimental: false,
    date: date.slice(0, 10),
    publisher: 'MedCodes',
    kind: 'instance',
    software: { name: 'MedCodes', version: SOFTWARE_VERSION },
    implementation: { description: 'MedCodes terminology endpoint', url: ctx.base },
    codeSystem: loadedSystems(ctx.store).map(({ info, release }) => ({
      uri: info.uri,
      version: [
        {
          code: release.version,
          isDefault: true,
          compositional: false,
          language: ['en'],
          property: propertyDefs(info.id).map((p) => p.code),
        },
      ],
      subsumption: true,
    })),
    expansion: {
      hierarchical: false,
      paging: true,
      incomplete: false,
      parameter: [
        {
          name: 'filter',
          documentation: 'Text filter, evaluated by the MedCodes search engine (words in any order, prefixes, lay terms, typos, codes).',
        },
        { name: 'count', documentation: `Page size; at most ${MAX_EXPAND_COUNT}.` },
        { name: 'offset' },
        { name: 'activeOnly', documentation: 'Default true; false adds deleted codes marked inactive.' },
        // Read by the terminology engine (src/fhir/engine) for value sets over supplied code systems.
        { name: 'check-system-version' },
        { name: 'displayLanguage' },
        { name: 'excludeNested' },
        { name: 'force-system-version' },
        { name: 'includeDesignations' },
        { name: 'system-version' },
        { name: 'tx-resource', documentation: 'CodeSystem and ValueSet resources supplied with the request.' },
      ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      textFilter: 'Words in any order; the last word may be a prefix; spelling mistakes and lay terms are tolerated.',
    },
    codeSearch: 'all',
    validateCode: { translations: false },
    // Without `url` every map from the code's system is used.
    translation: { needsMap: false },
    closure: { translation: false },
  };
}
