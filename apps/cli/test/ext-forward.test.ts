import { CliFixture, expectFailure } from './helpers';

interface StationJson {
  forwardAll: string | null;
  forwardBusy: string | null;
  forwardNoAnswer: string | null;
  forwardBusyNoAnswer: string | null;
  forwardNoAnswerTimer: number | null;
  dnd: boolean;
}

const forwards = (s: StationJson): (string | null)[] => [
  s.forwardAll,
  s.forwardBusy,
  s.forwardNoAnswer,
  s.forwardBusyNoAnswer,
];

describe('pbx ext set: forward and DND', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    await f.ok('ext', 'add', '201', '--password', 'secret1');
    await f.ok('ext', 'add', '202', '--password', 'secret2');
  });
  afterEach(() => f.cleanup());

  const show = (): Promise<StationJson> => f.json<StationJson>('ext', 'show', '201');

  it('keeps one forward at a time: setting a type replaces the others, as 601-604 do', async () => {
    await f.ok('ext', 'set', '201', '--forward-all', '202');
    expect(forwards(await show())).toEqual(['202', null, null, null]);
    await f.ok('ext', 'set', '201', '--forward-busy', '90123');
    expect(forwards(await show())).toEqual([null, '90123', null, null]);
    await f.ok(
      'ext',
      'set',
      '201',
      '--forward-no-answer',
      '202',
      '--forward-no-answer-timer',
      '25',
    );
    expect(await show()).toMatchObject({
      forwardNoAnswer: '202',
      forwardBusy: null,
      forwardNoAnswerTimer: 25,
    });
    await f.ok('ext', 'set', '201', '--forward-busy-no-answer', '202');
    expect(forwards(await show())).toEqual([null, null, null, '202']);
    // Setting one type to none leaves the others alone.
    await f.ok('ext', 'set', '201', '--forward-all', 'none');
    expect(forwards(await show())).toEqual([null, null, null, '202']);
    // Other settings leave the forward alone.
    await f.ok('ext', 'set', '201', '--dnd', 'on');
    expect(await show()).toMatchObject({ forwardBusyNoAnswer: '202', dnd: true });
  });

  it('clears every forward with --forward-clear, like 600; the timer and DND stay', async () => {
    await f.ok(
      'ext',
      'set',
      '201',
      '--forward-busy',
      '202',
      '--forward-no-answer-timer',
      '30',
      '--dnd',
      'on',
    );
    expect(await f.ok('ext', 'set', '201', '--forward-clear')).toBe('station 201 updated\n');
    expect(await show()).toMatchObject({
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: null,
      forwardNoAnswerTimer: 30,
      dnd: true,
    });
    await f.ok('ext', 'set', '201', '--dnd', 'off', '--forward-no-answer-timer', 'default');
    expect(await show()).toMatchObject({ dnd: false, forwardNoAnswerTimer: null });
  });

  it('refuses two forward destinations, or one with --forward-clear (exit 2), changing nothing', async () => {
    await f.ok('ext', 'set', '201', '--forward-all', '202');
    expectFailure(
      await f.pbx('ext', 'set', '201', '--forward-busy', '202', '--forward-no-answer', '202'),
      2,
      '--forward-busy, --forward-no-answer: give one forward destination; a station has one call forward at a time (as with 601-604)',
    );
    expectFailure(
      await f.pbx('ext', 'set', '201', '--forward-clear', '--forward-busy', '202'),
      2,
      '--forward-clear: cannot be combined with --forward-busy',
    );
    expectFailure(
      await f.pbx(
        'ext',
        'add',
        '203',
        '--password',
        'secret3',
        '--forward-all',
        '201',
        '--forward-busy',
        '202',
      ),
      2,
      /^error: --forward-all, --forward-busy: give one forward destination/,
    );
    expect(forwards(await show())).toEqual(['202', null, null, null]);
    expectFailure(
      await f.pbx('ext', 'set', '201', '--dnd', 'maybe'),
      2,
      '--dnd: must be on or off',
    );
    expectFailure(await f.pbx('ext', 'set', '299', '--forward-clear'), 1, 'station 299 not found');
  });
});
