// Live text of streaming responses for the window. Each tick (~50 ms) the text so far is cut where no detector can
// still be matching (Redactor.stablePrefix): everything before the cut is redacted exactly as the final text will
// be, everything after it waits. So a secret split across deltas is never shown in part, text without candidates
// shows at once, and what was shown is never taken back. When the stream ends, the rest follows.
// Storage never depends on this: it redacts the reassembled response.
import type { LiveEvent } from '../../src-shared/live.js';
import type { StablePrefix } from '../redaction/index.js';
import type { ReassembledResponse } from '../../src-shared/exchange.js';

interface Progress {
  /** Raw characters of response text seen at the last tick. */
  rawChars: number;
  /** The redacted text already sent to the UI. */
  sent: string;
}

export interface LiveRedaction {
  /** The decided, redacted prefix of a growing text (null: nothing may be shown). */
  stable(text: string): StablePrefix | null;
  /** The redaction of a finished text. */
  whole(text: string): string;
}

export class LiveProgress {
  private readonly seen = new Map<string, Progress>();

  constructor(private readonly redaction: LiveRedaction) {}

  /** The event that brings the window up to `text` for exchange `id`, or null when nothing new may be shown. */
  next(id: string, sessionId: string, text: string): LiveEvent | null {
    const p = this.progressOf(id);
    if (text.length <= p.rawChars) return null;
    p.rawChars = text.length;
    const visible = this.redaction.stable(text)?.value;
    return visible === undefined ? null : this.show(p, id, sessionId, text, visible);
  }

  /** The stream ended with `text`: the event that shows the rest (all of it is decided now), then forget it. */
  last(id: string, sessionId: string, text: string): LiveEvent | null {
    const p = this.progressOf(id);
    this.seen.delete(id);
    return text.length === 0 ? null : this.show(p, id, sessionId, text, this.redaction.whole(text));
  }

  forget(id: string): void {
    this.seen.delete(id);
  }

  private progressOf(id: string): Progress {
    let p = this.seen.get(id);
    if (!p) this.seen.set(id, (p = { rawChars: 0, sent: '' }));
    return p;
  }

  private show(p: Progress, id: string, sessionId: string, text: string, visible: string): LiveEvent | null {
    if (visible.length <= p.sent.length && p.sent.startsWith(visible)) return null;
    // Only a policy change mid-stream (or a redaction failure) can make the text disagree with what was shown.
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
}

/** The text a live view shows of a response so far: its text blocks, joined (null: nothing parsed). */
export function responseText(snap: ReassembledResponse | null): string | null {
  if (!snap) return null;
  let text = '';
  for (const b of snap.content) if (b.type === 'text') text += b.text;
  return text;
}
