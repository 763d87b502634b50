/**
 * Message-waiting (RFC 3842) with sipp phones: a phone that SUBSCRIBEs to message-summary gets
 * the counts at once and on every change (lamp on, then off); a phone with the unsolicited option
 * gets NOTIFYs without subscribing (on, then off). Counts are written to the database as
 * `pbx mwi set` writes them, and reach the phone through the PBX's change watcher.
 */
import type { SippResult } from '../helpers/sipp';
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { notifies } from '../helpers/event-watchers';

jest.setTimeout(60_000);

/** The message-summary body as a map of its header-like lines. */
function summary(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of body.split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim());
    if (m) out[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return out;
}

describe('message-waiting', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const setCounts = async (tel: string, n: number, o: number): Promise<void> => {
    await h.pbx.ctx.store.mailboxes.setCounts(tel, n, o);
    await h.pbx.changeApplied('mailboxes');
  };
  const sub = () => h.pbx.presence.notifier.list().find((s) => s.event === 'message-summary');

  test('solicited: SUBSCRIBE message-summary, lamp on and off with the counts', async () => {
    const w = await h.startCall('201', '201', 'uac-subscribe-mwi.xml');
    await waitFor('first NOTIFY answered', () => sub()?.version === 1);
    await setCounts('201', 2, 1);
    await waitFor('second NOTIFY', () => sub()?.version === 2);
    await setCounts('201', 0, 3);
    const r: SippResult = await w.done;
    expectPhoneOk(r, 'phone 201');
    const list = notifies(r);
    expect(list.map((n) => n.contentType)).toEqual(
      Array(4).fill('application/simple-message-summary'),
    );
    expect(list.map((n) => n.event)).toEqual(Array(4).fill('message-summary'));
    const bodies = list.map((n) => summary(n.body));
    expect(bodies.map((b) => [b['messages-waiting'], b['voice-message']])).toEqual([
      ['no', '0/0'],
      ['yes', '2/1'],
      ['no', '0/3'],
      ['no', '0/3'],
    ]);
    expect(bodies[0]?.['message-account']).toBe('sip:201@pbx.local');
    expect(list.at(-1)?.subscriptionState).toBe('terminated;reason=timeout');
  });

  test("a station may not watch another station's mailbox (403)", async () => {
    const r = await h.call('201', '202', 'uac-subscribe-mwi.xml', { timeoutMs: 5_000 });
    expect(r.code).not.toBe(0);
    expect(r.messages).toMatch(/SIP\/2\.0 403 /);
  });

  test('unsolicited: NOTIFY without a subscription on registering and when the counts change', async () => {
    await h.pbx.ctx.store.mailboxes.setUnsolicited('202', true);
    await h.pbx.changeApplied('mailboxes');
    // Registering sets the lamp from the counts as they are.
    const first = await h.phone('202', 'uas-notify-200.xml');
    const registered = await first.done;
    expectPhoneOk(registered, 'phone 202 registering');
    expect(summary(notifies(registered)[0]?.body ?? '')).toMatchObject({
      'messages-waiting': 'no',
      'voice-message': '0/0',
    });
    for (const [n, o, waiting] of [
      [3, 0, 'yes'],
      [0, 3, 'no'],
    ] as const) {
      const phone = await h.phone('202', 'uas-notify-200.xml');
      await setCounts('202', n, o);
      const r = await phone.done;
      expectPhoneOk(r, `phone 202 (${waiting})`);
      const [notify] = notifies(r);
      expect(notify?.event).toBe('message-summary');
      expect(summary(notify?.body ?? '')).toMatchObject({
        'messages-waiting': waiting,
        'voice-message': `${n}/${o}`,
      });
    }
  });
});
