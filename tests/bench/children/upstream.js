// Minimal, fast fake upstream for the benchmark (its own process): POST /v1/messages drains the body and answers
// a ~1 KB Anthropic-style JSON message, or, with `x-bench-sse: <events>,<gapMs>`, an SSE stream whose events
// each carry the monotonic clock (process.hrtime, shared by all processes on this machine) at the moment of
// writing, so the load generator can measure each event's delay through a proxy. With `x-bench-claude: sse[,<seed>]` it
// parses the body and streams the Claude-Code-like reply of that turn and seed (lib/claude-session.js) for the recording
// benchmark.
import http from 'node:http';
import { serveIpc } from '../lib/child-ipc.js';
import { anthropicSse, turnOf } from '../lib/claude-session.js';
import { JSON_REPLY as BODY, JSON_REPLY_HEADERS as JSON_HEADERS, SSE_HEADERS } from '../lib/replies.js';

const DELTA_PAD = 'x'.repeat(80);

function sseEvent(i, last) {
  const t = process.hrtime.bigint().toString();
  const type = last ? 'message_stop' : 'content_block_delta';
  return `event: ${type}\ndata: {"type":"${type}","i":${i},"t":"${t}","delta":{"type":"text_delta","text":"${DELTA_PAD}"}}\n\n`;
}

function stream(res, events, gapMs) {
  let i = 0;
  res.writeHead(200, SSE_HEADERS);
  const tick = () => {
    if (res.destroyed) return;
    const last = i === events - 1;
    res.write(sseEvent(i, last));
    i += 1;
    if (last) res.end();
    else setTimeout(tick, gapMs);
  };
  tick();
}

function claudeReply(res, body, seed) {
  let turn;
  try {
    turn = turnOf(JSON.parse(Buffer.concat(body).toString('utf8')));
  } catch {
    turn = 0;
  }
  res.writeHead(200, { ...SSE_HEADERS, 'request-id': `req_01Bench${String(turn).padStart(16, '0')}` });
  for (const event of anthropicSse(turn, seed)) res.write(event);
  res.end();
}

const server = http.createServer((req, res) => {
  const sse = req.headers['x-bench-sse'];
  const claudeHeader = req.headers['x-bench-claude'];
  const claude = typeof claudeHeader === 'string' && claudeHeader.startsWith('sse');
  const body = [];
  req.on('data', (c) => {
    if (claude) body.push(c);
  });
  req.on('end', () => {
    if (claude) claudeReply(res, body, Number(claudeHeader.split(',')[1] ?? 0) || 0);
    else if (typeof sse === 'string') {
      const [events, gap] = sse.split(',').map(Number);
      stream(res, Math.max(1, Math.min(events, 10_000)), Math.max(0, Math.min(gap, 1000)));
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(BODY);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(0, '127.0.0.1', () => {
  serveIpc({
    port: server.address().port,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
});
