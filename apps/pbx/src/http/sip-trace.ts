/**
 * Recent SIP messages by Call-ID, for the per-call ladder diagram: every message the SIP server
 * received or sent is summarised (first line, CSeq, peer) and kept with its first bytes, within
 * a memory bound: the newest `maxDialogs` Call-IDs, `maxPerDialog` messages each, `maxBytes` of
 * text per message. A call's ladder is the messages of its legs' Call-IDs, merged by time.
 */

/** One message in a ladder. */
export interface TraceEntry {
  /** Order in which the SIP server saw the messages (times can tie within a millisecond). */
  seq: number;
  at: number;
  direction: 'in' | 'out';
  /** The phone or server on the other side (`address:port`). */
  peer: string;
  callId: string;
  /** `INVITE`, `ACK`, ... for requests; `200 OK`, ... for responses. */
  label: string;
  method: string;
  status?: number;
  cseq: string;
  text: string;
}

export interface SipTraceOptions {
  maxDialogs?: number;
  maxPerDialog?: number;
  maxBytes?: number;
  now?: () => number;
}

const HEADER = (name: string, short: string): RegExp =>
  new RegExp(`^(?:${name}|${short})[ \\t]*:[ \\t]*(.*)$`, 'im');
const CALL_ID = HEADER('call-id', 'i');
const CSEQ = /^cseq[ \t]*:[ \t]*(.*)$/im;

export class SipTrace {
  private readonly byCallId = new Map<string, TraceEntry[]>();
  private readonly maxDialogs: number;
  private readonly maxPerDialog: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private seq = 0;

  constructor(o: SipTraceOptions = {}) {
    this.maxDialogs = o.maxDialogs ?? 500;
    this.maxPerDialog = o.maxPerDialog ?? 64;
    this.maxBytes = o.maxBytes ?? 1500;
    this.now = o.now ?? Date.now;
  }

  /** Records one message; returns its summary (undefined for bytes that are not SIP). */
  add(
    direction: 'in' | 'out',
    data: Buffer,
    peer: { address: string; port: number },
  ): TraceEntry | undefined {
    const text = data.toString('utf8', 0, Math.min(data.length, this.maxBytes));
    const headEnd = text.indexOf('\r\n');
    const first = headEnd < 0 ? text : text.slice(0, headEnd);
    const callId = CALL_ID.exec(text)?.[1]?.trim();
    if (!callId) return undefined;
    const cseq = CSEQ.exec(text)?.[1]?.trim() ?? '';
    const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(first);
    const method = response ? (cseq.split(/\s+/)[1] ?? '') : (first.split(' ')[0] ?? '');
    const entry: TraceEntry = {
      seq: ++this.seq,
      at: this.now(),
      direction,
      peer: `${peer.address}:${peer.port}`,
      callId,
      label: response ? `${response[1]} ${response[2] ?? ''}`.trim() : method,
      method,
      ...(response ? { status: Number(response[1]) } : {}),
      cseq,
      text,
    };
    let list = this.byCallId.get(callId);
    if (list) {
      // Most recently used last, so the oldest dialog is the first key.
      this.byCallId.delete(callId);
    } else {
      list = [];
      while (this.byCallId.size >= this.maxDialogs) {
        const oldest = this.byCallId.keys().next().value;
        if (oldest === undefined) break;
        this.byCallId.delete(oldest);
      }
    }
    this.byCallId.set(callId, list);
    if (list.length < this.maxPerDialog) list.push(entry);
    return entry;
  }

  /** The messages of these Call-IDs, oldest first. */
  ladder(callIds: Iterable<string>): TraceEntry[] {
    const out: TraceEntry[] = [];
    for (const id of new Set(callIds)) out.push(...(this.byCallId.get(id) ?? []));
    return out.sort((a, b) => a.seq - b.seq);
  }

  get dialogs(): number {
    return this.byCallId.size;
  }
}
