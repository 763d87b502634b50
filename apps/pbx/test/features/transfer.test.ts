/**
 * Transfer on a fake SIP port: blind REFER with its NOTIFYs, a refusing target, a bad Refer-To.
 */
import { connected, h, useEngine } from './engine-test-setup';
import { settle } from './harness';

useEngine();

describe('transfer', () => {
  test('blind REFER: 202, NOTIFY 100/180/200, the target rings, the transferee is re-INVITEd, the transferor gets BYE', async () => {
    const { caller, callee } = await connected();
    const status = await caller.phoneRefer('<sip:203@pbx.local>');
    expect(status).toBe(202);
    await settle();
    const [to203] = h.sip.to('203');
    expect(to203?.options.from).toContain('sip:202@');
    expect(to203?.options.headers?.['Referred-By']).toBe('<sip:201@pbx.local>');
    to203!.ring();
    await settle();
    to203!.answer();
    await settle();
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
    expect(caller.byeSent).toBe(true);
    expect(caller.notifyStatuses()).toEqual([100, 180, 200]);
  });

  test('blind REFER to a refusing target: the transferee stays, NOTIFY carries the failure', async () => {
    const { caller, callee } = await connected();
    await caller.phoneRefer('<sip:203@pbx.local>');
    await settle();
    h.sip.to('203')[0]!.refuse(486);
    await settle();
    expect(caller.notifyStatuses()).toEqual([100, 486]);
    expect(caller.byeSent).toBe(false);
    expect(callee.connected).toBe(true);
  });

  test('a REFER without a usable Refer-To is refused 400', async () => {
    const { caller } = await connected();
    expect(await caller.phoneRefer('<tel:+123>')).toBe(400);
  });
});
