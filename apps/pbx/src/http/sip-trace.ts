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
const CRLF = Buffer.from('\r\n');
const SIP_SLASH = Buffer.from('SIP/');
const STATUS_LINE = Buffer.from('SIP/2.0 ');
const REGISTER_CSEQ_TAIL = Buffer.from(' REGISTER\r\n');

/** What {@link SipTrace.add} says about a message: what the metrics count. */
export interface TraceSummary {
  method: string;
  /** The status code of a response; undefined for a request. */
  status?: number;
}

/** The methods whose summaries are shared (one object per method and status). */
const KNOWN_METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'INFO',
  'MESSAGE',
  'PRACK',
  'UPDATE',
  'PUBLISH',
].map((name) => ({ name, bytes: Buffer.from(name, 'latin1') }));

/**
 * Shared summaries of the known methods, by method then status (0 for the request): every
 * message returns one, so a summary costs nothing per message. Other methods come from the wire
 * and get a summary of their own (not kept, so a flood of odd methods grows nothing).
 */
const summaries = new Map<string, Map<number, TraceSummary>>(
  KNOWN_METHODS.map(({ name }) => [name, new Map()]),
);

function summaryOf(method: string, status: number | undefined): TraceSummary {
  const byStatus = summaries.get(method);
  if (byStatus === undefined) return status === undefined ? { method } : { method, status };
  const key = status ?? 0;
  let s = byStatus.get(key);
  if (s === undefined) {
    s = Object.freeze(status === undefined ? { method } : { method, status });
    // Statuses come from the wire too: at most 900 three-digit codes per method.
    byStatus.set(key, s);
  }
  return s;
}

const REGISTER_REQUEST = summaryOf('REGISTER', undefined);
const registerResponse = (status: number): TraceSummary => summaryOf('REGISTER', status);

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
  const end = raw.indexOf(CRLF, cseq + CSEQ_FAST.length);
  const tail = REGISTER_CSEQ_TAIL.length;
  if (end < 0 || raw.compare(REGISTER_CSEQ_TAIL, 0, tail, end + 2 - tail, end + 2) !== 0)
    return undefined;
  if (!hasCallId(raw)) return undefined;
  return registerResponse((raw[n]! - 48) * 100 + (raw[n + 1]! - 48) * 10 + (raw[n + 2]! - 48));
}

/** ASCII white space, as `String.prototype.trim` removes it (HT, LF, VT, FF, CR, space). */
const isSpace = (b: number | undefined): boolean =>
  b === 0x20 || (b !== undefined && b >= 0x09 && b <= 0x0d);

/**
 * Where the value of the header that starts with `name` (CRLF included) lies, ASCII white space
 * trimmed off both ends: `[start, end)`; undefined when absent or unterminated.
 */
function headerRange(raw: Buffer, name: Buffer): [number, number] | undefined {
  const at = raw.indexOf(name);
  if (at < 0) return undefined;
  let start = at + name.length;
  let end = raw.indexOf(CRLF, start);
  if (end < 0) return undefined;
  while (start < end && isSpace(raw[start])) start++;
  while (end > start && isSpace(raw[end - 1])) end--;
  return [start, end];
}

/** The text of `raw[start, end)` decoded as UTF-8 and trimmed (as a string's `trim`). */
function textOf(raw: Buffer, start: number, end: number): string {
  const s = raw.toString('utf8', start, end);
  const last = s.length - 1;
  // Only a value with non-ASCII ends can hold white space the byte trim left (NBSP, ...).
  return last >= 0 && (s.charCodeAt(0) > 0x7f || s.charCodeAt(last) > 0x7f) ? s.trim() : s;
}

/** The trimmed value of the header that starts with `name` (CRLF included), if present. */
function headerOf(raw: Buffer, name: Buffer): string | undefined {
  const r = headerRange(raw, name);
  return r === undefined ? undefined : textOf(raw, r[0], r[1]);
}

/**
 * The known method spelled at `raw[start, end)`, or undefined: the shared name, so a message's
 * method costs no string of its own.
 */
function knownMethod(raw: Buffer, start: number, end: number): string | undefined {
  const n = end - start;
  for (const m of KNOWN_METHODS)
    if (m.bytes.length === n && raw.compare(m.bytes, 0, n, start, end) === 0) return m.name;
  return undefined;
}

