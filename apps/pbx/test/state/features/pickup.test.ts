import {
  findReplacedLeg,
  pickupDirected,
  pickupGroup,
  pickupMyGroup,
} from '../../../src/state/features';
import { office, ring } from './fixture';

describe('directed pickup 13 + station', () => {
  it('connects the picker to the call ringing at the station', async () => {
    const { stations, ctx } = office();
    const leg = ring(stations, '202', '203', 100);
    expect(await pickupDirected.run(ctx('201'), '202')).toEqual({
      reply: 'connect',
      effect: 'picked-up',
      call: { callRef: leg.callRef, legId: leg.legId, station: '202', caller: '203', since: 100 },
    });
  });

  const refusals: Array<
    [string, (s: ReturnType<typeof office>['stations']) => void, string | undefined, string]
  > = [
    ['nothing rings there', () => undefined, '202', 'nothing-ringing'],
    [
      'the call has not reached 180 yet',
      (s) => ring(s, '202', '203', 1, 'trying'),
      '202',
      'nothing-ringing',
    ],
    [
      'the call is already answered',
      (s) => ring(s, '202', '203', 1, 'confirmed'),
      '202',
      'nothing-ringing',
    ],
    [
      'the ringing call is the picker’s own',
      (s) => ring(s, '202', '201', 1),
      '202',
      'nothing-ringing',
    ],
    ['unknown station', () => undefined, '299', 'unknown-station'],
    ['no station', () => undefined, undefined, 'missing-argument'],
  ];
  it.each(refusals)('answers 480 when %s', async (_name, arrange, arg, note) => {
    const { stations, ctx } = office();
    arrange(stations);
    expect(await pickupDirected.run(ctx('201'), arg)).toMatchObject({
      reply: 480,
      effect: 'none',
      note,
    });
  });
});

describe('group pickup 14 + group and my-group pickup', () => {
  it('picks the call ringing longest among the group’s members', async () => {
    const { stations, ctx } = office();
    ring(stations, '202', '205', 300);
    const oldest = ring(stations, '203', '206', 100);
    ring(stations, '205', '204', 50); // group 2: not picked by group 1
    expect(await pickupGroup.run(ctx('201'), '1')).toMatchObject({
      reply: 'connect',
      call: { legId: oldest.legId, station: '203' },
    });
  });

  it('picks only in the named group', async () => {
    const { stations, ctx } = office();
    const leg = ring(stations, '206', '202', 10);
    expect(await pickupGroup.run(ctx('201'), '2')).toMatchObject({
      reply: 'connect',
      call: { legId: leg.legId },
    });
    expect(await pickupGroup.run(ctx('201'), '1')).toMatchObject({
      reply: 480,
      note: 'nothing-ringing',
    });
    expect(await pickupGroup.run(ctx('201'), '7')).toMatchObject({
      reply: 480,
      note: 'nothing-ringing',
    });
  });

  it('my-group pickup uses the caller’s own pickup group', async () => {
    const { stations, ctx } = office();
    const inTwo = ring(stations, '206', '202', 10);
    ring(stations, '203', '202', 5);
    expect(await pickupMyGroup.run(ctx('205'), undefined)).toMatchObject({
      reply: 'connect',
      call: { legId: inTwo.legId },
    });
  });

  it('my-group pickup never picks a call ringing at the picker itself', async () => {
    const { stations, ctx } = office();
    ring(stations, '201', '203', 10);
    expect(await pickupMyGroup.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      note: 'nothing-ringing',
    });
  });

  it('my-group pickup without a pickup group answers 480', async () => {
    const { stations, ctx } = office();
    stations.add('209', { pickupGroup: null });
    expect(await pickupMyGroup.run(ctx('209'), undefined)).toMatchObject({
      reply: 480,
      note: 'no-pickup-group',
    });
  });
});

describe('findReplacedLeg (busy-lamp pickup with Replaces)', () => {
  it('matches the dialog-info tags in either order', async () => {
    const { stations } = office();
    const leg = ring(stations, '202', '203', 7);
    const all = await stations.list();
    const straight = findReplacedLeg(all, {
      callId: 'cid-7@127.0.0.1',
      toTag: 'to-7',
      fromTag: 'from-7',
    });
    const crossed = findReplacedLeg(all, {
      callId: 'cid-7@127.0.0.1',
      toTag: 'from-7',
      fromTag: 'to-7',
    });
    expect(straight?.leg.legId).toBe(leg.legId);
    expect(straight?.station.number).toBe('202');
    expect(crossed?.leg.legId).toBe(leg.legId);
  });

  it('does not match another call or wrong tags', async () => {
    const { stations } = office();
    ring(stations, '202', '203', 7);
    const all = await stations.list();
    expect(
      findReplacedLeg(all, { callId: 'cid-8@127.0.0.1', toTag: 'to-7', fromTag: 'from-7' }),
    ).toBeUndefined();
    expect(
      findReplacedLeg(all, { callId: 'cid-7@127.0.0.1', toTag: 'to-7', fromTag: 'x' }),
    ).toBeUndefined();
  });

  it('with early-only, does not match an answered call', async () => {
    const { stations } = office();
    ring(stations, '202', '203', 7, 'confirmed');
    const all = await stations.list();
    const r = { callId: 'cid-7@127.0.0.1', toTag: 'to-7', fromTag: 'from-7' };
    expect(findReplacedLeg(all, { ...r, earlyOnly: true })).toBeUndefined();
    expect(findReplacedLeg(all, r)?.leg.state).toBe('confirmed');
  });
});
