// Starts the recorder: the worker thread that does all recording work, and the RecorderClient the proxy taps
// into. The worker runs the compiled `recorder/worker.js` (see worker-script.ts).
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { workerScript } from '../worker-script.js';
import { memoryLogPeriod } from '../debug-memory.js';
import { RecorderClient, type WorkerPort } from './client.js';
import type { FromWorker } from './protocol.js';
import type { RecorderWorkerData } from './worker.js';

export interface RecorderHandle {
  client: RecorderClient;
  /** Resolves once the index is reconciled with the session files and recording runs. */
  ready: Promise<void>;
  /** Finish open exchanges as interrupted, flush JSONL and index, stop the worker; at most `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export function startRecorder(
  config: Config,
  logger: Logger,
  opts: { wasmPath?: string; indexSaveIntervalMs?: number } = {},
): RecorderHandle {
  const data: RecorderWorkerData = {
    dataDir: config.dataDir,
    maxBodyBytes: config.recording.maxBodyBytes,
    redaction: config.redaction,
    retention: config.retention,
    pricing: config.pricing,
    otel: config.otel,
    // The proxy cuts an exchange after idle_ms of silence; a minute later the recorder stops waiting for its end.
    staleMs: (config.timeouts.idleMs || 30 * 60_000) + 60_000,
    ...(opts.wasmPath ? { wasmPath: opts.wasmPath } : {}),
    ...(opts.indexSaveIntervalMs ? { indexSaveIntervalMs: opts.indexSaveIntervalMs } : {}),
    // The worker gets no environment: LUNAROUTE_DEBUG_MEMORY reaches it here.
    memoryLogMs: memoryLogPeriod(),
  };
  const worker = new Worker(workerScript('recorder/worker.js'), {
    workerData: data,
    env: {},
    // V8 sizes a thread's young generation for throughput (up to 3 × 16 MB semi-spaces here); the recorder's
    // short-lived objects are parsed bodies and lines, so 12 MB keeps scavenges cheap and the heap small.
    resourceLimits: { maxYoungGenerationSizeMb: 12 },
  });
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  worker.on('message', (m: FromWorker) => {
    if (m.t === 'ready') resolveReady();
    else if (m.t === 'fatal') {
      logger.error(`the recorder stopped: ${m.message}`);
      rejectReady(new Error(m.message));
    } else if (m.t === 'log') logger[m.level](`recorder: ${m.message}`);
  });
  worker.on('error', (err) => {
    logger.error(`the recorder crashed: ${err.message}`);
    rejectReady(err);
  });
  const client = new RecorderClient(worker as unknown as WorkerPort);
  client.enabled = config.recording.enabled;
  return {
    client,
    ready,
    async close(deadlineMs = 2_000) {
      await client.close(deadlineMs);
    },
  };
}