/**
 * Method and status read from bytes in the usual spelling: a request line `METHOD uri ...`, or
 * `SIP/2.0 NNN reason` with the method from an all-ASCII `CSeq: n METHOD`. Undefined when the
 * message needs the text path of {@link slowSummary}, which gives the same answer.
 */
function fastSummary(
  raw: Buffer,
  lineEnd: number,
  cseq: [number, number],
): TraceSummary | undefined {
  const n = STATUS_LINE.length;
  if (raw.compare(STATUS_LINE, 0, n, 0, n) !== 0) {
    if (raw[0] === 0x53 && raw.compare(SIP_SLASH, 0, SIP_SLASH.length, 0, SIP_SLASH.length) === 0)
      return undefined;
    let sp = raw.indexOf(0x20);
    if (sp < 0 || sp > lineEnd) sp = lineEnd;
    const method = knownMethod(raw, 0, sp) ?? raw.toString('latin1', 0, sp);
    return summaryOf(method, undefined);
  }
  if (!isDigit(raw[n]) || !isDigit(raw[n + 1]) || !isDigit(raw[n + 2])) return undefined;
  if (raw[n + 3] !== 0x20 && n + 3 !== lineEnd) return undefined;
  const status = (raw[n]! - 48) * 100 + (raw[n + 1]! - 48) * 10 + (raw[n + 2]! - 48);
  // `CSeq: 1 INVITE`: the number, one run of blanks, the method to the end.
  let i = cseq[0];
  const end = cseq[1];
  while (i < end && raw[i]! > 0x20 && raw[i]! < 0x7f) i++;
  if (i === cseq[0] || (raw[i] !== 0x20 && raw[i] !== 0x09)) return undefined;
  while (raw[i] === 0x20 || raw[i] === 0x09) i++;
  const from = i;
  while (i < end && raw[i]! > 0x20 && raw[i]! < 0x7f) i++;
  if (i !== end || from === end) return undefined;
  return summaryOf(knownMethod(raw, from, end) ?? raw.toString('latin1', from, end), status);
}

/** Method and status from the text: any spelling (the reference for {@link fastSummary}). */
function slowSummary(first: string, cseq: string): TraceSummary {
  const response = first.startsWith('SIP/') ? RESPONSE_LINE.exec(first) : null;
  const method = response ? (cseq.split(/\s+/)[1] ?? '') : (first.split(' ')[0] ?? '');
  return summaryOf(method, response ? Number(response[1]) : undefined);
}

/** The label of a ladder entry: `INVITE`, `180 Ringing`, from the first line. */
function labelOf(first: string, method: string): string {
  const response = first.startsWith('SIP/') ? RESPONSE_LINE.exec(first) : null;
  return response ? `${response[1]} ${response[2] ?? ''}`.trim() : method;
}

/** The CSeq value of a kept message (usual spelling, else the text parse). */
function cseqOf(raw: Buffer): string {
  const fast = headerOf(raw, CSEQ_FAST);
  if (fast !== undefined && headerRange(raw, CALL_ID_FAST) !== undefined) return fast;
  return CSEQ.exec(raw.toString('utf8'))?.[1]?.trim() ?? '';
}

/**
 * A recorded message: what the metrics need, and its first bytes; label, CSeq, peer and text
 * are read from those bytes only when a ladder is asked for.
 */
class StoredEntry implements TraceEntry {
  constructor(
    readonly seq: number,
    readonly at: number,
    readonly direction: 'in' | 'out',
    private readonly address: string,
    private readonly port: number,
    readonly callId: string,
    private readonly summary: TraceSummary,
    private readonly dialog: Dialog,
    /** Where the message's bytes lie in its dialog's buffer. */
    private readonly offset: number,
    private readonly length: number,
  ) {}

  /** The bytes kept (the first maxBytes of the message). */
  private get raw(): Buffer {
    return this.dialog.bytes.subarray(this.offset, this.offset + this.length);
  }

  get method(): string {
    return this.summary.method;
  }

  get status(): number | undefined {
    return this.summary.status;
  }

  get peer(): string {
    return `${this.address}:${this.port}`;
  }

