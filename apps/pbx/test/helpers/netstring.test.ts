import { netstrings } from './netstring';

const ns = (text: string): Buffer => {
  const b = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(',')]);
};

describe('ctrl_tcp netstrings', () => {
  test('a reply and an event merged in one chunk come out as two messages', () => {
    const out: string[] = [];
    const rest = netstrings(Buffer.concat([ns('{"response":true}'), ns('{"event":true}')]), out);
    expect(out).toEqual(['{"response":true}', '{"event":true}']);
    expect(rest.length).toBe(0);
  });

  test('a message split anywhere, even inside its length, is whole once the rest arrives', () => {
    const whole = Buffer.concat([ns('{"event":true,"type":"CALL_CLOSED"}'), ns('{"a":1}')]);
    for (let cut = 1; cut < whole.length; cut++) {
      const out: string[] = [];
      const rest = netstrings(whole.subarray(0, cut), out);
      const rest2 = netstrings(Buffer.concat([rest, whole.subarray(cut)]), out);
      expect([cut, out]).toEqual([cut, ['{"event":true,"type":"CALL_CLOSED"}', '{"a":1}']]);
      expect(rest2.length).toBe(0);
    }
  });

  test('lengths count bytes: a multi-byte payload does not shift the messages after it', () => {
    const out: string[] = [];
    netstrings(Buffer.concat([ns('{"param":"Zoë – ☎"}'), ns('{"token":"7"}')]), out);
    expect(out).toEqual(['{"param":"Zoë – ☎"}', '{"token":"7"}']);
  });

  test('a stream that is not netstrings throws instead of waiting for ever', () => {
    expect(() => netstrings(Buffer.from('hello:world,'), [])).toThrow(/bad netstring length/);
    expect(() => netstrings(Buffer.from('3:abcX'), [])).toThrow(/comma/);
    expect(() => netstrings(Buffer.from('x'.repeat(20)), [])).toThrow(/length/);
  });
});
