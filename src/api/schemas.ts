import { z } from '@hono/zod-openapi';
import { SYSTEM_IDS } from '../systems.js';
import type { SystemId } from '../model.js';
import { VALIDATE_STATUSES, MAX_VALIDATE_CODES } from '../validate.js';

/**
 * Response and shared request schemas of the REST API. The response schemas describe what the core
 * modules return (lookup.ts, search/engine.ts, stats.ts, validate.ts); test/e2e/openapi.test.ts
 * checks real responses against them so the document cannot drift from the code.
 */

/*
 * A registered schema that may be null is written z.union([Schema, z.null()]): zod-to-openapi renders
 * `.nullable()` of a $ref as allOf [$ref, {type: [.., null]}], which rejects null.
 */

export const SystemIdSchema = z
  .enum(SYSTEM_IDS as [SystemId, ...SystemId[]])
  .openapi('SystemId', { description: 'Short id of a code system.' });
const Kind = z.enum(['chapter', 'block', 'category', 'code', 'modifier', 'table', 'group']).openapi('ConceptKind');
const Status = z.enum(['active', 'deleted']).openapi('CodeStatus');

export const CodeRefSchema = z
  .object({ system: SystemIdSchema, code: z.string(), display: z.string(), kind: Kind, billable: z.boolean(), status: Status })
  .openapi('CodeRef', { description: 'A code with its title, as listed in parents, children and results.' });

const NoteSchema = z
  .object({
    kind: z.string().openapi({
      description:
        'Tabular note kind: inclusionTerm, includes, excludes1, excludes2, codeFirst, useAdditionalCode, codeAlso, notes, sevenChrNote, sevenChrDef.',
    }),
    text: z.string(),
    char: z.string().optional().openapi({ description: 'sevenChrDef: the seventh character this text defines.' }),
    version: z.string(),
    from: z.string().optional().openapi({ description: 'Inherited notes: the code the note is written on.' }),
    selected: z.boolean().optional(),
  })
  .openapi('Note');

const Brief = z.object({ code: z.string(), display: z.string().optional() });

const HistorySchema = z
  .object({
    version: z.string(),
    action: z.string().openapi({ description: 'added, revised, deleted or reactivated.' }),
    display: z.string().optional(),
    previousDisplay: z.string().optional(),
    billableChange: z.object({ from: z.boolean(), to: z.boolean() }).optional(),
    replacedBy: z.array(Brief).optional(),
  })
  .openapi('HistoryEvent');

export const MappingSchema = z
  .object({
    direction: z
      .enum(['to', 'from'])
      .openapi({ description: '`to`: this code maps to the other one; `from`: the other code maps to this one.' }),
    system: SystemIdSchema,
    code: z.string().openapi({ description: 'The other code; empty for a no-map row (flags.noMap).' }),
    display: z.string().optional(),
    flags: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'Flags of the source (GEMs: approximate, noMap, combination, scenario, choiceList).' }),
    source: z.string(),
    version: z.string(),
  })
  .openapi('Mapping');

export const SimilarCodeSchema = z
  .object({
    system: SystemIdSchema,
    code: z.string(),
    display: z.string(),
    billable: z.boolean(),
    status: z.string(),
    relation: z.string().openapi({ description: 'How the code relates, e.g. sibling, excludes, code also.' }),
    reason: z.string().openapi({ description: 'Why it is listed, in words.' }),
    score: z.number(),
  })
  .openapi('SimilarCode');

const ArticleSchema = z
  .looseObject({
    system: SystemIdSchema,
    code: z.string(),
    kind: z.string(),
    title: z.string().optional(),
    sections: z.array(
      z.looseObject({
        id: z.string(),
        heading: z.string(),
        text: z.string(),
        source: z.enum(['official', 'curated', 'generated']),
        author: z.string(),
        date: z.string(),
        review: z.string(),
        reviewer: z.string().optional().openapi({ description: 'Who marked the section reviewed (curated and generated sections).' }),
        reviewedAt: z.string().optional().openapi({ description: 'When it was marked reviewed (YYYY-MM-DD).' }),
        provenance: z.string().openapi({ description: 'Where the text comes from, in one line.' }),
      }),
    ),
    generated: z.boolean().openapi({ description: 'True when any section is generated text.' }),
  })
  .openapi('Article', {
    description: 'The plain-language article: sections from the official data, curated and generated ones, each with its provenance.',
  });

