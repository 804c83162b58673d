// Builds a complete, valid Config for tests: loopback, port 0, a temp data dir, upstreams pointed wherever the
// test says. Tests never depend on the real home directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src-main/config/types.js';

export interface TestConfigOptions {
  anthropicUrl?: string;
  openaiUrl?: string;
  chatgptUrl?: string;
  anthropicKey?: string;
  openaiKey?: string;
  codexAuthFile?: string;
  idleMs?: number;
  connectMs?: number;
  shutdownGraceMs?: number;
  dataDir?: string;
  /** Proxy-only tests leave recording off; recorder tests turn it on. */
  recording?: boolean;
  maxBodyBytes?: number;
  redaction?: Config['redaction'];
  priceOverrides?: Config['pricing']['overrides'];
  dailyBudgetUsd?: number;
  /** Plan-limit notification threshold, percent (default 0 = never in tests). */
  limitPercent?: number;
  otel?: Config['otel'];
  forward?: Partial<Config['forward']>;
  /** proxy.allowed_hosts (normalised, lower-case). */
  allowedHosts?: string[];
}

export function makeTempDir(prefix = 'lunaroute-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function makeTestConfig(o: TestConfigOptions = {}): Config {
  const dataDir = o.dataDir ?? makeTempDir();
  return {
    host: '127.0.0.1',
    port: 0,
    uiPort: 0,
    dataDir,
    configFile: path.join(dataDir, 'config.yaml'),
    upstreams: {
      // Port 9 (discard) on loopback refuses connections: a safe "nowhere" default.
      anthropic: { url: o.anthropicUrl ?? 'http://127.0.0.1:9', apiKey: o.anthropicKey ?? '' },
      openai: { url: o.openaiUrl ?? 'http://127.0.0.1:9/v1', apiKey: o.openaiKey ?? '' },
      chatgpt: { url: o.chatgptUrl ?? 'http://127.0.0.1:9/backend-api/codex' },
    },
    proxy: { allowedHosts: o.allowedHosts ?? [] },
    timeouts: {
      connectMs: o.connectMs ?? 5_000,
      idleMs: o.idleMs ?? 600_000,
      shutdownGraceMs: o.shutdownGraceMs ?? 2_000,
    },
    codex: {
      authFile: o.codexAuthFile ?? path.join(dataDir, 'no-codex', 'auth.json'),
      useAuthFile: true,
    },
    logLevel: 'silent',
    recording: { enabled: o.recording ?? false, maxBodyBytes: o.maxBodyBytes ?? 32 * 1024 * 1024 },
    redaction: o.redaction ?? { mode: 'mask' },
    retention: { maxAgeDays: 30, maxSizeMb: 1024, compressAfterDays: 7, intervalMinutes: 60 },
    pricing: { file: null, overrides: o.priceOverrides ?? {} },
    budgets: { dailyUsd: o.dailyBudgetUsd ?? null, weeklyUsd: null, limitPercent: o.limitPercent ?? 0 },
    otel: o.otel ?? { endpoint: '', headers: {} },
    // Tests never tunnel off this machine: only loopback CONNECT targets are allowed unless a test says so.
    forward: {
      intercept: o.forward?.intercept ?? ['api.anthropic.com', 'api.openai.com', 'chatgpt.com'],
      tunnel: o.forward?.tunnel ?? 'loopback',
    },
  };
}
