import { BoundedLru } from '../../src/registrar/lru';

test('keeps at most maxEntries, pushing out the least recently used', () => {
  const lru = new BoundedLru<string, number>(2);
  expect(lru.set('a', 1)).toBeUndefined();
  lru.set('b', 2);
  expect(lru.get('a')).toBe(1); // a is now newer than b
  expect(lru.set('c', 3)).toEqual(['b', 2]);
  expect([...lru.entries()]).toEqual([
    ['a', 1],
    ['c', 3],
  ]);
  expect(lru.peek('a')).toBe(1);
  expect(lru.set('d', 4)).toEqual(['a', 1]); // peek did not refresh a
  lru.set('c', 30);
  expect(lru.size).toBe(2);
  expect(lru.delete('c')).toBe(true);
  expect(lru.has('c')).toBe(false);
  lru.clear();
  expect(lru.size).toBe(0);
  expect(() => new BoundedLru(0)).toThrow(RangeError);
});
