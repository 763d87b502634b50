/**
 * The checks RFC 3261 §8.2.2 asks of every UAS before a request reaches the application: the
 * Request-URI scheme (416) and the extensions the request requires (420 with Unsupported). The
 * server makes them so that no application can forget them; each refusal names its reason.
 */
import type { SipHeader, SipRequest } from '../message/types';
import { sameHeaderName } from '../message/header-names';
import { getHeaders } from '../message';

/** URI schemes a Request-URI may use here; anything else is refused with 416. */
export const SUPPORTED_REQUEST_URI_SCHEMES: readonly string[] = ['sip', 'sips', 'tel'];

/**
 * Option tags honoured unless the server is told otherwise: `timer` (RFC 4028, the server runs
 * session timers), `100rel` (RFC 3262, the server sends reliable provisionals and matches PRACK)
 * and `replaces` (RFC 3891, passed to the application, which the PBX handles).
 */
export const DEFAULT_SUPPORTED_OPTION_TAGS: readonly string[] = ['100rel', 'replaces', 'timer'];

/** A refusal: status, reason phrase, extra headers, and why (for the log). */
export interface Refusal {
  status: 416 | 420;
  headers: { name: string; value: string }[];
  why: string;
}

/**
 * Checks a request (not ACK, whose answer would be nothing, nor CANCEL, which RFC 3261 §8.2.2.3
 * exempts). Returns undefined when it may go on.
 */
export function checkRequest(
  req: SipRequest,
  supportedTags: ReadonlySet<string>,
): Refusal | undefined {
  const colon = req.uri.indexOf(':');
  const scheme = colon > 0 ? req.uri.slice(0, colon).toLowerCase() : '';
  if (!SUPPORTED_REQUEST_URI_SCHEMES.includes(scheme)) {
    return { status: 416, headers: [], why: `Request-URI scheme "${scheme.slice(0, 32)}"` };
  }
  const unknown = unsupportedTags(req, supportedTags);
  if (unknown.length > 0) {
    return {
      status: 420,
      headers: [{ name: 'Unsupported', value: unknown.join(', ') }],
      why: `unsupported option tags ${unknown.join(', ').slice(0, 200)}`,
    };
  }
  return undefined;
}

const REQUIRE_HEADERS = ['Require', 'Proxy-Require'];
const NONE: string[] = [];

function isRequireHeader(h: SipHeader): boolean {
  return sameHeaderName(h.name, 'Require') || sameHeaderName(h.name, 'Proxy-Require');
}

/**
 * Tags in Require and Proxy-Require that we do not support, in order, without duplicates. The
 * server ends every request it takes (it is a UAS, or a B2BUA that cannot honour an extension on
 * the next hop), so tags a proxy would have to support are refused as well (RFC 4475 §3.3.5).
 */
export function unsupportedTags(req: SipRequest, supportedTags: ReadonlySet<string>): string[] {
  // Runs on every request, and most carry neither header: no set or lists made for those.
  if (!req.headers.some(isRequireHeader)) return NONE;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const name of REQUIRE_HEADERS) {
    for (const value of getHeaders(req, name)) {
      for (const raw of value.split(',')) {
        const tag = raw.trim();
        const key = tag.toLowerCase();
        if (tag.length === 0 || supportedTags.has(key) || seen.has(key)) continue;
        seen.add(key);
        out.push(tag);
      }
    }
  }
  return out;
}
