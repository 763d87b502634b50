/**
 * What the event notifier needs from SIP (implemented on drachtio-srf by
 * `signalling/srf-event-port.ts`): incoming SUBSCRIBEs as plain data, the subscription dialog to
 * send NOTIFYs in, and out-of-dialog NOTIFY for unsolicited message-waiting.
 */

/** A SUBSCRIBE outside any dialog, as the notifier reads it. */
export interface IncomingSubscribe {
  /** The `Event` header's package name, lower case (`dialog`, `presence`, `message-summary`). */
  readonly event: string;
  /** The `Event` header as received (with its `id` parameter, repeated in every NOTIFY). */
  readonly eventHeader: string;
  /** The user part of the Request-URI (the watched resource). */
  readonly resource: string;
  /** The user part of From (the subscriber's station). */
  readonly subscriber: string;
  /** `Expires`, when present and a number. */
  readonly expires: number | undefined;
  readonly accept: readonly string[];
  readonly source: { readonly address: string; readonly port: number };
  readonly callId: string;
}

/** How a NOTIFY ended: the final status, or 408 when no answer came. */
export type NotifyResult = number;

/** A NOTIFY to send. */
export interface NotifyRequest {
  readonly event: string;
  /** `active;expires=N` or `terminated;reason=R`. */
  readonly subscriptionState: string;
  readonly contentType?: string;
  readonly body?: string;
}

/** The dialog of an accepted subscription. */
export interface SubscriptionDialog {
  notify(req: NotifyRequest): Promise<NotifyResult>;
  /** A refreshing SUBSCRIBE in this dialog (non-zero expiry); `answer` sends its response. */
  onRefresh(handler: (expires: number | undefined, answer: SubscribeAnswer) => void): void;
  /** SUBSCRIBE with `Expires: 0` (already answered). */
  onUnsubscribe(handler: () => void): void;
  /** Forgets the dialog without sending anything (after a 481). */
  forget(): void;
}

/** Answers a SUBSCRIBE: a failure, or a success (with its `Expires`). */
export interface SubscribeAnswer {
  reject(status: number, headers?: Record<string, string>): void;
  accept(expiresSec: number): void;
}

/** Answers an initial SUBSCRIBE: a failure, or a success that creates the dialog. */
export interface InitialSubscribeAnswer {
  reject(status: number, headers?: Record<string, string>): void;
  accept(expiresSec: number): Promise<SubscriptionDialog>;
}

/** An out-of-dialog request target: the station's Contact and, when natted, the next hop. */
export interface RequestTarget {
  readonly uri: string;
  readonly nextHop?: string;
}

/** A PUBLISH (RFC 3903) as the presence module reads it. */
export interface IncomingPublish {
  readonly event: string;
  readonly resource: string;
  readonly publisher: string;
  readonly expires: number | undefined;
  readonly ifMatch: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
  readonly source: { readonly address: string; readonly port: number };
}

/** The answer to a PUBLISH: a status and its headers (SIP-ETag, Expires, Min-Expires, ...). */
export type PublishAnswer = (status: number, headers?: Record<string, string>) => void;

/** The notifier's SIP. */
export interface EventSipPort {
  onPublish(handler: (req: IncomingPublish, answer: PublishAnswer) => void): void;
  onSubscribe(handler: (req: IncomingSubscribe, answer: InitialSubscribeAnswer) => void): void;
  /** An out-of-dialog NOTIFY (unsolicited message-summary, RFC 3842 §3). */
  sendNotify(
    target: RequestTarget,
    from: string,
    to: string,
    req: NotifyRequest,
  ): Promise<NotifyResult>;
}
