// The forward-proxy CA: what `openssl x509 -text` says about it (name constraints, CA flags), that OpenSSL
// refuses a certificate the CA key signs for any other name (what a stolen key is worth), the files and their
// modes, one CA when two processes create it at once, rotation, removal, repair, and the leaf issuer's cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeafIssuer } from '../../src-main/ca/leaves.js';
import { isLunaRouteError } from '../../src-shared/errors.js';
import { caCovers, caPaths, ensureCa, loadCa, removeCa, rotateCa } from '../../src-main/ca/store.js';
import { buildLeafCertificate, toPem } from '../../src-main/ca/x509.js';
import { makeTempDir } from '../support/config.js';

const HOSTS = ['api.anthropic.com', 'api.openai.com', 'chatgpt.com'];

function openssl(args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  if (r.error)
    throw new Error(`openssl is needed for this test (apt-get install openssl): ${r.error.message}`);
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

/** A leaf the CA key signs for `host` — also for names it may not vouch for, as a thief of the key would. */
function forgeLeaf(ca: Awaited<ReturnType<typeof ensureCa>>['ca'], host: string): string {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const der = buildLeafCertificate(
    { host, notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) },
    keys.publicKey,
    ca.subject,
    ca.key,
  );
  return toPem('CERTIFICATE', der);
}

describe('the CA certificate', () => {
  it('is a critical name-constrained CA for the intercepted hosts only, excluding every IP address (openssl x509 -text)', async () => {
    const { ca } = await ensureCa(makeTempDir(), HOSTS);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', ca.paths.cert], {
      encoding: 'utf8',
    });
    const nc =
      /X509v3 Name Constraints: critical\n\s+Permitted:\n((?:\s+DNS:.*\n)+)\s+Excluded:\n((?:\s+IP:.*\n)+)/.exec(
        text,
      );
    expect(nc, text).not.toBeNull();
    expect(nc![1]!.trim().split(/\s+/)).toEqual(HOSTS.map((h) => `DNS:${h}`));
    expect(nc![2]!.trim().split(/\s+/)).toEqual(['IP:0.0.0.0/0.0.0.0', 'IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(text).toMatch(/Subject: O ?= ?LunaRoute, CN ?= ?LunaRoute forward-proxy CA [0-9a-f]{8}/);
  });

  it('lets OpenSSL accept its leaves for the intercepted hosts and refuse one for any other name, even signed with its key', async () => {
    const { ca } = await ensureCa(makeTempDir(), HOSTS);
    const verify = (pem: string): { code: number; out: string } =>
      openssl(['verify', '-CAfile', ca.paths.cert, '-x509_strict', '-purpose', 'sslserver'], pem);
    expect(verify(forgeLeaf(ca, 'api.anthropic.com')).code).toBe(0);
    expect(verify(forgeLeaf(ca, 'chatgpt.com')).code).toBe(0);
    for (const other of ['github.com', 'anthropic.com', 'api.anthropic.com.evil.example', 'localhost']) {
      const r = verify(forgeLeaf(ca, other));
      expect(r.code, other).not.toBe(0);
      expect(r.out, other).toContain('permitted subtree violation');
    }
  });

  it('lets Node refuse a forged leaf too (Node clients: Claude Code, OpenCode)', async () => {
    const { ca } = await ensureCa(makeTempDir(), HOSTS);
    const leaf = new X509Certificate(forgeLeaf(ca, 'github.com'));
    expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(true); // signed by it…
    expect(caCovers(ca, 'github.com')).toBe(false); // …but outside its names
    expect(caCovers(ca, 'API.openai.com')).toBe(true);
    expect(caCovers(ca, 'eu.api.openai.com')).toBe(true);
    expect(caCovers(ca, 'openai.com')).toBe(false);
  });
});

