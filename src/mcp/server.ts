import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z, type ZodError } from 'zod';
import type { Store } from '../store/store.js';
import { MedCodesError } from '../errors.js';
import { catalogError } from '../api/openapi.js';
import { SYSTEMS, SYSTEM_IDS } from '../systems.js';
import { lookup } from '../lookup.js';
import { search } from '../search/search.js';
import { TOOLS, codeUri, loadedSystem, renderDocument, type ToolDef } from './tools.js';
import { releaseOf } from './release.js';

/**
 * The MedCodes MCP server (Model Context Protocol, https://modelcontextprotocol.io/specification/2025-06-18):
 * tools over the same core as the REST API, a resource template for code pages and a prompt to find
 * the right code for a text. One McpServer per connection: the stdio transport (stdio.ts) makes one,
 * Streamable HTTP (http.ts, stateless) one per request; both read the store through a getter so that
 * a database swapped in by an import is picked up.
 */

export interface McpDeps {
  store: () => Store;
}

export const SERVER_INFO = { name: 'medcodes', title: 'MedCodes', version: '0.1.0' } as const;

const INSTRUCTIONS =
  'MedCodes answers from the official release files of US medical code sets (ICD-10-CM, ICD-10-PCS, HCPCS Level II, ICD-9-CM, NUCC, and any licensed set the operator imported), offline. ' +
  'To code a text: search_codes, then lookup_code on the best candidates to read their notes (Excludes1, code first, seventh characters), then validate_codes (with the date of service when known). ' +
  'Every answer names its release and licence; quote them with codes you report.';

/** A thrown value as an MCP tool error carrying the catalog's code and message (never a stack trace). */
export function toolError(e: unknown): CallToolResult {
  let err: MedCodesError;
  if (e instanceof MedCodesError) err = e;
  else {
    console.error(e);
    err = new MedCodesError('internal', 'An unexpected error occurred.');
  }
  const error = { code: err.code, message: err.message };
  return {
    isError: true,
    content: [{ type: 'text', text: `error [${err.code}]: ${err.message}` }],
    // The catalog code, machine-readable (no structuredContent: a client checks that against the output schema).
    _meta: { 'medcodes/error': error },
  };
}

/** A failed argument check as a catalog error naming the argument, as the REST API names a parameter. */
function argumentError(error: ZodError, args: Record<string, unknown>): MedCodesError {
  const issue = error.issues[0];
  // An over-long list of codes is a too-large request, as on POST /api/v1/validate.
  if (issue.code === 'too_big' && issue.origin === 'array' && issue.path[0] === 'codes')
    return new MedCodesError('payload_too_large', `codes: ${issue.message}`);
  const e = catalogError('argument', error, args);
  return e.code === 'bad_request'
    ? new MedCodesError('bad_request', e.message.replace(/ parameter is required$/, ' argument is required'))
    : e;
}

