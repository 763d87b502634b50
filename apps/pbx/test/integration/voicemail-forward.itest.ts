/**
 * Voice mail as a forward destination and as a ring group's overflow, on the wire with sipp
 * phones: 601/603 + the voice-mail code (480, as every code; stored as a forward to the station
 * itself), a call to a station forwarded to voice mail answered by its mailbox without the phone
 * ringing, a no-answer forward that rings for the no-answer time first, a chain ending in the
 * mailbox of the station that forwards there, the refusal (480 and a log line) while the mailbox
 * is off, ring groups overflowing to a mailbox after their time or at once when no member can
 * ring, and the console API setting the same forward and showing the voice-mail options.
 */
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { DepositOutcome } from '../../src/voicemail';
import {
  expectPhoneOk,
  receivedAt,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { loggedIn } from '../helpers/http-client';

jest.setTimeout(120_000);

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe('forward to voice mail and ring group overflow (sipp phones)', () => {
  let h: CallsPbx;
  const deposits: Array<[string, DepositOutcome]> = [];
  const logs: LogLine[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    h = await startCallsPbx({
      voicemail: true,
      logger: pino({ level: 'info' }, sink),
      overrides: (c) => {
        // Silent sipp callers: each deposit ends at the limit and is discarded as silence.
        c.voicemail.maxMessageSeconds = 2;
      },
    });
    await h.pbx.media.waitUntilAvailable(10_000);
    for (const tel of ['201', '202', '203', '204', '205', '206', '207', '208'])
      await h.station(tel);
    await h.pbx.changeApplied('stations', 10_000);
    h.pbx.voicemail.onDeposit((tel, o) => deposits.push([tel, o]));
  });

  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const dial = async (tel: string, digits: string): Promise<void> => {
    expectPhoneOk(await h.call(tel, digits, 'uac-invite-expect-480.xml'), `${tel} dials ${digits}`);
    await h.settle();
  };
  const row = async (tel: string) => (await h.pbx.ctx.store.stations.get(tel))!;
  /** Resolves with the outcome of the next deposit after `before` deposits. */
  const nextDeposit = async (before: number): Promise<[string, DepositOutcome]> => {
    await waitFor('a deposit', () => deposits.length > before, 20_000);
    return deposits[before]!;
  };
  /** A registered contact that only counts what reaches it (a phone that must not ring). */
  const silentPhone = async (tel: string) => {
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('latin1').split('\r\n')[0]!));
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    await h.unregister(tel);
    await h.register(tel, sock.address().port);
    return {
      got,
      close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
    };
  };

  test('601 + 88 forwards all to the own mailbox: 480, stored, and the next call goes straight to the greeting', async () => {
    await dial('202', '60188');
    expect(await row('202')).toMatchObject({ forwardAll: '202', forwardBusy: null });
    const [cdr] = (await h.pbx.ctx.store.cdrs.list({ ext: '202', disposition: 'feature' })).slice(
      -1,
    );
    expect(cdr).toMatchObject({ dialled: '60188', feature: 'forward.all', sipStatus: 480 });
    expect(cdr?.note).toBe('forward-set: all to voice mail');

    const phone = await silentPhone('202');
    try {
      const before = deposits.length;
      const r = await h.call('201', '202', 'uac-invite-expect-200-recv-bye.xml', {
        timeoutMs: 30_000,
      });
      expectPhoneOk(r, 'caller to 202 (forward all to voice mail)');
      expect(await nextDeposit(before)).toEqual(['202', { kind: 'discarded', reason: 'silence' }]);
      // The phone never rang.
      expect(phone.got.filter((l) => l.startsWith('INVITE'))).toEqual([]);
    } finally {
      await phone.close();
    }
    await dial('202', '600');
    expect(await row('202')).toMatchObject({ forwardAll: null });
  });

  test('603 + 88: the phone rings for its no-answer time, then the mailbox answers', async () => {
    await h.pbx.ctx.store.stations.update(
      '203',
      { forwardNoAnswerTimer: 2 },
      { realm: h.pbx.ctx.config.sip.domain },
    );
    await h.cc.stations.load();
    await dial('203', '60388');
    expect(await row('203')).toMatchObject({ forwardNoAnswer: '203', forwardAll: null });
    const phone = await h.phone('203', 'uas-ring-expect-cancel.xml', { timeoutMs: 30_000 });
    const before = deposits.length;
    const startedAt = Date.now();
    const r = await h.call('201', '203', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 30_000,
    });
    expectPhoneOk(r, 'caller to 203 (no-answer forward to voice mail)');
    expectPhoneOk(await phone.done, 'phone 203 rang and got CANCEL');
    const answered = receivedAt(r, /^SIP\/2\.0 200/);
    expect(answered).toBeDefined();
    // The trace's clock is this machine's; the caller's INVITE left after `startedAt`.
    expect(answered! - startedAt).toBeGreaterThanOrEqual(1_900);
    expect(await nextDeposit(before)).toEqual(['203', { kind: 'discarded', reason: 'silence' }]);
  });

  test("a chain: 204 forwards all to 205, 205 forwards all to voice mail: 205's mailbox, nobody rings", async () => {
    await dial('205', '60188');
    await h.pbx.ctx.store.stations.update(
      '204',
      { forwardAll: '205' },
      { realm: h.pbx.ctx.config.sip.domain },
    );
    await h.cc.stations.load();
    const p204 = await silentPhone('204');
    const p205 = await silentPhone('205');
    try {
      const before = deposits.length;
      const r = await h.call('201', '204', 'uac-invite-expect-200-recv-bye.xml', {
        timeoutMs: 30_000,
      });
      expectPhoneOk(r, 'caller to 204 → 205 → voice mail');
      expect((await nextDeposit(before))[0]).toBe('205');
      expect([...p204.got, ...p205.got].filter((l) => l.startsWith('INVITE'))).toEqual([]);
    } finally {
      await p204.close();
      await p205.close();
    }
    await h.settle();
    const [rec] = (await h.pbx.ctx.store.cdrs.list({ ext: '201' }))
      .filter((c) => c.dialled === '204')
      .slice(-1);
    expect(rec).toMatchObject({ calleeTel: '205', forwardedFrom: '204' });
  });

  test('with the mailbox off, 601 + 88 is refused (480, a log line) and nothing changes', async () => {
    await h.pbx.ctx.store.voicemail.setBox('206', { enabled: false });
    await h.pbx.changeApplied('voicemail', 10_000);
    await dial('206', '60188');
    expect(await row('206')).toMatchObject({ forwardAll: null });
    const line = logs.find(
      (l) => l.msg.startsWith('feature code refused') && l['station'] === '206',
    );
    expect(line).toMatchObject({ note: 'mailbox-off', dialled: '60188' });
    expect(line?.msg).toMatch(/206 has no mailbox on: cannot forward to voice mail/);
    await h.pbx.ctx.store.voicemail.setBox('206', { enabled: true });
    await h.pbx.changeApplied('voicemail', 10_000);
  });

  test('a ring group nobody answers overflows to the mailbox after its time; CANCEL to the member', async () => {
    const store = h.pbx.ctx.store;
    await store.ringGroups.create({ number: '500', members: ['207', '208'] });
    await store.ringGroups.update('500', { voicemail: '208', voicemailAfter: 2 });
    await h.pbx.changeApplied('groups', 10_000);
    await h.unregister('208');
    const phone = await h.phone('207', 'uas-ring-expect-cancel.xml', { timeoutMs: 30_000 });
    const before = deposits.length;
    const startedAt = Date.now();
    const r = await h.call('201', '500', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 30_000,
    });
    expectPhoneOk(r, 'caller to ring group 500');
    expectPhoneOk(await phone.done, 'member 207 rang and got CANCEL');
    expect(receivedAt(r, /^SIP\/2\.0 200/)! - startedAt).toBeGreaterThanOrEqual(1_900);
    expect(await nextDeposit(before)).toEqual(['208', { kind: 'discarded', reason: 'silence' }]);
  });

  test('a ring group with no member able to ring goes to the mailbox at once; without overflow 480', async () => {
    const store = h.pbx.ctx.store;
    await store.ringGroups.create({ number: '501', members: ['207'] });
    await h.pbx.changeApplied('groups', 10_000);
    await h.unregister('207');
    expectPhoneOk(await h.call('201', '501', 'uac-invite-expect-480.xml'), 'no overflow: 480');
    await store.ringGroups.update('501', { voicemail: '207' });
    await h.pbx.changeApplied('groups', 10_000);
    const before = deposits.length;
    const r = await h.call('201', '501', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 30_000,
    });
    expectPhoneOk(r, 'caller to ring group 501 (nobody can ring)');
    expect((await nextDeposit(before))[0]).toBe('207');
  });

  test('the console sets the same forward (target voicemail) and shows the voice-mail options', async () => {
    const store = h.pbx.ctx.store;
    await store.webAuth.setCtiPassword('201', 'alice-cti');
    await store.webAuth.setAdminPassword('admin-pw-1');
    const alice = await loggedIn(h.pbx.http.url, '201', 'alice-cti');
    const set = await alice.request('PATCH', '/api/me', {
      forward: { type: 'busy', target: 'voicemail' },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ forward: { type: 'busy', target: 'voicemail' } });
    await h.pbx.changeApplied('stations', 10_000);
    expect(h.cc.stations.peek('201')?.settings.forward).toEqual({ type: 'busy', target: '201' });
    const view = await alice.request('GET', '/api/stations/201');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      forwardBusy: '201',
      voicemail: { enabled: true, pin: 'none', newMessages: 0, oldMessages: 0 },
    });
    expect(JSON.stringify(view.body)).not.toMatch(/scrypt|pinHash/);
    await store.voicemail.setBox('201', { enabled: false });
    const refused = await alice.request('PATCH', '/api/me', {
      forward: { type: 'all', target: 'voicemail' },
    });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/mailbox off/);
    expect((await store.stations.get('201'))?.forwardAll).toBeNull();
  });
});
