// Prices from the configuration: an override prices a model the bundled table does not know, and the index
// computes each request's cost from its own token kinds with it; a price file that cannot be read stops
// start-up with a message naming pricing.file.
import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startCore } from '../../src-main/app/core.js';
import { createLogger } from '../../src-main/log.js';
import { makeTestConfig } from '../support/config.js';
import { startRecordingStack, type RecordingStack } from '../support/recording-stack.js';
import type { SessionDetail } from '../../src-main/index/queries.js';

let stack: RecordingStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

describe('pricing from the configuration', () => {
  it('prices a model through pricing.overrides, per request, with its own token kinds', async () => {
    stack = await startRecordingStack({
      priceOverrides: { 'in-house-model': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 3 } },
    });
    const core = stack.core;
    const a = new Anthropic({
      apiKey: 'k',
      baseURL: core.proxyUrl,
      maxRetries: 0,
      defaultHeaders: { 'x-claude-code-session-id': 'priced' },
    });
    await a.messages.create({
      model: 'in-house-model',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await a.messages.create({
      model: 'never-heard-of-it',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await core.recorder.client.flush();
    const d = await core.recorder.client.query<
      SessionDetail & {
        requests: {
          model_requested: string;
          cost_usd: number | null;
          input_tokens: number;
          output_tokens: number;
          cache_read_tokens: number;
          cache_write_tokens: number;
        }[];
      }
    >('sessions.get', { id: 'priced' });
    const [priced, unpriced] = d.requests;
    const expected =
      (priced!.input_tokens * 2 +
        priced!.output_tokens * 8 +
        priced!.cache_read_tokens * 0.5 +
        priced!.cache_write_tokens * 3) /
      1e6;
    expect(priced!.model_requested).toBe('in-house-model');
    expect(priced!.cost_usd).toBeCloseTo(expected, 12);
    expect(expected).toBeGreaterThan(0);
    expect(unpriced!.cost_usd).toBeNull();
  });

  it('refuses to start with a price file that cannot be read, naming it', async () => {
    const config = makeTestConfig({ recording: true });
    config.pricing = { file: '/nonexistent/prices.json', overrides: {} };
    await expect(startCore(config, createLogger('silent'))).rejects.toThrow(
      /pricing\.file \/nonexistent\/prices\.json could not be read/,
    );
  });
});
