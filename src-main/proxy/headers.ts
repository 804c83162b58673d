// Hop-by-hop headers: the ones that describe one connection, not the message (RFC 9110 §7.6.1). They are
// dropped in both directions before a message crosses the proxy; everything else passes as the client or the
// upstream sent it.
import type { IncomingHttpHeaders } from 'node:http';

// `expect` is answered by this server itself. content-length stays: the body is forwarded byte for byte.
export const HOP_BY_HOP_REQUEST = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
];
export const HOP_BY_HOP_RESPONSE = [
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'trailer',
  'upgrade',
];

/**
 * Delete `list` and the headers named in `connection` from `headers` (in place). `keepUpgrade` keeps
 * `connection` and `upgrade` for a WebSocket handshake.
 */
export function stripConnectionHeaders(
  headers: IncomingHttpHeaders,
  list: readonly string[],
  keepUpgrade = false,
): void {
  const named = headers['connection'];
  if (typeof named === 'string' && !keepUpgrade) {
    for (const token of named.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive' && name in headers) delete headers[name];
    }
  }
  for (const name of list) {
    if (!(name in headers)) continue;
    if (keepUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    // `connection: keep-alive` is what the upstream agent sends anyway; deleting it costs more (V8 turns the
    // header object into a slow dictionary) than forwarding it.
    if (name === 'connection' && typeof named === 'string' && named.toLowerCase() === 'keep-alive') continue;
    delete headers[name];
  }
}
