/**
 * Character classes and small lexical helpers of the RFC 3261 §25.1 grammar, shared by the
 * header, URI and parameter parsers. Everything works on JavaScript strings of decoded header
 * text; callers keep the raw text for serialisation.
 */

function table(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** RFC 3261 §25.1 `token`: alphanum and `-.!%*_+\`'~`. */
export const TOKEN_CHARS = table("-.!%*_+`'~");
/** `unreserved` = alphanum / mark. */
export const UNRESERVED = table("-_.!~*'()");
/** `user-unreserved` plus unreserved: what may appear unescaped in the user part of a SIP URI. */
export const USER_CHARS = table("-_.!~*'()&=+$,;?/");
/** Password characters: unreserved plus `&=+$,`. */
export const PASSWORD_CHARS = table("-_.!~*'()&=+$,");
/** `paramchar` (without escapes): unreserved plus `[]/:&+$`. */
export const PARAM_CHARS = table("-_.!~*'()[]/:&+$");
/** `hname`/`hvalue` characters (without escapes): unreserved plus `[]/?:+$`. */
export const HEADER_CHARS = table("-_.!~*'()[]/?:+$");
/** Host name characters (lenient: underscore is accepted, as many stacks do). */
export const HOST_CHARS = table('-._');

/** True when every character of `s` is in `t` (and `s` is non-empty). */
export function allIn(s: string, t: Uint8Array): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return allIn(s, TOKEN_CHARS);
}

/** Removes SP and HTAB at both ends (String.prototype.trim would also eat U+FEFF, NBSP...). */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** SP or HTAB. */
export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Index just past the closing quote of a quoted string whose opening quote is at `start`, or -1
 * when it is not terminated. A backslash escapes the next character (RFC 3261 `quoted-pair`).
 */
export function skipQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** Removes surrounding quotes and resolves backslash escapes; other strings come back as is. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  const inner = s.slice(1, -1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\([\s\S])/g, '$1');
}

/** Wraps `s` in double quotes, escaping `"` and `\`. */
export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Splits a header value at top-level commas: commas inside quoted strings or `<...>` do not
 * count. Elements are trimmed and empty ones dropped.
 */
export function splitHeaderValues(value: string): string[] {
  // Fast path: no comma at all.
  if (value.indexOf(',') < 0) {
    const v = trimLws(value);
    return v.length > 0 ? [v] : [];
  }
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const end = skipQuoted(value, i);
      if (end < 0) break; // Unterminated quote: the rest is one element.
      i = end - 1;
    } else if (c === 0x3c) angle = true;
    else if (c === 0x3e) angle = false;
    else if (c === 0x2c && !angle) {
      const v = trimLws(value.slice(start, i));
      if (v.length > 0) out.push(v);
      start = i + 1;
    }
  }
  const last = trimLws(value.slice(start));
  if (last.length > 0) out.push(last);
  return out;
}

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Resolves `%XX` escapes (RFC 3261 §19.1.2); escaped octets are read as UTF-8. A `%` not followed
 * by two hex digits stays literal.
 */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (!isEscape(s, i)) {
      out += s[i];
      i++;
      continue;
    }
    const bytes: number[] = [];
    while (isEscape(s, i)) {
      bytes.push(hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2)));
      i += 3;
    }
    out += Buffer.from(bytes).toString('utf8');
  }
  return out;
}

function isEscape(s: string, i: number): boolean {
  return (
    i + 2 < s.length &&
    s.charCodeAt(i) === 0x25 &&
    hexVal(s.charCodeAt(i + 1)) >= 0 &&
    hexVal(s.charCodeAt(i + 2)) >= 0
  );
}

/** Escapes every character of `s` outside `allowed` as `%XX` of its UTF-8 octets. */
export function escapeUri(s: string, allowed: Uint8Array): string {
  let ok = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || allowed[c] !== 1) {
      ok = false;
      break;
    }
  }
  if (ok) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c < 128 && allowed[c] === 1) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}
