import { Ticker } from '../../src/media/ticker';

describe('Ticker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function setup(maxCatchUpFrames = 5): { ticker: Ticker; clock: { t: number }; log: string[] } {
    const clock = { t: 1000 };
    const ticker = new Ticker({ now: () => clock.t, maxCatchUpFrames });
    const log: string[] = [];
    ticker.add({
      receive: (f) => log.push(`r${f}`),
      mix: (f) => log.push(`m${f}`),
      send: (f) => log.push(`s${f}`),
    });
    return { ticker, clock, log };
  }

  /** Advances the fake monotonic clock and the fake timers together, ms by ms. */
  function advance(clock: { t: number }, ms: number): void {
    for (let i = 0; i < ms; i++) {
      clock.t++;
      jest.advanceTimersByTime(1);
    }
  }

  /** The event loop was blocked: the clock moves on, then the overdue timer fires. */
  function stall(clock: { t: number }, ms: number): void {
    clock.t += ms;
    jest.advanceTimersByTime(ms);
  }

  it('runs receive, mix, send in order once per 20 ms', () => {
    const { ticker, clock, log } = setup();
    advance(clock, 100);
    ticker.stop();
    expect(log.slice(0, 6)).toEqual(['r0', 'm0', 's0', 'r1', 'm1', 's1']);
    expect(ticker.frames).toBe(6); // frames 0..5 due at 0, 20, …, 100 ms
    expect(ticker.lateTicks).toBe(0);
  });

  it('catches up after a short stall and skips with lateTicks after a long one', () => {
    const { ticker, clock } = setup(5);
    advance(clock, 20); // frames 0, 1
    stall(clock, 70); // blocked 70 ms (t = 90 ms): frames 2..4 are due at once
    expect(ticker.frames).toBe(5);
    expect(ticker.lateTicks).toBe(0);
    stall(clock, 500); // blocked for half a second: (t = 590 ms) 25 frames due, 5 run, 20 skipped
    expect(ticker.frames + ticker.lateTicks).toBe(5 + 25);
    expect(ticker.lateTicks).toBe(20);
    // Then back to one frame per 20 ms, no drift.
    const before = ticker.frames;
    advance(clock, 200);
    expect(ticker.frames - before).toBe(10);
    ticker.stop();
  });

  it('spreads clients over sub-ticks and runs each once per frame at a fixed offset', () => {
    const clock = { t: 0 };
    const ticker = new Ticker({ now: () => clock.t, slots: 4 });
    const sends = new Map<number, number[]>();
    for (let i = 0; i < 8; i++) {
      sends.set(i, []);
      ticker.add({ send: () => sends.get(i)?.push(clock.t) });
    }
    advance(clock, 200);
    ticker.stop();
    // Least loaded slot first: two clients per 5 ms slot (the first frame runs when the first
    // timer fires, at 1 ms here; from then on on time).
    const offsets = [...sends.values()].map((t) => (t[1] as number) % 20);
    expect(offsets.sort((x, y) => x - y)).toEqual([0, 0, 5, 5, 10, 10, 15, 15]);
    for (const times of sends.values()) {
      expect(times.length).toBeGreaterThanOrEqual(9);
      // Always 20 ms apart: the slot never moves while the client runs.
      for (let k = 2; k < times.length; k++) expect(times[k]! - times[k - 1]!).toBe(20);
    }
    expect(ticker.frames).toBe(11); // frames 0..10, frame 10 due at 200 ms
  });

  it("colocate runs a member in its anchor's sub-tick: receive, mix, send of one frame together", () => {
    const clock = { t: 0 };
    const ticker = new Ticker({ now: () => clock.t, slots: 4 });
    const log: string[] = [];
    const client = (name: string): { receive(f: number): void; send(f: number): void } => ({
      receive: (f) => log.push(`${name}.r${f}@${clock.t}`),
      send: (f) => log.push(`${name}.s${f}@${clock.t}`),
    });
    const a = client('a');
    const b = client('b');
    const mixer = { mix: (f: number) => log.push(`mix${f}@${clock.t}`) };
    ticker.add(a); // slot 0
    ticker.add(b); // slot 1
    ticker.add(mixer); // slot 2
    ticker.colocate(a, mixer);
    ticker.colocate(b, mixer);
    expect([ticker.slotOf(a), ticker.slotOf(b), ticker.slotOf(mixer)]).toEqual([2, 2, 2]);
    advance(clock, 20);
    ticker.stop();
    expect(log).toEqual(['a.r0@9', 'b.r0@9', 'mix0@9', 'a.s0@9', 'b.s0@9']);
  });

  it('a client moved to a later slot after running is not run twice in that frame', () => {
    const clock = { t: 0 };
    const ticker = new Ticker({ now: () => clock.t, slots: 2 });
    const runs: number[] = [];
    const early = { send: (f: number) => runs.push(f) };
    const late = { send: () => undefined };
    ticker.add(early); // slot 0
    ticker.add(late); // slot 1
    advance(clock, 5); // slot 0 of frame 0 has run, slot 1 (due at 10 ms) not yet
    ticker.colocate(early, late);
    advance(clock, 40);
    ticker.stop();
    // Frame 0 ran in slot 0 before the move; slot 1 (at 9 and 29 ms) runs frame 1 only.
    expect(runs).toEqual([0, 1]);
  });

  it('skips a client deleted by an earlier callback in the same sub-tick', () => {
    const clock = { t: 0 };
    const errors: unknown[] = [];
    const ticker = new Ticker({ now: () => clock.t, onError: (e) => errors.push(e) });
    let closedSends = 0;
    const victim = { send: () => closedSends++ };
    const closer = { receive: () => ticker.delete(victim) };
    ticker.add(closer);
    ticker.add(victim);
    advance(clock, 1);
    ticker.stop();
    expect(closedSends).toBe(0);
    expect(errors).toEqual([]);
  });

  it('after a long stall with sub-ticks, every client skips the same whole frames', () => {
    const clock = { t: 0 };
    const ticker = new Ticker({ now: () => clock.t, slots: 4, maxCatchUpFrames: 2 });
    const frames: number[][] = [[], [], [], []];
    for (let i = 0; i < 4; i++) ticker.add({ send: (f) => frames[i]!.push(f) });
    advance(clock, 20);
    stall(clock, 200);
    advance(clock, 40);
    ticker.stop();
    expect(ticker.lateTicks).toBeGreaterThan(0);
    // Each client: increasing frames, and exactly lateTicks of them skipped, whether or not
    // its slot had already run the frame the stall interrupted.
    for (const f of frames) {
      let skipped = 0;
      for (let k = 1; k < f.length; k++) {
        expect(f[k]!).toBeGreaterThan(f[k - 1]!);
        skipped += f[k]! - f[k - 1]! - 1;
      }
      expect(skipped).toBe(ticker.lateTicks);
    }
  });

  it('keeps going when a client throws and stops when the last client leaves', () => {
    const clock = { t: 0 };
    const errors: unknown[] = [];
    const ticker = new Ticker({ now: () => clock.t, onError: (e) => errors.push(e) });
    let sent = 0;
    const good = { send: () => sent++ };
    ticker.add({
      receive: () => {
        throw new Error('boom');
      },
    });
    ticker.add(good);
    advance(clock, 40);
    expect(sent).toBe(3);
    expect(errors).toHaveLength(3);
    ticker.delete(good);
    expect(ticker.size).toBe(1);
    ticker.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
