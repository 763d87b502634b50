/**
 * Station calls and call forward on a fake SIP port: ringing, 180 relay, answer, BYE, the
 * no-answer forward with Diversion, the ringing timeout, CANCEL and an unregistered callee.
 */
import { phoneSdp } from './fake-sip-port';
import { advance, h, useEngine } from './engine-test-setup';
import { settle } from './harness';

useEngine();

describe('station call and forwards', () => {
  test('rings the callee with the caller as From, relays 180 and answers with its SDP', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    const [out] = h.sip.to('202');
    expect(out?.options.from).toBe('"Phone 201" <sip:201@pbx.local>');
    expect(out?.options.sdp).toContain('m=audio');
    out!.ring();
    await settle();
    expect(invite.provisional).toEqual([180]);
    const sdp = phoneSdp('202');
    out!.answer(sdp);
    await settle();
    expect(invite.final).toBe(200);
    expect(invite.answerSdp).toContain('m=audio');
    // The caller hangs up: the callee gets BYE and the record is written.
    invite.dialog!.hangUp();
    await settle();
    expect(out!.dialog!.byeSent).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      disposition: 'answered',
      hangupSide: 'caller',
    });
  });

  test('a hold sent right after the answer, before the caller confirmed our 200, is relayed once it does', async () => {
    const invite = h.sip.call('201', '202');
    invite.holdAck = true;
    await settle();
    const [out] = h.sip.to('202');
    const callee = out!.answer();
    await settle();
    expect(invite.final).toBe(200);
    expect(invite.dialog).toBeUndefined();
    // 202 holds at once; the caller's ACK is still on its way.
    const reply = callee.phoneReinvite(phoneSdp('202', 'sendonly'));
    await settle();
    invite.confirm();
    await settle();
    expect(invite.dialog!.reinvites).toHaveLength(1);
    expect(invite.dialog!.reinvites[0]).toContain('a=sendonly');
    expect((await reply).answer).toContain('a=recvonly');
  });

  test('no answer: after the station timer the phone gets CANCEL and the target rings with Diversion', async () => {
    await h.store.stations.update(
      '202',
      { forwardNoAnswer: '203', forwardNoAnswerTimer: 5 },
      { realm: 'pbx.local' },
    );
    await h.env.stations.load();
    const invite = h.sip.call('201', '202');
    await settle();
    const [to202] = h.sip.to('202');
    to202!.ring();
    await advance(4_999);
    expect(to202!.cancelled).toBe(false);
    expect(h.sip.to('203')).toHaveLength(0);
    await advance(1);
    expect(to202!.cancelled).toBe(true);
    const [to203] = h.sip.to('203');
    expect(to203?.options.headers?.['Diversion']).toBe(
      '<sip:202@pbx.local>;reason=no-answer;counter=1',
    );
    to203!.answer();
    await settle();
    expect(invite.final).toBe(200);
    invite.dialog!.hangUp();
    await settle();
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      calleeTel: '203',
      forwardedFrom: '202',
      forwardReason: 'no-answer',
      disposition: 'answered',
    });
  });

  test('unanswered: the caller gets 480 and the phone CANCEL after the ringing timeout', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    const [out] = h.sip.to('202');
    await advance(h.config.features.ringingTimeout * 1000 - 1);
    expect(invite.final).toBeUndefined();
    await advance(1);
    expect(invite.final).toBe(480);
    expect(out!.cancelled).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({ disposition: 'no-answer', sipStatus: 480 });
  });

  test('a caller CANCEL cancels the ringing phone', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    invite.cancel();
    await settle();
    expect(h.sip.to('202')[0]!.cancelled).toBe(true);
    expect(h.env.registry.size).toBe(0);
  });

  test('an unregistered callee without forward: 480 and no INVITE', async () => {
    h.registrations.set('202', false);
    const invite = h.sip.call('201', '202');
    await settle();
    expect(invite.final).toBe(480);
    expect(h.sip.to('202')).toHaveLength(0);
  });
});
