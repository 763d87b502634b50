/**
 * The `message-summary` event package (RFC 3842): a station's message-waiting lamp. A station
 * may watch only its own mailbox (the Request-URI names it, or the PBX's voice-mail number is
 * not known yet: the subscriber's own number is then taken).
 */
import { MESSAGE_SUMMARY_TYPE, messageSummary } from '../sip/event-bodies';
import type { EventPackage, SubscribeVerdict, SubscriptionView } from './event-package';
import type { MailboxSource } from './mailboxes';
import type { IncomingSubscribe } from './sip-port';

export class MessageSummaryPackage implements EventPackage {
  readonly name = 'message-summary';
  readonly contentType = MESSAGE_SUMMARY_TYPE;

  constructor(
    private readonly mailboxes: MailboxSource,
    private readonly isStation: (tel: string) => boolean,
    private readonly domain: () => string,
  ) {}

  authorize(req: IncomingSubscribe): SubscribeVerdict {
    // Phones subscribe to their own AOR, or to a voice-mail number: both mean "my mailbox".
    const own = req.resource === req.subscriber || !this.isStation(req.resource);
    return own
      ? { ok: true, resource: req.subscriber }
      : { ok: false, status: 403, reason: "message-summary of another station's mailbox" };
  }

  fingerprint(resource: string): string {
    const c = this.mailboxes.counts(resource);
    return `${c.newMessages}/${c.oldMessages}`;
  }

  render(sub: SubscriptionView): string {
    return this.body(sub.resource);
  }

  /** The body for `tel` (also sent unsolicited). */
  body(tel: string): string {
    return messageSummary(`sip:${tel}@${this.domain()}`, this.mailboxes.counts(tel));
  }
}
