/** Bookkeeping of requests in flight between the network and a control client. */
import type { SipRequest, SipResponse } from '../message/types';
import type { ReceiveInfo, Destination } from '../transport/types';
import type { ServerTransaction } from '../transaction';
import type { ControlConnection } from '../wire/control-server';
import type { Dialog } from '../dialog/dialog';

/** A request from the network handed to a client and not finally answered yet. */
export interface IncomingRecord {
  txnId: string;
  txn: ServerTransaction;
  req: SipRequest;
  info: ReceiveInfo;
  conn: ControlConnection;
  /** An INVITE or SUBSCRIBE outside a dialog: the app's answer creates a dialog. */
  dialogCreating: boolean;
  /** The dialog the request belongs to, or the one its answer is creating. */
  dialog?: Dialog;
  localTag?: string;
  responded: boolean;
  final: boolean;
  cancelled: boolean;
  /** UPDATE received while this INVITE is in progress (wire spec §3.3 e). */
  pendingUpdate?: { txn: ServerTransaction; req: SipRequest };
  /** Reliable provisional waiting for its PRACK (RFC 3262). */
  reliable?: {
    rseq: number;
    response: SipResponse;
    timer?: NodeJS.Timeout;
    interval: number;
    deadline: number;
  };
  nextRseq: number;
  /**
   * When (epoch ms) the core answers for a client that never does; undefined once done or moot.
   * Set in every record's literal, so the field is part of its shape from the start.
   */
  guardAt: number | undefined;
}

/** A request a client sent to the network. */
export interface OutgoingRecord {
  txnId: string;
  conn: ControlConnection;
  req: SipRequest;
  dest: Destination;
  /** dialogId for responses: the dialog created (INVITE/SUBSCRIBE) or the one the request is in. */
  dialogId: string;
  initial: boolean;
  dialog: Dialog | undefined;
  cancelRequested: boolean;
  /** CANCEL waiting for a provisional before it may be sent (RFC 3261 §9.1). */
  cancelPending: SipRequest | undefined;
  provisional: boolean;
  final: boolean;
  /** Final response handled: `req` is only the request's skeleton from then on. */
  settled: boolean;
  /**
   * To tags of the 2xx responses seen (normally one; made with the first), to tell a
   * retransmission from a forked answer. An array: a Set is a few hundred bytes more, for the
   * 64·T1 an INVITE's record waits out timer M.
   */
  seen2xxTags: string[] | undefined;
}
