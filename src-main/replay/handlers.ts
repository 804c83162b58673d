// The window's replay calls, over a running core: the recorder worker answers the reads (requests.bodies,
// replay.compare, replays.list) and the replay goes through the core's own proxy, so it is recorded by the same
// recorder as any request. Recording must be on: a replay that would not be recorded is refused before sending.
import type { CallHandlers } from '../../src-shared/contract.js';
import type { ReplayComparison, ReplayRef } from '../../src-shared/replay.js';
import type { Config } from '../config/types.js';
import { buildPrices, type Prices } from '../analytics/prices.js';
import type { RecorderClient } from '../recorder/client.js';
import { curlCommand } from './curl.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import type { ReplaySource } from './plan.js';
import {
  loadSource,
  prepareReplay,
  previewReplay,
  runReplay,
  type ReplayContext,
  type ReplayStore,
} from './run.js';

export interface ReplayCore {
  config: Config;
  recorder: Pick<RecorderClient, 'query' | 'enabled'> & Partial<Pick<RecorderClient, 'flush'>>;
  proxyUrl: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Records as the recorder worker holds them (the core's store). */
export function workerStore(recorder: ReplayCore['recorder']): ReplayStore {
  return {
    bodies: (id) => recorder.query<ReplaySource | null>('requests.bodies', { id }),
    compare: (id) => recorder.query<ReplayComparison | null>('replay.compare', { id }),
    replaysOf: (id) => recorder.query<ReplayRef[]>('replays.list', { id }),
    catchUp: async () => {
      await recorder.flush?.();
    },
  };
}

/** The address to dial for a proxy URL that names a wildcard address (0.0.0.0, ::). */
function dialable(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}

type ReplayCalls = 'replay.prepare' | 'replay.run' | 'replay.compare' | 'requests.curl';

export function replayHandlers(core: ReplayCore): Pick<CallHandlers, ReplayCalls> {
  let prices: Prices | null = null;
  const ctx = (): ReplayContext => {
    prices ??= buildPrices(core.config.pricing);
    return {
      store: workerStore(core.recorder),
      config: core.config,
      env: core.env ?? process.env,
      prices,
      proxyUrl: dialable(core.proxyUrl),
    };
  };
  return {
    'replay.prepare': (a) => previewReplay(ctx(), a.id, { model: a.model, prompt: a.prompt }),
    'replay.run': async (a) => {
      if (!core.recorder.enabled)
        throw new LunaRouteError(
          'REPLAY_NOT_RECORDED',
          'recording is paused: a replay is recorded like any request — turn recording on first',
        );
      const c = ctx();
      const src = await loadSource(c, a.id);
      return runReplay(c, prepareReplay(c, src, { model: a.model, prompt: a.prompt }));
    },
    'replay.compare': (a) => core.recorder.query<ReplayComparison | null>('replay.compare', { id: a.id }),
    'requests.curl': async (a) => {
      const src = await loadSource(ctx(), a.id);
      return { curl: curlCommand(src) };
    },
  };
}
