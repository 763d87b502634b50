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
const RESPONSE_LINE = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/;
/** The spellings every peer of ours uses, found with a byte search. */
const CALL_ID_FAST = Buffer.from('\r\nCall-ID:');
const CSEQ_FAST = Buffer.from('\r\nCSeq:');
const REGISTER_LINE = Buffer.from('REGISTER ');
const STATUS_LINE = Buffer.from('SIP/2.0 ');
const REGISTER_CSEQ_TAIL = Buffer.from(' REGISTER\r\n');

/** What {@link SipTrace.add} says about a message: what the metrics count. */
export interface TraceSummary {
  method: string;
  /** The status code of a response; undefined for a request. */
  status?: number;
}

const REGISTER_REQUEST: TraceSummary = Object.freeze({ method: 'REGISTER' });
/** The summaries of REGISTER responses, one per status code (there are at most 900). */
const registerResponses = new Map<number, TraceSummary>();

function registerResponse(status: number): TraceSummary {
  let s = registerResponses.get(status);
  if (s === undefined) {
    s = Object.freeze({ method: 'REGISTER', status });
    registerResponses.set(status, s);
  }
  return s;
}

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 48 && b <= 57;

/** Whether `raw` has a non-empty `Call-ID:` header in the spelling of {@link CALL_ID_FAST}. */
function hasCallId(raw: Buffer): boolean {
  const at = raw.indexOf(CALL_ID_FAST);
  if (at < 0) return false;
  let i = at + CALL_ID_FAST.length;
  while (raw[i] === 0x20 || raw[i] === 0x09) i++;
  return i < raw.length && raw[i] !== 0x0d;
}

/**
 * The summary of a REGISTER or of a response to one, read from bytes without decoding any text;
 * undefined for anything else or any spelling but the usual one (the full parse then decides).
 * A registration storm is most of the traffic, and a REGISTER is counted, never kept.
 */
function registerSummary(raw: Buffer): TraceSummary | undefined {
  if (raw.compare(REGISTER_LINE, 0, REGISTER_LINE.length, 0, REGISTER_LINE.length) === 0)
    return hasCallId(raw) ? REGISTER_REQUEST : undefined;
  const n = STATUS_LINE.length;
  if (raw.compare(STATUS_LINE, 0, n, 0, n) !== 0) return undefined;
  if (!isDigit(raw[n]) || !isDigit(raw[n + 1]) || !isDigit(raw[n + 2])) return undefined;
  if (raw[n + 3] !== 0x20 && raw[n + 3] !== 0x0d) return undefined;
  const cseq = raw.indexOf(CSEQ_FAST);
  if (cseq < 0) return undefined;
  const end = raw.indexOf('\r\n', cseq + CSEQ_FAST.length);
  const tail = REGISTER_CSEQ_TAIL.length;
  if (end < 0 || raw.compare(REGISTER_CSEQ_TAIL, 0, tail, end + 2 - tail, end + 2) !== 0)
    return undefined;
  if (!hasCallId(raw)) return undefined;
  return registerResponse((raw[n]! - 48) * 100 + (raw[n + 1]! - 48) * 10 + (raw[n + 2]! - 48));
}

/** The trimmed value of the header that starts with `name` (CRLF included), if present. */
function headerOf(raw: Buffer, name: Buffer): string | undefined {
  const at = raw.indexOf(name);
  if (at < 0) return undefined;
  const start = at + name.length;
  const end = raw.indexOf('\r\n', start);
  if (end < 0) return undefined;
  return raw.toString('utf8', start, end).trim();
}

/** A recorded message: its summary, and its first bytes decoded only when asked for. */
class StoredEntry implements TraceEntry {
  constructor(
    readonly seq: number,
    readonly at: number,
    readonly direction: 'in' | 'out',
    readonly peer: string,
    readonly callId: string,
    readonly label: string,
    readonly method: string,
    readonly status: number | undefined,
    readonly cseq: string,
    /**
     * The bytes as a latin1 string (one byte a character): the caller's bytes are reused by the
     * transport, and one copy into the JS heap is lighter than a Buffer of its own.
     */
    private readonly raw: string,
  ) {}

  get text(): string {
    return Buffer.from(this.raw, 'latin1').toString('utf8');
  }

