// Replays (`lunaroute replay`, the window's Replay) go through this proxy like any request, so the recorder
// stores them the same way. A replay carries `x-lunaroute-replay-of: <request id>` (and may carry
// `x-lunaroute-replay-upstream: <base URL>`); the proxy takes both off before forwarding, labels the recording
// with `replay_of`, and answers the new request's id in `x-lunaroute-replay-id`.
//
// Threat model: these headers label recordings and can pick an upstream. A web page in the user's browser must
// not use them (it could make the proxy send traffic — and, without care, the configured API key — to a host of
// its choosing). Controls: they are honoured only from a local client — a loopback peer, a loopback Host, and
// none of the headers browsers add (Origin, Sec-Fetch-*) — and refused with 403 otherwise; an overridden
// upstream never gets a configured key (the caller brings its own credential); values are checked (an id of
// safe characters; an http(s) URL without user info). Local processes of the same user are out of scope (they
// can read the config file anyway).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { REPLAY_OF_HEADER, REPLAY_UPSTREAM_HEADER } from '../../src-shared/replay.js';
import { clientSentCredentials, type CredentialSource } from './auth.js';

export { REPLAY_ID_HEADER } from '../../src-shared/replay.js';

export interface ReplayMark {
  /** The recorded request this one replays. */
  replayOf: string;
  /** Upstream base URL for this request only (like upstreams.<provider>.url), or null for the configured one. */
  upstream: string | null;
}

const ID = /^[A-Za-z0-9_-]{1,200}$/;

function isLoopbackAddress(a: string | undefined): boolean {
  if (!a) return false;
  return a === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(a);
}

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Why a request is not from a local client, or null when it is. */
function notLocal(req: IncomingMessage): string | null {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return 'the request did not come from this machine';
  if (!isLoopbackHost(one(req.headers, 'host'))) return 'its Host is not a loopback address';
  if (req.headers['origin'] !== undefined || req.headers['sec-fetch-site'] !== undefined)
    return 'it came from a web page';
  return null;
}

/**
 * Take the replay headers off a request. Returns null when there are none, the mark when they are honoured, or
 * `{ refused }` with the reason (the caller answers 403).
 */
export function takeReplayHeaders(req: IncomingMessage): ReplayMark | { refused: string } | null {
  const of = req.headers[REPLAY_OF_HEADER];
  const upstream = req.headers[REPLAY_UPSTREAM_HEADER];
  if (of === undefined && upstream === undefined) return null;
  delete req.headers[REPLAY_OF_HEADER];
  delete req.headers[REPLAY_UPSTREAM_HEADER];
  const why = notLocal(req);
  if (why) return { refused: `LunaRoute accepts replay headers only from a local client: ${why}.` };
  if (typeof of !== 'string' || !ID.test(of))
    return { refused: `${REPLAY_OF_HEADER} must be one recorded request id ([A-Za-z0-9_-], at most 200)` };
  if (upstream === undefined) return { replayOf: of, upstream: null };
  let url: URL | null;
  try {
    url = typeof upstream === 'string' ? new URL(upstream) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return { refused: `${REPLAY_UPSTREAM_HEADER} must be an http(s) URL without user info` };
  return { replayOf: of, upstream: String(upstream).replace(/\/+$/, '') };
}

/** The upstream of a replay with an overridden base URL: only the caller's own credential goes there. */
export function replayUpstream(
  base: string,
  headers: IncomingHttpHeaders,
): { base: string; name: string; setHeaders: undefined; credentialSource: CredentialSource } {
  return {
    base,
    name: 'replay',
    setHeaders: undefined,
    credentialSource: clientSentCredentials(headers) ? 'client' : 'none',
  };
}
