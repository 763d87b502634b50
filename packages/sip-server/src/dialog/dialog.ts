/**
 * A SIP dialog as the server keeps it (RFC 3261 §12; wire spec §5). The id format
 * `<Call-ID>;from-tag=<tag of the dialog-creating request's From>` is part of the drachtio
 * contract: srf builds it itself in findDialogByCallIDAndFromTag.
 */
import { getHeader } from '../message/headers';
import { bytesAsText, ownString } from '../message/retained';
import type { SipMessage, SipRequest } from '../message/types';
import type { Destination } from '../transport/types';
import type { ControlConnection } from '../wire/control-server';
import { ChurnMap } from '../churn-map';

export type DialogRole = 'uac' | 'uas';
export type DialogKind = 'invite' | 'subscribe';

/** early → confirmed → terminated (terminated dialogs are removed from the store). */
export type DialogState = 'early' | 'confirmed';

export interface SessionTimerState {
  interval: number;
  /** True when we send the refreshes, false when the peer must. */
  weRefresh: boolean;
  timer?: NodeJS.Timeout;
}

export interface SentAck {
  ack: SipRequest;
  dest: Destination;
  until: number;
}

export interface Dialog {
  id: string;
  kind: DialogKind;
  role: DialogRole;
  state: DialogState;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Header values (name-addr with params, tag included) for From/To of our requests. */
  localNameAddr: string;
  remoteNameAddr: string;
  remoteTarget: string;
  /** Route set in the order our requests must carry it. */
  routeSet: string[];
  localContact: string;
  localSeq: number;
  remoteSeq: number;
  /** Where in-dialog requests go when no route set applies: transport and connection of the peer. */
  peer: Destination;
  /** RFC-less NAT fix-up (wire spec §6.9): next hop overriding the Request-URI's host. */
  natRoute?: Destination;
  conn: ControlConnection;
  /** Our last SDP in the dialog (sent again in session refreshes), as latin1 text. */
  localSdp?: DialogSdp;
  /** CSeq of the last INVITE we sent, for the ACK of its 2xx. */
  inviteSeq?: number;
  /** ACKs we sent, kept to answer 2xx retransmissions (wire spec §6.4). */
  acks: Map<number, SentAck>;
  /** CSeq of the last ACK from the network handed to the client (absorbs repeats). */
  lastAckSeq?: number;
  /** Seqs of re-INVITEs we sent whose 2xx the client must still ACK. */
  awaitingClientAck: Set<number>;
  /** Set when the app CANCELled the INVITE but a 2xx came anyway: ACK then BYE (wire spec §4.7). */
  cancelRace?: boolean;
  sessionTimer?: SessionTimerState;
  createdAt: number;
}

export function dialogIdOf(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

/** A body kept for the dialog's life: latin1 text (a small Buffer would keep its pool slab). */
export interface DialogSdp {
  text: string;
  contentType: string;
}

/** The body of `msg` (an SDP offer or answer of ours) as the dialog keeps it. */
export function sdpOf(msg: SipMessage): DialogSdp {
  return {
    text: bytesAsText(msg.body),
    contentType: ownString(getHeader(msg, 'Content-Type') ?? 'application/sdp'),
  };
}

/**
 * Gives a new dialog's strings memory of their own. A dialog lives as long as its call, and its
 * values were cut from the messages that created it: as views they would keep those messages'
 * whole header text (message/retained.ts).
 */
export function ownDialogStrings(d: Dialog): Dialog {
  d.id = ownString(d.id);
  d.callId = ownString(d.callId);
  d.localTag = ownString(d.localTag);
  d.remoteTag = ownString(d.remoteTag);
  d.localNameAddr = ownString(d.localNameAddr);
  d.remoteNameAddr = ownString(d.remoteNameAddr);
  d.remoteTarget = ownString(d.remoteTarget);
  d.routeSet = d.routeSet.map(ownString);
  d.localContact = ownString(d.localContact);
  return d;
}

/** Dialogs by id, plus a lookup from an incoming in-dialog request's tags. */
export class DialogStore {
  private readonly byId = new ChurnMap<Dialog>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  add(d: Dialog): void {
    this.byId.set(d.id, d);
  }

  remove(d: Dialog): boolean {
    if (this.byId.get(d.id) !== d) return false;
    this.byId.delete(d.id);
    if (d.sessionTimer?.timer) clearTimeout(d.sessionTimer.timer);
    return true;
  }

  /**
   * Finds the dialog an incoming request belongs to: a dialog we answered (its id carries the
   * request's From tag) or one we started (its id carries our tag, now in the request's To).
   */
  match(
    callId: string,
    fromTag: string | undefined,
    toTag: string | undefined,
  ): Dialog | undefined {
    if (fromTag) {
      const d = this.byId.get(dialogIdOf(callId, fromTag));
      if (d && d.role === 'uas' && d.localTag === toTag) return d;
    }
    if (toTag) {
      const d = this.byId.get(dialogIdOf(callId, toTag));
      if (d && d.role === 'uac' && (d.remoteTag === fromTag || d.state === 'early')) return d;
    }
    return undefined;
  }

  forConnection(conn: ControlConnection): Dialog[] {
    return [...this.byId.values()].filter((d) => d.conn === conn);
  }

  all(): IterableIterator<Dialog> {
    return this.byId.values();
  }
}