  get label(): string {
    const lineEnd = this.raw.indexOf(CRLF);
    return labelOf(
      this.raw.toString('latin1', 0, lineEnd < 0 ? this.raw.length : lineEnd),
      this.method,
    );
  }

  get cseq(): string {
    return cseqOf(this.raw);
  }

  get text(): string {
    return this.raw.toString('utf8');
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

/** The smallest buffer of a dialog's messages (a call leg's first few). */
const FIRST_BUFFER = 4096;

/**
 * The messages kept for one Call-ID, with the Call-ID every entry shares, and a buffer of their
 * own that holds copies of their bytes back to back (the transport reuses the caller's):
 * outside the JavaScript heap, so the collector neither copies nor marks them however long they
 * are kept, and freed with the dialog, so no message keeps memory of another dialog alive. It
 * doubles when full: at most twice the bytes kept.
 */
class Dialog {
  readonly entries: StoredEntry[] = [];
  bytes: Buffer;
  private used = 0;

  constructor(
    readonly callId: string,
    first: number,
  ) {
    this.bytes = Buffer.allocUnsafeSlow(Math.max(FIRST_BUFFER, first));
  }

  /** Copies `data` in; returns where it lies. */
  append(data: Buffer): number {
    const at = this.used;
    const need = at + data.length;
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, need));
      this.bytes.copy(grown, 0, 0, at);
      this.bytes = grown;
    }
    data.copy(this.bytes, at);
    this.used = need;
    return at;
  }
}

export class SipTrace {
  private readonly byCallId = new Map<string, Dialog>();
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
    const crlf = view.indexOf(CRLF);
    const lineEnd = crlf < 0 ? view.length : crlf;
    const callIdAt = headerRange(view, CALL_ID_FAST);
    const cseqAt = headerRange(view, CSEQ_FAST);
    let callId: string | undefined;
    let summary: TraceSummary | undefined;
    if (callIdAt !== undefined && cseqAt !== undefined) {
      callId = textOf(view, callIdAt[0], callIdAt[1]);
      summary = fastSummary(view, lineEnd, cseqAt);
      summary ??= slowSummary(
        view.toString('latin1', 0, lineEnd),
        textOf(view, cseqAt[0], cseqAt[1]),
      );
    } else {
      // Another spelling (lower case, compact form, space before the colon): the full parse.
      const text = view.toString('utf8');
      callId = CALL_ID.exec(text)?.[1]?.trim();
      if (callId) {
        const cseq = CSEQ.exec(text)?.[1]?.trim() ?? '';
        summary = slowSummary(view.toString('latin1', 0, lineEnd), cseq);
      }
    }
    if (!callId || summary === undefined) return undefined;
    // A REGISTER in another spelling: counted, not kept, as above.
    if (summary.method === 'REGISTER') return summary;
    let dialog = this.byCallId.get(callId);
    if (dialog) {
      // Most recently used last, so the oldest dialog is the first key (already so when this
      // dialog was the last one seen, as it mostly is).
      if (callId !== this.newest) {
        this.byCallId.delete(callId);
        this.byCallId.set(callId, dialog);
      }
    } else {
      dialog = new Dialog(callId, view.length);
      while (this.byCallId.size >= this.maxDialogs) {
        const oldest = this.byCallId.keys().next().value;
        if (oldest === undefined) break;
        this.byCallId.delete(oldest);
      }
      this.byCallId.set(callId, dialog);
    }
    this.newest = dialog.callId;
    if (dialog.entries.length < this.maxPerDialog) {
      const offset = dialog.append(view);
      dialog.entries.push(
        new StoredEntry(
          ++this.seq,
          this.now(),
          direction,
          peer.address,
          peer.port,
          dialog.callId,
          summary,
          dialog,
          offset,
          view.length,
        ),
      );
    }
    return summary;
  }

  /** The messages of these Call-IDs, oldest first. */
  ladder(callIds: Iterable<string>): TraceEntry[] {
    const out: StoredEntry[] = [];
    for (const id of new Set(callIds)) out.push(...(this.byCallId.get(id)?.entries ?? []));
    return out.sort((a, b) => a.seq - b.seq).map((e) => e.toJSON());
  }

  get dialogs(): number {
    return this.byCallId.size;
  }
}
