/** Locating the end of the header block, shared by the datagram parser and the stream framer. */

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

export interface HeaderEnd {
  /** Index of the first byte after the last header line (its line break excluded). */
  headerEnd: number;
  /** Index of the first body byte. */
  bodyStart: number;
}

/**
 * Finds the empty line that ends the headers in `buf[from, to)`. CRLF is the rule; a bare LF
 * empty line is accepted too (@NOTE not RFC compliant: lenient towards hand-written messages).
 */
export function findHeaderEnd(
  buf: Buffer,
  from: number,
  to: number = buf.length,
): HeaderEnd | undefined {
  if (to === buf.length) {
    // The whole buffer (every datagram): no views. A bare-LF empty line counts only before the
    // CRLF one, as below.
    const crlf = buf.indexOf(CRLFCRLF, from);
    const lf = buf.indexOf(LFLF, from);
    if (lf >= 0 && (crlf < 0 || lf <= crlf)) return { headerEnd: lf, bodyStart: lf + 2 };
    if (crlf >= 0) return { headerEnd: crlf, bodyStart: crlf + 4 };
    return undefined;
  }
  const view = buf.subarray(0, to);
  const crlf = view.indexOf(CRLFCRLF, from);
  const lfView = crlf < 0 ? view : buf.subarray(0, crlf + 2);
  const lf = lfView.indexOf(LFLF, from);
  if (lf >= 0) return { headerEnd: lf, bodyStart: lf + 2 };
  if (crlf >= 0) return { headerEnd: crlf, bodyStart: crlf + 4 };
  return undefined;
}

/** Skips CR and LF bytes from `i` (RFC 3261 §7.5: CRLFs before a start line are ignored). */
export function skipLineBreaks(buf: Buffer, i: number, to: number = buf.length): number {
  while (i < to) {
    const c = buf[i];
    if (c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}
