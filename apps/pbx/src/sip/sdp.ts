/**
 * SDP passed through the B2BUA, read and written with sdp-transform. The body is the phones'
 * own; the PBX only touches the direction attribute (hold, state/media-direction.ts decides
 * which), the origin line and, when two offers meet (pickup), the list of formats.
 */
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';

/** The direction attribute of a media stream (RFC 3264 §5.1). */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** sdp-transform writes CRLF; a body that came with bare LF goes back with LF. */
function writeLike(original: string, session: SessionDescription): string {
  const text = write(session);
  return original.includes('\r\n') ? text : text.replace(/\r\n/g, '\n');
}

/** Where the `o=` line's session id and version sit in a body, and their text. */
interface OriginFields {
  /** Where the session id starts and the version ends within the body. */
  readonly idAt: number;
  readonly versionEnd: number;
  readonly sessionId: string;
  readonly version: string;
}

/**
 * `o=<username> <sess-id> <sess-version> <nettype> IP<n> <address>` (RFC 4566 §5.2) in the
 * body, read where sdp-transform's grammar would accept it; undefined when there is none.
 */
const ORIGIN = /^o=(\S*) (\d*) (\d*) \S* IP\d \S*/m;

function originFields(sdp: string): OriginFields | undefined {
  const m = ORIGIN.exec(sdp);
  if (!m) return undefined;
  const user = m[1] ?? '';
  const sessionId = m[2] ?? '';
  const version = m[3] ?? '';
  const idAt = m.index + 2 + user.length + 1;
  const versionEnd = idAt + sessionId.length + 1 + version.length;
  return { idAt, versionEnd, sessionId, version };
}

/**
 * The body as sdp-transform writes it under a fixed origin (session id and version 0): what
 * "changed" compares, so a body that only differs in its origin numbers or its layout is the
 * same body.
 */
function comparable(sdp: string): string {
  const session = parse(sdp);
  const origin = session.origin;
  return origin
    ? write({ ...session, origin: { ...origin, sessionId: 0, sessionVersion: 0 } })
    : sdp;
}

/**
 * Keeps the `o=` line of what we send on one dialog consistent (RFC 3264 §8): the same session
 * id for the dialog's life and a version that goes up whenever the body changes. Without it a
 * phone that is moved to a new party (transfer, park, pickup) could see another phone's origin,
 * or a changed body under an old version, and ignore it.
 *
 * Only the two numbers of the origin line are rewritten, in the text; the rest of the body goes
 * out as it came. A dialog's first body (every call has one per leg) is never parsed; whether a
 * later body changed is decided on sdp-transform's reading of both, once a second body comes.
 */
export class SdpOrigin {
  private sessionId: string | undefined;
  private version = 0;
  /** The body last stamped as it came, and its comparable form once computed. */
  private lastBody: string | undefined;
  private lastComparable: string | undefined;
  private lastSent: string | undefined;

  /** The body to send, with our origin line. */
  stamp(sdp: string): string {
    if (!sdp) return sdp;
    const fields = originFields(sdp);
    if (!fields) return sdp;
    if (this.sessionId === undefined) {
      this.sessionId = fields.sessionId;
      const v = Number(fields.version);
      this.version = Number.isSafeInteger(v) ? v : 0;
      this.lastComparable = undefined;
    } else if (sdp === this.lastBody && this.lastSent !== undefined) {
      return this.lastSent;
    } else {
      const now = comparable(sdp);
      this.lastComparable ??= this.lastBody === undefined ? undefined : comparable(this.lastBody);
      if (now !== this.lastComparable) this.version += 1;
      else if (this.lastSent !== undefined) {
        this.lastBody = sdp;
        return this.lastSent;
      }
      this.lastComparable = now;
    }
    this.lastBody = sdp;
    this.lastSent =
      sdp.slice(0, fields.idAt) +
      `${this.sessionId} ${this.version}` +
      sdp.slice(fields.versionEnd);
    return this.lastSent;
  }
}

/** Static payload types of RFC 3551, lower-case `name/rate`. */
const STATIC_PT: Readonly<Record<string, string>> = {
  '0': 'pcmu/8000',
  '3': 'gsm/8000',
  '4': 'g723/8000',
  '8': 'pcma/8000',
  '9': 'g722/8000',
  '18': 'g729/8000',
};

function firstAudio(session: SessionDescription): MediaDescription | undefined {
  return session.media.find((m) => m.type === 'audio');
}

function payloadTypes(m: MediaDescription): string[] {
  return String(m.payloads ?? '')
    .split(' ')
    .filter(Boolean);
}

/** Lower-case `name/rate` of each payload type of the stream, or `pt:<n>` when unknown. */
function formatNames(m: MediaDescription): Map<string, string> {
  const names = new Map<string, string>();
  for (const pt of payloadTypes(m)) names.set(pt, STATIC_PT[pt] ?? `pt:${pt}`);
  for (const r of m.rtp) names.set(String(r.payload), `${r.codec}/${r.rate ?? ''}`.toLowerCase());
  return names;
}

/**
 * When two offers meet (a caller's INVITE and the picking phone's INVITE), each phone's offer is
 * used as the other's answer. RFC 3264 §6 wants an answer to list only formats of the offer, so
 * `counterpart`'s audio formats are cut down to those `offer` also lists (matched by encoding
 * name and rate). Returns undefined when they share none.
 */
export function answerFromOffer(offer: string, counterpart: string): string | undefined {
  const session = parse(counterpart);
  const wantAudio = firstAudio(parse(offer));
  const haveAudio = firstAudio(session);
  if (!wantAudio || !haveAudio) return counterpart || undefined;
  const wantNames = formatNames(wantAudio);
  const wanted = new Set(payloadTypes(wantAudio).map((pt) => wantNames.get(pt)));
  const haveNames = formatNames(haveAudio);
  const keep = payloadTypes(haveAudio).filter((pt) => wanted.has(haveNames.get(pt)));
  if (!keep.some((pt) => !(haveNames.get(pt) ?? '').startsWith('telephone-event')))
    return undefined;
  const kept = new Set(keep);
  for (const m of session.media) {
    if (m.type !== 'audio') continue;
    m.payloads = keep.join(' ');
    m.rtp = m.rtp.filter((r) => kept.has(String(r.payload)));
    m.fmtp = m.fmtp.filter((f) => kept.has(String(f.payload)));
    if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => kept.has(String(f.payload)));
  }
  return writeLike(counterpart, session);
}

/**
 * The direction of the first audio stream of an SDP body: its media-level attribute, else the
 * session-level one, else `sendrecv` (RFC 3264 §5.1). A `c=` address of 0.0.0.0 is the old
 * RFC 2543 hold (RFC 3264 §8.4): the sender does not want to receive.
 */
export function sdpDirection(sdp: string): SdpDirection {
  const session = parse(sdp);
  const audio = firstAudio(session);
  const d: SdpDirection = audio?.direction ?? session.direction ?? 'sendrecv';
  const ip = audio?.connection?.ip ?? session.connection?.ip;
  if (ip !== '0.0.0.0') return d;
  return d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive';
}

/** The SDP body with the session-level direction removed and `direction` on every stream. */
export function withDirection(sdp: string, direction: SdpDirection): string {
  if (!sdp) return sdp;
  const session = parse(sdp);
  delete session.direction;
  for (const m of session.media) m.direction = direction;
  return writeLike(sdp, session);
}
