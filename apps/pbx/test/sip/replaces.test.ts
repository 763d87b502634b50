import { parseReferTo, parseReplaces } from '../../src/sip/replaces';

describe('parseReplaces', () => {
  test.each([
    [
      'abc@host;to-tag=x;from-tag=y',
      { callId: 'abc@host', toTag: 'x', fromTag: 'y', earlyOnly: false },
    ],
    [
      'abc@host; from-tag=y ;to-tag=x;early-only',
      { callId: 'abc@host', toTag: 'x', fromTag: 'y', earlyOnly: true },
    ],
    [
      'eb4f000d-b85c2874@192.168.1.172;to-tag=d07b4339bf62df38o0;from-tag=ka6rnwbn36',
      {
        callId: 'eb4f000d-b85c2874@192.168.1.172',
        toTag: 'd07b4339bf62df38o0',
        fromTag: 'ka6rnwbn36',
        earlyOnly: false,
      },
    ],
  ])('%s', (value, expected) => {
    expect(parseReplaces(value)).toEqual(expected);
  });

  test.each([undefined, '', 'abc@host', 'abc@host;to-tag=x', ';to-tag=x;from-tag=y'])(
    'refuses %p',
    (value) => {
      expect(parseReplaces(value)).toBeUndefined();
    },
  );
});

describe('parseReferTo', () => {
  test('a blind target', () => {
    expect(parseReferTo('<sip:203@pbx.local>')).toEqual({ uri: 'sip:203@pbx.local', user: '203' });
    expect(parseReferTo('"Carol" <sip:203@127.0.0.1:5060;user=phone>')).toMatchObject({
      user: '203',
    });
    expect(parseReferTo('sip:203@pbx.local')).toMatchObject({ user: '203' });
  });

  test('an attended target with an escaped Replaces', () => {
    const r = parseReferTo(
      '<sip:202@pbx.local?Replaces=1-77%40127.0.0.1%3Bto-tag%3Dabc%3Bfrom-tag%3Ddef>',
    );
    expect(r).toEqual({
      uri: 'sip:202@pbx.local',
      user: '202',
      replaces: { callId: '1-77@127.0.0.1', toTag: 'abc', fromTag: 'def', earlyOnly: false },
    });
  });

  test.each([undefined, '', '<sip:pbx.local>', '<tel:+123>', '<sip:%zz@x>'])(
    'refuses %p',
    (value) => {
      expect(parseReferTo(value)).toBeUndefined();
    },
  );
});
