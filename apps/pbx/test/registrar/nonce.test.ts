import { createHmac } from 'node:crypto';
import { NonceService } from '../../src/registrar/nonce';

const T0 = 1_800_000_000_000;

/** What check says of a valid nonce `n` issued at `at`: its random bytes 6–13 identify it. */
function validState(
  n: string,
  at: number,
): { kind: 'valid'; issuedAt: number; hi: number; lo: number } {
  const raw = Buffer.from(n, 'base64url');
  return { kind: 'valid', issuedAt: at, hi: raw.readUInt32BE(6), lo: raw.readUInt32BE(10) };
}

describe('NonceService.check', () => {
  const svc = new NonceService({ ttlMs: 300_000 });

  test('a fresh nonce is valid and carries its issue time', () => {
    const n = svc.issue(T0);
    expect(n).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(svc.check(n, T0 + 1_000)).toEqual(validState(n, T0));
    expect(svc.issue(T0)).not.toBe(n);
  });

  test('nonces issued in one millisecond stay distinct and valid across refills of the random pool', () => {
    const many = new NonceService({ ttlMs: 300_000 });
    const issued = Array.from({ length: 2_000 }, () => many.issue(T0));
    expect(new Set(issued).size).toBe(2_000);
    // The random parts (bytes 6..13) differ too, not only the MACs.
    const randomParts = issued.map((n) =>
      Buffer.from(n, 'base64url').subarray(6, 14).toString('hex'),
    );
    expect(new Set(randomParts).size).toBe(2_000);
    for (const n of issued) expect(many.check(n, T0)).toEqual(validState(n, T0));
  });

  test('the MAC is HMAC-SHA256 of time and random part under the key, for short and long keys', () => {
    for (const key of [Buffer.alloc(32, 7), Buffer.from('k'), Buffer.alloc(100, 3)]) {
      const keyed = new NonceService({ key, ttlMs: 300_000 });
      for (let i = 0; i < 3; i++) {
        const raw = Buffer.from(keyed.issue(T0 + i), 'base64url');
        const want = createHmac('sha256', key).update(raw.subarray(0, 14)).digest();
        expect(raw.subarray(14).toString('hex')).toBe(want.subarray(0, 16).toString('hex'));
      }
      // A nonce made under another key is refused.
      expect(keyed.check(svc.issue(T0), T0)).toEqual({ kind: 'invalid' });
    }
  });

  test('older than the time to live is stale', () => {
    const n = svc.issue(T0);
    expect(svc.check(n, T0 + 300_000).kind).toBe('valid');
    expect(svc.check(n, T0 + 300_001)).toEqual({ kind: 'stale', issuedAt: T0 });
  });

  test('a lifetime given as a function is read at each check (config changes apply at once)', () => {
    let ttl = 300_000;
    const live = new NonceService({ ttlMs: () => ttl });
    const n = live.issue(T0);
    expect(live.check(n, T0 + 60_001).kind).toBe('valid');
    ttl = 60_000;
    expect(live.check(n, T0 + 60_001).kind).toBe('stale');
    expect(live.ttlMs).toBe(60_000);
  });

  test('tampered, foreign, truncated or future nonces are invalid', () => {
    const n = svc.issue(T0);
    const flipped = n[5] === 'A' ? 'B' : 'A';
    expect(svc.check(n.slice(0, 5) + flipped + n.slice(6), T0).kind).toBe('invalid');
    expect(svc.check(new NonceService().issue(T0), T0).kind).toBe('invalid');
    expect(svc.check(n.slice(0, 39), T0).kind).toBe('invalid');
    expect(svc.check(`${n.slice(0, 39)}=`, T0).kind).toBe('invalid');
    expect(svc.check('', T0).kind).toBe('invalid');
    expect(svc.check(svc.issue(T0 + 60_000), T0).kind).toBe('invalid');
  });

  test('the same key checks nonces of another instance (restart with a configured key)', () => {
    const key = Buffer.alloc(32, 7);
    expect(new NonceService({ key }).check(new NonceService({ key }).issue(T0), T0).kind).toBe(
      'valid',
    );
  });
});

describe('NonceService.use (nonce-count replay)', () => {
  /** Uses nonce `n` as the registrar does: checked first (20 s after T0), then its count. */
  function use(svc: NonceService, n: string, nc: number | undefined): string {
    const state = svc.check(n, T0 + 20_000);
    if (state.kind !== 'valid') throw new Error(`nonce ${state.kind}`);
    return svc.use(state, nc);
  }

  test('counts must rise; a repeated or lower count is a replay', () => {
    const svc = new NonceService();
    const n = svc.issue(T0);
    expect(use(svc, n, 1)).toBe('ok');
    expect(use(svc, n, 1)).toBe('replayed');
    expect(use(svc, n, 3)).toBe('ok');
    expect(use(svc, n, 2)).toBe('replayed');
    expect(use(svc, n, undefined)).toBe('replayed');
  });

  test('without qop a nonce is good for one use only', () => {
    const svc = new NonceService();
    const n = svc.issue(T0);
    expect(use(svc, n, undefined)).toBe('ok');
    expect(use(svc, n, undefined)).toBe('replayed');
    expect(use(svc, n, 99)).toBe('replayed');
  });

  test('memory is bounded; an evicted nonce is never accepted again, newer ones still are', () => {
    const svc = new NonceService({ maxTracked: 3 });
    const old = [0, 1, 2, 3].map((i) => svc.issue(T0 + i));
    for (const n of old) expect(use(svc, n, 1)).toBe('ok');
    expect(svc.tracked).toBe(3);
    // The first one was pushed out: a replay of it must not pass.
    expect(use(svc, old[0]!, 2)).toBe('forgotten');
    // An unused nonce issued before the watermark is also refused (the client gets a new one).
    expect(use(svc, svc.issue(T0), 1)).toBe('forgotten');
    // A nonce issued later is fine.
    expect(use(svc, svc.issue(T0 + 10), 1)).toBe('ok');
    for (let i = 0; i < 1_000; i++) use(svc, svc.issue(T0 + 100 + i), 1);
    expect(svc.tracked).toBe(3);
  });

  test('thousands of nonces are each tracked by their own random bits', () => {
    const svc = new NonceService({ maxTracked: 20_000 });
    const issued = Array.from({ length: 10_000 }, (_, i) => svc.issue(T0 + i));
    for (const n of issued) expect(use(svc, n, 1)).toBe('ok');
    expect(svc.tracked).toBe(10_000);
    for (const n of issued) expect(use(svc, n, 1)).toBe('replayed');
    for (const n of issued) expect(use(svc, n, 2)).toBe('ok');
  });
});
