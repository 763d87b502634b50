import { skipQuoted, TOKEN_CHARS, isWs } from './grammar';
import type { Params } from './types';

/**
 * Constructor of empty maps whose prototype is an empty object without a prototype: nothing is
 * inherited (`in`, `for…in` see own keys only) and `__proto__` is a plain key, as with
 * `Object.create(null)`, but V8 keeps these objects in fast mode with shared shapes.
 * `Object.create(null)` makes a dictionary-mode object, which on the hot path (every Via,
 * From, To and URI of every message has one or more maps) cost ~25 times the time and several
 * hundred bytes of garbage per map.
 */
const NullProtoMap = function (this: object) {} as unknown as new () => Record<string, never>;
NullProtoMap.prototype = Object.create(null) as object;

/** An empty map with no inherited keys (see {@link NullProtoMap}); `__proto__` is a plain key. */
export function emptyMap<T>(): Record<string, T> {
  return new NullProtoMap() as Record<string, T>;
}

/** An empty parameter map without inherited keys, so names like `__proto__` are plain keys. */
export function emptyParams(): Params {
  return emptyMap<string | null>();
}

/**
 * Parses header parameters (RFC 3261 `generic-param`): `;name[=value]` repeated, with optional
 * whitespace around `;` and `=`, an optional leading `;`. Names are lower-cased; values are kept
 * as written (a quoted value keeps its quotes: use `unquote`). A flag parameter maps to `null`.
 * Returns undefined on an empty name, a missing value after `=`, or an unterminated quote.
 */
export function parseParams(s: string): Params | undefined {
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) === 0x3b) i++;
  else if (i >= s.length) return emptyParams();
  const params = emptyParams();
  return parseParamList(s, i, params) ? params : undefined;
}

/**
 * Parses `param *( ";" param )` from `s` at `i` (just after a `;`) into `into`; the whole rest of
 * the string must be consumed. Returns false on a syntax error.
 */
export function parseParamList(s: string, i: number, into: Params): boolean {
  const n = s.length;
  for (;;) {
    i = skipWs(s, i);
    const nameStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
      i++;
    }
    if (i === nameStart) return false;
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      if (s.charCodeAt(i) === 0x22) {
        const end = skipQuoted(s, i);
        if (end < 0) return false;
        value = s.slice(i, end);
        i = end;
      } else {
        const valueStart = i;
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === 0x3b || isWs(c) || c === 0x22 || c === 0x2c) break;
          i++;
        }
        if (i === valueStart) return false;
        value = s.slice(valueStart, i);
      }
      i = skipWs(s, i);
    }
    if (!(name in into)) into[name] = value;
    if (i >= n) return true;
    if (s.charCodeAt(i) !== 0x3b) return false;
    i++;
  }
}

/** `;name=value;flag` for every entry, in insertion order. */
export function formatParams(params: Params): string {
  let out = '';
  for (const k in params) {
    const v = params[k];
    out += v === null || v === undefined ? `;${k}` : `;${k}=${v}`;
  }
  return out;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}
