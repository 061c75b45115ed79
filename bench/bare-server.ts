/**
 * The ceiling over HTTP: a bare node:http server that answers every request with a body of the size
 * MedCodes answers it with (BARE_BODIES: JSON {"<path prefix>": [bytes, content type]}), without
 * looking anything up. What the machine, Node and the benchmark client allow; MedCodes' throughput is
 * reported as a fraction of it.
 */
import { createServer } from 'node:http';

const spec = JSON.parse(process.env.BARE_BODIES ?? '{}') as Record<string, [number, string]>;
const bodies = Object.entries(spec)
  .map(([prefix, [bytes, type]]) => ({ prefix, type, body: Buffer.alloc(bytes, 'x') }))
  .sort((a, b) => b.prefix.length - a.prefix.length);
const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/health') return res.end('{"status":"ok"}');
  const b = bodies.find((x) => url.startsWith(x.prefix));
  if (!b) {
    res.statusCode = 404;
    return res.end();
  }
  res.setHeader('content-type', b.type);
  res.end(b.body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('bare server ready'));
