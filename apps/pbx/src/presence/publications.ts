/**
 * Presence a client publishes itself (RFC 3903 PUBLISH of PIDF, RFC 3863): the status text
 * (`<note>`) and open/closed, per station, with entity tags and expiry. The presence package
 * shows a live publication over what the PBX derives (registration, calls, DND).
 */
import { randomBytes } from 'node:crypto';

/** What a publication says. */
export interface PublishedState {
  readonly basic?: 'open' | 'closed';
  readonly note?: string;
}

interface Publication extends PublishedState {
  readonly etag: string;
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

/** The outcome of a PUBLISH (RFC 3903 §6). */
export type PublishOutcome =
  | { readonly status: 200; readonly etag: string; readonly expires: number }
  | { readonly status: 400 | 412; readonly reason: string };

const NOTE = /<(?:[A-Za-z0-9_-]+:)?note(?:\s[^>]*)?>([\s\S]*?)<\/(?:[A-Za-z0-9_-]+:)?note>/;
const BASIC = /<(?:[A-Za-z0-9_-]+:)?basic>\s*(open|closed)\s*<\//;

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The note and basic status of a PIDF document (the first of each); undefined when not PIDF. */
export function readPidf(body: string): PublishedState | undefined {
  if (!/<(?:[A-Za-z0-9_-]+:)?presence[\s>]/.test(body)) return undefined;
  const note = NOTE.exec(body)?.[1];
  const basic = BASIC.exec(body)?.[1] as 'open' | 'closed' | undefined;
  return {
    ...(basic ? { basic } : {}),
    ...(note !== undefined ? { note: unescapeXml(note.trim()).slice(0, 200) } : {}),
  };
}

export class Publications {
  private readonly byTel = new Map<string, Publication>();

  constructor(
    private readonly onChanged: (tel: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live publication of a station, if any. */
  get(tel: string): PublishedState | undefined {
    return this.byTel.get(tel);
  }

  /**
   * One PUBLISH: `ifMatch` is the SIP-If-Match entity tag (refresh, modify, remove), `body` the
   * PIDF (absent on a refresh), `expires` the granted expiry (0 removes).
   */
  publish(
    tel: string,
    ifMatch: string | undefined,
    body: string | undefined,
    expires: number,
  ): PublishOutcome {
    const current = this.byTel.get(tel);
    if (ifMatch !== undefined && current?.etag !== ifMatch)
      return { status: 412, reason: 'unknown entity tag' };
    if (ifMatch === undefined && !body)
      return { status: 400, reason: 'initial PUBLISH without a body' };
    if (expires === 0) {
      this.remove(tel);
      return { status: 200, etag: ifMatch ?? '', expires: 0 };
    }
    let state: PublishedState | undefined = current;
    if (body) {
      state = readPidf(body);
      if (!state) return { status: 400, reason: 'not a PIDF document' };
    }
    if (current?.timer) clearTimeout(current.timer);
    const etag = randomBytes(8).toString('hex');
    const pub: Publication = { ...state, etag, expiresAt: this.now() + expires * 1000 };
    pub.timer = setTimeout(() => {
      if (this.byTel.get(tel) === pub) this.remove(tel);
    }, expires * 1000);
    pub.timer.unref();
    this.byTel.set(tel, pub);
    if (body) this.onChanged(tel);
    return { status: 200, etag, expires };
  }

  stop(): void {
    for (const p of this.byTel.values()) clearTimeout(p.timer);
    this.byTel.clear();
  }

  private remove(tel: string): void {
    const p = this.byTel.get(tel);
    if (!p) return;
    clearTimeout(p.timer);
    this.byTel.delete(tel);
    this.onChanged(tel);
  }
}
