// The load generator's HTTP primitives (parent process, node:http only): one timed keep-alive POST, a
// sequential latency series, a fixed-duration closed-loop throughput run at concurrency N, and one SSE stream
// whose events are timed against the upstream's write timestamps (process.hrtime: one monotonic clock for all
// processes on the machine). Only 127.0.0.1 is ever contacted.
import http from 'node:http';

const HOST = '127.0.0.1';
const noop = () => {};
const sent = new Map();

/** Requests sent to `port` so far (all kinds: timed, warm-up, throughput, SSE). */
export function requestsSentTo(port) {
  return sent.get(port) ?? 0;
}

/** Headers close to what Claude Code sends (client credentials, so LunaRoute adds none). */
export function anthropicHeaders(bodyLength) {
  return {
    'content-type': 'application/json',
    'content-length': String(bodyLength),
    accept: 'application/json',
    'anthropic-version': '2023-06-01',
    'anthropic-beta':
      'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14',
    'anthropic-dangerous-direct-browser-access': 'true',
    'x-api-key': 'sk-ant-api03-bench-not-a-real-key-000000000000000000000000000000',
    'user-agent': 'claude-cli/2.0.14 (external, cli)',
    'x-app': 'cli',
    'x-stainless-lang': 'js',
    'x-stainless-package-version': '0.60.0',
    'x-stainless-os': 'Linux',
    'x-stainless-arch': 'x64',
    'x-stainless-runtime': 'node',
    'x-stainless-runtime-version': 'v20.20.2',
    'x-stainless-retry-count': '0',
    'x-stainless-timeout': '600',
    'accept-encoding': 'gzip, deflate, br',
  };
}

/** A JSON /v1/messages body of roughly `size` bytes (padding in a user message, like re-sent history). */
export function messagesBody(size, stream = false) {
  const base = {
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 32000,
    stream,
    system: [{ type: 'text', text: 'You are Claude Code, a bench fixture.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }],
  };
  const empty = Buffer.byteLength(JSON.stringify(base));
  base.messages[0].content[0].text = 'a'.repeat(Math.max(0, size - empty));
  return Buffer.from(JSON.stringify(base));
}

export function keepAliveAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
}

/** One POST; resolves with elapsed ms from request start to the response's last byte. */
export function timedPost(agent, port, path, headers, body) {
  return new Promise((resolve, reject) => {
    sent.set(port, (sent.get(port) ?? 0) + 1);
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: HOST, port, method: 'POST', path, agent, headers }, (res) => {
      res.on('data', noop);
      res.on('end', () => {
        const dt = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from port ${port}`));
        else resolve(dt);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `warmup` untimed then `count` timed sequential requests on one keep-alive connection. Returns ms samples. */
export async function sequentialLatency({ port, path, headers, body, warmup, count, agent }) {
  for (let i = 0; i < warmup; i++) await timedPost(agent, port, path, headers, body);
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) samples[i] = await timedPost(agent, port, path, headers, body);
  return Array.from(samples);
}

/**
 * Closed loop: `concurrency` workers each send the next request as soon as the previous one ends, until
 * `durationMs` has passed (requests in flight at the deadline are completed and counted). Bounded by time.
 */
export async function throughput({ port, path, headers, body, concurrency, durationMs, agent }) {
  let done = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(durationMs * 1e6));
  const worker = async () => {
    while (process.hrtime.bigint() < deadline) {
      try {
        await timedPost(agent, port, path, headers, body);
        done += 1;
      } catch {
        errors += 1;
        if (errors > 100) throw new Error(`too many errors against port ${port}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { requests: done, errors, seconds, rps: done / seconds };
}

/**
 * One SSE stream of `events` events spaced by `gapMs` (the upstream honours `x-bench-sse`). Returns the time to
 * the first body byte (ms from request start) and each event's delay: arrival here minus the upstream's write
 * timestamp (ms).
 */
export function sseStream({ port, path, headers, body, agent, events, gapMs }) {
  return new Promise((resolve, reject) => {
    sent.set(port, (sent.get(port) ?? 0) + 1);
    const t0 = process.hrtime.bigint();
    let ttfb = NaN;
    let buf = '';
    const delays = [];
    const req = http.request(
      {
        host: HOST,
        port,
        method: 'POST',
        path,
        agent,
        headers: { ...headers, accept: 'text/event-stream', 'x-bench-sse': `${events},${gapMs}` },
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const now = process.hrtime.bigint();
          if (Number.isNaN(ttfb)) ttfb = Number(now - t0) / 1e6;
          buf += chunk;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const m = /"t":"(\d+)"/.exec(event);
            if (m) delays.push(Number(now - BigInt(m[1])) / 1e6);
          }
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from port ${port}`));
          else if (delays.length !== events)
            reject(new Error(`got ${delays.length} of ${events} SSE events from port ${port}`));
          else resolve({ ttfb, delays });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
