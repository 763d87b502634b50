/**
 * Drives a pure transaction reducer on a virtual clock: timer effects go into a queue, the
 * earliest due timer fires next. Records the time of every non-timer effect.
 */
import type { TimerEffect, TimerName, TransactionConfig } from '../../src/transaction/state-table';

type Reducer<S, E, F> = (s: S, e: E, now: number, cfg: TransactionConfig) => [S, F[]];

export interface Sim<S, E, F> {
  state: S;
  now: number;
  log: Array<{ at: number; effect: F }>;
  /** Timers still pending, by name → due time. */
  timers: Map<TimerName, number>;
  send(e: E): F[];
  /** Fire due timers in order up to `until` (bounded by `maxSteps`). */
  advance(until: number, maxSteps?: number): void;
  /** Times at which effects of the given type happened. */
  times(type: string): number[];
}

export function simulate<S, E, F extends { type: string }>(
  startFn: (cfg: TransactionConfig) => [S, F[]],
  next: Reducer<S, E, F>,
  cfg: TransactionConfig,
  timerEvent: (timer: TimerName) => E,
): Sim<S, E, F> {
  const sim: Sim<S, E, F> = {
    state: undefined as unknown as S,
    now: 0,
    log: [],
    timers: new Map(),
    send(e) {
      const [s, effects] = next(sim.state, e, sim.now, cfg);
      sim.state = s;
      apply(effects);
      return effects;
    },
    advance(until, maxSteps = 1000) {
      for (let i = 0; i < maxSteps; i++) {
        let first: [TimerName, number] | undefined;
        for (const entry of sim.timers) if (!first || entry[1] < first[1]) first = entry;
        if (!first || first[1] > until) break;
        sim.timers.delete(first[0]);
        sim.now = first[1];
        sim.send(timerEvent(first[0]));
      }
      sim.now = Math.max(sim.now, until);
    },
    times(type) {
      return sim.log.filter((l) => l.effect.type === type).map((l) => l.at);
    },
  };
  function apply(effects: F[]): void {
    for (const f of effects) {
      const t = f as unknown as TimerEffect;
      if (t.type === 'startTimer') sim.timers.set(t.timer, sim.now + t.ms);
      else if (t.type === 'cancelTimer') sim.timers.delete(t.timer);
      else sim.log.push({ at: sim.now, effect: f });
    }
  }
  const [s0, effects0] = startFn(cfg);
  sim.state = s0;
  apply(effects0);
  return sim;
}
