// The per-install tokenization secret: 32 random bytes in `<dataDir>/redaction.key`, created on first use with
// mode 0600 (atomically: write a temp file, then hard-link it into place, so two processes racing on first start
// agree on one secret). The HMAC key used for tokens is derived from it with HKDF, never the secret itself.
// Threat model: protects tokens against dictionary reversal by anyone without read access to the data dir;
// it cannot protect against a local attacker who can read the file (they can recompute every token).
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'; // prettier-ignore
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LunaRouteError } from '../../src-shared/errors.js';

export const SECRET_FILE_NAME = 'redaction.key';
const SECRET_BYTES = 32;
const HKDF_SALT = 'lunaroute-pii-redaction-v1';
const HKDF_INFO = 'hmac-tokenization-key';

/**
 * Read the install secret from `<dataDir>/redaction.key`, creating it (0600, dir 0700) on first use. Synchronous:
 * call it once at start-up, not per request. Throws LunaRouteError (SECRET_CORRUPT) if the file exists but is corrupt
 * (regenerating silently would change every token already recorded).
 */
export function loadOrCreateSecret(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SECRET_FILE_NAME);
  try {
    return readSecret(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(SECRET_BYTES).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file); // fails with EEXIST if another process won the race: use theirs
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readSecret(file);
}

function readSecret(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new LunaRouteError(
      'SECRET_CORRUPT',
      `redaction secret ${file} is not 64 hex characters; restore it from a backup, or delete it to create a new ` +
        'one (tokens recorded so far will then no longer match new ones)',
    );
  }
  // Tighten a file someone made group/world readable rather than keep using it as is.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return Buffer.from(text, 'hex');
}

/** HKDF-SHA256(secret, salt `lunaroute-pii-redaction-v1`, info `hmac-tokenization-key`) → 32-byte HMAC key. */
export function deriveTokenKey(secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32));
}

/** A short public fingerprint of the token key, so a policy version changes when the secret does. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update('fingerprint:').update(key).digest('hex').slice(0, 8);
}
