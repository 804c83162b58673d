// Composition root of the core: builds the recorder, the proxy and the headless UI server from a resolved
// Config, and shuts them down in order (proxy drains, UI closes, recorder flushes). Plain Node: never imports
// electron.
import type { UiEvent } from '../../src-shared/contract.js';
import { isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';
import type { Config } from '../config/types.js';
import { buildPrices } from '../analytics/prices.js';
import { BudgetWatch } from '../analytics/budgets.js';
import { LimitWatch } from '../analytics/limits.js';
import type { Limits } from '../../src-shared/limits.js';
import type { Logger } from '../log.js';
import { startProxyServer, type ProxyServer } from '../proxy/server.js';
import { CodexAuthFile } from '../proxy/auth.js';
import { VERSION } from '../version.js';
import { startRecorder, type RecorderHandle } from '../recorder/start.js';
import { buildRedactor, redactingLogger } from '../recorder/redactor.js';
import { UiState } from '../ui-server/handlers.js';
import { applyPersistedSettings, openSettingsStore, type SettingsStore } from '../settings/store.js';
import { findRendererDir, startUiServer, type UiServer } from '../ui-server/server.js';
import { memoryLogPeriod, startMemoryLog } from '../debug-memory.js';

export interface CoreHandle {
  /** The proxy's actual listening address (port resolved when config.port was 0). */
  proxyUrl: string;
  port: number;
  proxy: ProxyServer;
  /** The recorder (always running; `recorder.client.enabled` is the recording toggle). */
  recorder: RecorderHandle;
  /** The headless UI server, or null when its port was taken (the proxy runs anyway; a warning is logged). */
  ui: UiServer | null;
  /** The contract's call handlers and live problems/settings (the Electron IPC handlers reuse them). */
  uiState: UiState;
  /** <dataDir>/settings.json: choices made in the UI/tray (applied at start, written on change). */
  settings: SettingsStore;
  /** The config in force (the file's, with the persisted settings applied). */
  config: Config;
  /** Also receive what uiState pushes to views (settings_changed, problem): the desktop window and tray. */
  onUiEvent(listener: (e: UiEvent) => void): () => void;
  /** The cost budgets (checked every minute; `check()` runs one now). */
  budgets: BudgetWatch;
  /** The plan/rate-limit watch (checked every 15 s; `check()` runs one now). */
  limits: LimitWatch;
  /** Stop accepting, let in-flight streams finish for up to config.timeouts.shutdownGraceMs, then cut them. */
  stop(): Promise<void>;
}

/** Start the core. Rejects with PROXY_PORT_IN_USE when the port is taken. */
export async function startCore(fileConfig: Config, baseLogger: Logger): Promise<CoreHandle> {
  // A price file or override that does not hold up stops start-up with a message naming the key.
  try {
    buildPrices(fileConfig.pricing);
  } catch (err) {
    throw new LunaRouteError('CONFIG_INVALID_VALUE', (err as Error).message, { cause: err });
  }
  // What the user last chose in the tray or the UI wins over the config file (headless and desktop agree).
  const settings = openSettingsStore(fileConfig.dataDir, baseLogger);
  const config = applyPersistedSettings(fileConfig, settings.get());
  // Log lines pass through the same redaction policy as recordings (credentials are scrubbed regardless).
  const logger =
    config.redaction.mode === 'off'
      ? baseLogger
      : redactingLogger(baseLogger, buildRedactor(config.dataDir, config.redaction));
  const codex = config.codex.useAuthFile ? new CodexAuthFile(config.codex.authFile, logger) : null;
  await codex?.start();
  // The recorder starts at once; until its index is reconciled with the session files, what the proxy posts
  // waits in the worker's queue. The port is bound first so that a busy port fails fast and alone.
  const recorder = startRecorder(config, logger);
  let proxy: ProxyServer;
  let ui: UiServer | null = null;
  try {
    proxy = await startProxyServer({
      config,
      logger,
      version: VERSION,
      observer: recorder.client,
      codexLogin: codex ? () => codex.current() : undefined,
      // Pages of our own UI may call the proxy like a local program (the UI starts after the proxy).
      uiOrigins: () => ui?.origins ?? [],
    });
  } catch (err) {
    await recorder.close(500).catch(() => undefined);
    await codex?.close();
    throw err;
  }
  proxy.metrics.recorderStats = () => ({
    // Exchanges the recorder never received in full (it fell behind) plus those whose lines the disk refused.
    dropped: recorder.client.dropped + (recorder.client.lastStats?.exchangesLost ?? 0),
    inFlightBytes: recorder.client.inFlightBytes,
    redactionFailures: recorder.client.lastStats?.redactionFailures ?? 0,
    writeErrors: recorder.client.lastStats?.writeErrors ?? 0,
    linesDropped: recorder.client.lastStats?.linesDropped ?? 0,
  });
  proxy.metrics.recordedMetrics = () => recorder.client.lastStats?.metrics ?? null;
  // A recorder that cannot start at all (unwritable data dir…) fails start-up. One that is still reconciling a
  // large index with the session files (seconds for thousands of files) is not waited for: traffic queues in
  // its worker meanwhile and is recorded once it is ready.
  const READY_WAIT_MS = 1_500;
  const early = await Promise.race([
    recorder.ready.then(
      () => 'ready' as const,
      (err: Error) => err,
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), READY_WAIT_MS).unref()),
  ]);
  if (early instanceof Error) {
    await proxy.close(0);
    await codex?.close();
    throw early;
  }
  if (early === 'pending') {
    logger.info(
      'the recorder is still indexing the session files; traffic is recorded as soon as it is done',
    );
    recorder.ready.catch((err: Error) =>
      logger.error(`the recorder could not start: ${err.message}; traffic is proxied but not recorded`),
    );
  }
  const uiListeners = new Set<(e: UiEvent) => void>();
  const uiState = new UiState(
    { config, recorder: recorder.client, proxyUrl: proxy.url, uiUrl: () => ui?.url ?? null, settings },
    (e) => {
      ui?.push(e);
      for (const l of uiListeners) l(e);
    },
  );
  // Budgets: checked now and every minute against the priced spend; crossing one is a problem the UI shows as a
  // banner and the desktop app as a notification (once per day / week).
  const budgets = new BudgetWatch(
    config.budgets,
    (since) => recorder.client.query<{ cost_usd: number | null; unpriced: number }>('stats', { since }),
    (message) => uiState.problem('budget_exceeded', message),
  );
  // The limits are config.budgets itself, which the Settings view changes live; a check with no budget set is
  // free (no query), so the timer always runs, and a settings change checks at once.
  // Plan and rate limits (as the last response headers said): a window used past the threshold raises a problem
  // once per window and reset. Checked every 15 s: a query of a table with one row per provider window.
  const limitWatch = new LimitWatch(
    () => (config.budgets.limitPercent > 0 ? config.budgets.limitPercent : null),
    () => recorder.client.query<Limits>('limits', {}),
    (message) => uiState.problem('limit_near', message),
  );
  const checkBudgets = (): void => {
    void budgets.check().catch((err: Error) => logger.debug(`budget check: ${err.message}`));
    void limitWatch.check().catch((err: Error) => logger.debug(`limit check: ${err.message}`));
  };
  checkBudgets();
  const budgetTimer = setInterval(checkBudgets, 60_000);
  budgetTimer.unref();
  const limitTimer = setInterval(
    () => void limitWatch.check().catch((err: Error) => logger.debug(`limit check: ${err.message}`)),
    15_000,
  );
  limitTimer.unref();
  uiListeners.add((e) => {
    if (e.type === 'settings_changed') checkBudgets();
  });
  try {
    ui = await startUiServer({
      port: config.uiPort,
      rendererDir: findRendererDir(),
      handlers: uiState.handlers(),
      subscribe: (l) => recorder.client.subscribe(l),
      observe: (e) => uiState.observe(e),
      logger,
    });
  } catch (err) {
    if (!isLunaRouteError(err, 'UI_PORT_IN_USE')) {
      await proxy.close(0);
      await recorder.close(500).catch(() => undefined);
      await codex?.close();
      throw err;
    }
    logger.warn(`${err.message}; the proxy runs without it`);
  }
  const stopMemoryLog = startMemoryLog('main', memoryLogPeriod());
  let stopping: Promise<void> | null = null;
  return {
    proxyUrl: proxy.url,
    port: proxy.port,
    proxy,
    recorder,
    ui,
    uiState,
    budgets,
    limits: limitWatch,
    settings,
    config,
    onUiEvent(listener) {
      uiListeners.add(listener);
      return () => void uiListeners.delete(listener);
    },
    stop() {
      // Ordered: stop accepting and drain streams, close the UI, then flush what was recorded.
      stopping ??= (async () => {
        clearInterval(budgetTimer);
        clearInterval(limitTimer);
        stopMemoryLog();
        await proxy.close(config.timeouts.shutdownGraceMs);
        await ui?.close();
        await recorder.close(2_000);
        await codex?.close();
      })();
      return stopping;
    },
  };
}
