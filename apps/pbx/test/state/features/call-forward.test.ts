import { FEATURE_HANDLERS, forwardClear, dnd } from '../../../src/state/features';
import type { ForwardSetting } from '../../../src/state/station-state';
import { office } from './fixture';

describe('call forward 601-604', () => {
  const cases: Array<
    [
      'forward.all' | 'forward.busy' | 'forward.noAnswer' | 'forward.busyNoAnswer',
      ForwardSetting['type'],
    ]
  > = [
    ['forward.all', 'all'],
    ['forward.busy', 'busy'],
    ['forward.noAnswer', 'noAnswer'],
    ['forward.busyNoAnswer', 'busyNoAnswer'],
  ];

  it.each(cases)('%s 202 sets a %s forward and persists it', async (feature, type) => {
    const { stations, ctx } = office();
    const result = await FEATURE_HANDLERS[feature].run(ctx('201'), '202');
    expect(result).toEqual({
      reply: 480,
      effect: 'forward-set',
      station: '201',
      forward: { type, target: '202' },
    });
    expect(stations.peek('201')?.settings.forward).toEqual({ type, target: '202' });
    expect(stations.effects).toEqual([
      {
        station: '201',
        effect: { type: 'persistSettings', settings: stations.peek('201')?.settings },
      },
    ]);
  });

  const refusals: Array<[string, string | undefined, string]> = [
    ['to itself', '201', 'forward-to-self'],
    ['to an unknown station', '299', 'unknown-station'],
    ['without a destination', undefined, 'missing-argument'],
    ['with empty digits', '', 'missing-argument'],
  ];

  it.each(refusals)(
    'refuses a forward %s, answers 480 and changes nothing',
    async (_name, arg, note) => {
      const { stations, ctx } = office();
      await stations.dispatch('201', {
        type: 'forwardSet',
        forward: { type: 'busy', target: '203' },
      });
      stations.effects.length = 0;
      const result = await FEATURE_HANDLERS['forward.all'].run(ctx('201'), arg);
      expect(result).toMatchObject({ reply: 480, effect: 'none', note });
      expect(stations.peek('201')?.settings.forward).toEqual({ type: 'busy', target: '203' });
      expect(stations.effects).toEqual([]);
    },
  );

  it('sets a forward to an outside number (trunk access code + number) when trunks know it', async () => {
    const { stations, ctx } = office();
    const isOutside = (n: string): boolean => /^9\d+$/.test(n);
    const result = await FEATURE_HANDLERS['forward.noAnswer'].run(
      { ...ctx('201'), isOutside },
      '90398722900',
    );
    expect(result).toMatchObject({
      effect: 'forward-set',
      forward: { type: 'noAnswer', target: '90398722900' },
    });
    expect(stations.peek('201')?.settings.forward).toEqual({
      type: 'noAnswer',
      target: '90398722900',
    });
    // Without trunks the same digits are an unknown station.
    const none = await FEATURE_HANDLERS['forward.all'].run(ctx('202'), '90398722900');
    expect(none).toMatchObject({ effect: 'none', note: 'unknown-station' });
  });

  it('a new forward replaces the old one', async () => {
    const { stations, ctx } = office();
    await FEATURE_HANDLERS['forward.all'].run(ctx('201'), '202');
    await FEATURE_HANDLERS['forward.noAnswer'].run(ctx('201'), '203');
    expect(stations.peek('201')?.settings.forward).toEqual({ type: 'noAnswer', target: '203' });
  });

  it('600 clears the forward but keeps forward unreachable', async () => {
    const { stations, ctx } = office();
    stations.add('207', { unreachableTarget: '202', forward: { type: 'all', target: '203' } });
    const result = await forwardClear.run(ctx('207'), undefined);
    expect(result).toEqual({ reply: 480, effect: 'forward-cleared', station: '207' });
    expect(stations.peek('207')?.settings).toMatchObject({
      forward: null,
      unreachableTarget: '202',
    });
  });
});

describe('DND 40', () => {
  const cases: Array<[string | undefined, object, boolean]> = [
    ['1', { reply: 480, effect: 'dnd-set', station: '201', on: true }, true],
    ['0', { reply: 480, effect: 'dnd-set', station: '201', on: false }, false],
    ['2', { reply: 480, effect: 'none', note: 'bad-argument' }, false],
    [undefined, { reply: 480, effect: 'none', note: 'missing-argument' }, false],
  ];
  it.each(cases)('40 + %s', async (arg, expected, on) => {
    const { stations, ctx } = office();
    expect(await dnd.run(ctx('201'), arg)).toMatchObject(expected);
    expect(stations.peek('201')?.settings.dnd).toBe(on);
  });

  it('turning DND on twice still answers 480 and leaves it on', async () => {
    const { stations, ctx } = office();
    await dnd.run(ctx('201'), '1');
    expect(await dnd.run(ctx('201'), '1')).toMatchObject({
      reply: 480,
      effect: 'dnd-set',
      on: true,
    });
    expect(stations.peek('201')?.settings.dnd).toBe(true);
  });
});

describe('601-604 + the voice-mail code', () => {
  it.each([
    ['forward.all', 'all'],
    ['forward.busy', 'busy'],
    ['forward.noAnswer', 'noAnswer'],
    ['forward.busyNoAnswer', 'busyNoAnswer'],
  ] as const)('%s 88 forwards to the own mailbox (stored as the own number)', async (f, type) => {
    const { stations, ctx } = office();
    const result = await FEATURE_HANDLERS[f].run(
      { ...ctx('201'), voicemailCode: '88', hasMailbox: () => true },
      '88',
    );
    expect(result).toEqual({
      reply: 480,
      effect: 'forward-set',
      station: '201',
      forward: { type, target: '201' },
    });
    expect(stations.peek('201')?.settings.forward).toEqual({ type, target: '201' });
  });

  it('refuses when the mailbox is off, and changes nothing', async () => {
    const { stations, ctx } = office();
    const result = await FEATURE_HANDLERS['forward.all'].run(
      { ...ctx('201'), voicemailCode: '88', hasMailbox: (s) => s !== '201' },
      '88',
    );
    expect(result).toMatchObject({ reply: 480, effect: 'none', note: 'mailbox-off' });
    expect(stations.peek('201')?.settings.forward).toBeNull();
  });

  it('without voice mail installed the code is an unknown destination', async () => {
    const { ctx } = office();
    const result = await FEATURE_HANDLERS['forward.all'].run(ctx('201'), '88');
    expect(result).toMatchObject({ effect: 'none', note: 'unknown-station' });
  });
});
