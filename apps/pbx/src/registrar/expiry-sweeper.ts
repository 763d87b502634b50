/**
 * Periodic housekeeping of the registrar: de-registers bindings whose expiry passed (SIP Expire
 * Time: a phone that does not refresh in time is no longer registered), ends Comm Exclusive
 * blocks whose timer ran out, and keeps the access log within `security.accessLogLimit` rows.
 * One timer, unref'd, at most one sweep running at a time.
 */
import type { Logger } from 'pino';
import type { AccessLogRepo, Registration, RegistrationRepo } from '@pbx/store';
import type { BindingTable } from './bindings';
import type { CommExclusive } from './comm-exclusive';

export interface ExpirySweeperOptions {
  bindings: BindingTable;
  registrations: Pick<RegistrationRepo, 'purgeExpired'>;
  accessLog: Pick<AccessLogRepo, 'prune'>;
  comm: Pick<CommExclusive, 'sweep'>;
  accessLogLimit: () => number;
  log: Logger;
  now: () => number;
  /** Called for every binding that expired. */
  onExpired?: (r: Registration) => void;
  /** Sweep period; default 250 ms so expiry shows within a second. */
  intervalMs?: number;
  /** Access log pruning period; default 60 s. */
  pruneEveryMs?: number;
}

export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPrune = 0;

  constructor(private readonly opts: ExpirySweeperOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep(this.opts.now())
        .then(() => undefined)
        .catch((err: unknown) => this.opts.log.error({ err }, 'registrar sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.opts.intervalMs ?? 250);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep at `now`; returns how many bindings expired. */
  async sweep(now: number): Promise<number> {
    const expired = this.opts.bindings.takeExpired(now);
    if (expired.length > 0) {
      await this.opts.registrations.purgeExpired(now);
      for (const r of expired) {
        this.opts.log.info(
          { tel: r.tel, contact: r.contact, ip: r.sourceIp },
          'registration expired',
        );
        this.opts.onExpired?.(r);
      }
    }
    await this.opts.comm.sweep(now);
    if (now - this.lastPrune >= (this.opts.pruneEveryMs ?? 60_000)) {
      this.lastPrune = now;
      await this.opts.accessLog.prune({ keep: this.opts.accessLogLimit() });
    }
    return expired.length;
  }
}
