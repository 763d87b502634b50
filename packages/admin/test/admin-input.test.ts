/**
 * The shared parsers of @pbx/admin: the rules and the messages both front ends give, with the
 * caller's label in them. (The store-backed checks run in the CLI's tests and the API's
 * integration tests.)
 */
import { ConfigError } from '@pbx/config';
import {
  accountId,
  accountKind,
  authCode,
  checkWebPassword,
  codeId,
  InputError,
  parseOverflowAfter,
  parseOverflowStation,
  parseRates,
  parseTelList,
  routeEntry,
  telList,
  trunkName,
  voicemailPatch,
} from '../src';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('did not throw');
};

describe('@pbx/admin input', () => {
  test('station lists name the label and the bad item', () => {
    expect(parseTelList('201, 202,,203', '--members')).toEqual(['201', '202', '203']);
    expect(parseTelList('', '--members')).toEqual([]);
    expect(message(() => telList(['201', 'x1'], 'members'))).toBe(
      'members: "x1" is not a station number (digits, comma-separated)',
    );
    expect(() => parseTelList('2a', '--add')).toThrow(InputError);
  });

  test('voice-mail overflow: station or none, seconds in (0, 600] or default', () => {
    expect(parseOverflowStation('none', '--voicemail')).toBeNull();
    expect(parseOverflowStation(' 203 ', '--voicemail')).toBe('203');
    expect(message(() => parseOverflowStation('x', 'voicemail'))).toBe(
      'voicemail: "x" is not a station number, or none',
    );
    expect(parseOverflowAfter('default', 'a')).toBeNull();
    expect(parseOverflowAfter(12.5, 'a')).toBe(12.5);
    for (const bad of [0, 601, '-1', 'soon'])
      expect(message(() => parseOverflowAfter(bad, '--voicemail-after'))).toBe(
        '--voicemail-after: a number of seconds, 0 < s <= 600, or default',
      );
  });

  test('routes, trunk names, feature ids, accounts, auth codes', () => {
    expect(routeEntry({ prefix: 'any', trunk: 'main' })).toEqual({
      prefix: '',
      trunk: 'main',
      priority: 0,
      strip: 0,
      addPrefix: '',
    });
    expect(
      routeEntry({ prefix: '03', trunk: 'b', priority: '7', strip: 1, prepend: '+61' }),
    ).toEqual({ prefix: '03', trunk: 'b', priority: 7, strip: 1, addPrefix: '+61' });
    expect(message(() => routeEntry({ prefix: '03', trunk: 'b', strip: 33 }))).toBe(
      '--strip 33: must be an integer between 0 and 32',
    );
    expect(
      message(() =>
        routeEntry(
          { prefix: '03', trunk: 'b', priority: -1 },
          { priority: 'priority', strip: 'strip', prepend: 'prepend' },
        ),
      ),
    ).toBe('priority -1: must be an integer between 0 and 1000');
    expect(message(() => trunkName('Main'))).toBe(
      'Main: a trunk name must be 1 to 32 of a-z, 0-9, "_" or "-"',
    );
    expect(codeId('dnd')).toBe('dnd');
    expect(message(() => codeId('teleport'))).toMatch(/^teleport: unknown feature; one of .*dnd/);
    expect(message(() => accountId('a b'))).toBe(
      'account a b: must be 1 to 32 of letters, digits, "_" or "-"',
    );
    expect(accountKind('flat')).toBe('flat');
    expect(message(() => accountKind('free', 'kind'))).toBe(
      'kind free: must be prepaid, postpaid or flat',
    );
    expect(message(() => authCode('1'))).toBe('auth code 1: must be 2 to 12 digits');
  });

  test('the rate CSV: a header is optional, every bad line is named', () => {
    expect(parseRates('prefix,per_minute,minimum,increment,setup_fee\n03,0.05,60,60,0\n')).toEqual([
      { prefix: '03', perMinute: 50_000, minSeconds: 60, incrementSeconds: 60, setupFee: 0 },
    ]);
    let err: unknown;
    try {
      parseRates('03,0.05,60,60,0\n03,0.05,60,60,0\n04,x,60,60,0\n05,1\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.key)).toEqual([
      'line 2',
      'line 3 per_minute',
      'line 4',
    ]);
    expect(() => parseRates('# nothing\n')).toThrow('the file has no rate');
  });

  test('mailbox options: the PIN is hashed, conditions as words', () => {
    const p = voicemailPatch({ pin: '4321098765', when: 'busy,dnd', enabled: true });
    expect(p).toMatchObject({ enabled: true, onBusy: true, onDnd: true, onNoAnswer: false });
    expect(p?.pinHash).not.toContain('4321098765');
    expect(voicemailPatch({})).toBeUndefined();
    expect(voicemailPatch({ when: ['all'] })).toMatchObject({ onUnregistered: true });
    expect(message(() => voicemailPatch({ pin: '12' }))).toBe('--vm-pin: a PIN is 4 to 10 digits');
    expect(message(() => voicemailPatch({ when: 'none,busy' }))).toBe(
      '--vm-when: give conditions, all, or none alone',
    );
    expect(message(() => voicemailPatch({ enabled: 'yes' }))).toBe('--voicemail: say on or off');
  });

  test('web passwords: 6 to 128 printable characters', () => {
    expect(checkWebPassword('secret-1')).toBe('secret-1');
    expect(message(() => checkWebPassword('abc'))).toBe('password: must be 6 to 128 characters');
    expect(message(() => checkWebPassword('abcdef\n'))).toBe(
      'password: must not contain control characters',
    );
  });
});
