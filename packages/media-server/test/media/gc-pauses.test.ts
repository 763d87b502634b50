import { GcPauses } from '../../src/media/gc-pauses';

describe('GcPauses allocation count', () => {
  it('counts nothing before the first take, then the bytes allocated between takes', () => {
    const g = new GcPauses();
    try {
      expect(g.take().allocatedBytes).toBe(0);
      // 200,000 short-lived objects of 40 numbers each (≥ 320 bytes on the JS heap apiece, 64 MB
      // or more in all: past the young generation, so the count spans several scavenges). They
      // escape into a small ring so no compiler can leave them unallocated.
      const ring: number[][] = new Array<number[]>(64);
      for (let i = 0; i < 200000; i++) ring[i & 63] = new Array<number>(40).fill(i + 0.5);
      expect(ring[0]?.length).toBe(40);
      const busy = g.take().allocatedBytes;
      expect(busy).toBeGreaterThan(40 * 1024 * 1024);
      const idle = g.take().allocatedBytes;
      expect(idle).toBeLessThan(busy / 10);
    } finally {
      g.stop();
    }
  });
});
