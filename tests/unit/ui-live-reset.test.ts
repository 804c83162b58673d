// Live progress with `reset`: when a secret completes after part of it was shown, the recorder sends the whole
// redacted text again, and the live list must replace what it showed — never append it (the half-shown raw
// part would otherwise stay on screen).
import { describe, expect, it } from 'vitest';
import { applyEvents, type Streaming } from '../../src-renderer/lib/live-model.js';
import type { UiEvent } from '../../src-shared/contract.js';

const progress = (text_delta: string, reset?: boolean): UiEvent =>
  ({
    type: 'response_progress',
    id: 'r1',
    session_id: 's1',
    text_delta,
    text_chars: 100,
    ...(reset ? { reset } : {}),
  }) as UiEvent;

describe('response_progress', () => {
  it('appends deltas, and replaces the text on reset', () => {
    const win = { offset: 0, rows: [], total: 0 };
    let streaming: ReadonlyMap<string, Streaming> = new Map();
    streaming = applyEvents(win, streaming, [progress('Your card is 4111 ')]).streaming;
    streaming = applyEvents(win, streaming, [progress('and more')]).streaming;
    expect(streaming.get('r1')?.text).toBe('Your card is 4111 and more');
    streaming = applyEvents(win, streaming, [
      progress('Your card is [CREDIT_CARD] and more', true),
    ]).streaming;
    expect(streaming.get('r1')?.text).toBe('Your card is [CREDIT_CARD] and more');
  });
});
