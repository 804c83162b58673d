// The fake provider's side endpoints, beside generation: the model list (both dialects) and OpenAI embeddings.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FakeProviderOptions, RecordedRequest } from './types.js';
import { isObj, sendJson, type Json } from './util.js';

/** GET /v1/models and /v1/models/{id}, in Anthropic's or OpenAI's list shape by the request's dialect. */
export function handleModels(
  rec: RecordedRequest,
  res: ServerResponse,
  opts: Required<FakeProviderOptions>,
): void {
  const anthropic = rec.dialect === 'anthropic';
  const one = rec.path.split('/')[3];
  const entry = (m: string): Json =>
    anthropic
      ? { type: 'model', id: m, display_name: m, created_at: '2025-01-01T00:00:00Z' }
      : { id: m, object: 'model', created: 1_735_689_600, owned_by: 'fake-provider' };
  if (one) {
    sendJson(res, 200, entry(decodeURIComponent(one)));
    return;
  }
  const data = opts.models.map(entry);
  sendJson(
    res,
    200,
    anthropic
      ? { data, has_more: false, first_id: opts.models[0] ?? null, last_id: opts.models.at(-1) ?? null }
      : { object: 'list', data },
  );
}

/** POST /v1/embeddings: deterministic vectors from each input's hash (floats or base64). */
export function handleEmbeddings(rec: RecordedRequest, res: ServerResponse): void {
  const body = isObj(rec.json) ? rec.json : {};
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
  const data = inputs.map((inp, index) => {
    const seed = createHash('sha256').update(JSON.stringify(inp)).digest();
    const vec = Array.from({ length: dims }, (_, i) => ((seed[i % seed.length] ?? 0) - 128) / 128);
    const embedding =
      body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.length * 4;
  sendJson(res, 200, {
    object: 'list',
    data,
    model: typeof body.model === 'string' ? body.model : 'text-embedding-fake',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