describe('the CA on disk', () => {
  it('keeps the key 0600 and the certificate readable (0644) in a 0700 directory', async () => {
    const dir = makeTempDir();
    const { ca, created } = await ensureCa(dir, HOSTS);
    expect(created).toBe(true);
    const mode = (p: string): number => fs.statSync(p).mode & 0o777;
    expect(mode(ca.paths.key)).toBe(0o600);
    expect(mode(ca.paths.cert)).toBe(0o644);
    expect(mode(ca.paths.dir)).toBe(0o700);
    expect(fs.readFileSync(ca.paths.cert, 'utf8')).not.toContain('PRIVATE KEY');
    expect(ca.paths).toEqual(caPaths(dir));
  });

  it('is created once: a second ensureCa, or two at the same time, agree on one certificate', async () => {
    const dir = makeTempDir();
    const [a, b] = await Promise.all([ensureCa(dir, HOSTS), ensureCa(dir, HOSTS)]);
    expect(a.ca.fingerprint).toBe(b.ca.fingerprint);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    const again = await ensureCa(dir, HOSTS);
    expect(again).toMatchObject({ created: false, ca: { fingerprint: a.ca.fingerprint } });
    expect(fs.readdirSync(path.join(dir, 'ca')).sort()).toEqual(['lunaroute-ca-key.pem', 'lunaroute-ca.pem']);
  });

  it('rotates to a new key and certificate, and removes both', async () => {
    const dir = makeTempDir();
    const { ca } = await ensureCa(dir, HOSTS);
    const rotated = await rotateCa(dir, ['api.anthropic.com']);
    expect(rotated.fingerprint).not.toBe(ca.fingerprint);
    expect(rotated.hosts).toEqual(['api.anthropic.com']);
    expect(fs.readFileSync(ca.paths.cert, 'utf8')).toBe(rotated.certPem);
    expect(await removeCa(dir)).toBe(true);
    expect(fs.existsSync(ca.paths.dir)).toBe(false);
    expect(await loadCa(dir)).toBeNull();
    expect(await removeCa(dir)).toBe(false);
  });

  it('repairs a missing or stale certificate file from the key file, which holds the matching pair', async () => {
    const dir = makeTempDir();
    const { ca } = await ensureCa(dir, HOSTS);
    fs.rmSync(ca.paths.cert);
    expect((await loadCa(dir))!.fingerprint).toBe(ca.fingerprint);
    expect(fs.readFileSync(ca.paths.cert, 'utf8')).toBe(ca.certPem);
    fs.writeFileSync(ca.paths.cert, 'stale');
    await loadCa(dir);
    expect(fs.readFileSync(ca.paths.cert, 'utf8')).toBe(ca.certPem);
  });

  it('says what to do when the key file holds a key that does not match its certificate', async () => {
    const dir = makeTempDir();
    const { ca } = await ensureCa(dir, HOSTS);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    fs.writeFileSync(ca.paths.key, otherKey + ca.certPem);
    await expect(loadCa(dir)).rejects.toThrow(
      /does not match the certificate; replace both with `lunaroute ca rotate`/,
    );
  });

  it('replaces an expired CA on next use', async () => {
    const dir = makeTempDir();
    const longAgo = Date.now() - 6 * 365 * 86_400_000;
    const { ca: old } = await ensureCa(dir, HOSTS, longAgo);
    const { ca, created } = await ensureCa(dir, HOSTS);
    expect(created).toBe(true);
    expect(ca.fingerprint).not.toBe(old.fingerprint);
    expect(ca.notAfter.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('leaf issuer', () => {
  it('creates the CA on first use, caches one context per host, and reissues after a rotation on disk', async () => {
    const dir = makeTempDir();
    const created: string[] = [];
    const issuer = new LeafIssuer({
      dataDir: dir,
      hosts: HOSTS,
      onCreated: (ca) => created.push(ca.fingerprint),
    });
    const first = await issuer.contextFor('api.anthropic.com');
    expect(created).toHaveLength(1);
    expect(await issuer.contextFor('api.anthropic.com')).toBe(first);
    expect(await issuer.contextFor('api.openai.com')).not.toBe(first);
    const rotated = await rotateCa(dir, HOSTS);
    const after = await issuer.contextFor('api.anthropic.com');
    expect(after).not.toBe(first);
    expect((await issuer.ca()).fingerprint).toBe(rotated.fingerprint);
  });

  it('renews a leaf a day before it expires (leaves live 7 days)', async () => {
    let now = Date.now();
    const issuer = new LeafIssuer({ dataDir: makeTempDir(), hosts: HOSTS, now: () => now });
    const first = await issuer.contextFor('chatgpt.com');
    now += 5 * 86_400_000;
    expect(await issuer.contextFor('chatgpt.com')).toBe(first);
    now += 1.5 * 86_400_000;
    expect(await issuer.contextFor('chatgpt.com')).not.toBe(first);
  });

  it('refuses a host the CA may not issue for, naming `lunaroute ca rotate`', async () => {
    const dir = makeTempDir();
    await ensureCa(dir, ['api.anthropic.com']);
    const issuer = new LeafIssuer({ dataDir: dir, hosts: HOSTS });
    const err = await issuer.contextFor('api.openai.com').catch((e: unknown) => e);
    expect(isLunaRouteError(err, 'CA_HOST_NOT_COVERED')).toBe(true);
    expect((err as { details: unknown }).details).toEqual({
      host: 'api.openai.com',
      caHosts: ['api.anthropic.com'],
    });
    expect((err as Error).message).toContain('lunaroute ca rotate');
  });
});
