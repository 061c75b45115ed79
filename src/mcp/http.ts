import { Hono } from 'hono';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { MedCodesError } from '../errors.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpServer, type McpDeps } from './server.js';

/** Idle servers kept for the next requests. */
const MAX_IDLE = 16;

/**
 * MCP over Streamable HTTP at /mcp (MCP 2025-06-18, "Transports"), stateless: each POST gets its own
 * transport and a server no other request is using, so no session is kept between requests and any
 * instance can answer; replies are plain JSON rather than an SSE stream (enableJsonResponse), since
 * every tool answers at once.
 * The app's limits apply to /mcp as to /api (api/app.ts): CORS, the rate limit (one POST is one
 * request), the body size and the time limit; limit errors are the catalog's `{error: {code, message}}`.
 */
export function mcpRoutes(deps: McpDeps, opts: { maxBodyBytes: number; corsOrigins: '*' | string[] }): Hono {
  const app = new Hono();
  const idle: McpServer[] = [];
  app.post('/', async (c) => {
    // DNS rebinding: the transport specification requires the Origin of browser requests to be checked
    // (403 when it is not allowed). The allowed origins are the CORS ones; `*` allows any, as the data
    // is public and nothing is written.
    const origin = c.req.header('origin');
    if (origin && opts.corsOrigins !== '*' && !opts.corsOrigins.includes(origin) && origin !== new URL(c.req.url).origin)
      throw new MedCodesError('forbidden', `the origin "${origin.slice(0, 100)}" may not call /mcp; allowed: MEDCODES_CORS_ORIGINS`);
    // A server serves one request at a time (its JSON-RPC ids are the client's); idle ones are
    // reused rather than rebuilt, which was most of the cost of a request.
    const server = idle.pop() ?? createMcpServer(deps);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: opts.maxBodyBytes,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      // The response is complete (JSON mode): the transport closes and the server is free again.
      await server.close();
      if (idle.length < MAX_IDLE) idle.push(server);
    }
  });
  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE). The transport
  // specification allows 405 for both; the Allow header names what is.
  app.on(['GET', 'DELETE', 'PUT', 'PATCH'], '/', (c) => {
    c.header('Allow', 'POST, OPTIONS');
    throw new MedCodesError(
      'method_not_allowed',
      `${c.req.method} is not supported on /mcp: this server is stateless, send JSON-RPC messages with POST`,
    );
  });
  return app;
}
