// The fake provider's public surface: the constants tests assert on, what it records about each exchange
// (request and response bytes, hashes, usage sent, early closes) and its options and handle.
import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** The default answer's text; tests assert that clients print it. */
export const FAKE_ANSWER = 'Hello from the fake provider.';
/** The shell command the `tool` scenario asks the client to run (its output is FAKE_TOOL_OUTPUT, not in the text). */
export const FAKE_TOOL_COMMAND = 'echo lunaroute-tool-$((6*7))';
export const FAKE_TOOL_OUTPUT = 'lunaroute-tool-42';
/** Token counts the fake reports (output tokens depend on the scenario; each record carries what was sent). */
export const FAKE_USAGE = { input: 25, cacheRead: 100, cacheWrite: 50, reasoning: 30 } as const;

export type Dialect = 'anthropic' | 'openai-chat' | 'openai-responses' | 'other';

/** Usage exactly as the fake reported it, in the dialect's own terms (so tests can compare with the recorder). */
export interface SentUsage {
  /** Anthropic: input_tokens (excludes cache). OpenAI: prompt/input tokens (includes cached). */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  transport: 'http' | 'websocket';
  /** HTTP method, or `WS` for one `response.create` frame of a WebSocket connection. */
  method: string;
  /** Path including the query string, as received. For WebSocket frames: the upgrade request's URL. */
  url: string;
  /** Path without the query string. */
  path: string;
  /** Request headers (for WebSocket frames: the upgrade request's headers). */
  headers: IncomingHttpHeaders;
  /** Raw request body (for WebSocket: the frame payload). */
  body: Buffer;
  bodySha256: string;
  /** Parsed JSON body, when the body is JSON. */
  json: unknown;
  dialect: Dialect;
  /** Scenario names found in the request. */
  scenarios: string[];
  receivedAt: number;
  /** Status sent (101 for WebSocket frames). Undefined until the head is written. */
  status: number | undefined;
  /** Bytes written back (after compression; for WebSocket the text frames, one per line), grows while streaming. */
  responseBody: Buffer;
  /** Bytes written back so far (counted even when bodies are not kept). */
  responseBytes: number;
  /** sha256 of the bytes written back, set when the response finished or the connection closed. */
  responseSha256: string | undefined;
  usageSent: SentUsage | undefined;
  /** Resolves when this exchange ended, either way. */
  done: Promise<'finished' | 'closed-early'>;
  /** Resolves (with Date.now()) only if the client's connection closed before the response was complete. */
  closedEarly: Promise<number>;
  closedEarlyAt: number | undefined;
}

export interface WsConnectionRecord {
  url: string;
  headers: IncomingHttpHeaders;
  openedAt: number;
  closed: Promise<number>;
}

/** What a script sees of a generation request (any dialect). */
export interface ScriptView {
  /** Text of the last user message (Responses: the last user input item). */
  lastUserText: string;
  /** Set when the request's last message is a tool result: its text. */
  toolResult: string | undefined;
  /** Names of the tools the request declares. */
  tools: string[];
}

/**
 * A scripted answer to one generation request, rendered in the request's dialect and transport (JSON, SSE,
 * WebSocket): optional text, then optionally one tool call. `usage` overrides the token counts reported.
 */
export interface ScriptedReply {
  text?: string;
  /** `input`: the call's arguments (a string for a Responses free-form tool such as Codex's `exec`). */
  tool?: { name: string; input: unknown };
  usage?: Partial<SentUsage>;
}

/**
 * Decides the answer to a generation request before the scenarios do: return a reply to script it, undefined to
 * fall back to the scenarios. Used to drive real clients through multi-step flows (a subagent, a compaction).
 */
export type FakeScript = (request: RecordedRequest, view: ScriptView) => ScriptedReply | undefined;

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface FakeProviderOptions {
  /** Delay between events for `slow` (ms, default 100). */
  slowDelayMs?: number;
  /** Number of text deltas for `big` (default 2000). */
  bigEvents?: number;
  /** Events written before `reset` destroys the socket (default 3). */
  resetAfterEvents?: number;
  /** Accept WebSocket upgrades on /v1/responses (default true). False answers the upgrade with 426. */
  websocket?: boolean;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /**
   * Keep request and response bodies on the records (default true). The benchmark turns this off: hashes, sizes
   * and everything else are still recorded, the bodies are dropped once the exchange ended.
   */
  keepBodies?: boolean;
}

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` (Anthropic base; the OpenAI base is `${url}/v1`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  wsConnections: WsConnectionRecord[];
  /** Emits 'request' (RecordedRequest) on arrival and 'closedEarly' (RecordedRequest) on a client abort. */
  events: EventEmitter;
  /** Handle the next HTTP request (matching `match`, if given) with `handler` instead of the fake's logic. */
  enqueue(handler: FakeHandler, match?: (r: RecordedRequest) => boolean): void;
  /** The first recorded request (past or future) matching the predicate. Rejects after timeoutMs (default 15 s). */
  waitForRequest(predicate?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Script the answers to generation requests (undefined: back to the scenarios). Survives clear(). */
  setScript(script: FakeScript | undefined): void;
  /** Forget recorded requests and queued handlers. */
  clear(): void;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}
