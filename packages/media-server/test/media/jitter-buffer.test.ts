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
    expect([played(jb.pull()), played(jb.pull()), played(jb.pull()), played(jb.pull())]).toEqual([
      null,
      1,
      null,
      3,
    ]);
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
    expect([played(jb.pull()), played(jb.pull())]).toEqual([null, 7]);
  });

  it('follows a sender whose timestamps jump backwards', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    jb.push(ts(100), frame(1), 0);
    jb.pull();
    jb.pull();
    expect(jb.push(ts(0), frame(5), 40)).toBe('resync');
    expect([played(jb.pull()), played(jb.pull())]).toEqual([null, 5]);
  });

  it('assembles 10 ms packets into 20 ms frames', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    for (let i = 0; i < 6; i++)
      jb.push((1000 + i * 80) >>> 0, new Int16Array(80).fill(i + 1), i * 10);
    // A pulled frame is the buffer's own and rewritten by the next pull: keep copies.
    const a = jb.pull()?.slice() ?? null;
    const b = jb.pull()?.slice();
    const c = jb.pull()?.slice();
    expect(a).toBeNull();
    expect([b?.[0], b?.[80], c?.[0], c?.[80]]).toEqual([1, 2, 3, 4]);
  });

  it('keeps a queued packet intact while the caller reuses its decode array for later packets', () => {
    const jb = new JitterBuffer({ minFrames: 3, maxFrames: 10 });
    // One array for every push, as the session decodes each datagram into the same frame.
    const scratch = new Int16Array(160);
    const push = (i: number, at: number): void => {
      for (let k = 0; k < 160; k++) scratch[k] = (i + 1) * 100 + (k % 50);
      jb.push(ts(i), scratch, at);
    };
    // Out of order, and several held at once before the first pull.
    for (const i of [0, 2, 1, 4, 3]) push(i, i * 20);
    scratch.fill(-1); // the caller's array changes again: nothing queued may follow it
    const got: number[][] = [];
    for (let f = 0; f < 10; f++) {
      const frameOut = jb.pull();
      if (frameOut)
        got.push([frameOut[0] as number, frameOut[49] as number, frameOut[159] as number]);
      if (f < 5) push(f + 5, 100 + f * 20); // later packets arrive while earlier ones are queued
    }
    expect(got.slice(0, 10)).toEqual(
      Array.from({ length: got.length }, (_, i) => [
        (i + 1) * 100,
        (i + 1) * 100 + 49,
        (i + 1) * 100 + 9,
      ]),
    );
    expect(got.length).toBeGreaterThanOrEqual(7);
  });

  it('plays out into one frame of its own that later pushes do not touch', () => {
    const jb = new JitterBuffer({ minFrames: 1 });
    jb.push(ts(0), frame(1), 0);
    jb.push(ts(1), frame(2), 20);
    expect(jb.pull()).toBeNull();
    const first = jb.pull();
    expect(played(first)).toBe(1);
    // A packet arriving before the frame is used (the mixer runs later in the same tick).
    jb.push(ts(2), frame(3), 40);
    expect(played(first)).toBe(1);
    const second = jb.pull();
    expect(second).toBe(first); // reused, not a new array per frame
    expect(played(second)).toBe(2);
    expect(played(jb.pull())).toBe(3);
    // Partly covered frames are zero-filled, not left over from the previous frame.
    jb.push(ts(4), new Int16Array(80).fill(9), 80);
    const partial = jb.pull();
    expect(partial === null ? null : [partial[0], partial[79], partial[80], partial[159]]).toEqual(
      partial === null ? null : [9, 9, 0, 0],
    );
  });
});
