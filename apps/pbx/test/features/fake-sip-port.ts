/**
 * A fake of the call engine's SIP port (engine/sip-port.ts) for the feature runner unit tests:
 * phones' INVITEs are made by the test, everything the PBX sends is recorded, and the test
 * answers, refuses, hangs up or re-INVITEs as the phone would.
 */
import {
  SipStatusError,
  type CallSipPort,
  type IncomingDialogRequest,
  type IncomingInvite,
  type IncomingReinvite,
  type NameAddrView,
  type OutgoingInvite,
  type OutgoingInviteEvents,
  type OutgoingInviteOptions,
  type ReplacesHeader,
  type ResponseOptions,
  type SipDialog,
} from '../../src/engine/sip-port';
import { sdpDirection } from '../../src/sip/sdp';

/** The direction a phone answers an offer with (RFC 3264 §6.1). */
const ANSWER_DIRECTION = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
} as const;

let counter = 0;
const nextId = (what: string): string => `${what}-${++counter}`;

/** An SDP offer of a phone with its own origin and port. */
export function phoneSdp(name: string, direction = 'sendrecv', formats = '0 8'): string {
  return [
    'v=0',
    `o=${name} 100 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${4000 + (counter % 100) * 2} RTP/AVP ${formats}`,
    `a=${direction}`,
    '',
  ].join('\r\n');
}

/** A confirmed dialog with a phone: what the PBX sent on it, and the phone's side of it. */
export class FakeDialog implements SipDialog {
  readonly callId: string;
  readonly localTag = nextId('local');
  readonly remoteTag = nextId('remote');
  connected = true;
  /** Re-INVITE bodies the PBX sent. */
  readonly reinvites: string[] = [];
  /** In-dialog requests the PBX sent (NOTIFY, ...). */
  readonly requests: Array<{ method: string; headers: Record<string, string>; body: string }> = [];
  byeSent = false;
  private readonly byeListeners: Array<() => void> = [];
  private readonly reinviteListeners: Array<(r: IncomingReinvite) => void> = [];
  private readonly ackListeners: Array<(sdp: string | undefined, cseq: number) => void> = [];
  /** CSeq of the phone's last INVITE or re-INVITE (the ACK of its 2xx carries the same). */
  private cseq = 1;
  private readonly requestListeners = new Map<string, (r: IncomingDialogRequest) => void>();
  /** How the phone answers our re-INVITEs: its SDP with the direction it would answer. */
  answerReinvite: (offer: string) => string | SipStatusError;

  constructor(
    public remoteSdp: string,
    readonly phone: string,
    callId?: string,
  ) {
    this.callId = callId ?? nextId('call');
    this.answerReinvite = (offer) => phoneSdp(phone, ANSWER_DIRECTION[sdpDirection(offer)]);
  }

  onBye(listener: () => void): void {
    this.byeListeners.push(listener);
  }
  onReinvite(listener: (r: IncomingReinvite) => void): void {
    this.reinviteListeners.push(listener);
  }
  onAck(listener: (sdp: string | undefined, cseq: number) => void): void {
    this.ackListeners.push(listener);
  }
  onRequest(
    method: 'REFER' | 'NOTIFY' | 'INFO',
    listener: (r: IncomingDialogRequest) => void,
  ): void {
    this.requestListeners.set(method, listener);
  }

  async reinvite(sdp: string): Promise<string> {
    if (!this.connected) throw new SipStatusError(481);
    this.reinvites.push(sdp);
    const answer = this.answerReinvite(sdp);
    if (answer instanceof SipStatusError) throw answer;
    this.remoteSdp = answer;
    return answer;
  }

  async request(
    method: 'NOTIFY' | 'INFO' | 'REFER',
    options: { headers?: Record<string, string>; body?: string },
  ): Promise<number> {
    if (!this.connected) return 481;
    this.requests.push({ method, headers: options.headers ?? {}, body: options.body ?? '' });
    return 200;
  }

  async bye(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    this.byeSent = true;
  }

  /** The phone hangs up. */
  hangUp(): void {
    if (!this.connected) return;
    this.connected = false;
    for (const l of this.byeListeners) l();
  }

  /** The phone sends a re-INVITE; resolves with our answer (or the status we refused with). */
  phoneReinvite(sdp: string): Promise<{ answer?: string; status?: number }> {
    const cseq = ++this.cseq;
    return new Promise((resolve) => {
      for (const l of this.reinviteListeners) {
        l({
          sdp,
          cseq,
          accept: (answer) => resolve({ answer }),
          reject: (status) => resolve({ status }),
        });
      }
    });
  }

  /** The phone sends a REFER; resolves with our response status. */
  phoneRefer(referTo: string): Promise<number> {
    return new Promise((resolve) => {
      const l = this.requestListeners.get('REFER');
      if (!l) {
        resolve(405);
        return;
      }
      l({
        method: 'REFER',
        body: '',
        header: (name) => (name.toLowerCase() === 'refer-to' ? referTo : undefined),
        respond: (status) => resolve(status),
      });
    });
  }

