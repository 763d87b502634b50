/**
 * The UAS side of an INVITE dialog (RFC 3261 §12.1.1): what the user agent needs to send its own
 * in-dialog requests (BYE, re-INVITE) back to the caller and to recognise the caller's.
 */
import {
  callId,
  cseq,
  fromTag,
  getHeader,
  getHeaders,
  parseNameAddr,
  randomBranch,
  toTag,
} from '../message';
import type { SipHeader, SipRequest } from '../message/types';
import type { Destination, ReceiveInfo } from '../transport/types';

export interface UasDialogOptions {
  invite: SipRequest;
  info: ReceiveInfo;
  /** The To tag we answered with. */
  localTag: string;
  /** Our Contact URI (without angle brackets), e.g. `sip:mod_sofia@127.0.0.1:5080`. */
  localContact: string;
  /** Host and port of our listener, for the Via of our requests. */
  via: { protocol: string; host: string; port: number };
}

/** Dialog state kept by a UAS: ids, both sequence numbers, the remote target and route set. */
export class UasDialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  private localSeq: number;
  private remoteSeq: number;
  private readonly localNameAddr: string;
  private readonly remoteNameAddr: string;
  private remoteTarget: string;
  private readonly routeSet: string[];
  private readonly dest: Destination;

  constructor(private readonly opts: UasDialogOptions) {
    const { invite, info } = opts;
    this.callId = callId(invite) ?? '';
    this.localTag = opts.localTag;
    this.remoteTag = fromTag(invite) ?? '';
    this.remoteSeq = cseq(invite)?.seq ?? 0;
    this.localSeq = Math.floor(Math.random() * 10000) + 1;
    const to = getHeader(invite, 'To') ?? '';
    this.localNameAddr = toTag(invite) ? to : `${to};tag=${opts.localTag}`;
    this.remoteNameAddr = getHeader(invite, 'From') ?? '';
    this.remoteTarget = contactUri(invite) ?? invite.uri;
    // UAS route set: the Record-Route values in the order received.
    this.routeSet = getHeaders(invite, 'Record-Route');
    // Requests go back where the INVITE came from (symmetric, like responses): the peer is
    // normally the drachtio-compatible server in front of us.
    this.dest = { ...info.source, connectionId: info.connectionId };
  }

  /** True when `req` belongs to this dialog (Call-ID and both tags). */
  matches(req: SipRequest): boolean {
    return (
      callId(req) === this.callId && fromTag(req) === this.remoteTag && toTag(req) === this.localTag
    );
  }

  /** Records an in-dialog request from the peer; false if its CSeq is old (answer 500). */
  acceptRemote(req: SipRequest): boolean {
    const seq = cseq(req)?.seq ?? 0;
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    if (seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    if (req.method === 'INVITE') this.remoteTarget = contactUri(req) ?? this.remoteTarget;
    return true;
  }

  /** Builds our next in-dialog request and where to send it. */
  build(
    method: string,
    extra: { headers?: SipHeader[]; body?: Buffer } = {},
  ): { request: SipRequest; dest: Destination } {
    this.localSeq += 1;
    const v = this.opts.via;
    const headers: SipHeader[] = [
      {
        name: 'Via',
        value: `SIP/2.0/${v.protocol.toUpperCase()} ${v.host}:${v.port};rport;branch=${randomBranch()}`,
      },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: this.localNameAddr },
      { name: 'To', value: this.remoteNameAddr },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.localSeq} ${method}` },
      ...this.routeSet.map((value) => ({ name: 'Route', value })),
      { name: 'Contact', value: `<${this.opts.localContact}>` },
      ...(extra.headers ?? []),
    ];
    return {
      request: {
        kind: 'request',
        method,
        uri: this.remoteTarget,
        headers,
        body: extra.body ?? Buffer.alloc(0),
      },
      dest: this.dest,
    };
  }
}

function contactUri(req: SipRequest): string | undefined {
  const value = getHeader(req, 'Contact');
  if (!value) return undefined;
  const na = parseNameAddr(value.split(',')[0] ?? '');
  if (!na) return undefined;
  const m = /<([^>]+)>/.exec(value);
  return m?.[1] ?? value.split(';')[0]?.trim();
}
