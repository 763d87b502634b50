/**
 * Unsolicited message-waiting (RFC 3842 §3, the OfficeServ's "VMS notifies the SIP station"):
 * for stations with the option on, a message-summary NOTIFY outside any dialog whenever the
 * counts change and when the station registers, unless the phone holds a subscription (it then
 * gets the solicited NOTIFY instead).
 */
import type { Logger } from 'pino';
import type { MessageSummaryPackage } from './mwi-package';
import type { MailboxSource } from './mailboxes';
import type { EventSipPort, RequestTarget } from './sip-port';

export interface UnsolicitedMwiDeps {
  readonly sip: EventSipPort;
  readonly mailboxes: MailboxSource;
  readonly pkg: MessageSummaryPackage;
  readonly locate: (tel: string) => RequestTarget | undefined;
  readonly subscribed: (tel: string) => boolean;
  readonly domain: () => string;
  readonly log: Logger;
}

export class UnsolicitedMwi {
  constructor(private readonly d: UnsolicitedMwiDeps) {}

  /** Sends the station's counts now if it wants unsolicited NOTIFYs and can be reached. */
  send(tel: string): void {
    if (!this.d.mailboxes.unsolicited(tel) || this.d.subscribed(tel)) return;
    const target = this.d.locate(tel);
    if (!target) return;
    const aor = `<sip:${tel}@${this.d.domain()}>`;
    this.d.sip
      .sendNotify(target, aor, aor, {
        event: 'message-summary',
        subscriptionState: 'active',
        contentType: this.d.pkg.contentType,
        body: this.d.pkg.body(tel),
      })
      .then(
        (status) => {
          if (status >= 300) this.d.log.info({ tel, status }, 'unsolicited MWI NOTIFY refused');
        },
        (err: unknown) => this.d.log.warn({ err, tel }, 'unsolicited MWI NOTIFY not sent'),
      );
  }
}