  /** sipfrag status lines of the NOTIFYs we sent. */
  notifyStatuses(): number[] {
    return this.requests
      .filter((r) => r.method === 'NOTIFY')
      .map((r) => Number(/^SIP\/2\.0 (\d{3})/.exec(r.body)?.[1]));
  }
}

/** A phone's INVITE to the PBX. */
export class FakeIncomingInvite implements IncomingInvite {
  readonly callId = nextId('invite');
  readonly fromTag = nextId('from');
  readonly from: NameAddrView;
  readonly to: NameAddrView;
  readonly requestUri: string;
  readonly source: { address: string; port: number; protocol: string };
  cancelled = false;
  localTag: string | undefined;
  /** Provisional statuses we sent. */
  readonly provisional: number[] = [];
  /** The final status we sent (200 when answered). */
  final: number | undefined;
  /** Our answer SDP and the dialog, once answered. */
  answerSdp: string | undefined;
  dialog: FakeDialog | undefined;
  private readonly cancelListeners: Array<() => void> = [];

  constructor(
    readonly phone: string,
    readonly requestUser: string,
    readonly sdp: string,
    readonly replaces?: ReplacesHeader,
  ) {
    this.from = {
      uri: `sip:${phone}@pbx.local`,
      user: phone,
      host: 'pbx.local',
      tag: this.fromTag,
    };
    this.to = { uri: `sip:${requestUser}@pbx.local`, user: requestUser, host: 'pbx.local' };
    this.requestUri = `sip:${requestUser}@pbx.local`;
    this.source = { address: '127.0.0.1', port: 5000 + Number(phone.slice(-2)), protocol: 'udp' };
  }

  header(): string | undefined {
    return undefined;
  }

  async progress(status: 180 | 183): Promise<string | undefined> {
    this.provisional.push(status);
    this.localTag ??= nextId('to');
    return this.localTag;
  }

  reject(status: number, _options?: ResponseOptions): void {
    if (this.final !== undefined) return;
    this.final = status;
  }

  /** When set, our 200 stays unconfirmed (no ACK yet) until the test calls `confirm()`. */
  holdAck = false;
  private confirmAck: (() => void) | undefined;

  async answer(sdp: string): Promise<SipDialog> {
    if (this.final !== undefined) throw new SipStatusError(487);
    this.final = 200;
    this.answerSdp = sdp;
    if (this.holdAck) await new Promise<void>((resolve) => (this.confirmAck = resolve));
    this.dialog = new FakeDialog(this.sdp, this.phone, this.callId);
    return this.dialog;
  }

  /** The phone's ACK to our 200 arrives (with `holdAck`). */
  confirm(): void {
    this.confirmAck?.();
  }

  onCancel(listener: () => void): void {
    this.cancelListeners.push(listener);
  }

  /** The phone sends CANCEL. */
  cancel(): void {
    this.cancelled = true;
    if (this.final === undefined) this.final = 487;
    for (const l of this.cancelListeners) l();
  }
}

/** An INVITE the PBX sent to a phone, answered or refused by the test. */
export class FakeOutgoingInvite implements OutgoingInvite {
  readonly answered: Promise<SipDialog>;
  cancelled = false;
  readonly callId = nextId('out');
  dialog: FakeDialog | undefined;
  private resolve!: (d: SipDialog) => void;
  private fail!: (err: unknown) => void;

  constructor(
    readonly options: OutgoingInviteOptions,
    readonly events: OutgoingInviteEvents,
  ) {
    this.answered = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.fail = reject;
    });
    events.onSent?.({ callId: this.callId, fromTag: nextId('tag') });
  }

  /** The station number in the To header. */
  get station(): string {
    return /sip:([^@]+)@/.exec(this.options.to)?.[1] ?? '';
  }

  ring(): void {
    this.events.onProvisional?.(180, { toTag: nextId('to') });
  }

  answer(sdp = phoneSdp(this.station)): FakeDialog {
    this.dialog = new FakeDialog(sdp, this.station, this.callId);
    this.resolve(this.dialog);
    return this.dialog;
  }

  refuse(status: number): void {
    this.fail(new SipStatusError(status));
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    // The phone answers our CANCEL's INVITE with 487.
    this.fail(new SipStatusError(487));
  }
}

export class FakeSipPort implements CallSipPort {
  readonly sent: FakeOutgoingInvite[] = [];
  private handler: ((invite: IncomingInvite) => void) | undefined;

  onInvite(handler: (invite: IncomingInvite) => void): void {
    this.handler = handler;
  }

  invite(options: OutgoingInviteOptions, events: OutgoingInviteEvents = {}): OutgoingInvite {
    const out = new FakeOutgoingInvite(options, events);
    this.sent.push(out);
    return out;
  }

  /** A phone calls `dialled`. */
  call(
    phone: string,
    dialled: string,
    sdp = phoneSdp(phone),
    replaces?: ReplacesHeader,
  ): FakeIncomingInvite {
    const invite = new FakeIncomingInvite(phone, dialled, sdp, replaces);
    if (!this.handler) throw new Error('no INVITE handler installed');
    this.handler(invite);
    return invite;
  }

  /** INVITEs sent to `station` (oldest first). */
  to(station: string): FakeOutgoingInvite[] {
    return this.sent.filter((o) => o.station === station);
  }
}
