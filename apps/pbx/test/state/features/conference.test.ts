import { classify, defaultCodes } from '@pbx/dialplan';
import {
  conference,
  conferenceRoom,
  FEATURE_HANDLERS,
  MAX_CONFERENCE_PARTIES,
  runFeature,
} from '../../../src/state/features';
import { FEATURE_IDS } from '@pbx/dialplan';
import { held, office } from './fixture';

describe('conference 46 (the manual’s sequence)', () => {
  it('hold + 46 adds members; 46 again starts the conference', async () => {
    const { calls, conferences, ctx } = office();
    // SIPP1 (201) holds SIPP2 (202) and dials 46.
    calls.setHeld('201', [held('201', '202', 10)]);
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      effect: 'conference-joined',
      owner: '201',
      member: { party: '202' },
      ownerTalking: false,
      size: 2,
    });
    // The runner moved 202 into the conference (its held call is gone); 201 calls 203, holds it.
    await conferences.put({ owner: '201', members: 1, started: false });
    calls.setHeld('201', [held('201', '203', 20)]);
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      effect: 'conference-joined',
      member: { party: '203' },
      size: 3,
    });
    await conferences.put({ owner: '201', members: 2, started: false });
    calls.setHeld('201', []);
    // 46 again, no newly held call: start.
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      effect: 'conference-started',
      room: { owner: '201', members: 2, started: true },
    });
  });

  it('a phone that did not hold: its connected call is conferenced, the owner talking', async () => {
    const { calls, ctx } = office();
    calls.setTalking('201', [held('201', '202', 5)]);
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      effect: 'conference-joined',
      member: { party: '202' },
      ownerTalking: true,
    });
  });

  it('46 without a held call or a room answers 480 and changes nothing', async () => {
    const { ctx } = office();
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      effect: 'none',
      note: 'no-held-call',
    });
  });

  it('refuses a member beyond the limit (the owner counts), configurable', async () => {
    const { calls, conferences, ctx } = office();
    calls.setHeld('201', [held('201', '206', 1)]);
    await conferences.put({ owner: '201', members: MAX_CONFERENCE_PARTIES - 2, started: false });
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      effect: 'conference-joined',
      size: MAX_CONFERENCE_PARTIES,
    });
    await conferences.put({ owner: '201', members: MAX_CONFERENCE_PARTIES - 1, started: false });
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      effect: 'none',
      note: 'conference-full',
    });
    const three = { ...ctx('201'), conferenceMaxParties: 3 };
    await conferences.put({ owner: '201', members: 2, started: false });
    expect(await conference.run(three, undefined)).toMatchObject({ note: 'conference-full' });
  });
});

describe('conference room', () => {
  it('connects the caller to the room it dialled, until the room is full', async () => {
    const { conferences, ctx } = office();
    const c = { ...ctx('202'), dialled: '803' };
    expect(await conferenceRoom.run(c, '3')).toEqual({
      reply: 'connect',
      effect: 'room-joined',
      room: '803',
    });
    await conferences.put({ owner: '803', members: MAX_CONFERENCE_PARTIES, started: true });
    expect(await conferenceRoom.run(c, '3')).toMatchObject({
      effect: 'none',
      note: 'conference-full',
    });
  });
});

describe('FEATURE_HANDLERS and runFeature', () => {
  it('has a handler for every feature code, under its own id', () => {
    for (const id of FEATURE_IDS) expect(FEATURE_HANDLERS[id].feature).toBe(id);
  });

  const plan = {
    codes: { ...defaultCodes(), 'pickup.myGroup': '15' },
    isStation: (n: string) => /^20[1-6]$/.test(n),
    isGroup: () => false,
  };

  const cases: Array<[string, object]> = [
    ['601205', { reply: 480, effect: 'forward-set', forward: { type: 'all', target: '205' } }],
    ['600', { reply: 480, effect: 'forward-cleared' }],
    ['401', { reply: 480, effect: 'dnd-set', on: true }],
    ['402', { reply: 480, effect: 'none', note: 'bad-argument' }],
    ['40', { reply: 480, effect: 'none', note: 'missing-argument' }],
    ['601299', { reply: 480, effect: 'none', note: 'unknown-station' }],
    ['601201', { reply: 480, effect: 'none', note: 'forward-to-self' }],
    ['6001', { reply: 480, effect: 'none', note: 'bad-argument' }],
    ['12202', { reply: 480, effect: 'none', note: 'slot-empty' }],
    ['13202', { reply: 480, effect: 'none', note: 'nothing-ringing' }],
    ['141', { reply: 480, effect: 'none', note: 'nothing-ringing' }],
    ['15', { reply: 480, effect: 'none', note: 'nothing-ringing' }],
    ['46', { reply: 480, effect: 'none', note: 'no-held-call' }],
    ['11202', { reply: 480, effect: 'none', note: 'no-held-call' }],
  ];

  it.each(cases)('201 dials %s', async (digits, expected) => {
    const { ctx } = office();
    const c = classify(digits, plan);
    if (c.kind !== 'feature' && c.kind !== 'featureError')
      throw new Error(`${digits} is ${c.kind}`);
    const result = await runFeature(c, ctx('201'));
    expect(result).toMatchObject(expected);
    // Every refusal says why, for the log.
    if (result.effect === 'none') expect(result.detail.length).toBeGreaterThan(0);
  });
});
