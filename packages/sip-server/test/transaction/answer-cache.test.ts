import { AnswerCache } from '../../src/transaction/answer-cache';

const dest = { protocol: 'udp' as const, address: '127.0.0.2', port: 5060 };

describe('AnswerCache', () => {
  test('answers until the TTL passes, with the exact bytes', () => {
    const c = new AnswerCache(10, 1000);
    const bytes = Buffer.from([0x53, 0x49, 0x50, 0xff, 0x00, 0x80]);
    c.add('k1', bytes, dest, 0);
    expect(c.get('k1', 999)?.bytes.equals(bytes)).toBe(true);
    expect(c.get('k1', 999)?.dest).toEqual(dest);
    expect(c.get('k1', 1000)).toBeUndefined();
    c.add('k2', bytes, dest, 1000);
    expect(c.size).toBe(1);
  });

  test('at the limit the oldest entries are evicted first', () => {
    const c = new AnswerCache(3, 1000);
    for (let i = 0; i < 5; i++) c.add(`k${i}`, Buffer.from(`r${i}`), dest, i);
    expect(c.size).toBe(3);
    expect(c.evicted).toBe(2);
    expect(c.get('k0', 10)).toBeUndefined();
    expect(c.get('k1', 10)).toBeUndefined();
    expect(c.get('k4', 10)?.bytes.toString()).toBe('r4');
  });

  test('a key added again keeps its newer answer when the older slot expires', () => {
    const c = new AnswerCache(10, 100);
    c.add('k', Buffer.from('old'), dest, 0);
    c.add('k', Buffer.from('new'), dest, 50);
    c.expire(120);
    expect(c.get('k', 120)?.bytes.toString()).toBe('new');
    c.expire(150);
    expect(c.size).toBe(0);
  });

  test('many entries expire from the front without growing the queue', () => {
    const c = new AnswerCache(100_000, 10);
    for (let i = 0; i < 50_000; i++) c.add(`k${i}`, Buffer.from('x'), dest, i);
    expect(c.size).toBeLessThanOrEqual(11);
  });
});
