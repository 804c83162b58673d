// The official SDKs as clients, through the real proxy, to the fake provider: streaming and not, tools and
// errors. A fetch wrapper hashes exactly what the SDK sent and received, and the fake provider hashes what it
// received and sent: the proxy must not change a byte either way.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FAKE_ANSWER } from '../support/fake-provider/index.js';
import { useRecordingStack } from '../support/recording-stack.js';
import { FIDELITY_MODES } from '../support/fidelity.js';

interface Captured {
  url: string;
  headers: Headers;
  requestSha: string;
  responseSha: Promise<string>;
}
const captured: Captured[] = [];

/** A fetch that records the sha256 of the request body and of the raw response bytes as the SDK reads them. */
const hashingFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  const bytes =
    typeof body === 'string'
      ? Buffer.from(body)
      : body instanceof Uint8Array
        ? Buffer.from(body)
        : Buffer.alloc(0);
  const res = await fetch(input, {
    ...init,
    headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), 'accept-encoding': 'identity' },
  });
  const hash = createHash('sha256');
  let done!: (h: string) => void;
  const responseSha = new Promise<string>((r) => (done = r));
  const tapped = res.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        done(hash.digest('hex'));
      },
    }),
  );
  captured.push({
    url: String(input),
    headers: new Headers(init?.headers),
    requestSha: createHash('sha256').update(bytes).digest('hex'),
    responseSha,
  });
  return new Response(tapped, { status: res.status, statusText: res.statusText, headers: res.headers });
};

describe.each(FIDELITY_MODES)('$mode', ({ options: fidelity }) => {
  // The proxy alone, and the proxy recording with mask redaction: the bytes must be the same either way.
  const stack = useRecordingStack({ provider: { bigEvents: 500 }, ...fidelity });

  async function expectByteExact(): Promise<void> {
    const c = captured.at(-1)!;
    const seen = stack.fake.requests.at(-1)!;
    await seen.done;
    expect(seen.bodySha256).toBe(c.requestSha);
    expect(await c.responseSha).toBe(seen.responseSha256);
  }

  const anthropic = () =>
    new Anthropic({
      apiKey: 'sk-ant-test-key',
      baseURL: stack.core.proxyUrl,
      fetch: hashingFetch,
      maxRetries: 0,
    });
  const openai = () =>
    new OpenAI({
      apiKey: 'sk-test-key',
      baseURL: stack.core.proxyUrl + '/v1',
      fetch: hashingFetch,
      maxRetries: 0,
    });

  describe('Anthropic SDK through the proxy', () => {
    it('messages.create (JSON) returns the fake answer, byte-exact both ways, credentials untouched', async () => {
      const msg = await anthropic().messages.create({
        model: 'claude-test',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(msg.content[0]).toMatchObject({ type: 'text', text: FAKE_ANSWER });
      await expectByteExact();
      // Whichever credential header the SDK chose (this version sends a Bearer token), it arrives unchanged.
      const sent = captured.at(-1)!.headers;
      const got = stack.fake.requests.at(-1)!.headers;
      expect(sent.get('x-api-key') ?? sent.get('authorization')).toContain('sk-ant-test-key');
      expect(got['x-api-key']).toBe(sent.get('x-api-key') ?? undefined);
      expect(got['authorization']).toBe(sent.get('authorization') ?? undefined);
    });

    it('messages.stream with thinking and a tool call reassembles in the SDK, byte-exact', async () => {
      const stream = anthropic().messages.stream({
        model: 'claude-test',
        max_tokens: 1000,
        tools: [
          {
            name: 'Bash',
            description: 'run',
            input_schema: { type: 'object', properties: { command: { type: 'string' } } },
          },
        ],
        messages: [{ role: 'user', content: 'SCENARIO:thinking SCENARIO:tool please' }],
      });
      const final = await stream.finalMessage();
      expect(final.content[0]?.type).toBe('thinking');
      expect(final.stop_reason).toBe('tool_use');
      const tool = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      expect(tool.name).toBe('Bash');
      expect(tool.input).toMatchObject({ command: expect.stringContaining('echo') as string });
      await expectByteExact();
    });

    it('a 2000-event stream arrives complete', async () => {
      const stream = anthropic().messages.stream({
        model: 'claude-test',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'SCENARIO:big-2000' }],
      });
      const final = await stream.finalMessage();
      expect((final.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(2000);
      await expectByteExact();
    });

    it('count_tokens reaches Anthropic (not OpenAI) with its beta query string', async () => {
      const r = await anthropic().messages.countTokens({
        model: 'claude-test',
        messages: [{ role: 'user', content: 'count me' }],
      });
      expect(r.input_tokens).toBeGreaterThan(0);
      expect(stack.fake.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
    });

    it('a 429 surfaces in the SDK as RateLimitError with retry-after and request-id intact', async () => {
      const err = await anthropic()
        .messages.create({
          model: 'claude-test',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'SCENARIO:error-429' }],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      const e = err as InstanceType<typeof Anthropic.RateLimitError>;
      expect(e.headers?.get('retry-after')).toBeTruthy();
      expect(e.requestID).toBeTruthy();
      await expectByteExact();
    });
  });

  describe('OpenAI SDK through the proxy', () => {
    it('chat.completions.create (JSON) returns the fake answer, byte-exact', async () => {
      const r = await openai().chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(r.choices[0]?.message.content).toBe(FAKE_ANSWER);
      await expectByteExact();
      expect(stack.fake.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-test-key');
    });

    it('chat.completions streaming with include_usage and tool calls, byte-exact', async () => {
      const stream = await openai().chat.completions.create({
        model: 'gpt-test',
        stream: true,
        stream_options: { include_usage: true },
        tools: [
          {
            type: 'function',
            function: {
              name: 'bash',
              parameters: { type: 'object', properties: { command: { type: 'string' } } },
            },
          },
        ],
        messages: [{ role: 'user', content: 'SCENARIO:tool' }],
      });
      let args = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(JSON.parse(args)).toMatchObject({ command: expect.stringContaining('echo') as string });
      expect(usage?.prompt_tokens).toBeGreaterThan(0);
      await expectByteExact();
    });

    it('responses.create streaming returns the fake answer, byte-exact', async () => {
      const stream = await openai().responses.create({ model: 'gpt-test', input: 'Hi', stream: true });
      let text = '';
      let completed = false;
      for await (const ev of stream) {
        if (ev.type === 'response.output_text.delta') text += ev.delta;
        if (ev.type === 'response.completed') completed = true;
      }
      expect(text).toBe(FAKE_ANSWER);
      expect(completed).toBe(true);
      await expectByteExact();
    });

    it('responses.create (JSON) reaches /v1/responses', async () => {
      const r = await openai().responses.create({ model: 'gpt-test', input: 'Hi' });
      expect(r.output_text).toBe(FAKE_ANSWER);
      expect(stack.fake.requests.at(-1)!.path).toBe('/v1/responses');
      await expectByteExact();
    });

    it('a 500 on a streaming request comes back as the raw JSON error, not SSE', async () => {
      const err = await openai()
        .chat.completions.create({
          model: 'gpt-test',
          stream: true,
          messages: [{ role: 'user', content: 'SCENARIO:error-500' }],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      await expectByteExact();
    });
  });
});
