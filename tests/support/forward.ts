// Client side of the forward-proxy mode for tests: send `CONNECT host:port` to the proxy, read its answer, then
// speak TLS (trusting a given CA, or not) and HTTP over the tunnel — what a client with HTTPS_PROXY does. Every
// socket goes to the proxy on 127.0.0.1; the target host name only travels inside the CONNECT request and SNI.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

export interface ConnectAnswer {
  status: number;
  /** The proxy's status line and headers. */
  head: string;
  /** The body, when the proxy refused (it closes the socket after it). */
  body: string;
  socket: net.Socket;
}

/** Send CONNECT for `target` (`host:port`) and read the proxy's answer head. */
export function connectVia(proxyUrl: string, target: string): Promise<ConnectAnswer> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      if (status === 200) {
        if (rest.length > 0) socket.unshift(rest);
        resolve({ status, head, body: '', socket });
        return;
      }
      const chunks: Buffer[] = [rest];
      socket.on('data', (more: Buffer) => chunks.push(more));
      socket.once('end', () =>
        resolve({ status, head, body: Buffer.concat(chunks).toString('utf8'), socket }),
      );
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

export interface TlsOptions {
  /** PEM to trust; without it Node's default roots (which do not include LunaRoute's CA). */
  ca?: string;
  alpn?: string[];
  /** SNI and certificate name to check (default: the CONNECT host). */
  servername?: string;
}

/** CONNECT, then a TLS handshake over the tunnel. Rejects with the TLS error when the certificate is refused. */
export async function tlsVia(proxyUrl: string, target: string, o: TlsOptions = {}): Promise<tls.TLSSocket> {
  const answer = await connectVia(proxyUrl, target);
  if (answer.status !== 200) {
    answer.socket.destroy();
    throw new Error(`CONNECT ${target} answered ${answer.status}: ${answer.body}`);
  }
  const host = o.servername ?? target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      socket: answer.socket,
      servername: host,
      ...(o.ca !== undefined && { ca: o.ca }),
      ALPNProtocols: o.alpn ?? ['http/1.1'],
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/1.1 request over an established (TLS) socket. */
export function requestOver(
  socket: tls.TLSSocket,
  host: string,
  init: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        createConnection: () => socket,
        host,
        method: init.method ?? 'GET',
        path: init.path,
        headers: { host, ...init.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
