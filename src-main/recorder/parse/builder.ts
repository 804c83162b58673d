// Mutable accumulator behind every response parser: content blocks keyed by the dialect's own identity (block
// index, tool_calls index, item id), usage, stop/error state and counts. `snapshot()` materialises an immutable
// ReassembledResponse; the hot path only appends strings (V8 ropes) and flips fields.
import type { Dialect, Endpoint } from '../../../src-shared/dialects.js';
import type {
  ContentBlock,
  ExchangeError,
  FinishReason,
  JsonValue,
  ParseCounts,
  ReassembledResponse,
  Usage,
} from '../../../src-shared/exchange.js';
import { DriftLog } from './drift.js';
import { tryParseJson } from './json.js';
import { emptyUsage } from './usage.js';

export type BlockType = ContentBlock['type'];

/** One content block under construction. Fields unused by a type keep their defaults. */
export interface MutBlock {
  type: BlockType;
  /** Sort keys: output position (block index / output_index / creation order), then part index. */
  p: number;
  s: number;
  /** text / thinking / refusal / tool arguments / redacted data. */
  text: string;
  /** Responses reasoning: summary (and raw reasoning) parts, joined with blank lines on output. */
  parts: Map<string, string> | null;
  signature: string | null;
  id: string;
  name: string;
  kind: 'function' | 'custom' | 'server';
  /** Anthropic tool_use start `input`, used when no input_json_delta arrives. */
  initialInput: JsonValue | undefined;
  rawType: string;
  raw: JsonValue;
  /** `other` blocks: deltas streamed into them, as received (null when none), and those over the budget. */
  deltas: JsonValue[] | null;
  deltasOmitted: number;
}

export class ResponseBuilder {
  id: string | null = null;
  model: string | null = null;
  role: string | null = null;
  stopReason: string | null = null;
  stopDetail: string | null = null;
  finishReason: FinishReason | null = null;
  error: ExchangeError | null = null;
  hasRefusal = false;
  complete = false;
  firstContentAtMs: number | null = null;
  usage: Usage = emptyUsage();
  readonly counts: ParseCounts = { events: 0, chunks: 0, bytes: 0, parseErrors: 0, keepalives: 0 };
  /** What was not recognised (see known.ts), with the occurrences as received. */
  readonly drift = new DriftLog();

  private readonly blocks = new Map<string | number, MutBlock>();
  private creation = 0;
  private contentSeen = false;

  constructor(
    readonly dialect: Dialect,
    readonly endpoint: Endpoint,
    readonly streamed: boolean,
    private readonly onFirstContent?: () => number | void,
  ) {}

  get(key: string | number): MutBlock | undefined {
    return this.blocks.get(key);
  }

  /** The block under `key`, created with `type` if new. `p`/`s` default to creation order. */
  block(key: string | number, type: BlockType, p?: number, s = 0): MutBlock {
    let b = this.blocks.get(key);
    if (b === undefined) {
      b = {
        type,
        p: p ?? this.creation,
        s,
        text: '',
        parts: null,
        signature: null,
        id: '',
        name: '',
        kind: 'function',
        initialInput: undefined,
        rawType: type,
        raw: null,
        deltas: null,
        deltasOmitted: 0,
      };
      this.creation++;
      this.blocks.set(key, b);
    }
    return b;
  }

  /** Keep a delta of an `other` block as received (within the response's raw budget). */
  otherDelta(blk: MutBlock, delta: JsonValue): void {
    const kept = this.drift.keep(delta);
    if (kept === undefined) blk.deltasOmitted++;
    else (blk.deltas ??= []).push(kept);
  }

  hasBlocks(): boolean {
    return this.blocks.size > 0;
  }

  hasToolCalls(): boolean {
    for (const b of this.blocks.values()) if (b.type === 'tool_call') return true;
    return false;
  }

  /** Marks model output as started; the first call runs the caller's clock hook. */
  content(): void {
    if (this.contentSeen) return;
    this.contentSeen = true;
    if (this.onFirstContent === undefined) return;
    try {
      const at = this.onFirstContent();
      if (typeof at === 'number') this.firstContentAtMs = at;
    } catch {
      // The hook belongs to the caller; a failure there must not break recording.
    }
  }

  setError(type: string | null, code: string | null, message: string | null): void {
    this.error = { type, code, message };
  }

  snapshot(): ReassembledResponse {
    const sorted = [...this.blocks.values()];
    sorted.sort((a, b) => a.p - b.p || a.s - b.s);
    const content: ContentBlock[] = [];
    for (const b of sorted) content.push(materialise(b));
    const r: ReassembledResponse = {
      dialect: this.dialect,
      endpoint: this.endpoint,
      streamed: this.streamed,
      complete: this.complete,
      id: this.id,
      model: this.model,
      role: this.role,
      content,
      stopReason: this.stopReason,
      stopDetail: this.stopDetail,
      finishReason: this.finishReason,
      usage: { ...this.usage },
      error: this.error === null ? null : { ...this.error },
      hasRefusal: this.hasRefusal,
      counts: { ...this.counts },
      firstContentAtMs: this.firstContentAtMs,
    };
    const unknown = this.drift.list();
    if (unknown) r.unknown = unknown;
    return r;
  }
}

function materialise(b: MutBlock): ContentBlock {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text };
    case 'thinking':
      return {
        type: 'thinking',
        thinking: b.parts === null ? b.text : [...b.parts.values()].join('\n\n'),
        signature: b.signature,
      };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: b.text };
    case 'refusal':
      return { type: 'refusal', refusal: b.text };
    case 'other': {
      const o: ContentBlock = { type: 'other', rawType: b.rawType, raw: b.raw };
      if (b.deltas) o.deltas = b.deltas.slice();
      if (b.deltasOmitted) o.deltasOmitted = b.deltasOmitted;
      return o;
    }
    case 'tool_call': {
      let args = b.text;
      // Anthropic: a tool_use whose input arrived whole in content_block_start (or an empty-args call).
      if (args === '' && b.initialInput !== undefined) args = JSON.stringify(b.initialInput);
      if (b.kind === 'custom') {
        return { type: 'tool_call', kind: b.kind, id: b.id, name: b.name, arguments: args, parseError: null };
      }
      // OpenAI sends "" for a call without parameters; that is `{}`, not a parse error.
      const parsed = tryParseJson(args === '' ? '{}' : args);
      return parsed.ok
        ? {
            type: 'tool_call',
            kind: b.kind,
            id: b.id,
            name: b.name,
            arguments: args,
            input: parsed.value,
            parseError: null,
          }
        : {
            type: 'tool_call',
            kind: b.kind,
            id: b.id,
            name: b.name,
            arguments: args,
            parseError: parsed.error,
          };
    }
  }
}

/** Reads an `{ error: { type, code, message } }`-style object (Anthropic and OpenAI error bodies/events). */
export function readError(
  b: ResponseBuilder,
  err: { [k: string]: JsonValue } | null,
  fallbackMessage?: string,
): void {
  if (err === null) {
    b.setError(null, null, fallbackMessage ?? null);
    return;
  }
  const type = typeof err.type === 'string' ? err.type : null;
  const code =
    typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? String(err.code) : null;
  const message = typeof err.message === 'string' ? err.message : (fallbackMessage ?? null);
  b.setError(type, code, message);
}
