// The live list's state as pure functions: the renderer holds a *window* of session rows (the ones near the
// viewport, fetched by offset), plus overlays from pushed events for what is streaming right now. Events update
// rows in the window at once (status, tokens, in-flight count, the growing response text); anything that can
// move rows or add sessions asks for a refetch of the window, which the store throttles. Pure: unit-tested.
import type { SessionRow, UiEvent } from '../../src-shared/contract.js';

/** Characters of streaming text kept per request (the row shows the tail). */
export const STREAM_TAIL = 400;

export interface Streaming {
  session_id: string;
  /** Tail of the response text so far. */
  text: string;
  chars: number;
}

export interface LiveWindow {
  /** Index (in the whole filtered list) of rows[0]. */
  offset: number;
  rows: SessionRow[];
  total: number;
}

export interface ApplyResult {
  window: LiveWindow;
  streaming: Map<string, Streaming>;
  /** Rows may have moved or a session not in the window changed: refetch soon. */
  refetch: boolean;
  /** Request ids that finished in this batch (for "flash" highlighting and latency measurement). */
  finished: string[];
}

const add = (a: number | null, b: number | null): number | null => (b === null ? a : (a ?? 0) + b);

/** Apply a batch of events. Returns new objects where something changed (suitable for $state.raw). */
export function applyEvents(
  win: LiveWindow,
  streaming: ReadonlyMap<string, Streaming>,
  events: readonly UiEvent[],
): ApplyResult {
  const index = new Map<string, number>();
  win.rows.forEach((r, i) => index.set(r.id, i));
  let rows: SessionRow[] | null = null;
  let stream: Map<string, Streaming> | null = null;
  let refetch = false;
  const finished: string[] = [];
  const update = (sessionId: string, f: (r: SessionRow) => SessionRow): boolean => {
    const i = index.get(sessionId);
    if (i === undefined) return false;
    rows ??= win.rows.slice();
    rows[i] = f(rows[i]!);
    return true;
  };
  const streams = (): Map<string, Streaming> => (stream ??= new Map(streaming));
  for (const e of events) {
    switch (e.type) {
      case 'request_started': {
        streams().set(e.id, { session_id: e.session_id, text: '', chars: 0 });
        update(e.session_id, (r) => ({
          ...r,
          in_flight: r.in_flight + 1,
          request_count: r.request_count + 1,
          last_at: Math.max(r.last_at, e.at),
          last_preview: e.prompt_preview ?? r.last_preview,
          last_outcome: null,
          last_status: null,
          last_model: e.model ?? r.last_model,
        }));
        // A new session, or an old one that moves to the top: the window's order changed.
        refetch = true;
        break;
      }
      case 'response_progress': {
        const s = streams();
        const prev = s.get(e.id) ?? { session_id: e.session_id, text: '', chars: 0 };
        // `reset`: a secret completed after part of it was shown; the delta is the whole redacted text.
        const text = (e.reset ? e.text_delta : prev.text + e.text_delta).slice(-STREAM_TAIL);
        s.set(e.id, { session_id: e.session_id, text, chars: e.text_chars });
        break;
      }
      case 'request_finished': {
        streams().delete(e.id);
        finished.push(e.id);
        const u = e.usage;
        const found = update(e.session_id, (r) => ({
          ...r,
          in_flight: Math.max(0, r.in_flight - 1),
          failed_count: r.failed_count + (e.outcome === 'failed' ? 1 : 0),
          interrupted_count: r.interrupted_count + (e.outcome === 'interrupted' ? 1 : 0),
          input_tokens: add(r.input_tokens, u.input),
          output_tokens: add(r.output_tokens, u.output),
          cache_read_tokens: add(r.cache_read_tokens, u.cacheRead),
          cache_write_tokens: add(r.cache_write_tokens, u.cacheWrite),
          reasoning_tokens: add(r.reasoning_tokens, u.reasoning),
          last_outcome: e.outcome,
          last_status: e.status,
          last_model: e.model ?? r.last_model,
          ended_at: Math.max(r.ended_at ?? 0, e.at),
          models:
            e.model && !(r.models ?? '').split(',').includes(e.model)
              ? r.models
                ? `${r.models},${e.model}`
                : e.model
              : r.models,
        }));
        // The index has the canonical numbers (previews, tool calls): refetch, but a row in the window is
        // already right. A session outside the window changed too: its position may have changed.
        refetch = true;
        void found;
        break;
      }
      default:
        break;
    }
  }
  return {
    window: rows ? { ...win, rows } : win,
    streaming: stream ?? new Map(streaming),
    refetch,
    finished,
  };
}

/** Streaming text for a session (the most recent in-flight request with text), or null. */
export function streamingTextFor(
  streaming: ReadonlyMap<string, Streaming>,
  sessionId: string,
): string | null {
  let text: string | null = null;
  for (const s of streaming.values()) if (s.session_id === sessionId) text = s.text;
  return text;
}

/** Which rows [from, to) to fetch so that the visible range plus `overscan` on each side is loaded. */
export function wantedRange(
  firstVisible: number,
  visibleCount: number,
  total: number,
  overscan: number,
): { from: number; to: number } {
  const from = Math.max(0, firstVisible - overscan);
  const to = Math.min(total, firstVisible + visibleCount + overscan);
  return { from, to: Math.max(from, to) };
}

/** Whether the loaded window covers [from, to). */
export function covers(win: LiveWindow, from: number, to: number): boolean {
  return from >= win.offset && to <= win.offset + win.rows.length;
}

/** The row at a list index, or undefined when outside the window (rendered as a placeholder). */
export function rowAt(win: LiveWindow, i: number): SessionRow | undefined {
  return win.rows[i - win.offset];
}
