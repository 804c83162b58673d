// Live text of streaming responses for the window: each tick, the whole text so far is redacted (a secret split
// across deltas is whole here) and all but a held-back tail is shown, as a delta or, when redaction changed text
// already shown, a reset. Storage never depends on this: it redacts the reassembled response.
import type { LiveEvent } from '../../src-shared/live.js';

/**
 * Live text is held back this many characters while a stream runs, so a secret split across deltas is whole
 * (and redacted) before any of it is shown. Longer secrets (PEM blocks) may show partly for a moment; the
 * next tick then sends a reset with the fully redacted text.
 */
export const LIVE_HOLDBACK = 128;

interface Progress {
  /** Raw characters of response text seen at the last tick. */
  rawChars: number;
  /** The redacted text already sent to the UI. */
  sent: string;
}

export class LiveProgress {
  private readonly seen = new Map<string, Progress>();

  constructor(private readonly redact: (text: string) => string) {}

  /** The event that brings the window up to `text` for exchange `id`, or null when nothing new may be shown. */
  next(id: string, sessionId: string, text: string): LiveEvent | null {
    const p = this.seen.get(id) ?? { rawChars: 0, sent: '' };
    this.seen.set(id, p);
    if (text.length <= p.rawChars) return null;
    p.rawChars = text.length;
    const redacted = this.redact(text);
    const visible = redacted.slice(0, Math.max(0, redacted.length - LIVE_HOLDBACK));
    if (visible.length <= p.sent.length && visible.startsWith(p.sent)) return null;
    const reset = !visible.startsWith(p.sent);
    const event: LiveEvent = {
      type: 'response_progress',
      id,
      session_id: sessionId,
      text_delta: reset ? visible : visible.slice(p.sent.length),
      text_chars: text.length,
      ...(reset ? { reset: true } : {}),
    };
    p.sent = visible;
    return event;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
