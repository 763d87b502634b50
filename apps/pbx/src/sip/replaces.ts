/** The dialog-naming header values call control reads itself: Replaces and Refer-To (pure). */
import { parseSipUri } from './header-values';

/** The dialog a `Replaces` header names (RFC 3891 §6.1). */
export interface ReplacesHeader {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
  readonly earlyOnly: boolean;
}

/** `Replaces: call-id;to-tag=x;from-tag=y[;early-only]` (RFC 3891 §6.1). */
export function parseReplaces(value: string | undefined): ReplacesHeader | undefined {
  if (!value) return undefined;
  const [callId, ...params] = value.split(';').map((p) => p.trim());
  if (!callId) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1);
    if (key === 'to-tag') toTag = v;
    else if (key === 'from-tag') fromTag = v;
    else if (key === 'early-only') earlyOnly = true;
  }
  if (toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}

/** What a REFER asks for (RFC 3515): the target's user part, and a Replaces for attended transfer. */
export interface ReferTarget {
  readonly uri: string;
  readonly user: string;
  readonly replaces?: ReplacesHeader;
}

/**
 * `Refer-To: <sip:203@pbx?Replaces=abc%40host%3Bto-tag%3Dx%3Bfrom-tag%3Dy>` → user `203` and the
 * decoded Replaces (RFC 3891 §7: it travels as an escaped URI header).
 */
export function parseReferTo(value: string | undefined): ReferTarget | undefined {
  if (!value) return undefined;
  const inner = /<([^>]*)>/.exec(value)?.[1] ?? value.trim().split(';')[0] ?? '';
  // A broken escape in the user part is refused rather than read literally.
  if (/^sips?:[^@]*%(?![0-9a-f]{2})/i.test(inner)) return undefined;
  const parsed = parseSipUri(inner);
  if (!parsed?.user) return undefined;
  const uri = inner.split('?', 1)[0] ?? '';
  const name = Object.keys(parsed.headers).find((h) => h.toLowerCase() === 'replaces');
  const replaces = name === undefined ? undefined : parseReplaces(parsed.headers[name]);
  return replaces ? { uri, user: parsed.user, replaces } : { uri, user: parsed.user };
}
