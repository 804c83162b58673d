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
  /** A replay header from a request that is not a local client. */
  | 'replay_refused'
  /** Host is not a loopback name with our port nor listed in proxy.allowed_hosts (DNS rebinding). */
  | 'host_not_allowed'
  /** A browser request from a foreign page without credentials of its own. */
  | 'cross_site_request'
  /** Node's HTTP parser rejected the request (malformed request line, headers or chunked body). */
  | 'bad_request'
  /** The request headers exceed Node's limit (16 KiB by default). */
  | 'headers_too_large'
  /** CONNECT to a target that is neither intercepted nor allowed by forward.tunnel. */
  | 'tunnel_refused'
  /** CONNECT to an intercepted host that the local CA cannot serve (not covered, unreadable). */
  | 'intercept_failed'
  /** A bug in LunaRoute while handling the request (logged; the process keeps running). */
  | 'internal_error';

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
    return {
      status,
      body: JSON.stringify({ type: 'error', error: { type: anthropicType(status), message } }),
    };
  }
  const type = status < 500 ? 'invalid_request_error' : 'server_error';
  return { status, body: JSON.stringify({ error: { message, type, param: null, code } }) };
}

// Anthropic's documented error types by status.
function anthropicType(status: number): string {
  switch (status) {
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 503:
      return 'overloaded_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/**
 * An error body both dialects' SDKs can read (each finds `error.message`), for when the dialect is unknown —
 * e.g. a request Node's parser rejected before its path was seen.
 */
export function genericErrorReply(status: number, code: ProxyErrorCode, message: string): ProxyErrorReply {
  const type = status < 500 ? 'invalid_request_error' : 'api_error';
  return { status, body: JSON.stringify({ type: 'error', error: { type, message, param: null, code } }) };
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
