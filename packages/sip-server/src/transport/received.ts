import { emptyParams, formatVia, parseVia, rememberTopVia, topViaOf } from '../message';
import type { Params, SipRequest, Via } from '../message/types';
import type { HostPort } from './types';

/** `[::1]` → `::1`; IPv4-mapped IPv6 `::ffff:1.2.3.4` → `1.2.3.4`. */
export function normalizeAddress(address: string): string {
  // Runs per datagram received: an IPv4 source (no colon, no bracket) needs no regex.
  if (address.charCodeAt(0) !== 0x5b && !address.includes(':')) return address.toLowerCase();
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped?.[1] ?? a.toLowerCase();
}

/** Splits a header value at commas outside quotes (Via values have no `<...>`). */
function splitTopLevel(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * RFC 3581 §4 and RFC 3261 §18.2.1, as drachtio does it: every request received gets
 * `rport=<source port>` on its top Via (even when the sender did not ask), and
 * `received=<source ip>` when the Via host differs from the packet source. Returns a new request;
 * the input is not changed. A request without a parsable top Via is returned as is.
 */
export function applyReceived(req: SipRequest, source: HostPort): SipRequest {
  // Runs on every request received: no lower-cased copies of names, no split and join of a
  // Via line holding one value (the usual case), the parsed Via's own params reused.
  const index = req.headers.findIndex((h) => h.name.length === 3 && h.name.toLowerCase() === 'via');
  const header = req.headers[index];
  if (!header) return req;
  const values = header.value.includes(',') ? splitTopLevel(header.value) : undefined;
  let via: Via | undefined;
  if (values) {
    const first = values[0];
    via = first ? parseVia(first) : undefined;
  } else {
    // One value on the line (the usual case): the parser's check has just read it, so this is
    // a lookup. That result is shared and must not change: the new Via gets its own params.
    const shared = topViaOf(header.value);
    if (shared) {
      const params = emptyParams();
      for (const k in shared.params) params[k] = shared.params[k] ?? null;
      via = { transport: shared.transport, host: shared.host, params };
      if (shared.port !== undefined) via.port = shared.port;
    }
  }
  if (!via) return req;
  const params: Params = via.params;
  params.rport = String(source.port);
  const sameHost = via.host === source.address;
  const sourceIp = sameHost ? via.host : normalizeAddress(source.address);
  if (!sameHost && normalizeAddress(via.host) !== sourceIp) params.received = sourceIp;
  else delete params.received;
  const top = formatVia(via);
  let value = top;
  if (values) {
    values[0] = top;
    value = values.join(', ');
  }
  // The transaction layer reads this Via next: it parses to `via`, so no parse is needed.
  rememberTopVia(value, via);
  const headers = req.headers.slice();
  headers[index] = { name: header.name, value };
  return { ...req, headers };
}
