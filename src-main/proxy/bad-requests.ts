// Requests that never reach routing: what Node's HTTP parser rejects (malformed request line or headers, an
// invalid chunked body, headers over the size limit). Each is answered on the raw socket with a JSON
// error and the connection closed — 431 for oversized headers, 400 otherwise — in the client's dialect when the
// request line is visible, else in a shape both dialects' SDKs read. Nothing here may throw: it runs on input
// that is malformed by definition.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dialect } from '../../src-shared/dialects.js';
import { genericErrorReply, proxyErrorReply, type ProxyErrorCode } from './errors.js';
import { resolveRoute } from './routes.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A complete HTTP/1.1 response with a JSON body that closes the connection. */
export function rawJsonResponse(status: number, body: string, code?: ProxyErrorCode): string {
  const errorHeader = code ? `x-lunaroute-error: ${code}\r\n` : '';
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n${errorHeader}connection: close\r\n\r\n${body}`
  );
}

/**
 * The dialect of a request seen only as raw bytes, from its request line (and an `anthropic-version` header if
 * it is in view); null when the bytes do not start with a request line.
 */
export function dialectOfRawRequest(raw: Buffer | undefined): Dialect | null {
  if (!raw || raw.length === 0) return null;
  const head = raw.subarray(0, 8192).toString('latin1');
  const m = /^([A-Za-z]{1,20}) (\/[^ \r\n?]*)/.exec(head);
  if (!m) return null;
  if (/\r\nanthropic-version:/i.test(head)) return 'anthropic';
  const route = resolveRoute(m[1]!.toUpperCase(), m[2]!, {});
  return route.kind === 'upstream' ? route.dialect : null;
}

function errorReply(dialect: Dialect | null, status: number, code: ProxyErrorCode, message: string): string {
  const reply = dialect
    ? proxyErrorReply(dialect, status, code, message)
    : genericErrorReply(status, code, message);
  return rawJsonResponse(reply.status, reply.body, code);
}

type ParserError = Error & { code?: string; reason?: string; rawPacket?: Buffer };

/** The server's 'clientError' handler. */
export function onClientError(err: ParserError, socket: Duplex): void {
  // A response already under way on this connection cannot be followed by another status line.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const dialect = dialectOfRawRequest(err.rawPacket);
  let out: string;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    out = errorReply(
      dialect,
      431,
      'headers_too_large',
      'The request headers are too large for LunaRoute (Node limits them to 16 KiB in total). Send fewer or smaller headers.',
    );
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    out = errorReply(dialect, 408, 'bad_request', 'The request did not arrive in time.');
  } else {
    const why = err.reason ?? err.message;
    out = errorReply(
      dialect,
      400,
      'bad_request',
      `LunaRoute could not parse this HTTP request (${err.code ?? 'error'}: ${why}).`,
    );
  }
  socket.end(out);
}
