/**
 * A minimal runner for the reducers under jest fake timers: it keeps the state, applies events
 * with `Date.now()` as the time, records every effect, and turns startTimer/cancelTimer effects
 * into real (fake) timers that feed the named event back in.
 */
export class Harness<S, E, F extends { type: string }> {
  readonly log: F[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    public state: S,
    private readonly reduce: (s: S, e: E, now: number) => [S, F[]],
    private readonly timerOf: (
      f: F,
    ) => { key: string; ms?: number; fire?: E; cancel?: boolean } | undefined,
    initialEffects: F[] = [],
  ) {
    this.run(initialEffects);
  }

  send(e: E): F[] {
    const [next, effects] = this.reduce(this.state, e, Date.now());
    this.state = next;
    this.run(effects);
    return effects;
  }

  get pendingTimers(): string[] {
    return [...this.timers.keys()];
  }

  private run(effects: F[]): void {
    for (const f of effects) {
      this.log.push(f);
      const t = this.timerOf(f);
      if (!t) continue;
      const old = this.timers.get(t.key);
      if (old) clearTimeout(old);
      this.timers.delete(t.key);
      if (t.cancel || t.fire === undefined) continue;
      const fire = t.fire;
      this.timers.set(
        t.key,
        setTimeout(() => {
          this.timers.delete(t.key);
          this.send(fire);
        }, t.ms ?? 0),
      );
    }
  }
}
