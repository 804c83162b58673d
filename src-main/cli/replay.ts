// `lunaroute replay <request-id> [--model M] [--prompt TEXT] [--upstream URL] [--json]`: send a recorded request
// again and compare the answers. The replay always goes through a LunaRoute proxy, so it is recorded like any
// request (a new request with replay_of, in the session replay-<original session>):
// - when a LunaRoute answers on the configured port, through it — it owns the data directory (one writer), and
//   the replay shows up live in its window;
// - otherwise through a core started in this process for the replay (same config, a free port), stopped after.
// So `replay` works whether or not the app runs, as `sessions` does. Exit 0 when the replay completed, 1 when it
// failed or could not be sent (the comparison is still printed when there is one), 2 for usage errors.
import { buildPrices, type Prices } from '../analytics/prices.js';
import { startCore, type CoreHandle } from '../app/core.js';
import { listReplays, partReplayComparison, partRequestBodies } from '../index/part-queries.js';
import { reconcilePartitions } from '../index/part-reconcile.js';
import { createLogger } from '../log.js';
import { isReplayError } from '../replay/plan.js';
import { workerStore } from '../replay/handlers.js';
import { loadSource, prepareReplay, runReplay, type ReplayContext, type ReplayStore } from '../replay/run.js';
import { cliError, usageError, type CliContext, type Command, type CommandOption } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { dialHost, httpOrigin, probeHealth } from './health.js';
import { describePlan, formatComparison } from './replay-format.js';
import { loadConfigForCli } from './serve.js';
import { openForReading } from './sessions.js';
import type { Config } from '../config/types.js';

const OPTIONS: readonly CommandOption[] = [
  { name: 'model', short: 'm', type: 'string', valueName: 'name', description: 'Ask this model instead' },
  {
    name: 'prompt',
    short: 'p',
    type: 'string',
    valueName: 'text',
    description: 'Replace the text of the last user message (a fork: later messages are left out)',
  },
  {
    name: 'upstream',
    type: 'string',
    valueName: 'url',
    description: 'Send to this upstream base URL instead (like upstreams.<provider>.url)',
  },
  { name: 'json', type: 'boolean', description: 'Print { original, replay, diff } as JSON' },
  ...CONFIG_OPTIONS,
];

interface Backend {
  store: ReplayStore;
  proxyUrl: string;
  close(): Promise<void>;
}

/** A LunaRoute in another process records; read its records from the index file and the session files. */
async function serverBackend(config: Config, prices: Prices, proxyUrl: string): Promise<Backend> {
  const q = await openForReading(config.dataDir, prices);
  return {
    proxyUrl,
    store: {
      bodies: (id) => partRequestBodies(q, { id }),
      compare: (id) => partReplayComparison(q, { id }),
      replaysOf: (id) => listReplays(q, { id }),
      catchUp: async () => {
        await reconcilePartitions(q.parts, q.sessionsDir, { markCrashed: false, prices });
      },
    },
    close: async () => q.close(),
  };
}

/** No LunaRoute runs: start the core here on a free port, with recording on, for this replay. */
async function inProcessBackend(config: Config, ctx: CliContext): Promise<Backend> {
  const logger = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn', (line) =>
    ctx.stderr(line + '\n'),
  );
  const core: CoreHandle = await startCore({ ...config, port: 0, uiPort: 0 }, logger);
  core.recorder.client.enabled = true;
  return { store: workerStore(core.recorder.client), proxyUrl: core.proxyUrl, close: () => core.stop() };
}

function checkUpstream(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usageError(`--upstream must be a URL like http://127.0.0.1:9000, got "${text}"`, 'replay');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password)
    throw usageError(`--upstream must be an http(s) URL without user info, got "${text}"`, 'replay');
  return text.replace(/\/+$/, '');
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Send a recorded request again (another model, an edited prompt) and compare the answers',
  description:
    'Rebuild a recorded request and send it again through LunaRoute — unchanged, to another model (--model),\n' +
    'or with a new text for its last user message (--prompt) — then print the original and the replay side by\n' +
    'side: response text as a diff, tool calls, stop reason, tokens, cost, time to first token, duration.\n' +
    'The replay is recorded as a new request (replay_of) in the session replay-<original session>. The\n' +
    "client's key was never stored: the replay uses upstreams.<provider>.api_key (or LUNAROUTE_*_API_KEY),\n" +
    'ANTHROPIC_API_KEY / OPENAI_API_KEY, or for Codex traffic ~/.codex/auth.json.',
  options: OPTIONS,
  positionals: [{ name: 'request-id', description: 'the request id, or a unique prefix (6+ characters)' }],
  notes: [
    'A running LunaRoute on --port records the replay; without one, a core is started in this process for it.',
    'Exit status: 0 replay completed, 1 it failed or could not be sent, 2 usage.',
  ],
  async run({ values, positionals }, ctx) {
    const [id, extra] = positionals;
    if (!id) throw usageError('say which request to replay (see lunaroute sessions show <id>)', 'replay');
    if (extra !== undefined) throw usageError(`unexpected argument '${extra}'`, 'replay');
    const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
    const model = str('model');
    const prompt = str('prompt');
    if (model !== undefined && model.trim() === '') throw usageError('--model needs a model name', 'replay');
    if (prompt !== undefined && prompt === '') throw usageError('--prompt needs a text', 'replay');
    const upstream = str('upstream') === undefined ? undefined : checkUpstream(str('upstream')!);
    const config = loadConfigForCli(values, ctx);
    const prices = buildPrices(config.pricing);

    const host = dialHost(config.host);
    const probe = config.port === 0 ? { kind: 'none' as const } : await probeHealth(host, config.port);
    const backend =
      probe.kind === 'lunaroute'
        ? await serverBackend(config, prices, httpOrigin(host, config.port))
        : await inProcessBackend(config, ctx);
    try {
      const rctx: ReplayContext = {
        store: backend.store,
        config,
        env: ctx.env,
        prices,
        proxyUrl: backend.proxyUrl,
      };
      const src = await loadSource(rctx, id);
      const prepared = prepareReplay(rctx, src, { model, prompt, upstream });
      const via =
        probe.kind === 'lunaroute' ? backend.proxyUrl : `${backend.proxyUrl} (started for this replay)`;
      ctx.stderr(describePlan(prepared, via));
      const c = await runReplay(rctx, prepared);
      if (values['json']) ctx.stdout(JSON.stringify(c, null, 2) + '\n');
      else ctx.stdout(formatComparison(c));
      return c.replay.outcome === 'completed' ? 0 : 1;
    } catch (err) {
      if (isReplayError(err)) throw cliError(err.message, 1);
      throw err;
    } finally {
      await backend.close();
    }
  },
};