export const CodeDocumentSchema = z
  .looseObject({
    system: SystemIdSchema,
    systemUri: z.string(),
    systemName: z.string(),
    code: z.string(),
    display: z.string(),
    shortDisplay: z.string().optional(),
    kind: Kind,
    billable: z.boolean(),
    status: z
      .string()
      .openapi({ description: '`active` or `deleted`; `unknown` for an article-only document of a code set that is not loaded.' }),
    version: z.string(),
    parents: z.array(CodeRefSchema),
    children: z.array(CodeRefSchema),
    notes: z.array(NoteSchema),
    inheritedNotes: z.array(NoteSchema),
    indexTerms: z.array(z.object({ path: z.string(), source: z.string(), version: z.string() })),
    history: z.array(HistorySchema),
    mappings: z.array(MappingSchema),
    properties: z.record(z.string(), z.unknown()).optional(),
    notice: z.string().optional(),
    article: ArticleSchema.optional(),
    similar: z.array(SimilarCodeSchema).optional(),
    loaded: z.literal(false).optional().openapi({
      description: 'False when the code set is not loaded and the document holds only a stored article (`display` is then empty).',
    }),
  })
  .openapi('CodeDocument', { description: 'Everything known about one code. More fields may be added (e.g. `article`, `similar`).' });

export const ChildrenSchema = z
  .object({
    system: SystemIdSchema,
    code: z.string(),
    display: z.string(),
    kind: Kind,
    parents: z.array(CodeRefSchema),
    children: z.array(CodeRefSchema),
  })
  .openapi('Children');

export const CrosswalksSchema = z
  .object({ system: SystemIdSchema, code: z.string(), display: z.string(), mappings: z.array(MappingSchema) })
  .openapi('Crosswalks');

export const SimilarSchema = z
  .object({ system: SystemIdSchema, code: z.string(), display: z.string(), similar: z.array(SimilarCodeSchema) })
  .openapi('Similar');

const HitSchema = z
  .object({
    system: SystemIdSchema,
    code: z.string(),
    display: z.string(),
    billable: z.boolean(),
    status: Status,
    score: z.number(),
    matched: z.object({ field: z.enum(['code', 'title', 'synonym', 'rewrite', 'fuzzy']), term: z.string() }),
    highlight: z.string().openapi({ description: 'The title, HTML-escaped, with matched words in <mark>.' }),
    partial: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Set when the code matched only some of the query words: the words it lacks.' }),
  })
  .openapi('SearchHit');

const CodeShapeHintSchema = z
  .object({
    code: z.string(),
    system: z.enum(['cpt', 'cdt']),
    kind: z.enum(['cpt-category-1', 'cpt-category-2', 'cpt-category-3', 'cpt-pla', 'cpt-modifier', 'cdt']),
    message: z.string(),
    related: z.array(z.string()).optional(),
  })
  .openapi('CodeShapeHint');

export const SearchResultSchema = z
  .object({
    query: z.string(),
    total: z.number().int(),
    results: z.array(HitSchema),
    facets: z.object({ systems: z.record(z.string(), z.number().int()) }),
    didYouMean: z.string().optional(),
    closest: z.array(HitSchema).optional(),
    matchedAll: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'How many results matched every query word, when fewer than `total` did (the rest are `partial`).' }),
    hints: z.array(CodeShapeHintSchema).optional().openapi({
      description: 'Codes typed in the shape of a licensed set that is not loaded (CPT `99213`, modifier `59`): what they are.',
    }),
  })
  .openapi('SearchResult');

const CountsSchema = z.object({
  total: z.number().int(),
  active: z.number().int(),
  billable: z.number().int(),
  headers: z.number().int(),
  deleted: z.number().int(),
  byKind: z.record(z.string(), z.number().int()),
});

export const ReleaseSchema = z
  .object({
    system: SystemIdSchema,
    uri: z.string(),
    name: z.string(),
    version: z.string(),
    effective: z.string().optional(),
    notice: z.string().optional(),
    importedAt: z.string(),
    counts: z.record(z.string(), z.number()).openapi({ description: 'What the import counted.' }),
    concepts: CountsSchema.nullable(),
    newer: z.object({ label: z.string(), effective: z.string(), edition: z.string(), checkedAt: z.string() }).optional().openapi({
      description:
        "The newest release its publisher offers after the loaded one, as the last `medcodes update --check` (or the server's scheduled check) found.",
    }),
  })
  .openapi('Release');

export const SystemsSchema = z.object({ systems: z.array(ReleaseSchema) }).openapi('Systems');

