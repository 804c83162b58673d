// Error bodies the proxy itself produces (upstream unreachable, timeouts, unknown paths), in the shape of the
// dialect the client speaks, so an SDK surfaces a readable message instead of a JSON parse failure.
import type { Dialect } from '../../src-shared/dialects.js';

/** Stable codes for errors LunaRoute originates; sent in the `x-lunaroute-error` header too. */
export type ProxyErrorCode =
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_tls_error'
  | 'not_found'
  | 'shutting_down'
  | 'replay_refused';

export interface ProxyErrorReply {
  status: number;
  body: string;
}

export function proxyErrorReply(
  dialect: Dialect,
  status: number,
  code: ProxyErrorCode,
  message: string,
): ProxyErrorReply {
  if (dialect === 'anthropic') {
    const type =
      status === 404
        ? 'not_found_error'
        : status === 503
          ? 'overloaded_error'
          : status === 403
            ? 'permission_error'
            : 'api_error';
    return { status, body: JSON.stringify({ type: 'error', error: { type, message } }) };
  }
  const type = status === 404 ? 'invalid_request_error' : 'server_error';
  return { status, body: JSON.stringify({ error: { message, type, param: null, code } }) };
}

/** Map a Node network error to the code, status and a sentence naming the upstream and the cause. */
export function describeUpstreamError(
  err: NodeJS.ErrnoException,
  upstreamName: string,
  upstreamOrigin: string,
): { code: ProxyErrorCode; status: number; message: string } {
  const cause = err.code ?? err.message;
  const where = `the ${upstreamName} upstream ${upstreamOrigin}`;
  switch (err.code) {
    case 'ETIMEDOUT':
    case 'LUNAROUTE_CONNECT_TIMEOUT':
      return {
        code: 'upstream_timeout',
        status: 504,
        message: `LunaRoute could not connect to ${where} in time (${cause}).`,
      };
    case 'LUNAROUTE_IDLE_TIMEOUT':
      return {
        code: 'upstream_timeout',
        status: 504,
        message: `${where} sent nothing for too long (idle timeout); LunaRoute closed the request.`,
      };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        code: 'upstream_unreachable',
        status: 502,
        message: `LunaRoute could not reach ${where}: ${cause}.`,
      };
    default:
      if (
        /certificate|SSL|TLS|self.signed/i.test(err.message) ||
        (err.code ?? '').startsWith('ERR_TLS') ||
        (err.code ?? '').includes('CERT')
      ) {
        return {
          code: 'upstream_tls_error',
          status: 502,
          message: `TLS handshake with ${where} failed: ${cause}.`,
        };
      }
      return {
        code: 'upstream_unreachable',
        status: 502,
        message: `LunaRoute lost the connection to ${where}: ${cause}.`,
      };
  }
}
