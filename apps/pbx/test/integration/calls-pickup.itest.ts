/**
 * Call pickup: directed (13 + station), group (14 + group) and my-group (assigned code) by
 * feature code, and busy-lamp pickup by INVITE with Replaces naming the ringing dialog. The
 * picking phone is connected to the caller and the ringing phone gets CANCEL.
 */
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';

jest.setTimeout(60_000);

describe('call pickup', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    for (const tel of ['202', '203']) await h.station(tel);
    await h.station('204', { pickupGroup: 2 });
    await h.station('205', { pickupGroup: 2 });
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const ringing = (tel: string) => () =>
    h.cc.stations.peek(tel)?.legs.some((l) => l.direction === 'inbound' && l.state === 'early') ??
    false;

  /** 201 calls `callee`, `picker` takes the call with `dial` (a scenario expecting 200). */
  async function pickup(
    callee: string,
    picker: string,
    dial: string,
    scenarioName = 'uac-invite-expect-200.xml',
    keys?: () => Record<string, string>,
  ) {
    const ringingPhone = await h.phone(callee, 'uas-ring-expect-cancel.xml');
    const caller = await h.startCall('201', callee, 'uac-invite-expect-200-recv-bye.xml');
    await waitFor(`${callee} ringing`, ringing(callee));
    const r = await h.call(picker, dial, scenarioName, {
      pauseMs: 200,
      ...(keys ? { keys: keys() } : {}),
    });
    expectPhoneOk(r, `picker ${picker}`);
    expectPhoneOk(await ringingPhone.done, `ringing ${callee} cancelled`);
    const c = await caller.done;
    expectPhoneOk(c, 'caller 201');
    // Each phone got the other's media: the picker the caller's, the caller the picker's.
    expect(bodyOf(findReceived(r, /^SIP\/2\.0 200 /))).toMatch(/^o=201 /m);
    expect(bodyOf(findReceived(c, /^SIP\/2\.0 200 /))).toMatch(new RegExp(`^o=${picker} `, 'm'));
    await h.settle();
    return (await h.pbx.ctx.store.cdrs.list({ ext: '201', limit: 1 }))[0];
  }

  test('directed pickup: 13 + the ringing station', async () => {
    const cdr = await pickup('202', '203', '13202');
    expect(cdr).toMatchObject({
      callerTel: '201',
      calleeTel: '203',
      pickedUpFrom: '202',
      disposition: 'answered',
    });
  });

  test('group pickup: 14 + the pickup group of the ringing station', async () => {
    const cdr = await pickup('204', '203', '142');
    expect(cdr).toMatchObject({ calleeTel: '203', pickedUpFrom: '204' });
  });

  test('my-group pickup once its code is assigned', async () => {
    await h.pbx.ctx.store.numberPlan.set('pickup.myGroup', '15');
    await h.cc.plan.reload();
    const cdr = await pickup('205', '204', '15');
    expect(cdr).toMatchObject({ calleeTel: '204', pickedUpFrom: '205' });
  });

  test('busy-lamp pickup: INVITE with Replaces naming the ringing dialog', async () => {
    let replaces = '';
    const cdr = await pickup('202', '203', '202', 'uac-invite-replaces-expect-200.xml', () => {
      const d = h.cc.stations.peek('202')!.legs[0]!.dialog;
      replaces = `${d.callId};to-tag=${d.localTag};from-tag=${d.remoteTag}`;
      return { replaces };
    });
    expect(replaces).toMatch(/;to-tag=.+;from-tag=.+/);
    expect(cdr).toMatchObject({ calleeTel: '203', pickedUpFrom: '202' });
  });

  test('Replaces naming no dialog gets 481', async () => {
    const r = await h.call('203', '202', 'uac-invite-replaces-expect-481.xml', {
      keys: { replaces: 'nothing@127.0.0.1;to-tag=a;from-tag=b' },
    });
    expectPhoneOk(r, 'replaces nothing');
    await h.settle();
    expect((await h.pbx.ctx.store.cdrs.list({ ext: '203', limit: 1 }))[0]).toMatchObject({
      dialled: '202',
      sipStatus: 481,
      disposition: 'rejected',
    });
  });
});
