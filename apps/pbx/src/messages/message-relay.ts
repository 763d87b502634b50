/**
 * Instant messages between stations (RFC 3428 page mode) through the PBX: a MESSAGE from a
 * registered station to a station is stored (history per pair) and sent to every registered
 * contact of the recipient; `200` once one contact took it. A recipient that is not registered,
 * or whose contacts all failed, keeps the message queued; it is delivered, in order and with its
 * original `Date`, when the station registers again. The PBX sends its own messages the same way
 * (`pbx message send`, the welcome message on registration).
 */
import type { Logger } from 'pino';
import type { NewMessage, StoredMessage, Store } from '@pbx/store';
import type { InviteTarget } from '../engine/registration-lookup';
import type { IncomingMessage, MessageSipPort } from './sip-port';

export interface MessageRelayDeps {
  readonly sip: MessageSipPort;
  readonly store: Store;
  readonly isStation: (tel: string) => boolean;
  /** The manual's source check (as for INVITE). */
  readonly isStationAt: (tel: string, source: { address: string; port: number }) => boolean;
  readonly contacts: (tel: string) => InviteTarget[];
  readonly domain: () => string;
  readonly maxBytes: () => number;
  readonly welcome: () => string;
  readonly displayName: (tel: string) => string | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The From the PBX's own messages carry. */
export const PBX_SENDER = 'pbx';

export class MessageRelay {
  /** One delivery run per recipient at a time, so queued messages keep their order. */
  private readonly running = new Map<string, Promise<void>>();
  /** Stations with messages waiting in the table (delivered in order before any new one). */
  private readonly waiting = new Set<string>();
  private readonly now: () => number;
  private readonly stored: Array<(m: StoredMessage) => void> = [];

  constructor(private readonly d: MessageRelayDeps) {
    this.now = d.now ?? Date.now;
    d.sip.onMessage((msg, answer) => {
      this.onMessage(msg).then(answer, (err: unknown) => {
        d.log.error({ err }, 'MESSAGE relay failed');
        answer(500);
      });
    });
  }

  private async onMessage(msg: IncomingMessage): Promise<number> {
    if (!this.d.isStationAt(msg.fromUser, msg.source)) {
      this.d.log.info({ from: msg.fromUser, ip: msg.source.address }, 'MESSAGE from no station');
      return 403;
    }
    if (!this.d.isStation(msg.toUser)) return 404;
    // RFC 3428 §7: a body the recipient side will not take is refused with 413.
    if (msg.size > this.d.maxBytes()) return 413;
    return this.relay(msg.fromUser, msg.toUser, msg.body, msg.contentType);
  }

  /**
   * A message a station user sends from the web console: relayed exactly as a MESSAGE from
   * that station's phone would be (stored as history, delivered now or queued). Returns the
   * status the phone would have got: 200 delivered, 202 queued, 404 no such station, 413 too big.
   */
  async sendFromStation(
    fromTel: string,
    toTel: string,
    body: string,
    contentType = 'text/plain',
  ): Promise<number> {
    if (!this.d.isStation(fromTel) || !this.d.isStation(toTel)) return 404;
    if (Buffer.byteLength(body) > this.d.maxBytes()) return 413;
    return this.relay(fromTel, toTel, body, contentType);
  }

  /** Tells `listener` every message stored (sent, queued or received), for the event stream. */
  onStored(listener: (m: StoredMessage) => void): void {
    this.stored.push(listener);
  }

  private async add(m: NewMessage): Promise<StoredMessage> {
    const saved = await this.d.store.messages.add(m);
    for (const l of this.stored) l(saved);
    return saved;
  }

  private async relay(
    fromTel: string,
    toTel: string,
    body: string,
    contentType: string,
  ): Promise<number> {
    const message = { fromTel, toTel, contentType, body, createdAt: this.now() };
    const contacts = this.d.contacts(toTel);
    // Older messages still waiting for this station go first: this one joins the queue.
    if (!this.waiting.has(toTel) && contacts.length > 0) {
      const status = await this.send(message, contacts, false);
      if (status >= 200 && status < 300) {
        // One write per delivered message: stored as history once a contact took it.
        await this.add({ ...message, deliveredAt: this.now() });
        return 200;
      }
    }
    await this.add(message);
    this.waiting.add(toTel);
    void this.deliverPending(toTel);
    return 202;
  }

