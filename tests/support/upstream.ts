// A programmable upstream for low-level proxy tests: every request is recorded (method, url, headers, raw body
// and its sha256) and answered by the handler the test installs. Deferreds let tests wait on events instead
// of sleeping.
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  sha256: string;
  /** Resolves when the upstream saw the connection close before its response finished. */
  closedEarly: Promise<number>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void;

export interface TestUpstream {
  url: string;
  port: number;
  requests: SeenRequest[];
  handle(handler: Handler): void;
  nextRequest(): Promise<SeenRequest>;
  close(): Promise<void>;
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startTestUpstream(initial?: Handler): Promise<TestUpstream> {
  let handler: Handler =
    initial ??
    ((_req, res, seen) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, url: seen.url }));
    });
  const requests: SeenRequest[] = [];
  const waiters: ((s: SeenRequest) => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const closed = deferred<number>();
      res.on('close', () => {
        if (!res.writableFinished) closed.resolve(Date.now());
      });
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        sha256: createHash('sha256').update(body).digest('hex'),
        closedEarly: closed.promise,
      };
      requests.push(seen);
      waiters.shift()?.(seen);
      handler(req, res, seen);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(h) {
      handler = h;
    },
    nextRequest() {
      return new Promise((r) => waiters.push(r));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
