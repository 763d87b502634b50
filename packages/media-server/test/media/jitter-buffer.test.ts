import { JitterBuffer } from '../../src/media/jitter-buffer';

/** A frame whose every sample is `n`, so the output shows which packet was played. */
const frame = (n: number): Int16Array => new Int16Array(160).fill(n);
const TS0 = 4294967296 - 800; // wraps after five frames
const ts = (i: number): number => (TS0 + i * 160) >>> 0;
const played = (f: Int16Array | null): number | null => (f ? (f[0] as number) : null);

describe('JitterBuffer', () => {
  it('plays in order after the target delay, across the timestamp wrap', () => {
    const jb = new JitterBuffer({ minFrames: 2 });
    const out: (number | null)[] = [];
    for (let i = 0; i < 10; i++) {
      jb.push(ts(i), frame(i + 1), i * 20);
      out.push(played(jb.pull()));
    }
    expect(out).toEqual([null, null, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reorders packets that arrive out of order within the delay', () => {
    const jb = new JitterBuffer({ minFrames: 2 });
    jb.push(ts(0), frame(1), 0);
    const order = [2, 1, 4, 3, 5];
    const out: (number | null)[] = [played(jb.pull())];
    for (const i of order) {
      jb.push(ts(i), frame(i + 1), i * 20);
      out.push(played(jb.pull()));
    }
    out.push(played(jb.pull()), played(jb.pull()));
    expect(out).toEqual([null, null, 1, 2, 3, 4, 5, 6]);
  });

  it('drops duplicates and late packets, counts them, and grows the delay on late ones', () => {
    const jb = new JitterBuffer({ minFrames: 1, maxFrames: 4 });
    jb.push(ts(0), frame(1), 0);
    expect(jb.push(ts(0), frame(9), 1)).toBe('duplicate');
    expect(played(jb.pull())).toBeNull();
    expect(played(jb.pull())).toBe(1);
    jb.push(ts(2), frame(3), 40);
    expect(played(jb.pull())).toBeNull(); // frame 1 (ts 1) never came
    expect(played(jb.pull())).toBe(3);
    expect(jb.push(ts(1), frame(2), 80)).toBe('late');
    expect(jb.stats).toMatchObject({ duplicate: 1, late: 1, grows: 1 });
    expect(jb.targetFrames).toBe(2);
  });

  it('gives silence for a gap and keeps timing', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    jb.push(ts(0), frame(1), 0);
    jb.push(ts(2), frame(3), 40);
    expect([jb.pull(), jb.pull(), jb.pull(), jb.pull()].map(played)).toEqual([null, 1, null, 3]);
  });

  it('raises the target with jitter and stays within maxFrames', () => {
    const jb = new JitterBuffer({ minFrames: 1, maxFrames: 5 });
    let t = 0;
    for (let i = 0; i < 200; i++) {
      t = i * 20 + (i % 2 === 0 ? 0 : 35); // ±35 ms arrival jitter
      jb.push(ts(i), frame(1), t);
      jb.pull();
    }
    expect(jb.stats.jitter).toBeGreaterThan(100);
    expect(jb.targetFrames).toBe(5);
  });

  it('shrinks back when far more is buffered than the target', () => {
    const jb = new JitterBuffer({ minFrames: 1, maxFrames: 10 });
    // A burst of 8 frames at once (after a stall upstream), then steady arrivals.
    for (let i = 0; i < 8; i++) jb.push(ts(i), frame(i + 1), 0);
    for (let i = 8; i < 500; i++) {
      jb.push(ts(i), frame((i % 100) + 1), i * 20);
      jb.pull();
    }
    expect(jb.stats.shrinks).toBeGreaterThan(0);
    expect(jb.depthSamples).toBeLessThanOrEqual((jb.targetFrames + 3) * 160);
  });

  it('resyncs on a large timestamp jump (new stream or long pause)', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    jb.push(ts(0), frame(1), 0);
    jb.pull();
    jb.pull();
    expect(jb.push(ts(1000), frame(7), 20000)).toBe('resync');
    expect([jb.pull(), jb.pull()].map(played)).toEqual([null, 7]);
  });

  it('follows a sender whose timestamps jump backwards', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    jb.push(ts(100), frame(1), 0);
    jb.pull();
    jb.pull();
    expect(jb.push(ts(0), frame(5), 40)).toBe('resync');
    expect([jb.pull(), jb.pull()].map(played)).toEqual([null, 5]);
  });

  it('assembles 10 ms packets into 20 ms frames', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    for (let i = 0; i < 6; i++)
      jb.push((1000 + i * 80) >>> 0, new Int16Array(80).fill(i + 1), i * 10);
    const a = jb.pull();
    const b = jb.pull();
    const c = jb.pull();
    expect(a).toBeNull();
    expect([b?.[0], b?.[80], c?.[0], c?.[80]]).toEqual([1, 2, 3, 4]);
  });
});