/** Run one tool call: arguments checked with the tool's schema, the core called, errors caught. */
export function callTool(deps: McpDeps, name: string, args: unknown): CallToolResult {
  const t = TOOLS.find((x) => x.name === name) as ToolDef<z.ZodObject, z.ZodObject> | undefined;
  // An unknown tool is a protocol error (MCP "Tools", Error Handling), not a tool result.
  if (!t) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found; the tools are ${TOOLS.map((x) => x.name).join(', ')}`);
  try {
    const given = args ?? {};
    const parsed = t.input.safeParse(given);
    if (!parsed.success) throw argumentError(parsed.error, given as Record<string, unknown>);
    const { structured, text } = t.run(deps.store(), parsed.data);
    return { content: [{ type: 'text', text }], structuredContent: structured as Record<string, unknown> };
  } catch (e) {
    return toolError(e);
  }
}

/**
 * One JSON Schema validator for every server: the SDK makes a new Ajv instance per server otherwise,
 * which was most of the cost of a stateless HTTP request (a server per request).
 */
let validator: AjvJsonSchemaValidator | undefined;

/**
 * The search's first answers for the text itself, to start from (none when the whole text matches
 * nothing: search has AND semantics, and a long sentence rarely matches as a whole).
 */
function firstCandidates(store: Store, text: string, systemText: string | undefined): string[] {
  try {
    const systems = systemText ? [loadedSystem(store, systemText)] : undefined;
    const r = search(store, { q: text.slice(0, 200), limit: 10, ...(systems ? { systems } : {}) });
    if (!r.results.length) return [];
    return [
      'First candidates from search_codes for the whole text (check them; they are not an answer):',
      ...r.results.map((h) => `- ${h.code} (${SYSTEMS[h.system].label}${h.billable ? '' : ', header'}): ${h.display}`),
      '',
    ];
  } catch {
    // An unknown system or a query the search refuses: the steps below still apply.
    return [];
  }
}

export function createMcpServer(deps: McpDeps): McpServer {
  validator ??= new AjvJsonSchemaValidator();
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS, jsonSchemaValidator: validator });

  for (const t of TOOLS) {
    server.registerTool(
      t.name,
      {
        title: t.title,
        description: t.description,
        inputSchema: t.input,
        outputSchema: t.output,
        // Every tool only reads the local database (MCP ToolAnnotations).
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      async (args: unknown) => callTool(deps, t.name, args),
    );
  }
  // Tool calls are answered by callTool, which checks the arguments itself so that a bad argument is a
  // tool error with the catalog's code (invalid_parameter, bad_request, …) rather than the SDK's own
  // text; the listing (names, schemas, annotations) stays McpServer's.
  server.server.removeRequestHandler('tools/call');
  server.server.setRequestHandler(CallToolRequestSchema, async (req) => callTool(deps, req.params.name, req.params.arguments));

  // Code pages: medcodes://{system}/{code}, the page as Markdown (with the plain-language sections).
  server.registerResource(
    'code-page',
    new ResourceTemplate('medcodes://{system}/{code}', {
      // Hundreds of thousands of codes: the list is the code systems' top levels, not every code.
      list: async () => {
        const store = deps.store();
        return {
          resources: store.releases().flatMap((r) =>
            store
              .roots(r.system)
              .slice(0, 50)
              .map((row) => ({
                uri: codeUri(row.system, row.code),
                name: `${SYSTEMS[row.system].label} ${row.code}`,
                title: `${row.code} ${row.display}`,
                mimeType: 'text/markdown',
              })),
          ),
        };
      },
      complete: {
        system: (value) => SYSTEM_IDS.filter((s) => s.startsWith(value.toLowerCase())),
        code: (value, context) => {
          const store = deps.store();
          const sys = context?.arguments?.system;
          let systems: ReturnType<typeof loadedSystem>[] | undefined;
          try {
            systems = sys ? [loadedSystem(store, sys)] : undefined;
          } catch {
            return [];
          }
          if (!value.trim()) return [];
          return search(store, { q: value.slice(0, 100), limit: 20, ...(systems ? { systems } : {}) }).results.map((h) => h.code);
        },
      },
    }),
    {
      title: 'Code page',
      description:
        'One code as its page: title, status, hierarchy, coding notes, index terms, history, crosswalks, similar codes and plain-language sections.',
      mimeType: 'text/markdown',
    },
    async (uri, vars) => {
      const store = deps.store();
      const one = (v: string | string[] | undefined) => decodeURIComponent(String(Array.isArray(v) ? v[0] : (v ?? '')));
      // Resource errors are JSON-RPC errors (MCP "Resources", Error Handling: -32002 resource not found).
      try {
        const system = loadedSystem(store, one(vars.system));
        const doc = lookup(store, system, one(vars.code));
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: renderDocument(doc, releaseOf(store, system), [], true) }] };
      } catch (e) {
        if (e instanceof MedCodesError && e.httpStatus === 404)
          throw new McpError(-32002, `${e.code}: ${e.message}`, { uri: uri.href, code: e.code });
        if (e instanceof MedCodesError)
          throw new McpError(ErrorCode.InvalidParams, `${e.code}: ${e.message}`, { uri: uri.href, code: e.code });
        throw e;
      }
    },
  );

  server.registerPrompt(
    'find_code',
    {
      title: 'Find the right code for this text',
      description:
        'Find the right code(s) for a clinical text (a diagnosis, a procedure, a supply), checked against the official coding notes.',
      argsSchema: {
        text: z
          .string()
          .min(1)
          .max(2000)
          .describe('The clinical text to code, e.g. "type 2 diabetes with diabetic chronic kidney disease, stage 3".'),
        system: z
          .string()
          .max(200)
          .optional()
          .describe(`The code system to code in (${SYSTEM_IDS.join(', ')}); default: the one that fits.`),
        date: z.string().max(20).optional().describe('Date of service, YYYY-MM-DD.'),
      },
    },
    async ({ text, system, date }) => ({
      description: 'Find the right code for a text',
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Find the right ${system ? `${system} ` : ''}code(s) for this text, using the MedCodes tools:`,
              '',
              text,
              '',
              ...firstCandidates(deps.store(), text, system),
              'Steps:',
              `1. search_codes with the text's key words${system ? ` (systems: ["${system}"])` : ''}; try synonyms or the Index wording if the first search misses.`,
              '2. lookup_code on the best two or three candidates: read the notes (Excludes1 means never together, Excludes2 may be coded together, "code first" and "use additional code" ask for a second code), the inherited notes and the seventh characters.',
              '3. If a candidate is a header (billable = false), list_children to reach the specific billable code.',
              `4. validate_codes on the codes you chose${date ? ` with date "${date}"` : ''}.`,
              '5. Answer with each code, its title, why it fits the text (quote the note or Index term), the codes you rejected and why, and the release the answer comes from.',
              'Do not invent codes: report only codes the tools returned, and say so when the text lacks detail a code needs (laterality, encounter, type).',
            ].join('\n'),
          },
        },
      ],
    }),
  );

  return server;
}
