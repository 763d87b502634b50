/** Time source and timer scheduler for transactions, injected so tests can use fake timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type ClockTimer = unknown;

/**
 * The process clock. It looks the global timer functions up at call time, so jest fake timers
 * installed after import still take effect.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
