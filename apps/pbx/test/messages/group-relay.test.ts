/**
 * The message relay's chat-group path on a real (in-memory) store with a fake SIP port: fan-out
 * to every member but the writer, the From and body the members get, 403/404/413, a member who
 * was away gets group and one-to-one messages merged in their original order, and a group deleted
 * while messages waited sends nothing.
 */
import pino from 'pino';
import { Store } from '@pbx/store';
import type { InviteTarget } from '../../src/engine/registration-lookup';
import { MessageRelay } from '../../src/messages/message-relay';
import type { IncomingMessage, MessageSipPort, OutgoingMessage } from '../../src/messages/sip-port';

interface Sent {
  to: string;
  msg: OutgoingMessage;
}

class FakePort implements MessageSipPort {
  handler: ((msg: IncomingMessage, answer: (status: number) => void) => void) | undefined;
  readonly sent: Sent[] = [];
  private waiters: Array<() => void> = [];
  onMessage(handler: (msg: IncomingMessage, answer: (status: number) => void) => void): void {
    this.handler = handler;
  }
  async sendMessage(target: InviteTarget, msg: OutgoingMessage): Promise<number> {
    this.sent.push({ to: /sip:(\d+)@/.exec(target.uri)?.[1] ?? '?', msg });
    for (const w of this.waiters) w();
    return 200;
  }
  /** A MESSAGE from `from`'s phone; resolves with the status the phone gets. */
  receive(from: string, to: string, body: string): Promise<number> {
    return new Promise((resolve) =>
      this.handler?.(
        {
          fromUser: from,
          toUser: to,
          contentType: 'text/plain',
          body,
          size: Buffer.byteLength(body),
          source: { address: '127.0.0.1', port: 5060 },
        },
        resolve,
      ),
    );
  }
  /** Resolves once `n` messages were sent (bounded). */
  async sentCount(n: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.sent.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.sent.length} of ${n} sent`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
      this.waiters = [];
    }
  }
}

describe('MessageRelay: chat groups', () => {
  let store: Store;
  let port: FakePort;
  let relay: MessageRelay;
  const registered = new Set<string>();
  let now = 1_700_000_000_000;
  const names: Record<string, string> = { '201': 'Alice', '202': 'Bob' };

  beforeEach(async () => {
    store = await Store.open({ path: ':memory:', clock: () => now });
    for (const tel of ['201', '202', '203', '204'])
      await store.stations.create({ tel, password: `secret${tel}x` }, { realm: 'pbx.local' });
    registered.clear();
    port = new FakePort();
    relay = new MessageRelay({
      sip: port,
      store,
      isStation: (tel) => ['201', '202', '203', '204'].includes(tel),
      isStationAt: (tel) => registered.has(tel),
      contacts: (tel) => (registered.has(tel) ? [{ uri: `sip:${tel}@127.0.0.1:5070` }] : []),
      domain: () => 'pbx.local',
      maxBytes: () => 100,
      welcome: () => '',
      displayName: (tel) => names[tel],
      log: pino({ level: 'silent' }),
      now: () => now,
    });
  });
  afterEach(() => store.close());

  const sales = () =>
    store.chatGroups.create({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202', '203'],
    });

  it('fans a phone message out to every other member from the group, writer in the body', async () => {
    await sales();
    for (const t of ['201', '202', '203']) registered.add(t);
    const audiences: string[][] = [];
    relay.onStored((_m, audience) => audiences.push([...audience]));
    expect(await port.receive('201', '700', 'Hello team')).toBe(202);
    await port.sentCount(2);
    expect(port.sent.map((s) => s.to).sort()).toEqual(['202', '203']);
    for (const s of port.sent)
      expect(s.msg).toMatchObject({
        from: '"Sales" <sip:700@pbx.local>',
        to: `<sip:${s.to}@pbx.local>`,
        body: 'Alice (201): Hello team',
      });
    expect(audiences).toEqual([['201', '202', '203']]);
  });

  it('refuses non-members (403), unknown numbers (404) and big bodies (413)', async () => {
    const g = await sales();
    registered.add('204');
    registered.add('201');
    expect(await port.receive('204', '700', 'let me in')).toBe(403);
    expect(await port.receive('201', '799', 'anyone?')).toBe(404);
    expect(await port.receive('201', '700', 'x'.repeat(101))).toBe(413);
    expect(await relay.sendToGroup('204', g.id, 'hi')).toBe(403);
    expect(await relay.sendToGroup('201', 999, 'hi')).toBe(404);
    expect(await store.messages.groupHistory(g.id)).toEqual([]);
    expect(port.sent).toEqual([]);
  });

  it('a member back online gets one-to-one and group messages in their original order and dates', async () => {
    const g = await sales();
    registered.add('201');
    registered.add('202');
    const first = now;
    expect(await port.receive('201', '203', 'direct')).toBe(202);
    now += 60_000;
    expect(await relay.sendToGroup('202', g.id, 'from the browser')).toBe(202);
    now += 60_000;
    expect(await port.receive('201', '700', 'from a phone')).toBe(202);
    await port.sentCount(2); // 201 and 202 got the group messages meant for them
    port.sent.length = 0;
    registered.add('203');
    await relay.onRegistered('203');
    expect(port.sent.map((s) => [s.to, s.msg.body, s.msg.date?.getTime()])).toEqual([
      ['203', 'direct', first],
      ['203', 'Bob (202): from the browser', first + 60_000],
      ['203', 'Alice (201): from a phone', first + 120_000],
    ]);
    expect(await store.messages.queue('203')).toEqual([]);
  });

  it('reads no queue for a station with nothing waiting, and still delivers what waits', async () => {
    const g = await sales();
    expect(await relay.sendToGroup('201', g.id, 'while you were away')).toBe(202);
    const reads: Array<string | undefined> = [];
    const queue = store.messages.queue.bind(store.messages);
    store.messages.queue = (tel?: string) => {
      reads.push(tel);
      return queue(tel);
    };
    registered.add('204'); // not a member: nothing waits for it
    await relay.onRegistered('204');
    expect(reads).toEqual([]);
    registered.add('202');
    await relay.onRegistered('202');
    expect(reads).toContain('202');
    expect(port.sent.map((s) => [s.to, s.msg.body])).toEqual([
      ['202', 'Alice (201): while you were away'],
    ]);
  });

  it('sends nothing for a group deleted while its messages waited', async () => {
    const g = await sales();
    expect(await relay.sendToGroup('201', g.id, 'soon gone')).toBe(202);
    await store.chatGroups.remove(g.id);
    registered.add('202');
    await relay.onRegistered('202');
    expect(port.sent).toEqual([]);
  });
});
