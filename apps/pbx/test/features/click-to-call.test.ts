/**
 * Click to call on a fake SIP port: the user's phone first (showing the target, placeholder
 * offer), then the target with the user's SDP, the user re-INVITEd with the target's; hold in
 * the resulting call is relayed like any call; the user not answering, the target refusing and
 * the refusals checked before anything rings.
 */
import { refuseClickToCall, startClickToCall } from '../../src/features/click-to-call';
import { advance, h, useEngine } from './engine-test-setup';
import { phoneSdp } from './fake-sip-port';
import { settle } from './harness';

useEngine();

const place = (station: string, target: string) => {
  expect(refuseClickToCall(h.env, { station, target })).toBeUndefined();
  return startClickToCall(h.env, { station, target });
};

describe('click to call', () => {
  test('user first, then the target with the user SDP; the user gets the target SDP; hold is relayed', async () => {
    const call = place('201', '202');
    await settle();
    const [toUser] = h.sip.to('201');
    expect(toUser?.options.from).toMatch(/sip:202@/);
    expect(toUser?.options.sdp).toMatch(/^m=audio 9 /m);
    expect(h.sip.to('202')).toHaveLength(0);
    const userSdp = phoneSdp('201');
    const user = toUser!.answer(userSdp);
    await settle();
    const [toTarget] = h.sip.to('202');
    expect(toTarget?.options.from).toMatch(/sip:201@/);
    const userPort = /^m=audio (\d+)/m.exec(userSdp)?.[1];
    expect(toTarget?.options.sdp).toMatch(new RegExp(`^m=audio ${userPort} `, 'm'));
    const targetSdp = phoneSdp('202');
    const target = toTarget!.answer(targetSdp);
    await settle();
    const targetPort = /^m=audio (\d+)/m.exec(targetSdp)?.[1];
    expect(user.reinvites).toHaveLength(1);
    expect(user.reinvites[0]).toMatch(new RegExp(`^m=audio ${targetPort} `, 'm'));
    expect(call.connection).toBeDefined();
    expect(call.record.answeredAt).not.toBeNull();

    // The target holds: relayed to the user as for any call.
    const held = await target.phoneReinvite(phoneSdp('202', 'sendonly'));
    expect(held.answer).toContain('a=recvonly');
    expect(user.reinvites.at(-1)).toContain('a=sendonly');

    user.hangUp();
    await settle();
    expect(target.byeSent).toBe(true);
    const rec = h.cdrs.at(-1);
    expect(rec).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      disposition: 'answered',
      hangupSide: 'caller',
    });
  });

  test('the user does not answer: CANCEL after the ringing timeout, the target never rings', async () => {
    place('201', '202');
    await settle();
    const [toUser] = h.sip.to('201');
    toUser!.ring();
    await advance(h.config.features.ringingTimeout * 1000 + 10);
    expect(toUser!.cancelled).toBe(true);
    expect(h.sip.to('202')).toHaveLength(0);
    expect(h.cdrs.at(-1)).toMatchObject({ callerTel: '201', disposition: 'no-answer' });
  });

  test('the target refuses: the user gets BYE and the record says busy', async () => {
    place('201', '202');
    await settle();
    const user = h.sip.to('201')[0]!.answer();
    await settle();
    h.sip.to('202')[0]!.refuse(486);
    await settle();
    expect(user.byeSent).toBe(true);
    expect(h.cdrs.at(-1)).toMatchObject({ callerTel: '201', calleeTel: '202', answerAt: null });
    expect(h.cdrs.at(-1)?.disposition).toBe('busy');
  });

  test('refusals before anything rings', async () => {
    expect(refuseClickToCall(h.env, { station: '299', target: '202' })?.refused).toBe('not-found');
    expect(refuseClickToCall(h.env, { station: '201', target: '201' })?.refused).toBe('own-number');
    expect(refuseClickToCall(h.env, { station: '201', target: '777' })?.refused).toBe('not-found');
    h.registrations.set('201', false);
    expect(refuseClickToCall(h.env, { station: '201', target: '202' })?.refused).toBe(
      'not-registered',
    );
    h.registrations.set('202', false);
    expect(refuseClickToCall(h.env, { station: '203', target: '202' })?.refused).toBe('target');
    expect(h.sip.sent).toHaveLength(0);
  });
});
