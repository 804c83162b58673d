// A replay from start to end, for the CLI and the window alike: load the recorded request, plan what to send
// (plan.ts), pick a credential (credentials.ts) and estimate the cost — the preview — then send it through a
// LunaRoute proxy (send.ts), wait until the recorder has written the answer, and compare the two records
// (compare.ts). Where records are read from is a ReplayStore: the recorder worker's queries in a running core,
// or the index file plus the session files when the CLI talks to a server in another process.
import type { Config } from '../config/types.js';
import type { Prices } from '../analytics/prices.js';
import type { ReplayComparison, ReplayPreview, ReplayRef } from '../../src-shared/replay.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import { missingCredentialMessage, resolveReplayCredential, type ReplayCredential } from './credentials.js';
import { estimateReplayCost, type CostEstimate } from './estimate.js';
import {
  notReplayable,
  planReplay,
  isReplayError,
  type ReplayPlan,
  type ReplayRequest,
  type ReplaySource,
} from './plan.js';
import { sendReplay } from './send.js';
import { replaySession } from '../recorder/sessions.js';

export interface ReplayStore {
  /** A recorded request rebuilt from its blocks (the index's `requests.bodies`), or null. */
  bodies(id: string): Promise<ReplaySource | null>;
  /** A replay next to its original; null until the replay's response is recorded. */
  compare(replayId: string): Promise<ReplayComparison | null>;
  /** Replays recorded of a request, newest first. */
  replaysOf(id: string): Promise<ReplayRef[]>;
  /** Make what the recorder wrote so far visible to `compare`. */
  catchUp(): Promise<void>;
}

export interface ReplayContext {
  store: ReplayStore;
  config: Pick<Config, 'upstreams' | 'codex' | 'configFile'>;
  env: Readonly<Record<string, string | undefined>>;
  prices: Prices;
  /** The LunaRoute proxy the replay goes through (it records it). */
  proxyUrl: string;
  /** How long to wait for the replay's record once its response ended (ms, default 15 000). */
  recordWaitMs?: number;
}

export interface PreparedReplay {
  plan: ReplayPlan;
  /** Null when no credential is available (runReplay then refuses, naming the ways to provide one). */
  credential: ReplayCredential | null;
  estimate: CostEstimate;
}

export async function loadSource(ctx: ReplayContext, id: string): Promise<ReplaySource> {
  const src = await ctx.store.bodies(id);
  if (!src)
    throw new LunaRouteError('REPLAY_NOT_FOUND', `no recorded request '${id}' (see lunaroute sessions show)`);
  return src;
}

function credentialFor(ctx: ReplayContext, src: ReplaySource): ReplayCredential | null {
  const q = src.request;
  return resolveReplayCredential({
    dialect: q.dialect,
    endpoint: q.endpoint,
    client: q.client,
    credentialSource: q.credential_source,
    upstreamUrl: q.upstream_url,
    config: ctx.config,
    env: ctx.env,
  });
}

/** Plan, credential and estimate for a replay. Throws REPLAY_NOT_REPLAYABLE or REPLAY_BAD_CHANGE. */
export function prepareReplay(ctx: ReplayContext, src: ReplaySource, want: ReplayRequest): PreparedReplay {
  const plan = planReplay(src, want);
  return {
    plan,
    credential: credentialFor(ctx, src),
    estimate: estimateReplayCost(
      {
        dialect: src.request.dialect,
        endpoint: src.request.endpoint,
        usage: src.response?.usage ?? null,
        originalModel: src.response?.model ?? src.request.model,
        targetModel: plan.model,
      },
      ctx.prices,
    ),
  };
}

function modelChoices(ctx: ReplayContext, src: ReplaySource): string[] {
  const provider = src.request.dialect === 'anthropic' ? 'anthropic' : 'openai';
  const names = new Set<string>();
  if (src.request.model) names.add(src.request.model);
  for (const m of ctx.prices.table.models) if (m.provider === provider) names.add(m.model);
  return [...names].sort();
}

