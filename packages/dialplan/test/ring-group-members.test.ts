import { checkRingGroupMembers, RING_GROUP_MAX_SIP_MEMBERS } from '@pbx/dialplan';

const isStation = (n: string) => /^2\d\d$/.test(n);
const members = (n: number) => Array.from({ length: n }, (_, i) => String(201 + i));

describe('checkRingGroupMembers', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['empty', [], []],
    ['ten stations', members(10), []],
    ['eleven stations', members(11), ['a ring group has at most 10 SIP members, got 11']],
    ['unknown member', ['201', '999'], ['999 is not a station']],
    ['duplicate', ['201', '202', '201'], ['201 is listed more than once']],
    [
      'duplicates do not count twice toward the limit',
      [...members(10), '201'],
      ['201 is listed more than once'],
    ],
  ];
  it.each(cases)('%s', (_name, list, problems) => {
    expect(checkRingGroupMembers(list, isStation)).toEqual(problems);
  });

  it('uses the manual’s limit of 10', () => {
    expect(RING_GROUP_MAX_SIP_MEMBERS).toBe(10);
  });
});
