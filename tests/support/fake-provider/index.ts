// The fake model provider the integration, e2e and real-client tests run against: a local server on 127.0.0.1
// speaking Anthropic Messages, OpenAI Chat Completions and OpenAI Responses (HTTP and WebSocket).
// This module only re-exports the public surface; the implementation is in server.ts.
export {
  FAKE_ANSWER,
  FAKE_TOOL_COMMAND,
  FAKE_TOOL_OUTPUT,
  FAKE_USAGE,
  startFakeProvider,
  type Dialect,
  type FakeHandler,
  type FakeProvider,
  type FakeProviderOptions,
  type RecordedRequest,
  type SentUsage,
  type WsConnectionRecord,
} from './server.js';
