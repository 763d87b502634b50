/**
 * Instant messages between stations (RFC 3428 page mode) through the PBX: a MESSAGE from a
 * registered station to a station is stored (history per pair) and sent to every registered
 * contact of the recipient; `200` once one contact took it. A recipient that is not registered,
 * or whose contacts all failed, keeps the message queued; it is delivered, in order and with its
 * original `Date`, when the station registers again. The PBX sends its own messages the same way
 * (`pbx message send`, the welcome message on registration).
 *
 * A MESSAGE to a chat group's number is stored once and queued for every other member; each
 * member's queue delivers it like a one-to-one message (offline members get it on registering,
 * in order with everything else). See `group-message.ts` for what the members' phones receive.
 */
import type { Logger } from 'pino';
import type {
  ChatGroup,
  MemberDelivery,
  NewMessage,
  QueuedMessage,
  StoredMessage,
  Store,
} from '@pbx/store';
import type { InviteTarget } from '../engine/registration-lookup';
import { groupDelivery, writerLabel } from './group-message';
import type { IncomingMessage, MessageSipPort, OutgoingMessage } from './sip-port';

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

/** One member's copy of a group message changed state (sent to a phone, or refused by it). */
export interface GroupDeliveryUpdate extends MemberDelivery {
  messageId: number;
  groupId: number;
  /** Who wrote the message (a station, or `pbx`). */
  fromTel: string;
}

/** The From the PBX's own messages carry. */
export const PBX_SENDER = 'pbx';

