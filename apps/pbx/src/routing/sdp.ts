/**
 * SDP passed through the B2BUA. The body is the phones' own; the PBX only touches the direction
 * attribute (media-direction.ts), the origin line and, when two offers meet (pickup), the list
 * of formats.
 */

/**
 * Keeps the `o=` line of what we send on one dialog consistent (RFC 3264 §8): the same session
 * id for the dialog's life and a version that goes up whenever the body changes. Without it a
 * phone that is moved to a new party (transfer, park, pickup) could see another phone's origin,
 * or a changed body under an old version, and ignore it.
 */
export class SdpOrigin {
  private sessionId: string | undefined;
  private version = 0;
  private lastBody: string | undefined;
  private lastSent: string | undefined;

  /** The body to send, with our origin line. */
  stamp(sdp: string): string {
    if (!sdp) return sdp;
    const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
    const lines = sdp.split(/\r?\n/);
    const i = lines.findIndex((l) => l.startsWith('o='));
    if (i < 0) return sdp;
    const parts = (lines[i] as string).slice(2).split(' ');
    if (parts.length < 6) return sdp;
    const withoutOrigin = lines.filter((_, j) => j !== i).join(eol);
    if (this.sessionId === undefined) {
      this.sessionId = parts[1] as string;
      const v = Number(parts[2]);
      this.version = Number.isSafeInteger(v) ? v : 0;
    } else if (withoutOrigin !== this.lastBody) {
      this.version += 1;
    } else if (this.lastSent !== undefined) {
      return this.lastSent;
    }
    this.lastBody = withoutOrigin;
    parts[1] = this.sessionId;
    parts[2] = String(this.version);
    lines[i] = `o=${parts.join(' ')}`;
    this.lastSent = lines.join(eol);
    return this.lastSent;
  }
}

interface AudioFormats {
  /** Payload types in the m=audio line, in order. */
  readonly pts: string[];
  /** Lower-case `name/rate` of each payload type (static ones from RFC 3551). */
  readonly names: Map<string, string>;
}

const STATIC_PT: Record<string, string> = { '0': 'pcmu/8000', '3': 'gsm/8000', '4': 'g723/8000', '8': 'pcma/8000', '9': 'g722/8000', '18': 'g729/8000' };

function audioFormats(sdp: string): AudioFormats | undefined {
  const lines = sdp.split(/\r?\n/);
  const m = lines.find((l) => l.startsWith('m=audio'));
  if (!m) return undefined;
  const pts = m.split(' ').slice(3).filter(Boolean);
  const names = new Map<string, string>();
  for (const pt of pts) if (STATIC_PT[pt]) names.set(pt, STATIC_PT[pt]);
  for (const l of lines) {
    const r = /^a=rtpmap:(\d+) ([^/\s]+\/\d+)/.exec(l);
    if (r && r[1] && r[2]) names.set(r[1], r[2].toLowerCase());
  }
  return { pts, names };
}

/**
 * When two offers meet (a caller's INVITE and the picking phone's INVITE), each phone's offer is
 * used as the other's answer. RFC 3264 §6 wants an answer to list only formats of the offer, so
 * `counterpart`'s audio formats are cut down to those `offer` also lists (matched by encoding
 * name and rate). Returns undefined when they share none.
 */
export function answerFromOffer(offer: string, counterpart: string): string | undefined {
  const want = audioFormats(offer);
  const have = audioFormats(counterpart);
  if (!want || !have) return counterpart || undefined;
  const wanted = new Set([...want.pts].map((pt) => want.names.get(pt) ?? `pt:${pt}`));
  const keep = have.pts.filter((pt) => wanted.has(have.names.get(pt) ?? `pt:${pt}`));
  if (!keep.some((pt) => !/telephone-event/.test(have.names.get(pt) ?? ''))) return undefined;
  const keepSet = new Set(keep);
  const eol = counterpart.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  let inAudio = false;
  for (const line of counterpart.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      inAudio = line.startsWith('m=audio');
      if (inAudio) {
        const head = line.split(' ').slice(0, 3);
        out.push([...head, ...keep].join(' '));
        continue;
      }
    }
    if (inAudio) {
      const attr = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)/.exec(line);
      if (attr && attr[1] && !keepSet.has(attr[1])) continue;
    }
    out.push(line);
  }
  return out.join(eol);
}
