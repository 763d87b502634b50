import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateKey, PasswordCipher, SecretKeyError } from '../src';
import { tempDir } from './helpers';

describe('password key and cipher', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('creates the key once and reads the same key afterwards', () => {
    const path = join(t.dir, 'db.key');
    const a = loadOrCreateKey(path);
    const b = loadOrCreateKey(path);
    expect(a).toHaveLength(32);
    expect(b.equals(a)).toBe(true);
  });

  it('refuses a malformed key file', () => {
    const path = join(t.dir, 'bad.key');
    writeFileSync(path, 'short');
    expect(() => loadOrCreateKey(path)).toThrow(SecretKeyError);
    expect(() => loadOrCreateKey(path)).toThrow(/64 hex digits/);
  });

  it('round-trips, randomises each ciphertext and detects tampering', () => {
    const c = PasswordCipher.ephemeral();
    const x = c.encrypt('secret1');
    const y = c.encrypt('secret1');
    expect(x).not.toBe(y);
    expect(c.decrypt(x)).toBe('secret1');
    const raw = Buffer.from(x.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => c.decrypt(`v1:${raw.toString('base64')}`)).toThrow(SecretKeyError);
    expect(() => PasswordCipher.ephemeral().decrypt(x)).toThrow(/does not decrypt/);
    expect(() => c.decrypt('v9:abc')).toThrow(/unknown format/);
  });
});