export class MessageRelay {
  /** One delivery run per recipient at a time, so queued messages keep their order. */
  private readonly running = new Map<string, Promise<void>>();
  /** Stations with messages waiting in the table (delivered in order before any new one). */
  private readonly waiting = new Set<string>();
  private readonly now: () => number;
  private readonly stored: Array<(m: StoredMessage, audience: readonly string[]) => void> = [];
  private readonly deliveries: Array<(u: GroupDeliveryUpdate) => void> = [];

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
    if (!this.d.isStation(msg.toUser)) {
      const group = await this.d.store.chatGroups.byNumber(msg.toUser);
      if (!group) return 404;
      if (!group.members.includes(msg.fromUser)) {
        this.d.log.info({ from: msg.fromUser, group: group.number }, 'MESSAGE from a non-member');
        return 403;
      }
      if (msg.size > this.d.maxBytes()) return 413;
      return this.relayToGroup(msg.fromUser, group, msg.body, msg.contentType);
    }
    // RFC 3428 §7: a body the recipient side will not take is refused with 413.
    if (msg.size > this.d.maxBytes()) return 413;
    return this.relay(msg.fromUser, msg.toUser, msg.body, msg.contentType);
  }

  /**
   * A message to a chat group from one of its members (a phone, the web console) or from the PBX
   * itself: 202 (queued for every other member), 403 not a member, 404 no such group, 413 too
   * big.
   */
  async sendToGroup(
    fromTel: string,
    groupId: number,
    body: string,
    contentType = 'text/plain',
  ): Promise<number> {
    const group = await this.d.store.chatGroups.get(groupId);
    if (!group) return 404;
    if (fromTel !== PBX_SENDER && !group.members.includes(fromTel)) return 403;
    if (Buffer.byteLength(body) > this.d.maxBytes()) return 413;
    return this.relayToGroup(fromTel, group, body, contentType);
  }

  /**
   * Stores the message once and queues it for every member but the sender; each member's queue
   * sends it now or when the member registers. RFC 3428 §8: 202 for a request taken by an
   * exploder, whose final recipients' answers the sender never sees.
   */
  private async relayToGroup(
    fromTel: string,
    group: ChatGroup,
    body: string,
    contentType: string,
  ): Promise<number> {
    const recipients = group.members.filter((t) => t !== fromTel);
    const saved = await this.d.store.messages.addToGroup(
      { fromTel, toTel: group.number, contentType, body, createdAt: this.now(), groupId: group.id },
      recipients,
    );
    this.tell(saved, group.members);
    for (const tel of recipients) {
      this.waiting.add(tel);
      void this.deliverPending(tel);
    }
    return 202;
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

  /**
   * Tells `listener` every message stored (sent, queued or received), with the stations that
   * may see it (sender and recipient, or the group's members), for the event stream.
   */
  onStored(listener: (m: StoredMessage, audience: readonly string[]) => void): void {
    this.stored.push(listener);
  }

  /** Tells `listener` each attempt at a member's copy of a group message (delivered or failed). */
  onGroupDelivery(listener: (u: GroupDeliveryUpdate) => void): void {
    this.deliveries.push(listener);
  }

  private tellDelivery(m: QueuedMessage, d: MemberDelivery): void {
    const update = { ...d, messageId: m.id, groupId: m.groupId ?? 0, fromTel: m.fromTel };
    for (const l of this.deliveries) {
      try {
        l(update);
      } catch (err) {
        this.d.log.error({ err }, 'delivery listener failed');
      }
    }
  }

  private tell(m: StoredMessage, audience: readonly string[]): void {
    for (const l of this.stored) {
      try {
        l(m, audience);
      } catch (err) {
        this.d.log.error({ err }, 'message listener failed');
      }
    }
  }

  private async add(m: NewMessage): Promise<StoredMessage> {
    const saved = await this.d.store.messages.add(m);
    this.tell(saved, [saved.fromTel, saved.toTel]);
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
    for (const m of await this.d.store.messages.queue()) this.waiting.add(m.recipient);
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
    // Nothing waits for it: no queue to read. `waiting` holds every station with a stored message
    // not yet delivered (filled at start-up, by every relay, and by the change a `pbx message
    // send` announces), so a storm of phones registering after a restart reads nothing.
    else if (!this.waiting.has(tel)) return;
    await this.deliverPending(tel);
  }

  /** Delivers queued messages of every registered recipient (after `pbx message send`). */
  async deliverAllPending(): Promise<void> {
    const tels = new Set((await this.d.store.messages.queue()).map((m) => m.recipient));
    await Promise.all([...tels].map((t) => this.deliverPending(t)));
  }

  /** Delivers `tel`'s queue in order; stops at the first message no contact takes. */
  deliverPending(tel: string): Promise<void> {
    const prev = this.running.get(tel) ?? Promise.resolve();
    const run = prev.then(async () => {
      const queue = await this.d.store.messages.queue(tel);
      if (queue.length > 0) this.waiting.add(tel);
      for (const m of queue) {
        if (this.d.contacts(tel).length === 0) return;
        const status = await this.deliver(m);
        if (status < 200 || status >= 300) return;
      }
      // Messages queued while this run was sending are taken by the run queued after it.
      if ((await this.d.store.messages.queue(tel)).length === 0) this.waiting.delete(tel);
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
  private async deliver(m: QueuedMessage): Promise<number> {
    const contacts = this.d.contacts(m.recipient);
    if (contacts.length === 0) return 480;
    let status: number;
    if (m.groupId === null) status = await this.send(m, contacts, true);
    else {
      const group = await this.d.store.chatGroups.get(m.groupId);
      // Deleted meanwhile: its messages went with it (nothing to send, nothing to mark).
      if (!group) return 200;
      const out = groupDelivery(m, group, {
        domain: this.d.domain(),
        writer:
          m.fromTel === PBX_SENDER ? 'PBX' : writerLabel(m.fromTel, this.d.displayName(m.fromTel)),
      });
      status = await this.sendTo(m.recipient, out, contacts);
      const at = this.now();
      const ok = status >= 200 && status < 300;
      if (ok) await this.d.store.messages.markQueuedDelivered(m, at, status);
      const d = ok
        ? { tel: m.recipient, state: 'delivered' as const, status, at }
        : await this.d.store.messages.recordAttempt(m, status, at);
      if (d) this.tellDelivery(m, d);
      return status;
    }
    if (status >= 200 && status < 300)
      await this.d.store.messages.markQueuedDelivered(m, this.now());
    return status;
  }

  private senderName(tel: string): string | undefined {
    return tel === PBX_SENDER ? 'PBX' : this.d.displayName(tel);
  }

  /** Sends a one-to-one message to every contact of its recipient. */
  private async send(
    m: Pick<StoredMessage, 'fromTel' | 'toTel' | 'contentType' | 'body' | 'createdAt'>,
    contacts: InviteTarget[],
    dated: boolean,
  ): Promise<number> {
    const domain = this.d.domain();
    const name = this.senderName(m.fromTel);
    const from = `${name ? `"${name.replace(/["\\]/g, '')}" ` : ''}<sip:${m.fromTel}@${domain}>`;
    return this.sendTo(
      m.toTel,
      {
        from,
        to: `<sip:${m.toTel}@${domain}>`,
        contentType: m.contentType,
        body: m.body,
        ...(dated ? { date: new Date(m.createdAt) } : {}),
      },
      contacts,
    );
  }

  /** Sends `out` to every contact; resolves with the first 2xx, else the highest failure. */
  private async sendTo(
    toTel: string,
    out: OutgoingMessage,
    contacts: InviteTarget[],
  ): Promise<number> {
    // Answered as soon as one contact takes it; the others finish in the background.
    const statuses: number[] = [];
    const ok = await new Promise<number | undefined>((resolve) => {
      for (const target of contacts) {
        void this.d.sip
          .sendMessage(target, out)
          .catch((err: unknown) => {
            this.d.log.warn({ err, to: toTel }, 'MESSAGE not sent');
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
    this.d.log.info({ to: toTel, statuses }, 'MESSAGE kept for later delivery');
    return Math.max(...statuses);
  }
}
