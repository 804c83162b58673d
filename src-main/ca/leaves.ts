// Leaf certificates for intercepted hosts, issued on the fly by the forward-proxy CA and cached per host as a
// ready TLS SecureContext. The CA is created on first use and re-read when another process (`lunaroute ca
// rotate|remove`) changed it, checked with one stat per call. One leaf key pair per CA generation; leaves live
// 7 days (never past the CA) and are re-issued a day before they expire. Keys stay in memory only.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import tls from 'node:tls';
import { caCovers, caStamp, ensureCa, CLOCK_SKEW_MS, type Ca } from './store.js';
import { buildLeafCertificate, toPem } from './x509.js';
import { LunaRouteError } from '../../src-shared/errors.js';

export const LEAF_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

/** The CA on disk does not permit this host (the intercept list changed after it was created). */
export function caNotCovering(
  host: string,
  caHosts: readonly string[],
): LunaRouteError<'CA_HOST_NOT_COVERED'> {
  return new LunaRouteError(
    'CA_HOST_NOT_COVERED',
    `the LunaRoute CA may only issue for ${caHosts.join(', ')}, not ${host} (forward.intercept changed since it was created): run \`lunaroute ca rotate\`, then restart the clients`,
    { details: { host, caHosts } },
  );
}

interface Generation {
  stamp: string | null;
  ca: Ca;
  leafKey: KeyObject;
  leafKeyPem: string;
  leaves: Map<string, { context: tls.SecureContext; renewAt: number }>;
}

export interface LeafIssuerOptions {
  dataDir: string;
  /** Host names a new CA is constrained to. */
  hosts: readonly string[];
  now?: () => number;
  /** Told once per CA generation when this process created or replaced the CA. */
  onCreated?(ca: Ca): void;
}

export class LeafIssuer {
  private gen: Promise<Generation> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: LeafIssuerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The current CA (created if missing). */
  async ca(): Promise<Ca> {
    return (await this.generation()).ca;
  }

  /** A TLS context presenting a leaf for `host`. Throws CA_HOST_NOT_COVERED when the CA may not issue for it. */
  async contextFor(host: string): Promise<tls.SecureContext> {
    const g = await this.generation();
    if (!caCovers(g.ca, host)) throw caNotCovering(host, g.ca.hosts);
    const now = this.now();
    const cached = g.leaves.get(host);
    if (cached && now < cached.renewAt) return cached.context;
    const notBefore = Math.max(g.ca.notBefore.getTime(), now - CLOCK_SKEW_MS);
    const notAfter = Math.min(g.ca.notAfter.getTime(), now + LEAF_LIFETIME_MS);
    const der = buildLeafCertificate(
      { host, notBefore: new Date(notBefore), notAfter: new Date(notAfter) },
      g.leafKey,
      g.ca.subject,
      g.ca.key,
    );
    const context = tls.createSecureContext({ key: g.leafKeyPem, cert: toPem('CERTIFICATE', der) });
    g.leaves.set(host, { context, renewAt: notAfter - RENEW_BEFORE_MS });
    return context;
  }

  private async generation(): Promise<Generation> {
    const current = this.gen;
    if (current) {
      const g = await current.catch(() => null);
      if (g) {
        const stamp = await caStamp(this.o.dataDir);
        if (stamp !== null && stamp === g.stamp && g.ca.notAfter.getTime() > this.now() + RENEW_BEFORE_MS)
          return g;
      }
      if (this.gen !== current) return this.generation(); // someone else reloaded meanwhile
    }
    const next = this.load();
    this.gen = next;
    return next;
  }

  private async load(): Promise<Generation> {
    const { ca, created } = await ensureCa(this.o.dataDir, this.o.hosts, this.now());
    if (created) this.o.onCreated?.(ca);
    const stamp = await caStamp(this.o.dataDir);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      stamp,
      ca,
      leafKey: publicKey,
      leafKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      leaves: new Map(),
    };
  }
}
