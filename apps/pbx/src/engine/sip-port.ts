/**
 * The SIP port of the call engine: the SIP that call control needs, in our own words.
 * `signalling/srf-call-port.ts` implements it on drachtio-srf; nothing under engine/ or
 * features/ imports drachtio-srf (STYLE.md §1), and unit tests drive the runners through a fake.
 */
import type { ReplacesHeader } from '../sip/replaces';

export type { ReplacesHeader };

/** A From/To/Refer-To value, parsed. */
export interface NameAddrView {
  readonly displayName?: string;
  readonly uri: string;
  readonly user?: string;
  readonly host?: string;
  readonly tag?: string;
}

/** Where a request came from (the packet's source, not the Via). */
export interface SipSource {
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
}

export interface ResponseOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly reason?: string;
}

/** A new INVITE from a phone: the PBX is its UAS. */
export interface IncomingInvite {
  readonly callId: string;
  readonly fromTag: string;
  readonly from: NameAddrView;
  readonly to: NameAddrView;
  readonly requestUri: string;
  /** User part of the Request-URI: the dialled digits. */
  readonly requestUser: string;
  /** The offer; empty for a delayed-offer INVITE. */
  readonly sdp: string;
  readonly source: SipSource;
  readonly replaces?: ReplacesHeader;
  /** True once the caller sent CANCEL. */
  readonly cancelled: boolean;
  /** Our To tag, known after the first provisional response went out. */
  readonly localTag: string | undefined;
  header(name: string): string | undefined;
  /** Sends 180/183 (with `sdp` for early media); resolves with the To tag used. */
  progress(status: 180 | 183, sdp?: string): Promise<string | undefined>;
  /** Sends a final non-2xx response. Safe to call after a CANCEL (the server already answered 487). */
  reject(status: number, options?: ResponseOptions): void;
  /** Sends 200 with `sdp` and returns the confirmed dialog. */
  answer(sdp: string, options?: ResponseOptions): Promise<SipDialog>;
  /** The caller sent CANCEL (the server has answered it and sent 487). */
  onCancel(listener: () => void): void;
}

/** A re-INVITE (or UPDATE-free session change) received inside a dialog. */
export interface IncomingReinvite {
  /** The offer; empty when the re-INVITE carries no SDP. */
  readonly sdp: string;
  /** Its CSeq number: the ACK that carries the answer to an offer in our 2xx has the same one. */
  readonly cseq: number;
  accept(sdp: string): void;
  reject(status: number): void;
}

/** An in-dialog non-INVITE request (REFER, NOTIFY, INFO). */
export interface IncomingDialogRequest {
  readonly method: string;
  readonly body: string;
  header(name: string): string | undefined;
  respond(status: number, options?: ResponseOptions): void;
}

/** A confirmed INVITE dialog, either side. */
export interface SipDialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** The SDP the remote party sent last (offer or answer). */
  readonly remoteSdp: string;
  readonly connected: boolean;
  /** The remote party ended the dialog (BYE, or the server tore it down). */
  onBye(listener: () => void): void;
  onReinvite(listener: (r: IncomingReinvite) => void): void;
  /**
   * An ACK arrived; `sdp` is its body (the answer to an offer we put in a 2xx), if any, and
   * `cseq` its CSeq number (which INVITE it acknowledges).
   */
  onAck(listener: (sdp: string | undefined, cseq: number) => void): void;
  onRequest(
    method: 'REFER' | 'NOTIFY' | 'INFO',
    listener: (r: IncomingDialogRequest) => void,
  ): void;
  /** Sends a re-INVITE with `sdp`; resolves with the answer, rejects with SipStatusError. */
  reinvite(sdp: string): Promise<string>;
  /** Sends an in-dialog request; resolves with the final status. */
  request(
    method: 'NOTIFY' | 'INFO' | 'REFER',
    options: { headers?: Record<string, string>; body?: string },
  ): Promise<number>;
  /** Sends BYE (no-op when already ended). */
  bye(): Promise<void>;
}

export interface OutgoingInviteOptions {
  /** Request-URI (the registered Contact). */
  readonly uri: string;
  /** Next hop when it differs from the Request-URI (NAT: the registration's source address). */
  readonly nextHop?: string;
  readonly from: string;
  readonly to: string;
  readonly sdp: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Digest credentials for a 401/407 (a provider's trunk); `realm`: answer only that realm. */
  readonly auth?: { readonly username: string; readonly password: string; readonly realm?: string };
}

export interface OutgoingInviteEvents {
  /** The INVITE went out: our Call-ID and From tag. */
  onSent?(info: { callId: string; fromTag: string }): void;
  /** A 1xx above 100 arrived. */
  onProvisional?(status: number, info: { toTag?: string; sdp?: string }): void;
}

/** An INVITE we sent as UAC, not yet answered. */
export interface OutgoingInvite {
  /** Resolves with the dialog on 2xx; rejects with SipStatusError on a final non-2xx. */
  readonly answered: Promise<SipDialog>;
  /** Sends CANCEL (held until the INVITE is on the wire). */
  cancel(): void;
}

/** The SIP operations call control uses. */
export interface CallSipPort {
  /** Registers the handler of new INVITEs (only one). */
  onInvite(handler: (invite: IncomingInvite) => void): void;
  invite(options: OutgoingInviteOptions, events?: OutgoingInviteEvents): OutgoingInvite;
}

/** A final non-2xx response (or a local failure mapped to a status). */
export class SipStatusError extends Error {
  override name = 'SipStatusError';
  constructor(
    readonly status: number,
    readonly reason?: string,
    options?: ErrorOptions,
  ) {
    super(`SIP ${status}${reason ? ` ${reason}` : ''}`, options);
  }
}

/** The status of a failure: its SIP status, or 500 for anything else. */
export function statusOf(err: unknown): number {
  if (err instanceof SipStatusError) return err.status;
  if (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { status?: unknown }).status === 'number'
  ) {
    return (err as { status: number }).status;
  }
  return 500;
}
