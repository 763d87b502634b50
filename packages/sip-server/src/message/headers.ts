import { splitHeaderValues } from './grammar';
import { canonicalHeaderName, isListHeader, sameHeaderName } from './header-names';
import type { SipHeader, SipMessage } from './types';

/** Minimal shape the helpers need, so builders of partial messages can use them too. */
type WithHeaders = Pick<SipMessage, 'headers'>;

function indexOfHeader(headers: SipHeader[], canonical: string): number {
  for (let i = 0; i < headers.length; i++) {
    if (sameHeaderName((headers[i] as SipHeader).name, canonical)) return i;
  }
  return -1;
}

/** Value of the first header called `name` (case-insensitive; compact or full name), as written. */
export function getHeader(msg: WithHeaders, name: string): string | undefined {
  const canonical = canonicalHeaderName(name);
  const { headers } = msg;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as SipHeader;
    if (sameHeaderName(h.name, canonical)) return h.value;
  }
  return undefined;
}

/**
 * All values of `name` in order. For list headers (Via, Route, Record-Route, Contact, Allow,
 * Supported, Require, Accept, ...) comma-separated elements are split, respecting quoted strings
 * and `<...>`; other headers (WWW-Authenticate, Authorization, Date, ...) give one value per line.
 */
export function getHeaders(msg: WithHeaders, name: string): string[] {
  const canonical = canonicalHeaderName(name);
  const split = isListHeader(canonical);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (!sameHeaderName(h.name, canonical)) continue;
    if (split) {
      for (const v of splitHeaderValues(h.value)) out.push(v);
    } else {
      out.push(h.value);
    }
  }
  return out;
}

export function hasHeader(msg: WithHeaders, name: string): boolean {
  return indexOfHeader(msg.headers, canonicalHeaderName(name)) >= 0;
}

/**
 * Replaces every header called `name` by one line with `value`, at the position of the first
 * one (appended when there is none). Mutates `msg.headers` in place.
 */
export function setHeader(msg: WithHeaders, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  const first = indexOfHeader(msg.headers, canonical);
  if (first < 0) {
    msg.headers.push({ name: canonical, value });
    return;
  }
  const { headers } = msg;
  for (let i = headers.length - 1; i > first; i--) {
    if (sameHeaderName((headers[i] as SipHeader).name, canonical)) headers.splice(i, 1);
  }
  headers[first] = { name: canonical, value };
}

/** Appends a header line. */
export function addHeader(msg: WithHeaders, name: string, value: string): void {
  msg.headers.push({ name: canonicalHeaderName(name), value });
}

/**
 * Inserts a header line before the first header called `name`; when there is none, a Via goes to
 * the very top and anything else is appended.
 */
export function prependHeader(msg: WithHeaders, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  const first = indexOfHeader(msg.headers, canonical);
  const at = first >= 0 ? first : canonical === 'Via' ? 0 : msg.headers.length;
  msg.headers.splice(at, 0, { name: canonical, value });
}

/** Removes every header called `name` in place; returns how many lines were removed. */
export function removeHeader(msg: WithHeaders, name: string): number {
  const canonical = canonicalHeaderName(name);
  const { headers } = msg;
  let removed = 0;
  for (let i = headers.length - 1; i >= 0; i--) {
    if (sameHeaderName((headers[i] as SipHeader).name, canonical)) {
      headers.splice(i, 1);
      removed++;
    }
  }
  return removed;
}
