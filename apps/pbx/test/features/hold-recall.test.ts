/**
 * Hold recall on a fake SIP port with jest's clock: after `features.holdRecallTime` on hold the
 * holding station gets a new INVITE from the held party (Alert-Info recall:hold); answering it
 * moves the held party to the new dialog and ends the old one.
 */
import { HOLD_RECALL_ALERT, holdRecall } from '../../src/features/hold-recall';
import { phoneSdp } from './fake-sip-port';
import { advance, connected, h, useEngine } from './engine-test-setup';
import { settle } from './harness';

useEngine();

const RECALL_MS = 60_000;

beforeEach(() => {
  h.env.hooks.onHoldChanged = holdRecall(h.env);
  h.env.config.features.holdRecallTime = RECALL_MS / 1000;
});

describe('hold recall', () => {
  test('held past the recall time: the holder rings with the held party; answering reconnects them on the new dialog', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await advance(RECALL_MS - 1);
    expect(h.sip.to('201')).toHaveLength(0);
    await advance(1);
    const recall = h.sip.to('201');
    expect(recall).toHaveLength(1);
    expect(recall[0]!.options.from).toContain('sip:202@');
    expect(recall[0]!.options.headers).toEqual({ 'Alert-Info': HOLD_RECALL_ALERT });
    // The held party's own media, so the answer can be connected at once.
    expect(recall[0]!.options.sdp).toContain('o=202');
    const fresh = recall[0]!.answer(phoneSdp('201'));
    await settle();
    expect(caller.byeSent).toBe(true);
    expect(callee.connected).toBe(true);
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
    expect(fresh.connected).toBe(true);
    const call = h.env.registry.all().find((c) => c.connection);
    expect([call?.aLeg.party.number, call?.bLeg?.party.number]).toEqual(['202', '201']);
  });

  test('resumed before the recall time: no recall', async () => {
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await advance(RECALL_MS / 2);
    await caller.phoneReinvite(phoneSdp('201', 'sendrecv'));
    await advance(RECALL_MS);
    expect(h.sip.to('201')).toHaveLength(0);
  });

  test('resuming while the recall rings cancels it', async () => {
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await advance(RECALL_MS);
    const [recall] = h.sip.to('201');
    expect(recall?.cancelled).toBe(false);
    await caller.phoneReinvite(phoneSdp('201', 'sendrecv'));
    await settle();
    expect(recall!.cancelled).toBe(true);
    expect(caller.byeSent).toBe(false);
  });

  test('unanswered: cancelled after the ringing timeout, rung again one recall time later', async () => {
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await advance(RECALL_MS);
    const [first] = h.sip.to('201');
    await advance(h.config.features.ringingTimeout * 1000);
    expect(first!.cancelled).toBe(true);
    expect(caller.connected).toBe(true);
    await advance(RECALL_MS - 1);
    expect(h.sip.to('201')).toHaveLength(1);
    await advance(1);
    expect(h.sip.to('201')).toHaveLength(2);
  });

  test('a holder busy in another call is rung once that call ends', async () => {
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    // 201 makes a second call to 203 and talks.
    const second = h.sip.call('201', '203');
    await settle();
    const talking = h.sip.to('203')[0]!.answer();
    await settle();
    expect(second.final).toBe(200);
    await advance(RECALL_MS + 10_000);
    expect(h.sip.to('201')).toHaveLength(0);
    // 203 hangs up (201 hanging up would be OfficeServ's hang-up transfer instead).
    talking.hangUp();
    await settle();
    await advance(2_000);
    expect(h.sip.to('201')).toHaveLength(1);
  });

  test('holdRecallTime 0 turns it off', async () => {
    h.env.config.features.holdRecallTime = 0;
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await advance(3_600_000);
    expect(h.sip.to('201')).toHaveLength(0);
  });
});
