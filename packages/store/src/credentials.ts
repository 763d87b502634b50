import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { SecretKeyError } from './errors';

/** RFC 2617 3.2.2.2: HA1 = MD5(username ":" realm ":" password), lower-case hex. */
export function computeHa1(userId: string, realm: string, password: string): string {
  return createHash('md5').update(`${userId}:${realm}:${password}`, 'utf8').digest('hex');
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for station passwords. The stored form is `v1:<base64 iv|tag|ciphertext>`; the
 * authentication tag makes a tampered value or the wrong key fail instead of decrypting to junk.
 */
export class PasswordCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretKeyError('the password key must be 32 bytes');
    this.key = Buffer.from(key);
  }

  /** A cipher with a fresh random key (in-memory databases and tests). */
  static ephemeral(): PasswordCipher {
    return new PasswordCipher(randomBytes(32));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${VERSION}:${Buffer.concat([iv, tag, body]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    const [version, payload] = stored.split(':', 2);
    if (version !== VERSION || payload === undefined) {
      throw new SecretKeyError('stored password has an unknown format');
    }
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError('stored password is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (err) {
      throw new SecretKeyError('stored password does not decrypt with this key (wrong key file?)', {
        cause: err,
      });
    }
  }
}

/** The key file that belongs to a database file: `<db path>.key`. */
export function defaultKeyPath(dbPath: string): string {
  return `${dbPath}.key`;
}

function parseKey(text: string, path: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new SecretKeyError(`key file ${path} must hold 64 hex digits`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Reads the per-installation password key, creating it (32 random bytes as hex, mode 0600) the
 * first time. The key is written to a temporary file and hard-linked into place, which either
 * succeeds whole or fails with EEXIST: when the CLI and the PBX race, both use the first key.
 */
export function loadOrCreateKey(path: string): Buffer {
  try {
    return parseKey(readFileSync(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof SecretKeyError) throw err;
      throw new SecretKeyError(`cannot read key file ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const hex = randomBytes(32).toString('hex');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${hex}\n`, { flag: 'wx', mode: 0o600 });
    linkSync(tmp, path);
    return Buffer.from(hex, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return parseKey(readFileSync(path, 'utf8'), path);
    }
    throw new SecretKeyError(`cannot create key file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone or never written.
    }
  }
}