  /** The plain entry (what the API serialises). */
  toJSON(): TraceEntry {
    const { seq, at, direction, peer, callId, label, method, status, cseq } = this;
    return {
      seq,
      at,
      direction,
      peer,
      callId,
      label,
      method,
      ...(status !== undefined ? { status } : {}),
      cseq,
      text: this.text,
    };
  }
}

export class SipTrace {
  private readonly byCallId = new Map<string, StoredEntry[]>();
  private readonly maxDialogs: number;
  private readonly maxPerDialog: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private seq = 0;
  /** The Call-ID last added to (the last key of `byCallId`). */
  private newest: string | undefined;

  constructor(o: SipTraceOptions = {}) {
    this.maxDialogs = o.maxDialogs ?? 500;
    this.maxPerDialog = o.maxPerDialog ?? 64;
    this.maxBytes = o.maxBytes ?? 1500;
    this.now = o.now ?? Date.now;
  }

  /**
   * Records one message; returns its summary (undefined for bytes that are not SIP). Called for
   * every message the SIP server sends or receives, so it reads the few fields it needs straight
   * from the bytes and keeps a copy of them; the text is decoded only when a ladder is asked for.
   * REGISTER transactions are summarised (for the metrics) but not kept: a ladder is a call's,
   * and a registration never shares a call's Call-ID, so under a registration storm the trace
   * neither copies their bytes nor pushes calls' dialogs out; in the usual spelling they are
   * recognised from their bytes, without decoding any text.
   */
  add(
    direction: 'in' | 'out',
    data: Buffer,
    peer: { address: string; port: number },
  ): TraceSummary | undefined {
    const view = data.length > this.maxBytes ? data.subarray(0, this.maxBytes) : data;
    const register = registerSummary(view);
    if (register !== undefined) return register;
    const headEnd = view.indexOf('\r\n');
    const first = view.toString('latin1', 0, headEnd < 0 ? view.length : headEnd);
    let callId = headerOf(view, CALL_ID_FAST);
    let cseq = headerOf(view, CSEQ_FAST);
    if (callId === undefined || cseq === undefined) {
      // Another spelling (lower case, compact form, space before the colon): the full parse.
      const text = view.toString('utf8');
      callId = CALL_ID.exec(text)?.[1]?.trim();
      cseq = CSEQ.exec(text)?.[1]?.trim() ?? '';
    }
    if (!callId) return undefined;
    const response = first.startsWith('SIP/') ? RESPONSE_LINE.exec(first) : null;
    const method = response ? (cseq.split(/\s+/)[1] ?? '') : (first.split(' ')[0] ?? '');
    const status = response ? Number(response[1]) : undefined;
    // A REGISTER in another spelling: counted, not kept, as above.
    if (method === 'REGISTER')
      return status === undefined ? REGISTER_REQUEST : registerResponse(status);
    const entry = new StoredEntry(
      ++this.seq,
      this.now(),
      direction,
      `${peer.address}:${peer.port}`,
      callId,
      response ? `${response[1]} ${response[2] ?? ''}`.trim() : method,
      method,
      status,
      cseq,
      view.toString('latin1'),
    );
    let list = this.byCallId.get(callId);
    if (list) {
      // Most recently used last, so the oldest dialog is the first key (already so when this
      // dialog was the last one seen, as it mostly is).
      if (callId !== this.newest) {
        this.byCallId.delete(callId);
        this.byCallId.set(callId, list);
      }
    } else {
      list = [];
      while (this.byCallId.size >= this.maxDialogs) {
        const oldest = this.byCallId.keys().next().value;
        if (oldest === undefined) break;
        this.byCallId.delete(oldest);
      }
      this.byCallId.set(callId, list);
    }
    this.newest = callId;
    if (list.length < this.maxPerDialog) list.push(entry);
    return entry;
  }

  /** The messages of these Call-IDs, oldest first. */
  ladder(callIds: Iterable<string>): TraceEntry[] {
    const out: StoredEntry[] = [];
    for (const id of new Set(callIds)) out.push(...(this.byCallId.get(id) ?? []));
    return out.sort((a, b) => a.seq - b.seq).map((e) => e.toJSON());
  }

  get dialogs(): number {
    return this.byCallId.size;
  }
}
