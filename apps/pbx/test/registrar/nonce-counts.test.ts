import { NonceCounts } from '../../src/registrar/nonce-counts';

/** The same contract as a Map in recency order: what NonceCounts replaced. */
class Model {
  readonly map = new Map<string, { nc: number; issuedAt: number }>();
  constructor(private readonly max: number) {}
  find(k: string) {
    const v = this.map.get(k);
    if (v) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  add(k: string, nc: number, issuedAt: number) {
    this.map.set(k, { nc, issuedAt });
    if (this.map.size <= this.max) return undefined;
    const [oldest, v] = this.map.entries().next().value as [string, { issuedAt: number }];
    this.map.delete(oldest);
    return { issuedAt: v.issuedAt };
  }
}

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('NonceCounts', () => {
  test('behaves as a recency-ordered map under a long random mix of finds, adds and evictions', () => {
    for (const max of [1, 2, 7, 64]) {
      const t = new NonceCounts(max);
      const m = new Model(max);
      const next = rng(max);
      // Few distinct keys, some sharing their low word, so probe runs collide and wrap.
      const keys = Array.from({ length: max * 3 + 5 }, (_, i) => [next() % 97, i % 5] as const);
      for (let step = 0; step < 20_000; step++) {
        const [hi, lo] = keys[next() % keys.length]!;
        const k = `${hi}:${lo}`;
        const i = t.find(hi, lo);
        const v = m.find(k);
        expect(i >= 0).toBe(v !== undefined);
        if (v) {
          expect(t.countOf(i)).toBe(v.nc);
          if (next() % 2) {
            t.setCount(i, step);
            v.nc = step;
          }
        } else {
          expect(t.add(hi, lo, step, step)).toEqual(m.add(k, step, step));
        }
        expect(t.size).toBe(m.map.size);
      }
    }
  });

  test('a full table of 65,536 forgets the least recently used first', () => {
    const t = new NonceCounts(65_536);
    for (let i = 0; i < 65_536; i++) expect(t.add(i * 7919, i, 1, i)).toBeUndefined();
    // Touch the oldest: the second oldest goes first.
    expect(t.find(0, 0)).toBeGreaterThanOrEqual(0);
    expect(t.add(1, 1 << 30, 1, 70_000)).toEqual({ issuedAt: 1 });
    expect(t.find(7919, 1)).toBe(-1);
    expect(t.find(0, 0)).toBeGreaterThanOrEqual(0);
    expect(t.size).toBe(65_536);
  });
});
