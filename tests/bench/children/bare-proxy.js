// The reference point (its own process): bare http-proxy 1.18.1 with a keep-alive agent and the minimal error
// guard (PLATFORM.md), forwarding everything to the upstream given as argv[2]. No routing, metrics or taps:
// what LunaRoute adds on top of this is what the benchmark attributes to LunaRoute.
import http from 'node:http';
import httpProxy from 'http-proxy';
import { serveIpc } from '../lib/child-ipc.js';

const target = process.argv[2];
if (!target) throw new Error('usage: bare-proxy.js <upstream url>');
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 32 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  if (res && 'headersSent' in res && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"bad gateway"}');
  } else if (res) res.destroy();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  serveIpc({
    port: server.address().port,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  });
});
