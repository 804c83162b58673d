// The stack most integration tests run against: the fake provider on 127.0.0.1:0, a test config pointing both
// upstreams at it (recording on, a temp data dir), and the core (recorder + proxy on 127.0.0.1:0) started from
// it. `useRecordingStack()` starts one in beforeAll and closes it in afterAll; `startRecordingStack()` hands a
// test its own. close() stops the core, closes the fake provider and removes the data dir the stack made.
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import type { Config } from '../../src-main/config/types.js';
import { silentLogger, type Logger } from '../../src-main/log.js';
import type { SessionDetail } from '../../src-main/index/queries.js';
import type { RecordLine, RequestLine } from '../../src-shared/records.js';
import { makeTempDir, makeTestConfig, type TestConfigOptions } from './config.js';
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from './fake-provider/index.js';

/**
 * Test-config options (redaction, prices, budgets, otel, `recording: false` for a proxy-only stack, …) plus the
 * stack's own. Upstream URLs default to the fake provider; `dataDir`, when given, is used and kept.
 */
export interface RecordingStackOptions extends TestConfigOptions {
  /** Options for the fake provider (slowDelayMs, bigEvents, …). */
  provider?: FakeProviderOptions;
  /** Name prefix of the temp data dir the stack makes (when `dataDir` is not given). */
  dataDirPrefix?: string;
  /** The core's logger (default: silent). */
  logger?: Logger;
}

export interface RecordingStack {
  fake: FakeProvider;
  /** The running core; restart() replaces it. */
  core: CoreHandle;
  /** The config the core was started with. */
  config: Config;
  dataDir: string;
  /** Stop the core (if it still runs) and start a new one on the same config, data dir and fake provider. */
  restart(): Promise<CoreHandle>;
  /** Stop the core, close the fake provider, remove the data dir if the stack made it. Safe to call twice. */
  close(): Promise<void>;
}

export async function startRecordingStack(o: RecordingStackOptions = {}): Promise<RecordingStack> {
  const { provider, dataDirPrefix, logger = silentLogger, ...configOptions } = o;
  const fake = await startFakeProvider(provider);
  const ownDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? makeTempDir(dataDirPrefix);
  const config = makeTestConfig({
    anthropicUrl: fake.url,
    openaiUrl: `${fake.url}/v1`,
    recording: true,
    ...configOptions,
    dataDir,
  });
  const removeDir = (): void => {
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let core: CoreHandle;
  try {
    core = await startCore(config, logger);
  } catch (err) {
    await fake.close();
    removeDir();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    fake,
    get core() {
      return core;
    },
    config,
    dataDir,
    async restart() {
      await core.stop();
      core = await startCore(config, logger);
      return core;
    },
    close() {
      closing ??= (async () => {
        await core.stop();
        await fake.close();
        removeDir();
      })();
      return closing;
    },
  };
}

/**
 * A stack for the enclosing file or describe block: started in beforeAll, closed in afterAll. Its fields can be
 * read inside tests and hooks (not while the tests are being collected).
 */
export function useRecordingStack(o: RecordingStackOptions = {}): RecordingStack {
  let stack: RecordingStack | undefined;
  beforeAll(async () => {
    stack = await startRecordingStack(o);
  });
  afterAll(async () => {
    await stack?.close();
  });
  const live = (): RecordingStack => {
    if (!stack)
      throw new Error(
        'useRecordingStack(): the stack starts in beforeAll; read it inside a test or hook, not at collection time',
      );
    return stack;
  };
  return {
    get fake() {
      return live().fake;
    },
    get core() {
      return live().core;
    },
    get config() {
      return live().config;
    },
    get dataDir() {
      return live().dataDir;
    },
    restart: () => live().restart(),
    close: () => live().close(),
  };
}

/** What the recorder wrote for a session: its detail and its request lines. */
export interface RecordedSession {
  detail: SessionDetail;
  requests: RequestLine[];
}

/**
 * What the recorder wrote for session `sid`, once `count` of its requests have their outcome (a client may
 * exit before the proxy saw the end of its last exchange, so this polls with a bounded deadline).
 */
export async function recordedSession(
  core: CoreHandle,
  sid: string,
  count: number,
): Promise<RecordedSession> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await core.recorder.client.flush();
    const detail = await core.recorder.client.query<SessionDetail | null>('sessions.get', { id: sid });
    if (detail && detail.requests.filter((r) => r.outcome !== null).length >= count) {
      const file = await core.recorder.client.query<{ lines: RecordLine[] } | null>('sessions.lines', {
        id: sid,
      });
      const requests = (file?.lines ?? []).filter((l): l is RequestLine => l.type === 'request');
      return { detail, requests };
    }
    if (Date.now() > deadline)
      throw new Error(
        `session ${sid}: ${detail?.requests.length ?? 0} request(s) recorded, ${count} expected`,
      );
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}
