// The resolved configuration of a LunaRoute process: what `loadConfig` returns after merging
// defaults < config file < LUNAROUTE_* environment < CLI flags, and validating every value.
import type { LogLevel } from '../log.js';
import type { RedactionConfig } from '../redaction/index.js';
import type { PriceOverrides } from '../analytics/prices.js';
import type { TunnelPolicy } from '../proxy/connect/config.js';

export interface UpstreamConfig {
  /**
   * Base URL requests are forwarded to. Anthropic: the origin (`https://api.anthropic.com`), the client's path is
   * appended as is. OpenAI: a base that includes the version (`https://api.openai.com/v1`), the client's path is
   * appended after its leading `/v1` is removed — so `/v1/responses` and `/responses` both reach `{url}/responses`.
   */
  url: string;
  /** Used only when the client sent no credentials of its own. Empty string = none configured. */
  apiKey: string;
}

export interface Config {
  /** Address the proxy listens on. Loopback by default; anything else is a deliberate choice. */
  host: string;
  /** Proxy port (default 8081). 0 = pick a free port (tests). */
  port: number;
  /** Headless UI port (default 8082). 0 = pick a free port. */
  uiPort: number;
  /** Where sessions, the index and the config live (default ~/.lunaroute). Absolute. */
  dataDir: string;
  /** The config file that was read, or the default location if none existed. Absolute. */
  configFile: string;
  upstreams: {
    anthropic: UpstreamConfig;
    openai: UpstreamConfig;
    /** ChatGPT Codex backend, used for Codex requests authenticated by a ChatGPT login in ~/.codex/auth.json. */
    chatgpt: { url: string };
  };
  proxy: {
    /**
     * Host values the proxy answers besides loopback names with its port: `name` (with or without the proxy's
     * port) or `name:port`, lower-case. Any other Host is refused (DNS rebinding). Default none.
     */
    allowedHosts: string[];
  };
  timeouts: {
    /** Time allowed to open a TCP/TLS connection to an upstream (ms, default 10 000). */
    connectMs: number;
    /** Longest silence allowed on an upstream connection before it is cut (ms, default 600 000). 0 = none. */
    idleMs: number;
    /** On shutdown, how long in-flight streams may finish before they are cut (ms, default 2 000). */
    shutdownGraceMs: number;
  };
  codex: {
    /** Path of Codex's auth.json (default ~/.codex/auth.json). */
    authFile: string;
    /** Use auth.json for Responses API requests that carry no Authorization (default true). */
    useAuthFile: boolean;
  };
  logLevel: LogLevel;
  recording: {
    /** Record traffic to the data dir (the tray and UI toggle it live; default true). */
    enabled: boolean;
    /** Largest request or response body captured per exchange; beyond it the recording is marked truncated. */
    maxBodyBytes: number;
  };
  /** Redaction policy applied to everything recorded (mode default `mask`). */
  redaction: RedactionConfig;
  pricing: {
    /** A JSON price table laid over the bundled one (null = none). */
    file: string | null;
    /** Per-model rates (USD per million tokens) laid over both. */
    overrides: PriceOverrides;
  };
  /**
   * Keys set by a LUNAROUTE_* variable or a flag for this run. Choices saved from the UI or tray apply over the
   * config file but never over these: an explicit `--redaction off` wins.
   */
  explicitKeys?: readonly string[];
  retention: {
    /** Session files older than this are deleted (days, default 30). */
    maxAgeDays: number;
    /** Oldest session files are deleted while the total exceeds this (MB, default 1024). */
    maxSizeMb: number;
    /** Session files older than this are compressed to .jsonl.zst (days, default 7). */
    compressAfterDays: number;
    /** How often retention runs after the run at start-up (minutes, default 60). */
    intervalMinutes: number;
  };
  /** OpenTelemetry export of one span per request (endpoint '' = off). */
  otel: { endpoint: string; headers: Record<string, string> };
  /** Cost thresholds in USD (priced requests only); null = no budget. */
  /** limitPercent: notify at this share of a plan/rate-limit window (0 = never). */
  budgets: { dailyUsd: number | null; weeklyUsd: number | null; limitPercent: number };
  /** Forward-proxy mode (CONNECT on the proxy port). */
  forward: {
    /** Hosts decrypted and recorded (port 443); the CA is name-constrained to them. */
    intercept: string[];
    /** Which other CONNECT targets are tunnelled byte for byte. */
    tunnel: TunnelPolicy;
  };
}
