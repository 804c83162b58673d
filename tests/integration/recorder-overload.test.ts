// The recorder's overload path: when the recorder falls behind (here a worker that holds every batch until the
// test lets it go) past the client's bound on bytes in flight, exchanges stop being copied. The proxy must still
// answer them byte-exact without waiting for the recorder, the drops must be counted (/metrics), and what the
// recorder holds of a half-copied exchange must never be recorded as completed.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startProxyServer, type ProxyServer } from '../../src-main/proxy/server.js';
import { RecorderClient, type WorkerPort } from '../../src-main/recorder/client.js';
import { RecorderEngine } from '../../src-main/recorder/engine.js';
import type { FromWorker, ToWorker } from '../../src-main/recorder/protocol.js';
import { openIndex } from '../../src-main/index/db.js';
import { compilePolicy } from '../../src-main/redaction/index.js';
import { silentLogger } from '../../src-main/log.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import { makeTestConfig } from '../support/config.js';
import { MemorySink } from '../support/memory-sink.js';
import { startTestUpstream, sha256, type TestUpstream } from '../support/upstream.js';
import { rawRequest } from '../support/http.js';

/** An in-thread recorder worker that holds every batch until released, then runs it through a real engine. */
class GatedWorker implements WorkerPort {
  private held: ToWorker[][] = [];
  private blocked = true;
  private readonly listeners: ((m: FromWorker) => void)[] = [];

  constructor(private readonly engine: RecorderEngine) {}

  postMessage(batch: ToWorker[]): void {
    if (this.blocked) this.held.push(batch);
    else this.run(batch);
  }

  /** Batches posted and not yet processed. */
  get backlog(): number {
    return this.held.length;
  }

  release(): void {
    this.blocked = false;
    for (const b of this.held.splice(0)) this.run(b);
  }

  private run(batch: ToWorker[]): void {
    let bytes = 0;
    for (const m of batch) {
      if (m.t === 'rq' || m.t === 'rs' || m.t === 'ws') bytes += m.c.byteLength;
      this.engine.handle(m);
    }
    if (bytes > 0) for (const l of this.listeners) l({ t: 'ack', bytes });
  }

  on(event: string, listener: (m: never) => void): this {
    if (event === 'message') this.listeners.push(listener as (m: FromWorker) => void);
    return this;
  }

  terminate(): Promise<number> {
    return Promise.resolve(0);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const BOUND = 64 * 1024;
const SMALL_REPLY = JSON.stringify({
  type: 'message',
  model: 'claude-test',
  content: [{ type: 'text', text: 'hello' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 1, output_tokens: 1 },
});

async function setup(): Promise<{
  up: TestUpstream;
  proxy: ProxyServer;
  client: RecorderClient;
  worker: GatedWorker;
  engine: RecorderEngine;
  sink: MemorySink;
  reply: Buffer;
}> {
  const reply = randomBytes(768 * 1024);
  const up = await startTestUpstream((req, res) => {
    // A small answer on request (within the bound), else 768 KB (past it).
    const small = req.headers['x-small-reply'] === '1';
    res.writeHead(200, { 'content-type': small ? 'application/json' : 'application/octet-stream' });
    res.end(small ? SMALL_REPLY : reply);
  });
  const sink = new MemorySink();
  const { db } = await openIndex(null);
  const engine = new RecorderEngine({
    sessionsDir: '/nonexistent',
    sink,
    index: db,
    redactor: compilePolicy({ mode: 'mask' }),
    maxBodyBytes: 32 * 1024 * 1024,
    indexIntervalMs: 1,
  });
  const worker = new GatedWorker(engine);
  const client = new RecorderClient(worker, { maxInFlightBytes: BOUND });
  const proxy = await startProxyServer({
    config: makeTestConfig({ anthropicUrl: up.url, recording: true }),
    logger: silentLogger,
    version: 'test',
    observer: client,
  });
  // As the core wires it (app/core.ts): drops counted by the client are the metric.
  proxy.metrics.recorderStats = () => ({
    dropped: client.dropped,
    inFlightBytes: client.inFlightBytes,
    redactionFailures: 0,
    writeErrors: 0,
    linesDropped: 0,
  });
  cleanups.push(
    () => up.close(),
    () => proxy.close(),
  );
  return { up, proxy, client, worker, engine, sink, reply };
}

describe('recorder overload (past the bound on bytes in flight)', () => {
  it('answers byte-exact while the recorder is stuck, counts the drops, and records nothing half-copied as completed', async () => {
    const { up, proxy, client, worker, engine, sink, reply } = await setup();
    const post = (body: Buffer, session: string, small = false) =>
      rawRequest(proxy.url + '/v1/messages', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-claude-code-session-id': session,
          ...(small ? { 'x-small-reply': '1' } : {}),
        },
        body,
      });

    // A: 1 MB, copied until the bound is passed, then dropped mid-request.
    const bodyA = randomBytes(1024 * 1024);
    const a = await post(bodyA, 'overload-a');
    expect(a.status).toBe(200);
    expect(sha256(a.body)).toBe(sha256(reply));
    expect(up.requests.at(-1)!.sha256).toBe(sha256(bodyA));
    expect(client.dropped).toBe(1);
    expect(client.inFlightBytes).toBeGreaterThan(BOUND);
    expect(worker.backlog).toBeGreaterThan(0);

    // B: arrives while the recorder is still behind: not copied at all, answered all the same.
    const bodyB = Buffer.from(
      JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'b' }] }),
    );
    const b = await post(bodyB, 'overload-b');
    expect(b.status).toBe(200);
    expect(sha256(b.body)).toBe(sha256(reply));
    expect(up.requests.at(-1)!.sha256).toBe(sha256(bodyB));
    expect(client.dropped).toBe(2);
    const metrics = (await rawRequest(proxy.url + '/metrics')).body.toString();
    expect(metrics).toMatch(/^lunaroute_recorder_dropped_exchanges_total 2$/m);

    // The recorder catches up: what was in flight is acknowledged, and the next exchange is recorded in full.
    worker.release();
    expect(client.inFlightBytes).toBe(0);
    const bodyC = Buffer.from(
      JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'c' }] }),
    );
    const c = await post(bodyC, 'overload-c', true);
    expect(c.body.toString()).toBe(SMALL_REPLY);
    expect(client.dropped).toBe(2);
    await client.close();
    await engine.close();

    const requests = sink.lines.filter((l): l is RequestLine => l.type === 'request');
    const responses = sink.lines.filter((l): l is ResponseLine => l.type === 'response');
    const bySession = (id: string) => requests.find((r) => r.session_id === id);
    const reqA = bySession('overload-a');
    expect(reqA).toBeDefined();
    // Only the start of A's body was copied, and the line says so.
    expect(reqA!.body_truncated).toBe(true);
    expect(reqA!.body_bytes).toBeLessThan(bodyA.length);
    const resA = responses.find((r) => r.id === reqA!.id)!;
    expect(resA).toMatchObject({ outcome: 'interrupted', reason: 'recording_dropped', truncated: true });
    expect(resA.response_bytes).toBeLessThan(reply.length);
    // B was never copied: no line claims it.
    expect(bySession('overload-b')).toBeUndefined();
    expect(requests).toHaveLength(2);
    const reqC = bySession('overload-c')!;
    expect(reqC.body_bytes).toBe(bodyC.length);
    expect(reqC.body_truncated).toBe(false);
    expect(responses.find((r) => r.id === reqC.id)).toMatchObject({
      outcome: 'completed',
      truncated: false,
      response_bytes: Buffer.byteLength(SMALL_REPLY),
    });
  });
});
