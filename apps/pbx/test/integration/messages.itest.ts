/**
 * Instant messages (RFC 3428) through the PBX with sipp phones: delivered to every registered
 * contact of the recipient, stored as history; queued for a station that is not registered and
 * delivered in order, with the original Date, when it registers; 413 above the size limit; the
 * PBX's welcome message on registration and messages queued by `pbx message send`.
 */
import {
  bodyOf,
  expectPhoneOk,
  headerOf,
  received,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { freePort, scenario, startSippUas, type SippResult } from '../helpers/sipp';

jest.setTimeout(60_000);

const messagesIn = (r: SippResult) => received(r).filter((m) => m.startsWith('MESSAGE '));

describe('instant messages', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    for (const tel of ['202', '203', '204', '205']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  /** A sipp phone for `tel` that takes `count` MESSAGEs, registered once it listens. */
  async function inbox(tel: string, count: number) {
    const port = await freePort('udp', '127.0.0.1');
    const peer = await startSippUas({
      scenario: scenario('uas-message-200.xml'),
      localPort: port,
      localIp: '127.0.0.1',
      calls: count,
      timeoutMs: 15_000,
      traceMessages: true,
      keys: { tel },
    });
    return { peer, register: () => h.register(tel, port) };
  }

  test('delivered to every registered contact of the recipient, 200, kept as history', async () => {
    const desk = await inbox('202', 1);
    await desk.register();
    const soft = await inbox('202', 1);
    await soft.register();
    const r = await h.call('201', '202', 'uac-message-expect-200.xml', {
      keys: { body: 'Lunch at noon?' },
    });
    expectPhoneOk(r, 'sender 201');
    for (const p of [desk, soft]) {
      const got = await p.peer.done;
      expectPhoneOk(got, 'a contact of 202');
      const [m] = messagesIn(got);
      expect(bodyOf(m)).toBe('Lunch at noon?');
      expect(headerOf(m, 'From')).toMatch(/^"Alice" <sip:201@pbx\.local>/);
      expect(headerOf(m, 'Content-Type')).toBe('text/plain');
    }
    const [row] = await h.pbx.ctx.store.messages.list({ ext: '201', peer: '202', limit: 1 });
    // sipp ends its body with CRLF, which is stored as sent.
    expect(row).toMatchObject({ fromTel: '201', toTel: '202', contentType: 'text/plain' });
    expect(row?.body.trim()).toBe('Lunch at noon?');
    expect(row?.deliveredAt).not.toBeNull();
  });

  test('offline: 202 Accepted, stored, delivered in order with the original Date on registering', async () => {
    for (const body of ['first', 'second'])
      expectPhoneOk(
        await h.call('201', '203', 'uac-message-expect-202.xml', { keys: { body } }),
        `sender (${body})`,
      );
    expect((await h.pbx.ctx.store.messages.pending('203')).map((m) => m.body.trim())).toEqual([
      'first',
      'second',
    ]);
    const phone = await inbox('203', 2);
    await phone.register();
    const got = await phone.peer.done;
    expectPhoneOk(got, 'phone 203');
    const list = messagesIn(got);
    expect(list.map((m) => bodyOf(m))).toEqual(['first', 'second']);
    for (const m of list) expect(Date.parse(headerOf(m, 'Date') ?? '')).not.toBeNaN();
    await waitFor(
      'marked delivered',
      async () => (await h.pbx.ctx.store.messages.pending('203')).length === 0,
    );
  });

  test('413 above messages.maxBytes; 404 to no station', async () => {
    h.pbx.ctx.config.messages.maxBytes = 10;
    try {
      expectPhoneOk(
        await h.call('201', '202', 'uac-message-expect-413.xml', {
          keys: { body: 'far more than ten bytes' },
        }),
        'sender',
      );
    } finally {
      h.pbx.ctx.config.messages.maxBytes = 4096;
    }
    expectPhoneOk(
      await h.call('201', '299', 'uac-message-expect-404.xml', { keys: { body: 'hello' } }),
      'sender to 299',
    );
  });

  test('the welcome message on registering, and pbx message send queued in the database', async () => {
    h.pbx.ctx.config.messages.welcome = 'Welcome to the office PBX';
    const phone = await inbox('204', 2);
    try {
      await phone.register();
      await waitFor('welcome delivered', async () =>
        (await h.pbx.ctx.store.messages.list({ ext: '204' })).some((m) => m.deliveredAt !== null),
      );
    } finally {
      h.pbx.ctx.config.messages.welcome = '';
    }
    // What `pbx message send 204 ...` does: a row from 'pbx'; the PBX delivers it.
    await h.pbx.ctx.store.messages.add({ fromTel: 'pbx', toTel: '204', body: 'Fire drill at 3' });
    await h.pbx.changeApplied('messages');
    const got = await phone.peer.done;
    expectPhoneOk(got, 'phone 204');
    const list = messagesIn(got);
    expect(list.map((m) => bodyOf(m))).toEqual(['Welcome to the office PBX', 'Fire drill at 3']);
    expect(headerOf(list[0], 'From')).toMatch(/^"PBX" <sip:pbx@pbx\.local>/);
  });
});
