/**
 * The mailbox interface message-waiting reads: voice-message counts per station and whether the
 * station gets unsolicited NOTIFYs. `StoreMailboxes` keeps the `mailboxes` table in memory and
 * reloads it when the CLI (`pbx mwi set`) or the voice-mail module writes it; the voice-mail
 * issue calls `set()` when a message is recorded or heard.
 */
import type { Logger } from 'pino';
import type { Mailbox, Store } from '@pbx/store';
import type { MailboxCounts } from '../sip/event-bodies';

/** What message-waiting needs of mailboxes. */
export interface MailboxSource {
  counts(tel: string): MailboxCounts;
  unsolicited(tel: string): boolean;
  /** Tells `listener` the station whose counts or option changed. */
  onChanged(listener: (tel: string) => void): void;
}

const EMPTY: MailboxCounts = { newMessages: 0, oldMessages: 0 };

export class StoreMailboxes implements MailboxSource {
  private rows = new Map<string, Mailbox>();
  private readonly listeners: Array<(tel: string) => void> = [];
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  counts(tel: string): MailboxCounts {
    const m = this.rows.get(tel);
    return m ? { newMessages: m.newMessages, oldMessages: m.oldMessages } : EMPTY;
  }

  unsolicited(tel: string): boolean {
    return this.rows.get(tel)?.unsolicited ?? false;
  }

  onChanged(listener: (tel: string) => void): void {
    this.listeners.push(listener);
  }

  /** Writes a station's counts (the voice-mail module's entry point) and notifies at once. */
  async set(tel: string, counts: MailboxCounts): Promise<void> {
    await this.store.mailboxes.setCounts(tel, counts.newMessages, counts.oldMessages);
    await this.load();
  }

  /** Reads the table; tells the listeners about every station whose row changed. */
  load(): Promise<void> {
    const next = this.loading.then(() => this.readAll());
    this.loading = next.catch((err: unknown) => this.log.error({ err }, 'mailboxes not loaded'));
    return next;
  }

  async onChange(area: string): Promise<void> {
    if (area === 'mailboxes' || area === 'stations') await this.load();
  }

  private async readAll(): Promise<void> {
    const before = this.rows;
    const after = new Map((await this.store.mailboxes.list()).map((m) => [m.tel, m]));
    this.rows = after;
    for (const tel of new Set([...before.keys(), ...after.keys()])) {
      const a = before.get(tel);
      const b = after.get(tel);
      if (
        a?.newMessages !== b?.newMessages ||
        a?.oldMessages !== b?.oldMessages ||
        a?.unsolicited !== b?.unsolicited
      )
        for (const l of this.listeners) l(tel);
    }
  }
}
