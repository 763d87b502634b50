import { ChurnMap } from '../src/churn-map';

/** Keys a plain object would treat specially: array indices, prototype names, U+0000, empty. */
const KEYS = [
  '0',
  '7',
  '42',
  '4294967294',
  '007',
  '1e3',
  '9-1@127.0.0.2',
  '12345678901234567890',
  '',
  '\u0000',
  '\u00000',
  '\u0000a',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'z9hG4bK-1|127.0.0.2:5060|REGISTER',
  '6f1c0a2e-4b1d-4c3e-9f00-00000000002a',
  'b',
  'a',
];

/** A small seeded generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ChurnMap', () => {
  test('matches a Map, insertion order included, over random sets and deletes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const model = new Map<string, number>();
      const m = new ChurnMap<number>();
      for (let i = 0; i < 2000; i++) {
        const key = KEYS[Math.floor(next() * KEYS.length)]!;
        const r = next();
        if (r < 0.5) {
          expect(m.set(key, i)).toBe(m);
          model.set(key, i);
        } else if (r < 0.8) {
          expect(m.delete(key)).toBe(model.delete(key));
        } else if (r < 0.82) {
          m.clear();
          model.clear();
        }
        expect(m.size).toBe(model.size);
        expect(m.get(key)).toBe(model.get(key));
        expect(m.has(key)).toBe(model.has(key));
        if (i % 50 === 0) {
          expect([...m.keys()]).toEqual([...model.keys()]);
          expect([...m.values()]).toEqual([...model.values()]);
          expect([...m]).toEqual([...model]);
        }
      }
      expect([...m.entries()]).toEqual([...model.entries()]);
    }
  });

  test('a key set again keeps its place; deleted and added again goes last', () => {
    const m = new ChurnMap<string>();
    m.set('2', 'two').set('b', 'b').set('1', 'one');
    m.set('2', 'TWO');
    expect([...m]).toEqual([
      ['2', 'TWO'],
      ['b', 'b'],
      ['1', 'one'],
    ]);
    m.delete('2');
    m.set('2', 'again');
    expect([...m.keys()]).toEqual(['b', '1', '2']);
  });

  test('entries deleted during an iteration are not visited', () => {
    const m = new ChurnMap<number>();
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    const seen: number[] = [];
    for (const v of m.values()) {
      seen.push(v);
      m.delete(`k${v + 1}`);
    }
    expect(seen).toEqual([0, 2, 4, 6, 8]);
    expect(m.size).toBe(5);
  });

  test('prototype names are plain keys', () => {
    const m = new ChurnMap<number>();
    expect(m.get('toString')).toBeUndefined();
    expect(m.has('__proto__')).toBe(false);
    m.set('__proto__', 1);
    expect(m.get('__proto__')).toBe(1);
    expect(m.size).toBe(1);
    expect([...m.keys()]).toEqual(['__proto__']);
  });
});
