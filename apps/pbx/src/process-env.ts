/**
 * The PBX process reads its environment once, at start-up.
 *
 * `process.env` is not an object but an interceptor: every property read calls getenv(3) and
 * makes a new string. drachtio-srf reads `process.env.DRACHTIO_PRESERVE_HEADER_NAMES` once for
 * every header it parses or sets (sip-parser/parser.js getHeaderName), which made that function
 * 5-7 % of the main thread's time under a registration storm. We may not change drachtio-srf, but
 * the process entry may decide how its own environment is held: {@link snapshotProcessEnv} puts a
 * plain object with the same variables in its place, so each of those reads is a property load.
 *
 * What this changes, and why each is acceptable for the PBX process (and only there: it is called
 * from main.ts, never from library code or tests):
 * - Nothing in the PBX writes its environment after start-up; a write would land in the object
 *   only. It would not reach getenv(3) in native code (libuv, SQLite, OpenSSL read theirs at
 *   start-up anyway), would not be coerced to a string, and assigning `TZ` would no longer reset
 *   the time zone (Node does that in the interceptor): the time zone is the one the PBX started
 *   with, as it already was for everything that read it at start-up.
 * - Child processes and worker threads inherit `process.env` by default; they get the object,
 *   with the same variables as before.
 */

let snapshotTaken = false;

/** Replaces `process.env` by a plain copy of it (see the file comment); idempotent. */
export function snapshotProcessEnv(): void {
  if (snapshotTaken) return;
  const snapshot: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) snapshot[name] = value;
  process.env = snapshot;
  snapshotTaken = true;
}
