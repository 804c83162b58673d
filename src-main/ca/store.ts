// The forward-proxy CA on disk: created on first use in <data dir>/ca/, shown, rotated and removed.
// Threat model: whoever holds the CA key can impersonate the hosts it may issue for to every program that
// trusts the certificate. Controls: the key file is 0600 in a 0700 directory and never leaves it; the
// certificate is name-constrained to the intercepted hosts and excludes all IP addresses (x509.ts), so even a
// stolen key cannot impersonate any other site; `lunaroute ca rotate` replaces both, `remove` deletes both.
// Layout: `lunaroute-ca.pem` is the certificate alone (0644, what clients are told to trust);
// `lunaroute-ca-key.pem` holds the key *and* the certificate, so a reader always gets a matching pair even
// while another process rotates. The certificate file is repaired from it when missing or stale.
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { link, open, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir, fsyncDir, isErrno, tmpSiblingName } from '../storage/fsutil.js';
import type { Name } from '@peculiar/asn1-x509';
import { buildCaCertificate, permittedHosts, subjectOf, toPem } from './x509.js';

export const CA_DIR_NAME = 'ca';
export const CA_CERT_FILE = 'lunaroute-ca.pem';
export const CA_KEY_FILE = 'lunaroute-ca-key.pem';
/** How long a new CA is valid. Expired CAs are replaced on next use. */
export const CA_LIFETIME_DAYS = 5 * 365;
/** Starts this much in the past, so a client whose clock lags a little still accepts it. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export interface Ca {
  paths: CaPaths;
  certPem: string;
  certDer: Buffer;
  key: KeyObject;
  subject: Name;
  /** Host names the certificate's name constraints permit (each with its subdomains). */
  hosts: string[];
  /** SHA-256 of the DER certificate, colon-separated hex (as browsers and `openssl -fingerprint` show it). */
  fingerprint: string;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

export function caPaths(dataDir: string): CaPaths {
  const dir = path.join(dataDir, CA_DIR_NAME);
  return { dir, cert: path.join(dir, CA_CERT_FILE), key: path.join(dir, CA_KEY_FILE) };
}

/** True when `host` is one of the CA's permitted names or a subdomain of one (RFC 5280 dNSName rule). */
export function caCovers(ca: Pick<Ca, 'hosts'>, host: string): boolean {
  const h = host.toLowerCase();
  return ca.hosts.some((p) => h === p.toLowerCase() || h.endsWith('.' + p.toLowerCase()));
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function parseBundle(text: string, paths: CaPaths): Ca {
  let keyPem: string | undefined;
  let certPem: string | undefined;
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] === 'PRIVATE KEY') keyPem = m[0] + '\n';
    else if (m[1] === 'CERTIFICATE') certPem = m[0] + '\n';
  }
  if (!keyPem || !certPem) {
    throw new Error(
      `${paths.key} is not a LunaRoute CA (it needs a PRIVATE KEY and a CERTIFICATE block); remove it with \`lunaroute ca remove\``,
    );
  }
  const key = createPrivateKey(keyPem);
  const certDer = Buffer.from(certPem.split('\n').slice(1, -2).join(''), 'base64');
  const x = new X509Certificate(certDer);
  const certPublic = x.publicKey.export({ type: 'spki', format: 'der' });
  if (!certPublic.equals(createPublicKey(key).export({ type: 'spki', format: 'der' }))) {
    throw new Error(
      `${paths.key}: the key does not match the certificate; replace both with \`lunaroute ca rotate\``,
    );
  }
  return {
    paths,
    certPem,
    certDer,
    key,
    subject: subjectOf(certDer),
    hosts: permittedHosts(certDer),
    fingerprint: x.fingerprint256,
    commonName: /CN=([^\n]*)/.exec(x.subject)?.[1] ?? '',
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
  };
}

/** The CA as stored, or null when there is none. The certificate file is rewritten when missing or stale. */
export async function loadCa(dataDir: string): Promise<Ca | null> {
  const paths = caPaths(dataDir);
  let text: string;
  try {
    text = await readFile(paths.key, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  const ca = parseBundle(text, paths);
  let certOnDisk: string | null = null;
  try {
    certOnDisk = await readFile(paths.cert, 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  if (certOnDisk !== ca.certPem) await writeReplacing(paths.cert, ca.certPem, 0o644);
  return ca;
}

function newBundle(hosts: readonly string[], now: number): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const commonName = `LunaRoute forward-proxy CA ${randomBytes(4).toString('hex')}`;
  const der = buildCaCertificate(
    {
      hosts,
      commonName,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(now + CA_LIFETIME_DAYS * DAY_MS),
    },
    privateKey,
  );
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return keyPem + toPem('CERTIFICATE', der);
}

async function writeTmp(target: string, data: string, mode: number): Promise<string> {
  const tmp = tmpSiblingName(target);
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed it
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Atomically replace `target` (temp file, fsync, rename). */
async function writeReplacing(target: string, data: string, mode: number): Promise<void> {
  const tmp = await writeTmp(target, data, mode);
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * The CA, created when there is none (or when it has expired). Creation is exclusive across processes (a hard
 * link that fails when the file exists), so a server and `lunaroute env` starting together agree on one CA.
 */
export async function ensureCa(
  dataDir: string,
  hosts: readonly string[],
  now = Date.now(),
): Promise<{ ca: Ca; created: boolean }> {
  const existing = await loadCa(dataDir);
  if (existing && existing.notAfter.getTime() > now + DAY_MS) return { ca: existing, created: false };
  if (existing) return { ca: await rotateCa(dataDir, hosts, now), created: true };
  const paths = caPaths(dataDir);
  await ensurePrivateDir(dataDir);
  await ensurePrivateDir(paths.dir);
  const tmp = await writeTmp(paths.key, newBundle(hosts, now), 0o600);
  let created = true;
  try {
    await link(tmp, paths.key);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    created = false; // another process won the race: use its CA
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(paths.dir);
  const ca = await loadCa(dataDir);
  if (!ca) throw new Error(`${paths.key} disappeared while it was being created`);
  return { ca, created };
}

/** Replace the CA with a new key and certificate for `hosts`. Clients must trust the new certificate. */
export async function rotateCa(dataDir: string, hosts: readonly string[], now = Date.now()): Promise<Ca> {
  const paths = caPaths(dataDir);
  await ensurePrivateDir(dataDir);
  await ensurePrivateDir(paths.dir);
  await writeReplacing(paths.key, newBundle(hosts, now), 0o600);
  const ca = await loadCa(dataDir);
  if (!ca) throw new Error(`${paths.key} disappeared while it was being rotated`);
  return ca;
}

/** Delete the key and the certificate. Resolves to false when there was nothing to remove. */
export async function removeCa(dataDir: string): Promise<boolean> {
  const paths = caPaths(dataDir);
  let removed = false;
  for (const file of [paths.key, paths.cert]) {
    try {
      await unlink(file);
      removed = true;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  await rmdir(paths.dir).catch(() => undefined); // only when empty
  return removed;
}

/** Identity of the key file as stored, to notice a rotation or removal by another process cheaply. */
export async function caStamp(dataDir: string): Promise<string | null> {
  try {
    const st = await stat(caPaths(dataDir).key);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