export const SystemSchema = z
  .object({
    system: SystemIdSchema,
    uri: z.string(),
    name: z.string(),
    label: z.string(),
    publisher: z.string(),
    bundled: z
      .boolean()
      .openapi({ description: 'Whether MedCodes ships the content; the others are imported by the user from their licensed files.' }),
    retired: z.boolean(),
    domain: z.string(),
    loaded: z.boolean(),
    release: z.union([ReleaseSchema, z.null()]),
    versions: z
      .array(
        z.object({
          version: z.string(),
          added: z.number().int(),
          revised: z.number().int(),
          deleted: z.number().int(),
          reactivated: z.number().int(),
        }),
      )
      .openapi({
        description: 'Each release in the loaded history, oldest first, with how many codes it added, revised, deleted and reactivated.',
      }),
  })
  .openapi('System');

const ValidateItemSchema = z.object({ system: z.string().optional(), code: z.string() });

/** The JSON body of POST /api/v1/validate; the handler validates with this schema. */
export const ValidateBodySchema = z
  .object({
    codes: z
      .array(z.union([z.string(), ValidateItemSchema]))
      .max(MAX_VALIDATE_CODES)
      .openapi({
        description: `Codes as strings, or {system, code}. At most ${MAX_VALIDATE_CODES}.`,
        example: ['E11.9', { system: 'hcpcs', code: 'A4466' }],
      }),
    system: z
      .string()
      .optional()
      .openapi({ description: 'Default system (id or URI) for codes that name none; otherwise found from the code shape.' }),
    date: z.string().optional().openapi({ description: 'Date of service, YYYY-MM-DD.', example: '2025-06-01' }),
  })
  .openapi('ValidateRequest');

const ValidateResultSchema = z
  .object({
    input: z.string(),
    system: z.union([SystemIdSchema, z.null()]),
    code: z.string(),
    status: z.enum(VALIDATE_STATUSES),
    display: z.string().nullable(),
    children: z.array(Brief).optional(),
    childCount: z.number().int().optional(),
    deletedIn: z.object({ version: z.string(), effective: z.string().optional() }).optional(),
    replacedBy: z.array(Brief).optional(),
    validPeriods: z.array(z.object({ from: z.string().optional(), to: z.string().optional() })).optional(),
    closest: Brief.optional(),
    alsoIn: z.array(SystemIdSchema).optional(),
    message: z.string().optional(),
  })
  .loose()
  .openapi('ValidateResult');

export const ValidateResponseSchema = z
  .object({
    date: z.string().optional(),
    system: SystemIdSchema.optional(),
    count: z.number().int(),
    summary: z.object(
      Object.fromEntries(VALIDATE_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof VALIDATE_STATUSES)[number], z.ZodNumber>,
    ),
    results: z.array(ValidateResultSchema),
  })
  .openapi('ValidateResponse');

export const PcsTableSchema = z
  .looseObject({
    system: z.literal('icd10pcs'),
    systemUri: z.string(),
    table: z.string(),
    display: z.string(),
    version: z.string(),
    status: z.string(),
    parents: z.array(CodeRefSchema),
    axes: z.array(z.looseObject({ pos: z.number().int(), axis: z.string(), char: z.string(), label: z.string() })),
    rows: z.array(
      z.looseObject({
        codes: z.number().int(),
        axes: z.array(
          z.looseObject({
            pos: z.number().int(),
            axis: z.string(),
            values: z.array(z.looseObject({ char: z.string(), label: z.string() })),
          }),
        ),
      }),
    ),
    validCodes: z.number().int(),
  })
  .openapi('PcsTable', { description: 'An ICD-10-PCS table: characters 1-3 and its rows with the values of characters 4-7.' });

export const PcsBuilderSchema = z
  .looseObject({
    system: z.literal('icd10pcs'),
    table: z.object({ code: z.string(), display: z.string() }),
    chars: z.string(),
    prefix: z.string(),
    chosen: z.array(z.looseObject({ pos: z.number().int(), axis: z.string(), char: z.string(), label: z.string() })),
    rows: z.array(z.number().int()),
    complete: z.boolean(),
    valid: z.boolean(),
    next: z
      .object({ pos: z.number().int(), axis: z.string(), choices: z.array(z.looseObject({ char: z.string(), label: z.string() })) })
      .optional(),
    code: z.looseObject({ code: z.string() }).optional(),
  })
  .openapi('PcsBuilder', {
    description: 'The code builder: the characters chosen, the valid values of the next one, and the code once complete.',
  });
