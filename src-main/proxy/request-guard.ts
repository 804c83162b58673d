// Who is asking: decides whether a request to the proxy port comes from a local program (which may spend the
// stored credentials) or from a web page in the user's browser (which may not).
//
// Threat model: the proxy holds the user's stored credentials (`upstreams.*.api_key`, Codex's auth.json) and
// adds them to requests that carry none. Attackers: (1) any web page the user visits, which can send a no-CORS
// "simple" POST to http://127.0.0.1:8081/v1/messages and make the user pay, or open a WebSocket (no CORS at
// all) and read the answers; (2) DNS rebinding: a page on evil.example re-resolves its name to 127.0.0.1, so its
// requests are "same-origin" and it can read the answers. Controls: (a) a Host that is not a loopback name or
// address with our port, or a host the user listed in `proxy.allowed_hosts`, is refused outright (every path,
// HTTP and WebSocket); (b) a request with a cross-site browser signal — an Origin other than our own or our UI's,
// or `Sec-Fetch-Site` other than `none`/`same-origin` — never gets a stored credential: without its own it is
// refused; (c) no CORS grant is ever sent to a foreign origin. Local programs (same user) are out of scope.
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import { clientSentCredentials } from './auth.js';
import type { ProxyErrorCode } from './errors.js';

/** How a request looks to the proxy. */
export type RequestSource =
  /** A local program (no browser signal), or a page of LunaRoute's own UI. */
  | { kind: 'local' }
  /** A browser request from a foreign page; `from` names the signal (its Origin, or `Sec-Fetch-Site: …`). */
  | { kind: 'browser'; from: string }
  /** Host is not ours: DNS rebinding, or a name the user has not listed. */
  | { kind: 'foreign_host'; host: string };

export interface RequestGuardOptions {
  /** The address the proxy listens on (config.host). */
  listenHost: string;
  /** The port it actually listens on. */
  port: number;
  /** `proxy.allowed_hosts`, normalised by `allowedHostList` (allowed-hosts.ts). */
  allowedHosts: readonly string[];
  /** Origins of LunaRoute's own UI (read on each browser request: the UI may start after the proxy). */
  uiOrigins: () => readonly string[];
  logger: Logger;
  /** Named in the foreign-Host message (where to add proxy.allowed_hosts). */
  configFile: string;
}

