/**
 * An event package the PBX serves as notifier (RFC 6665 §7): which resources may be watched by
 * whom, and the document a NOTIFY carries. The notifier (`notifier.ts`) owns the subscriptions,
 * their timers and the NOTIFYs; a package only answers questions about its resources.
 */
import type { IncomingSubscribe } from './sip-port';

/** What a package sees of one subscription when it renders a document for it. */
export interface SubscriptionView {
  readonly id: string;
  readonly resource: string;
  readonly subscriber: string;
  /**
   * Scratch space the package may keep per subscription (dialog-info remembers the dialogs it
   * reported, to report each one `terminated` once).
   */
  memo: unknown;
}

/** The verdict on a new SUBSCRIBE. */
export type SubscribeVerdict =
  | { readonly ok: true; readonly resource: string }
  | { readonly ok: false; readonly status: number; readonly reason: string };

export interface EventPackage {
  /** The `Event` package name. */
  readonly name: string;
  readonly contentType: string;
  /** Whether `req` (from a station that passed the source check) may subscribe, and to what. */
  authorize(req: IncomingSubscribe): SubscribeVerdict;
  /**
   * A string that changes exactly when the resource's document would: the notifier skips
   * NOTIFYs whose fingerprint it already sent to a subscription.
   */
  fingerprint(resource: string): string;
  /** The body of a NOTIFY (the resource's state now). */
  render(sub: SubscriptionView, version: number): string;
}
