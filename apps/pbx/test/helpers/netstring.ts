/** Netstring framing (`len:payload,`) as baresip's ctrl_tcp module speaks it. */

/**
 * Splits a netstring stream (`len:payload,`, `len` in bytes) into payloads; returns the unread
 * rest. Works on bytes: a payload with multi-byte UTF-8 counted in characters would mis-frame
 * every message after it. Throws on a stream that is not netstrings (no way to resynchronise).
 */
export function netstrings(buffer: Buffer, out: string[]): Buffer {
  for (;;) {
    const colon = buffer.indexOf(0x3a);
    if (colon < 0) {
      if (buffer.length > 10) throw new Error('ctrl_tcp: not a netstring length');
      return buffer;
    }
    const digits = buffer.subarray(0, colon).toString('latin1');
    if (!/^\d{1,9}$/.test(digits)) throw new Error(`ctrl_tcp: bad netstring length ${digits}`);
    const len = Number(digits);
    const end = colon + 1 + len;
    if (buffer.length < end + 1) return buffer;
    if (buffer[end] !== 0x2c) throw new Error('ctrl_tcp: netstring without its comma');
    out.push(buffer.subarray(colon + 1, end).toString('utf8'));
    buffer = buffer.subarray(end + 1);
  }
}