export interface Refusal {
  status: number;
  code: ProxyErrorCode;
  message: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** Shared: classify() runs on every request and allocates nothing on the local path. */
const LOCAL: RequestSource = Object.freeze({ kind: 'local' });
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);
/** Distinct refusals logged; past this, one line says the rest are not logged. Bounds memory and log volume. */
export const MAX_LOGGED_REFUSALS = 100;

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export class RequestGuard {
  private readonly hosts = new Set<string>();
  private readonly port: number;
  private readonly logged = new Set<string>();
  private overflowLogged = false;

  constructor(private readonly o: RequestGuardOptions) {
    this.port = o.port;
    const names = [...LOOPBACK_NAMES];
    const listen = o.listenHost.toLowerCase();
    if (!WILDCARD.has(listen)) names.push(bracketed(listen));
    for (const n of names) {
      this.hosts.add(`${n}:${o.port}`);
      if (o.port === 80) this.hosts.add(n);
    }
    for (const entry of o.allowedHosts) {
      this.hosts.add(entry);
      // A listed name without a port is allowed with the proxy's port too (and bare, e.g. behind a reverse proxy).
      if (!/:\d+$/.test(entry)) this.hosts.add(`${entry}:${o.port}`);
    }
  }

  classify(headers: IncomingHttpHeaders): RequestSource {
    const host = headers.host;
    if (host === undefined || !this.hostAllowed(host)) return { kind: 'foreign_host', host: host ?? '' };
    const origin = headers.origin;
    const site = headers['sec-fetch-site'];
    // The hot path: programs (SDKs, CLIs) send neither header.
    if (origin === undefined && site === undefined) return LOCAL;
    if (origin !== undefined) {
      if (this.originAllowed(origin)) return LOCAL;
      return { kind: 'browser', from: `Origin ${origin}` };
    }
    if (site === 'none' || site === 'same-origin') return LOCAL;
    return { kind: 'browser', from: `Sec-Fetch-Site: ${String(site)}` };
  }

  private hostAllowed(host: string): boolean {
    if (this.hosts.has(host)) return true;
    const h = host.toLowerCase();
    if (this.hosts.has(h)) return true;
    // Any 127.0.0.0/8 address is loopback too.
    const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(h);
    return m !== null && Number(m[4]) === this.port && m.slice(1, 4).every((x) => Number(x) <= 255);
  }

  private originAllowed(origin: string): boolean {
    const o = origin.toLowerCase();
    if (o.startsWith('http://') && this.hostAllowed(o.slice(7))) return true;
    return this.o.uiOrigins().some((u) => u.toLowerCase() === o);
  }

  /**
   * Whether a request that is not plainly local may go on; null = yes. A foreign Host is always refused. A
   * browser request is refused only where a stored credential would be added (`forwarded` and it brings none of
   * its own); elsewhere (local endpoints, 404s) nothing is at stake and the missing CORS grant keeps the answer
   * from the page. The first refusal per host or origin is logged.
   */
  refusal(source: RequestSource, headers: IncomingHttpHeaders, forwarded: boolean): Refusal | null {
    if (source.kind === 'local') return null;
    if (source.kind === 'foreign_host') {
      const message = foreignHostMessage(source.host, this.describeAllowed(), this.o.configFile);
      this.log(`host ${source.host}`, message);
      return { status: 403, code: 'host_not_allowed', message };
    }
    if (!forwarded || clientSentCredentials(headers)) return null;
    const message = browserRefusalMessage(source.from);
    this.log(source.from, message);
    return { status: 403, code: 'cross_site_request', message };
  }

  private log(key: string, message: string): void {
    const first = this.firstRefusal(key);
    if (first === 'first') this.o.logger.warn(`${message} (logged once per host or origin)`);
    else if (first === 'overflow')
      this.o.logger.warn(
        `LunaRoute has refused requests from more than ${MAX_LOGGED_REFUSALS} hosts or origins; refusals from new ones are no longer logged`,
      );
  }

  /**
   * True when a refusal with this key (an origin, a host) is the first of its kind: log it then, not again.
   * At most MAX_LOGGED_REFUSALS keys are remembered; after that nothing new is logged (`overflow` says so once).
   */
  firstRefusal(key: string): 'first' | 'again' | 'overflow' {
    if (this.logged.has(key)) return 'again';
    if (this.logged.size >= MAX_LOGGED_REFUSALS) {
      if (this.overflowLogged) return 'again';
      this.overflowLogged = true;
      return 'overflow';
    }
    this.logged.add(key);
    return 'first';
  }

  /** The names a client may use, for messages: `127.0.0.1:8081, localhost:8081, [::1]:8081`. */
  describeAllowed(): string {
    return [...this.hosts].join(', ');
  }
}

/** The message a refused foreign Host gets: why, and how to allow a name on purpose. */
export function foreignHostMessage(host: string, allowed: string, configFile: string): string {
  const shown = host === '' ? 'no Host header' : `Host "${host}"`;
  return (
    `LunaRoute refused a request with ${shown}: the proxy only answers requests addressed to ${allowed}. ` +
    `A foreign Host is how a web page reaches a local server through DNS rebinding. If you reach LunaRoute ` +
    `under another name on purpose, list it in proxy.allowed_hosts in ${configFile}.`
  );
}

/** The message a browser request without credentials of its own gets. */
export function browserRefusalMessage(from: string): string {
  return (
    `LunaRoute refused a request from a web page (${from}) that carries no credentials of its own: stored API ` +
    `keys and logins are only used for local programs, so a page you visit cannot spend them. Call LunaRoute ` +
    `from a program (no Origin header), or send your own API key.`
  );
}
