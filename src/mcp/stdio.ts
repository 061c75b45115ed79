import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Store } from '../store/store.js';
import { engineFor } from '../search/search.js';
import { createMcpServer } from './server.js';

/**
 * `medcodes mcp`: the MCP server over stdio, for a client that starts it as a subprocess (Claude
 * Desktop, VS Code, …). stdout carries only JSON-RPC messages (MCP "Transports", stdio); anything
 * else goes to stderr. Resolves when the client closes the connection.
 */
export async function runStdioServer(dbPath: string): Promise<void> {
  const store = new Store(dbPath);
  // Load the search index before the first call, not during it.
  engineFor(store);
  // Pick up a database that `medcodes import` swapped in while the client keeps us running.
  const timer = setInterval(() => {
    if (store.reopenIfReplaced()) engineFor(store);
  }, 2000);
  timer.unref();
  const server = createMcpServer({ store: () => store });
  const transport = new StdioServerTransport();
  // connect() keeps an onclose set before it and calls it when the transport closes.
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  // The client ends the session by closing our stdin (MCP "Lifecycle", Shutdown, stdio).
  process.stdin.on('end', () => void server.close());
  await closed;
  clearInterval(timer);
  store.close();
}
