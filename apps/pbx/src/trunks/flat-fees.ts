/**
 * Flat-rate accounts pay a fixed fee per period instead of per call: once in every calendar
 * month (UTC) the fee (`pbx account add <id> --kind flat --flat-fee 25`) is posted to the
 * account's ledger as `flat fee YYYY-MM`. The PBX checks at start and every hour, so a month's fee
 * is posted within an hour of the month starting, or at the next start if it was down then; the
 * note makes a second posting for the same month impossible (restarts, two checks in one hour).
 */
import type { Logger } from 'pino';
import type { Store } from '@pbx/store';

/** The period of `at`: its calendar month in UTC, `YYYY-MM`. */
export function feePeriod(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The ledger note of the flat fee for `period`. */
export function flatFeeNote(period: string): string {
  return `flat fee ${period}`;
}

/** Start of the calendar month (UTC) of `at`, epoch ms. */
function monthStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * Posts this month's fee to every flat-rate account with a fee that has none for the month yet.
 * Resolves with the accounts charged.
 */
export async function postFlatFees(store: Store, now: number, log: Logger): Promise<string[]> {
  const period = feePeriod(now);
  const note = flatFeeNote(period);
  const charged: string[] = [];
  for (const a of await store.billing.accounts()) {
    if (a.kind !== 'flat' || a.flatFee <= 0) continue;
    const posted = await store.billing.ledger(a.id, monthStart(now));
    if (posted.some((e) => e.note === note)) continue;
    await store.billing.post(a.id, -a.flatFee, { note, at: now });
    log.info({ account: a.id, fee: a.flatFee, period }, 'flat fee posted');
    charged.push(a.id);
  }
  return charged;
}

/** Runs {@link postFlatFees} now and every `everyMs` (default an hour) until stopped. */
export class FlatFeeSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly now: () => number;
      readonly log: Logger;
      readonly everyMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.run();
    this.timer = setInterval(() => this.run(), this.deps.everyMs ?? 3_600_000);
    this.timer.unref();
  }

  /** Stops the schedule; resolves when a run under way is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private run(): void {
    // One run at a time: a slow database never gets two postings for the same month.
    this.running = this.running
      .then(() => postFlatFees(this.deps.store, this.deps.now(), this.deps.log))
      .catch((err: unknown) => this.deps.log.error({ err }, 'flat fees not posted'));
  }
}