  /** Reads which stations have messages waiting (at start-up). */
  async load(): Promise<void> {
    for (const m of await this.d.store.messages.pending()) this.waiting.add(m.toTel);
  }

  /** Sends the PBX's own message to a station (delivered now or when it registers). */
  async sendFromPbx(toTel: string, body: string, contentType = 'text/plain'): Promise<void> {
    await this.add({ fromTel: PBX_SENDER, toTel, contentType, body });
    await this.deliverPending(toTel);
  }

  /** The station registered: its welcome message, then everything queued for it, in order. */
  async onRegistered(tel: string): Promise<void> {
    const welcome = this.d.welcome();
    if (welcome) await this.add({ fromTel: PBX_SENDER, toTel: tel, body: welcome });
    await this.deliverPending(tel);
  }

  /** Delivers queued messages of every registered recipient (after `pbx message send`). */
  async deliverAllPending(): Promise<void> {
    const tels = new Set((await this.d.store.messages.pending()).map((m) => m.toTel));
    await Promise.all([...tels].map((t) => this.deliverPending(t)));
  }

  /** Delivers `tel`'s queue in order; stops at the first message no contact takes. */
  deliverPending(tel: string): Promise<void> {
    const prev = this.running.get(tel) ?? Promise.resolve();
    const run = prev.then(async () => {
      const queue = await this.d.store.messages.pending(tel);
      if (queue.length > 0) this.waiting.add(tel);
      for (const m of queue) {
        if (this.d.contacts(tel).length === 0) return;
        const status = await this.deliver(m);
        if (status < 200 || status >= 300) return;
      }
      // Messages queued while this run was sending are taken by the run queued after it.
      if ((await this.d.store.messages.pending(tel)).length === 0) this.waiting.delete(tel);
    });
    const settled = run.catch((err: unknown) =>
      this.d.log.error({ err, tel }, 'queued messages not delivered'),
    );
    this.running.set(tel, settled);
    void settled.finally(() => {
      if (this.running.get(tel) === settled) this.running.delete(tel);
    });
    return settled;
  }

  /** Sends a queued message (with its original `Date`); marks it delivered on the first 2xx. */
  private async deliver(m: StoredMessage): Promise<number> {
    const contacts = this.d.contacts(m.toTel);
    if (contacts.length === 0) return 480;
    const status = await this.send(m, contacts, true);
    if (status >= 200 && status < 300) await this.d.store.messages.markDelivered(m.id, this.now());
    return status;
  }

  /** Sends `m` to every contact; resolves with the first 2xx, else the highest failure. */
  private async send(
    m: Pick<StoredMessage, 'fromTel' | 'toTel' | 'contentType' | 'body' | 'createdAt'>,
    contacts: InviteTarget[],
    dated: boolean,
  ): Promise<number> {
    const domain = this.d.domain();
    const name = m.fromTel === PBX_SENDER ? 'PBX' : this.d.displayName(m.fromTel);
    const from = `${name ? `"${name.replace(/["\\]/g, '')}" ` : ''}<sip:${m.fromTel}@${domain}>`;
    // Answered as soon as one contact takes it; the others finish in the background.
    const statuses: number[] = [];
    const ok = await new Promise<number | undefined>((resolve) => {
      for (const target of contacts) {
        void this.d.sip
          .sendMessage(target, {
            from,
            to: `<sip:${m.toTel}@${domain}>`,
            contentType: m.contentType,
            body: m.body,
            ...(dated ? { date: new Date(m.createdAt) } : {}),
          })
          .catch((err: unknown) => {
            this.d.log.warn({ err, to: m.toTel }, 'MESSAGE not sent');
            return 503;
          })
          .then((status) => {
            statuses.push(status);
            if (status >= 200 && status < 300) resolve(status);
            else if (statuses.length === contacts.length) resolve(undefined);
          });
      }
    });
    if (ok !== undefined) return ok;
    this.d.log.info({ to: m.toTel, statuses }, 'MESSAGE kept for later delivery');
    return Math.max(...statuses);
  }
}
