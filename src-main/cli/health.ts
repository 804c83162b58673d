// Probe of a port's `/healthz`: tells a running LunaRoute (which answers JSON with "service":"lunaroute")
// apart from another program on the port and from a free port. Used by `env` to reuse a running instance
// instead of spawning one that would fail with "port in use".
import { request } from 'node:http';

export type HealthProbe =
  | { kind: 'lunaroute'; version: string; pid: number | undefined }
  | { kind: 'other'; detail: string }
  | { kind: 'none' };

const MAX_BODY = 64 * 1024;

export function probeHealth(host: string, port: number, timeoutMs = 1500): Promise<HealthProbe> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/healthz', method: 'GET', agent: false, timeout: timeoutMs });
    req.setHeader('accept', 'application/json');
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Refused = nobody listens. Anything else (reset, garbage, silence) = something is there.
      if (err.code === 'ECONNREFUSED') resolve({ kind: 'none' });
      else if (err.code?.startsWith('HPE_')) resolve({ kind: 'other', detail: 'it does not answer HTTP' });
      else resolve({ kind: 'other', detail: err.code === 'ECONNRESET' ? 'connection reset' : err.message });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('error', () => resolve({ kind: 'other', detail: `HTTP ${res.statusCode}` }));
      res.on('end', () => resolve(classify(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    });
    req.end();
  });
}

function classify(status: number, body: string): HealthProbe {
  try {
    const json: unknown = JSON.parse(body);
    if (
      typeof json === 'object' &&
      json !== null &&
      (json as { service?: unknown }).service === 'lunaroute'
    ) {
      const { version, pid } = json as { version?: unknown; pid?: unknown };
      return {
        kind: 'lunaroute',
        version: typeof version === 'string' ? version : 'unknown',
        pid: typeof pid === 'number' ? pid : undefined,
      };
    }
  } catch {
    // not JSON: another program
  }
  return { kind: 'other', detail: `HTTP ${status}` };
}

/** The address a client should dial for a listening host: wildcard addresses mean "this machine". */
export function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** `http://host:port` with IPv6 addresses bracketed. */
export function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
