// OpenTelemetry export, end to end: SDK traffic through the proxy (recording on) to the fake provider, and a tiny
// OTLP/HTTP collector on 127.0.0.1 receiving POST /v1/traces. Every span field is checked against what was sent.
// With the collector down (connection refused) the proxy answers normally and the failed export is counted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreHandle } from '../../src-main/app/core.js';
import { requestCost } from '../../src-main/analytics/cost.js';
import type { FakeProvider } from '../support/fake-provider/index.js';
import { startRecordingStack } from '../support/recording-stack.js';
import { rawRequest } from '../support/http.js';
import { parsePrometheus, sampleValue } from '../support/prom-parse.js';

interface Attr {
  key: string;
  value: Record<string, unknown>;
}
interface Span {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status: { code: number; message?: string };
}
interface Export {
  headers: http.IncomingHttpHeaders;
  url: string;
  body: {
    resourceSpans: {
      resource: { attributes: Attr[] };
      scopeSpans: { scope: { name: string }; spans: Span[] }[];
    }[];
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function collector(): Promise<{ url: string; exports: Export[]; spans: () => Span[] }> {
  const exports: Export[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        exports.push({
          headers: req.headers,
          url: req.url,
          body: JSON.parse(Buffer.concat(chunks).toString()) as Export['body'],
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans: () =>
      exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
  };
}

async function setup(otel: { endpoint: string; headers: Record<string, string> }): Promise<{
  core: CoreHandle;
  fake: FakeProvider;
}> {
  const stack = await startRecordingStack({ dataDirPrefix: 'lunaroute-otel-', otel });
  cleanups.push(() => stack.close());
  return { core: stack.core, fake: stack.fake };
}

function attrs(span: Span): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of span.attributes) {
    const v = a.value;
    if ('stringValue' in v) out[a.key] = v.stringValue;
    else if ('intValue' in v) out[a.key] = Number(v.intValue);
    else if ('doubleValue' in v) out[a.key] = v.doubleValue;
    else if ('boolValue' in v) out[a.key] = v.boolValue;
    else if ('arrayValue' in v)
      out[a.key] = (v.arrayValue as { values: { stringValue: string }[] }).values.map((x) => x.stringValue);
  }
  return out;
}

async function until<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('OpenTelemetry export', () => {
  it('sends one GenAI span per finished request to the collector, with the configured headers', async () => {
    const col = await collector();
    const { core, fake } = await setup({ endpoint: col.url, headers: { authorization: 'Bearer otel-test' } });
    const sid = 'otel-session-1';
    const anthropic = new Anthropic({ apiKey: 'sk-ant-otel', baseURL: core.proxyUrl, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: 'sk-otel', baseURL: `${core.proxyUrl}/v1`, maxRetries: 0 });
    const t0 = Date.now();
    const msg = await anthropic.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi otel' }] },
      { headers: { 'x-claude-code-session-id': sid } },
    );
    expect(msg.content.length).toBeGreaterThan(0);
    await expect(
      openai.chat.completions.create({
        model: 'otel-unpriced',
        messages: [{ role: 'user', content: 'SCENARIO:error-500' }],
      }),
    ).rejects.toThrow();
    const t1 = Date.now();

    const spans = await until('two spans', async () => {
      await core.recorder.client.flush();
      return col.spans().length >= 2 ? col.spans() : undefined;
    });
    expect(spans).toHaveLength(2);
    expect(col.exports[0]!.headers['authorization']).toBe('Bearer otel-test');
    expect(col.exports[0]!.headers['content-type']).toBe('application/json');
    const resource = col.exports[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value).toEqual({ stringValue: 'lunaroute' });

    const ok = spans.find((s) => s.name === 'chat claude-sonnet-4-5')!;
    expect(ok).toBeDefined();
    const sent = fake.requests.find((r) => r.dialect === 'anthropic')!.usageSent!;
    const a = attrs(ok);
    expect(a['gen_ai.operation.name']).toBe('chat');
    expect(a['gen_ai.provider.name']).toBe('anthropic');
    expect(a['gen_ai.request.model']).toBe('claude-sonnet-4-5');
    expect(a['gen_ai.response.model']).toBe('claude-sonnet-4-5');
    expect(a['gen_ai.usage.input_tokens']).toBe(sent.input);
    expect(a['gen_ai.usage.output_tokens']).toBe(sent.output);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(a['lunaroute.session.id']).toBe(sid);
    expect(a['lunaroute.client']).toBe('claude_code');
    const cost = requestCost({
      model: 'claude-sonnet-4-5',
      usage: {
        input: sent.input,
        output: sent.output,
        cacheRead: sent.cacheRead,
        cacheWrite: sent.cacheWrite,
      },
    });
    expect(a['lunaroute.cost_usd']).toBeCloseTo(cost.usd!, 10);
    expect(ok.status.code).toBe(0);
    expect(ok.kind).toBe(3);
    expect(ok.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ok.spanId).toMatch(/^[0-9a-f]{16}$/);
    const start = Number(BigInt(ok.startTimeUnixNano) / 1_000_000n);
    const end = Number(BigInt(ok.endTimeUnixNano) / 1_000_000n);
    expect(start).toBeGreaterThanOrEqual(t0 - 1);
    expect(end).toBeGreaterThanOrEqual(start);
    expect(end).toBeLessThanOrEqual(t1 + 1);

    const failed = spans.find((s) => s !== ok)!;
    const f = attrs(failed);
    expect(failed.name).toBe('chat otel-unpriced');
    expect(f['gen_ai.provider.name']).toBe('openai');
    expect(f['gen_ai.request.model']).toBe('otel-unpriced');
    expect(f['lunaroute.client']).toBe('sdk');
    expect(f['lunaroute.cost_usd']).toBeUndefined();
    expect(failed.status.code).toBe(2);
    expect(f['error.type']).toBeTruthy();

    const m = parsePrometheus((await rawRequest(core.proxyUrl + '/metrics')).body.toString());
    expect(sampleValue(m, 'lunaroute_otel_spans_exported_total')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m, 'lunaroute_otel_spans_dropped_total')).toBe(0);
  });

  it('keeps proxying when the collector is down, and counts the retries and dropped spans', async () => {
    // A port that refuses connections: bind, note it, close.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { core } = await setup({ endpoint: `http://127.0.0.1:${port}`, headers: {} });
    const anthropic = new Anthropic({ apiKey: 'sk-ant-otel', baseURL: core.proxyUrl, maxRetries: 0 });
    for (let i = 0; i < 3; i++) {
      const msg = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 20,
        messages: [{ role: 'user', content: `down ${i}` }],
      });
      expect(msg.content.length).toBeGreaterThan(0);
    }
    await core.recorder.client.flush();
    // The exporter retries with backoff (0.5 s, 1 s, 2 s), then drops the batch and counts it.
    const m = await until('the dropped spans to be counted', async () => {
      const text = (await rawRequest(core.proxyUrl + '/metrics')).body.toString();
      const f = parsePrometheus(text);
      return (sampleValue(f, 'lunaroute_otel_spans_dropped_total') ?? 0) >= 3 ? f : undefined;
    });
    expect(sampleValue(m, 'lunaroute_otel_export_retries_total')).toBeGreaterThanOrEqual(3);
    expect(sampleValue(m, 'lunaroute_otel_export_failures_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'lunaroute_otel_spans_exported_total')).toBe(0);
    // Still answering.
    const again = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'still up' }],
    });
    expect(again.content.length).toBeGreaterThan(0);
  });
});
