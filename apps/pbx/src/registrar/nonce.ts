/**
 * Digest nonces that need no table to check: each nonce carries its issue time and a random part,
 * signed with a key that lives only in this process (HMAC-SHA256). A nonce older than the time to
 * live is stale; a restart makes every earlier nonce invalid, so phones are simply challenged
 * again.
 *
 * Replay protection (RFC 7616 §3.3 nonce-count): the highest nonce count seen per nonce is kept in
 * a bounded LRU. When an entry is pushed out, its issue time raises a watermark, and a nonce issued
 * at or before the watermark that is no longer tracked is refused as stale, so eviction can never
 * let a replay through.
 */
import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { NonceCounts } from './nonce-counts';

/** Default nonce lifetime: 5 minutes. */
export const DEFAULT_NONCE_TTL_MS = 5 * 60_000;
/** Default number of nonces whose count is tracked. */
export const DEFAULT_MAX_TRACKED_NONCES = 65_536;

const TIME_BYTES = 6;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const TOTAL_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
/** A nonce dated this far in the future is a forgery, not clock skew. */
const FUTURE_SLACK_MS = 5_000;
/** Count recorded for a nonce used without qop: any further use is a replay. */
const SINGLE_USE = Number.MAX_SAFE_INTEGER;
/** SHA-256's block size: HMAC pads its key to it (RFC 2104). */
const SHA256_BLOCK = 64;
const SHA256_BYTES = 32;

export interface NonceOptions {
  /** HMAC key; random per process by default. */
  key?: Buffer;
  /** Lifetime, or a function read at each check (so `pbx config set` applies at once). */
  ttlMs?: number | (() => number);
  maxTracked?: number;
}

/**
 * A nonce {@link NonceService.check} found ours and fresh: its issue time and its 64 random bits
 * (as two 32-bit halves), which identify it to {@link NonceService.use}.
 */
export interface ValidNonce {
  kind: 'valid';
  issuedAt: number;
  hi: number;
  lo: number;
}

/** What {@link NonceService.check} found out about a nonce. */
export type NonceState = ValidNonce | { kind: 'stale'; issuedAt: number } | { kind: 'invalid' };

export class NonceService {
  /**
   * HMAC-SHA256 (RFC 2104) as two one-shot hashes over buffers made once: `inner` is
   * (key XOR ipad) followed by room for the message, `outer` (key XOR opad) followed by room for
   * the inner hash. The same MAC as `createHmac`, without a new Hmac object per nonce (which cost
   * more than the hashing).
   */
  private readonly inner: Buffer;
  private readonly outer: Buffer;
  private readonly ttl: () => number;
  private readonly counts: NonceCounts;
  private watermark = -1;
  /**
   * Random bytes for nonces, drawn from the CSPRNG 4 KiB at a time: one randomBytes call per
   * nonce cost ~40 µs (a crypto job each), a sixth of a registration. Same source, same bits.
   */
  private readonly pool = Buffer.alloc(RANDOM_BYTES * 512);
  private poolOffset = this.pool.length;

  constructor(opts: NonceOptions = {}) {
    let key = opts.key ?? randomBytes(32);
    if (key.length > SHA256_BLOCK) key = hash('sha256', key, 'buffer');
    this.inner = Buffer.alloc(SHA256_BLOCK + TIME_BYTES + RANDOM_BYTES);
    this.outer = Buffer.alloc(SHA256_BLOCK + SHA256_BYTES);
    for (let i = 0; i < SHA256_BLOCK; i++) {
      const k = key[i] ?? 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
    const ttl = opts.ttlMs ?? DEFAULT_NONCE_TTL_MS;
    this.ttl = typeof ttl === 'function' ? ttl : () => ttl;
    this.counts = new NonceCounts(opts.maxTracked ?? DEFAULT_MAX_TRACKED_NONCES);
  }

  /** The lifetime in force now (ms). */
  get ttlMs(): number {
    return this.ttl();
  }

  /** A fresh nonce issued at `now` (epoch ms). */
  issue(now: number): string {
    const buf = Buffer.alloc(TOTAL_BYTES);
    buf.writeUIntBE(Math.max(0, Math.floor(now)), 0, TIME_BYTES);
    if (this.poolOffset + RANDOM_BYTES > this.pool.length) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    this.pool.copy(buf, TIME_BYTES, this.poolOffset, this.poolOffset + RANDOM_BYTES);
    // Each random part is used once.
    this.poolOffset += RANDOM_BYTES;
    this.mac(buf.subarray(0, TIME_BYTES + RANDOM_BYTES)).copy(buf, TIME_BYTES + RANDOM_BYTES);
    return buf.toString('base64url');
  }

  /** Whether `nonce` is ours and still fresh at `now`. Does not record anything. */
  check(nonce: string, now: number): NonceState {
    if (nonce.length !== Math.ceil((TOTAL_BYTES * 4) / 3)) return { kind: 'invalid' };
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== TOTAL_BYTES || buf.toString('base64url') !== nonce)
      return { kind: 'invalid' };
    const expected = this.mac(buf.subarray(0, TIME_BYTES + RANDOM_BYTES));
    if (!timingSafeEqual(expected, buf.subarray(TIME_BYTES + RANDOM_BYTES)))
      return { kind: 'invalid' };
    const issuedAt = buf.readUIntBE(0, TIME_BYTES);
    if (issuedAt > now + FUTURE_SLACK_MS) return { kind: 'invalid' };
    if (now - issuedAt > this.ttlMs) return { kind: 'stale', issuedAt };
    return {
      kind: 'valid',
      issuedAt,
      hi: buf.readUInt32BE(TIME_BYTES),
      lo: buf.readUInt32BE(TIME_BYTES + 4),
    };
  }

  /**
   * Records a use of a nonce {@link check} found valid, with nonce count `nc` (undefined when the
   * client sent no qop). Returns 'ok' for a count higher than any seen before, 'replayed' for one
   * already used, and 'forgotten' when the nonce is no longer tracked (treat it as stale and
   * challenge again).
   */
  use(nonce: ValidNonce, nc: number | undefined): 'ok' | 'replayed' | 'forgotten' {
    const count = nc ?? SINGLE_USE;
    const { hi, lo, issuedAt } = nonce;
    const seen = this.counts.find(hi, lo);
    if (seen < 0) {
      if (issuedAt <= this.watermark) return 'forgotten';
      const evicted = this.counts.add(hi, lo, count, issuedAt);
      if (evicted) this.watermark = Math.max(this.watermark, evicted.issuedAt);
      return 'ok';
    }
    if (nc === undefined || this.counts.countOf(seen) >= count) return 'replayed';
    this.counts.setCount(seen, count);
    return 'ok';
  }

  /** Number of nonces whose count is tracked (bounded by `maxTracked`). */
  get tracked(): number {
    return this.counts.size;
  }

  /** HMAC-SHA256 of `data` (TIME_BYTES + RANDOM_BYTES long), cut to MAC_BYTES. */
  private mac(data: Buffer): Buffer {
    data.copy(this.inner, SHA256_BLOCK);
    hash('sha256', this.inner, 'buffer').copy(this.outer, SHA256_BLOCK);
    return hash('sha256', this.outer, 'buffer').subarray(0, MAC_BYTES);
  }
}
