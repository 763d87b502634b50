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
