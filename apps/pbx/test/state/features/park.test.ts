import { latestHeld, park, parkRetrieve } from '../../../src/state/features';
import { held, office } from './fixture';

describe('park 11 + station', () => {
  it('parks the caller’s held call at the station’s slot and starts the recall timer', async () => {
    const { calls, parks, ctx } = office(5_000);
    calls.setHeld('201', [held('201', '0301234', 4_000)]);
    const result = await park.run(ctx('201'), '201');
    expect(result).toEqual({
      reply: 480,
      effect: 'parked',
      parked: {
        slot: '201',
        callRef: 'call-201-0301234',
        legId: 'leg-0301234',
        party: '0301234',
        parkedBy: '201',
        parkedAt: 5_000,
      },
      holderLegId: 'leg-201',
      recallMs: 60_000,
    });
    expect(await parks.get('201')).toMatchObject({ party: '0301234' });
    expect(parks.effects).toEqual([
      { type: 'startTimer', timer: 'recall', slot: '201', ms: 60_000 },
    ]);
  });

  it('parks the most recently held call', async () => {
    const { calls, ctx } = office();
    calls.setHeld('201', [held('201', '202', 10), held('201', '203', 30), held('201', '204', 20)]);
    expect(await park.run(ctx('201'), '202')).toMatchObject({
      effect: 'parked',
      parked: { party: '203', slot: '202' },
    });
  });

  const refusals: Array<[string, string | undefined, boolean, string]> = [
    // name, arg, has a held call, note
    ['no held call', '202', false, 'no-held-call'],
    ['unknown station', '299', true, 'unknown-station'],
    ['no station', undefined, true, 'missing-argument'],
  ];
  it.each(refusals)('refuses: %s', async (_name, arg, hasHeld, note) => {
    const { calls, parks, ctx } = office();
    if (hasHeld) calls.setHeld('201', [held('201', '203', 1)]);
    expect(await park.run(ctx('201'), arg)).toMatchObject({ reply: 480, effect: 'none', note });
    expect(parks.effects).toEqual([]);
  });

  it('refuses a slot already in use and leaves the parked call there', async () => {
    const { calls, parks, ctx } = office();
    calls.setHeld('201', [held('201', '0301234', 1)]);
    calls.setHeld('202', [held('202', '0309999', 2)]);
    await park.run(ctx('201'), '203');
    const result = await park.run(ctx('202'), '203');
    expect(result).toMatchObject({ reply: 480, effect: 'none', note: 'slot-in-use' });
    expect((await parks.get('203'))?.party).toBe('0301234');
  });
});

describe('park retrieve 12 + station', () => {
  it('connects the caller to the parked call and frees the slot', async () => {
    const { calls, parks, ctx } = office();
    calls.setHeld('201', [held('201', '0301234', 1)]);
    await park.run(ctx('201'), '201');
    const result = await parkRetrieve.run(ctx('204'), '201');
    expect(result).toMatchObject({
      reply: 'connect',
      effect: 'retrieved',
      parked: { slot: '201', party: '0301234', parkedBy: '201' },
    });
    expect(await parks.get('201')).toBeUndefined();
    expect(parks.effects.at(-1)).toEqual({ type: 'cancelTimer', timer: 'recall', slot: '201' });
    expect(await parkRetrieve.run(ctx('203'), '201')).toMatchObject({
      reply: 480,
      effect: 'none',
      note: 'slot-empty',
    });
  });

  it('answers 480 for an empty slot or no digits', async () => {
    const { ctx } = office();
    expect(await parkRetrieve.run(ctx('204'), '202')).toMatchObject({
      reply: 480,
      note: 'slot-empty',
    });
    expect(await parkRetrieve.run(ctx('204'), undefined)).toMatchObject({
      reply: 480,
      note: 'missing-argument',
    });
  });
});

describe('latestHeld', () => {
  it('is undefined with no held call', () => {
    expect(latestHeld([])).toBeUndefined();
  });
});
