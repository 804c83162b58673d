// Sends a replay through a LunaRoute proxy on loopback, as a local client: the planned request plus the
// credential headers and `x-lunaroute-replay-of`, which the proxy takes off and hands to the recorder (so the
// answer is recorded as a new request with `replay_of`). Reads the whole response (the recorder reads its own
// copy) and returns the status, the new request's id (`x-lunaroute-replay-id`, absent when nothing was
// recorded) and the start of the body, for messages.
import http from 'node:http';
import { REPLAY_ID_HEADER, REPLAY_OF_HEADER, REPLAY_UPSTREAM_HEADER } from '../../src-shared/replay.js';
import type { ReplayPlan } from './plan.js';

export interface SentReplay {
  status: number;
  /** The recorded request's id; null when the proxy did not record it (recording paused). */
  replayId: string | null;
  /** LunaRoute's own error code (`x-lunaroute-error`) when the proxy answered itself. */
  proxyError: string | null;
  /** The first bytes of the response body (16 KiB at most). */
  bodyStart: string;
}

const BODY_START = 16 * 1024;

export function sendReplay(
  proxyUrl: string,
  plan: ReplayPlan,
  credential: Record<string, string>,
): Promise<SentReplay> {
  const headers: http.OutgoingHttpHeaders = { ...plan.headers, ...credential };
  headers['content-type'] ??= 'application/json';
  headers['content-length'] = Buffer.byteLength(plan.body);
  headers[REPLAY_OF_HEADER] = plan.source.request.id;
  if (plan.changes.upstream) headers[REPLAY_UPSTREAM_HEADER] = plan.changes.upstream;
  // Concatenated, not resolved: a recorded path like `//host/x` must stay a path on the proxy.
  const base = new URL(proxyUrl);
  const url = new URL(base.origin + (plan.path.startsWith('/') ? plan.path : `/${plan.path}`));
  if (url.origin !== base.origin) return Promise.reject(new Error(`bad request path ${plan.path}`));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: plan.method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        if (kept < BODY_START) {
          parts.push(c);
          kept += c.length;
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        const id = res.headers[REPLAY_ID_HEADER];
        const err = res.headers['x-lunaroute-error'];
        resolve({
          status: res.statusCode ?? 0,
          replayId: typeof id === 'string' && id !== '' ? id : null,
          proxyError: typeof err === 'string' ? err : null,
          bodyStart: Buffer.concat(parts).subarray(0, BODY_START).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(plan.body);
  });
}