/** What the window shows before sending: never throws for a request that exists (`blocked` says why not). */
export async function previewReplay(
  ctx: ReplayContext,
  id: string,
  want: ReplayRequest,
): Promise<ReplayPreview> {
  const src = await loadSource(ctx, id);
  const q = src.request;
  let prepared: PreparedReplay | null = null;
  let blocked = notReplayable(src);
  if (!blocked) {
    try {
      prepared = prepareReplay(ctx, src, want);
    } catch (err) {
      if (!isReplayError(err)) throw err;
      blocked = err.message;
    }
  }
  const credential = credentialFor(ctx, src);
  return {
    request_id: q.id,
    session_id: q.session_id,
    dialect: q.dialect,
    endpoint: q.endpoint,
    transport: q.transport,
    stream: q.stream,
    client: q.client,
    model: q.model,
    target_model: prepared?.plan.model ?? want.model ?? q.model,
    prompt: q.prompt,
    changes: prepared?.plan.changes ?? { model: null, prompt: null, upstream: want.upstream ?? null },
    models: modelChoices(ctx, src),
    estimate: prepared?.estimate ?? { usd: null, status: 'unpriced', note: 'no estimate' },
    credential: credential
      ? { ok: true, label: credential.label, message: null }
      : {
          ok: false,
          label: null,
          message: missingCredentialMessage({ dialect: q.dialect, config: ctx.config }),
        },
    redactions: prepared?.plan.redactions ?? [],
    notes: prepared?.plan.notes ?? [],
    blocked,
    replays: await ctx.store.replaysOf(q.id),
  };
}

/**
 * Send a prepared replay and compare its record with the original. Throws REPLAY_NO_CREDENTIALS (before anything
 * is sent), REPLAY_SEND_FAILED, REPLAY_REFUSED or REPLAY_NOT_RECORDED. An upstream error is not thrown: it is the
 * replay's recorded outcome, shown in the comparison.
 */
export async function runReplay(ctx: ReplayContext, p: PreparedReplay): Promise<ReplayComparison> {
  const q = p.plan.source.request;
  if (!p.credential)
    throw new LunaRouteError(
      'REPLAY_NO_CREDENTIALS',
      missingCredentialMessage({ dialect: q.dialect, config: ctx.config }),
    );
  let sent;
  try {
    sent = await sendReplay(ctx.proxyUrl, p.plan, p.credential.headers);
  } catch (err) {
    throw new LunaRouteError(
      'REPLAY_SEND_FAILED',
      `could not send the replay through LunaRoute at ${ctx.proxyUrl}: ${(err as Error).message}`,
    );
  }
  if (sent.proxyError === 'replay_refused')
    throw new LunaRouteError(
      'REPLAY_REFUSED',
      `LunaRoute at ${ctx.proxyUrl} refused the replay: ${sent.bodyStart}`,
    );
  if (!sent.replayId)
    throw new LunaRouteError(
      'REPLAY_NOT_RECORDED',
      `LunaRoute at ${ctx.proxyUrl} forwarded the replay (upstream status ${sent.status}) but did not record it — ` +
        'is recording paused? Turn it on in the tray or the window and replay again',
    );
  const deadline = Date.now() + (ctx.recordWaitMs ?? 15_000);
  for (;;) {
    await ctx.store.catchUp();
    const c = await ctx.store.compare(sent.replayId);
    if (c) {
      c.replay.sent = {
        changes: p.plan.changes,
        redactions: p.plan.redactions,
        credential: p.credential.label,
        via: ctx.proxyUrl,
        notes: p.plan.notes,
      };
      return c;
    }
    if (Date.now() > deadline)
      throw new LunaRouteError(
        'REPLAY_NOT_RECORDED',
        `the replay was sent (request ${sent.replayId}, status ${sent.status}) but its record did not appear ` +
          `within ${Math.round((ctx.recordWaitMs ?? 15_000) / 1000)} s; see lunaroute sessions show ${replaySession({ session_id: q.session_id, replay_of: q.replay_of ?? null }, q.id).id}`,
      );
    // The recorder writes in batches (~100 ms): look again shortly.
    await new Promise((r) => setTimeout(r, 100));
  }
}
