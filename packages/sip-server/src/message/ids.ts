import { randomFillSync } from 'node:crypto';

/** RFC 3261 §8.1.1.7: branches made by RFC 3261 elements start with this magic cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

// Ids are drawn from a pool refilled from the CSPRNG, which is far cheaper than a call per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return out;
}

/** A From/To tag with 64 random bits (RFC 3261 §19.3 asks for at least 32). */
export function randomTag(): string {
  return randomHex(8);
}

/** A Via branch: the magic cookie and 96 random bits. */
export function randomBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomHex(12);
}

/** A Call-ID with 128 random bits. */
export function randomCallId(): string {
  return randomHex(16);
}
