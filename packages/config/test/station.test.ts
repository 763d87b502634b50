import { ConfigError, parseStationCreate, parseStationUpdate } from '../src';

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('station input rules (OfficeServ 4.7)', () => {
  it('defaults the user ID to the tel number', () => {
    expect(parseStationCreate({ tel: '201', password: 'secret1' })).toEqual({
      tel: '201',
      userId: '201',
      password: 'secret1',
    });
  });

  it.each([
    [{ tel: '201' }, 'password: must be a string of 6 to 64 characters'],
    [{ tel: '201', password: 'abc12' }, 'password: must be at least 6 characters'],
    [{ tel: '201', password: 'x'.repeat(65) }, 'password: must be at most 64 characters'],
    [
      { tel: '201', password: 'pass word' },
      'password: may contain only letters, digits and !@#$%^&*',
    ],
    [
      { tel: '201', password: 'pässword' },
      'password: may contain only letters, digits and !@#$%^&*',
    ],
    [
      { tel: '201', userId: 'alice1', password: 'ALICE1' },
      'password: must differ from the user ID',
    ],
    [{ tel: '201201', password: '201201' }, 'password: must differ from the user ID'],
    [
      { tel: '201201', userId: 'bob', password: '201201' },
      'password: must differ from the tel number',
    ],
    [{ tel: '2', password: 'secret1' }, 'tel: must be 2 to 8 digits'],
    [{ tel: '123456789', password: 'secret1' }, 'tel: must be 2 to 8 digits'],
    [{ tel: '20a', password: 'secret1' }, 'tel: must be 2 to 8 digits'],
    [
      { tel: '201', userId: '', password: 'secret1' },
      'userId: must be 1 to 32 letters, digits, ".", "_" or "-"',
    ],
    [
      { tel: '201', userId: 'a b', password: 'secret1' },
      'userId: must be 1 to 32 letters, digits, ".", "_" or "-"',
    ],
    [
      { tel: '201', password: 'secret1', toneSource: 'radio' },
      'toneSource: must be system or phone',
    ],
    [{ tel: '201', password: 'secret1', dtmfType: 'sip' }, 'dtmfType: must be rfc2833 or info'],
    [{ tel: '201', password: 'secret1', natCheck: 'port' }, 'natCheck: must be ip or ip-port'],
    [
      { tel: '201', password: 'secret1', insertTrunkType: 'both' },
      'insertTrunkType: must be incoming or outgoing or none',
    ],
    [
      { tel: '201', password: 'secret1', insertTrunkPort: '80a' },
      'insertTrunkPort: must be up to 8 digits, or none',
    ],
    [{ tel: '201', password: 'secret1', useWhitelist: 'maybe' }, 'useWhitelist: must be on or off'],
    [
      { tel: '201', password: 'secret1', pickupGroup: '100' },
      'pickupGroup: must be an integer between 0 and 99 (0 for none)',
    ],
    [
      { tel: '201', password: 'secret1', forwardUnreachable: '201' },
      'forwardUnreachable: must be another station',
    ],
    [
      { tel: '201', password: 'secret1', forwardUnreachable: 'x' },
      'forwardUnreachable: must be a station number (2 to 8 digits), or none',
    ],
    [
      { tel: '201', password: 'secret1', forwardAll: '12ab' },
      'forwardAll: must be 1 to 32 digits, or none',
    ],
    [
      { tel: '201', password: 'secret1', forwardNoAnswerTimer: '0' },
      'forwardNoAnswerTimer: must be a number of seconds greater than 0 and at most 600, or default',
    ],
    [
      { tel: '201', password: 'secret1', name: 'a\u0007' },
      'name: must not contain control characters, quotes or < >',
    ],
    [{ tel: '201', password: 'secret1', colour: 'red' }, 'colour: is not a station setting'],
  ])('%p → %s', (input, message) => {
    expect(messages(() => parseStationCreate(input))).toContain(message);
  });

  it('never echoes the password in a message', () => {
    for (const password of ['ab', 'has space!', 'alice1']) {
      const text = messages(() =>
        parseStationCreate({ tel: '201', userId: 'alice1', password }),
      ).join('\n');
      expect(text).not.toContain(password === 'alice1' ? 'alice1"' : password);
    }
  });

  it('converts command-line text to typed settings', () => {
    expect(
      parseStationCreate({
        tel: '201',
        password: 'Secr3t!@#$%^&*',
        name: 'Front desk',
        toneSource: 'PHONE',
        callWaiting: 'on',
        forwardUnreachable: '202',
        dtmfType: 'INFO',
        insertTrunkPort: '802',
        insertTrunkType: 'incoming',
        natCheck: 'ip-port',
        useWhitelist: 'off',
        pickupGroup: '3',
        forwardAll: 'none',
        forwardNoAnswerTimer: '20',
        dnd: 'yes',
      }),
    ).toEqual({
      tel: '201',
      userId: '201',
      password: 'Secr3t!@#$%^&*',
      name: 'Front desk',
      toneSource: 'phone',
      callWaiting: true,
      forwardUnreachable: '202',
      dtmfType: 'info',
      insertTrunkPort: '802',
      insertTrunkType: 'incoming',
      natCheck: 'ip-port',
      useWhitelist: false,
      pickupGroup: 3,
      forwardAll: null,
      forwardNoAnswerTimer: 20,
      dnd: true,
    });
  });

  it('checks a new password on update against the current or new user ID', () => {
    expect(messages(() => parseStationUpdate('201', 'alice1', { password: 'alice1' }))).toEqual([
      'password: must differ from the user ID',
    ]);
    expect(
      messages(() => parseStationUpdate('201', 'alice1', { userId: 'bob123', password: 'BOB123' })),
    ).toEqual(['password: must differ from the user ID']);
    expect(parseStationUpdate('201', 'alice1', { userId: 'bob123', password: 'alice1' })).toEqual({
      userId: 'bob123',
      password: 'alice1',
    });
    expect(
      parseStationUpdate('201', '201', { forwardUnreachable: 'none', insertTrunkPort: 'none' }),
    ).toEqual({
      forwardUnreachable: null,
      insertTrunkPort: '',
    });
    expect(messages(() => parseStationUpdate('201', '201', { forwardUnreachable: '201' }))).toEqual(
      ['forwardUnreachable: must be another station'],
    );
  });
});
