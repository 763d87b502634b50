import { classify, defaultCodes } from '@pbx/dialplan';
import {
  conference,
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
      size: 2,
    });
    // 201 calls 203, holds it and dials 46 (the old call to 202 is still listed as held).
    calls.setHeld('201', [held('201', '202', 10), held('201', '203', 20)]);
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      effect: 'conference-joined',
      member: { party: '203' },
      size: 3,
    });
    // 46 again, no newly held call: start.
    const started = await conference.run(ctx('201'), undefined);
    expect(started).toMatchObject({
      reply: 480,
      effect: 'conference-started',
      room: { owner: '201', started: true },
    });
    expect((await conferences.get('201'))?.members.map((m) => m.party)).toEqual(['202', '203']);
  });

  it('46 without a held call or a room answers 480 and changes nothing', async () => {
    const { conferences, ctx } = office();
    expect(await conference.run(ctx('201'), undefined)).toMatchObject({
      reply: 480,
      effect: 'none',
      note: 'no-held-call',
    });
    expect(await conferences.get('201')).toBeUndefined();
  });

  it('refuses a sixth party', async () => {
    const { calls, conferences, ctx } = office();
    const parties = ['202', '203', '204', '205', '206'];
    for (let i = 0; i < parties.length; i++) {
      calls.setHeld(
        '201',
        parties.slice(0, i + 1).map((p, j) => held('201', p, j)),
      );
      const result = await conference.run(ctx('201'), undefined);
      if (i < MAX_CONFERENCE_PARTIES - 1)
        expect(result).toMatchObject({ effect: 'conference-joined', size: i + 2 });
      else expect(result).toMatchObject({ reply: 480, effect: 'none', note: 'conference-full' });
    }
    expect((await conferences.get('201'))?.members).toHaveLength(4);
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
