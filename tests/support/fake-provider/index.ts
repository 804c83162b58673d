// The fake model provider the integration, e2e and real-client tests run against: a local server on 127.0.0.1
// speaking Anthropic Messages, OpenAI Chat Completions and OpenAI Responses (HTTP JSON, SSE, and Codex's
// WebSocket transport), faithful enough that the official SDKs and the real clients (Claude Code, Codex, OpenCode)
// run against it. It records every request it receives and every byte it sends back, so tests can assert on both
// sides. Requests pick scenarios (tool, thinking, slow, reset, error-NNN, …) by naming them: see scenarios.ts.
// Files: types.ts (public types, constants), scenarios.ts (what to answer), anthropic.ts, openai-chat.ts,
// openai-responses.ts (each dialect's bodies, events, errors), transport.ts (HTTP, SSE), responses-websocket.ts,
// endpoints.ts (models, embeddings), server.ts (the server and its records).
export {
  FAKE_ANSWER,
  FAKE_TOOL_COMMAND,
  FAKE_TOOL_OUTPUT,
  FAKE_USAGE,
  type Dialect,
  type FakeHandler,
  type FakeProvider,
  type FakeProviderOptions,
  type FakeScript,
  type ScriptedReply,
  type ScriptView,
  type RecordedRequest,
  type SentUsage,
  type WsConnectionRecord,
} from './types.js';
export { startFakeProvider } from './server.js';
