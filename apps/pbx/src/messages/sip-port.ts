/**
 * What the instant-message relay needs from SIP (implemented on drachtio-srf by
 * `signalling/srf-message-port.ts`): MESSAGE requests outside any dialog as plain data, and
 * MESSAGE sent to a contact.
 */
import type { InviteTarget } from '../engine/registration-lookup';

/** A MESSAGE outside any dialog (RFC 3428 page mode). */
export interface IncomingMessage {
  /** The user part of From (the sending station). */
  readonly fromUser: string;
  /** The user part of the Request-URI (the recipient). */
  readonly toUser: string;
  readonly contentType: string;
  readonly body: string;
  /** Body length in bytes. */
  readonly size: number;
  readonly source: { readonly address: string; readonly port: number };
}

/** A MESSAGE to send. */
export interface OutgoingMessage {
  readonly from: string;
  readonly to: string;
  readonly contentType: string;
  readonly body: string;
  /** RFC 3261 `Date`: the time the message was first sent (offline delivery keeps it). */
  readonly date?: Date;
}

export interface MessageSipPort {
  onMessage(handler: (msg: IncomingMessage, answer: (status: number) => void) => void): void;
  /** Sends the MESSAGE; resolves with the final status (408 when no answer came). */
  sendMessage(target: InviteTarget, msg: OutgoingMessage): Promise<number>;
}
