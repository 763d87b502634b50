/**
 * Billing of trunk calls: before an outgoing call the billed account (the caller's station, or
 * an auth code's account) is looked up; a prepaid account that cannot pay the first increment is
 * refused (402). On answer a prepaid call gets a timer at the end of the last increment its
 * balance pays for, and is cut there (BYE to both parties). When the record is written the call
 * is rated (rating.ts): the charge goes on the record, and on the account's ledger for prepaid
 * and postpaid accounts; flat-rate accounts are not charged per call. Calls of stations without
 * an account row are rated and recorded but charged to no ledger.
 * `trunks.prepaidWarning` seconds before the cut the calling station hears a warning tone
 * (credit-warning.ts; at once when the balance pays for less than that).
 */
import type { Logger } from 'pino';
import type { Account, Rate, Store } from '@pbx/store';
import type { CallEnv } from '../engine/call-env';
import type { Call } from '../engine/call-registry';
import { endCall } from '../engine/call-setup';
import { playCreditWarning } from './credit-warning';
import { affordableSeconds, chargeFor, firstIncrementPrice, rateFor } from './rating';

interface Rated {
  readonly rate: Rate | undefined;
  readonly account: Account | undefined;
  /** Prepaid: the talk time the balance pays for (s); the call is cut there. */
  limit?: number;
}

export class Billing {
  private rated = new Map<string, Rated>();
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: CallEnv,
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Checks the account before a trunk call; returns why it is refused, or undefined. */
  async admit(call: Call, number: string): Promise<string | undefined> {
    const id = call.record.account;
    const [rates, account] = await Promise.all([
      this.store.billing.rates(),
      id ? this.store.billing.account(id) : Promise.resolve(undefined),
    ]);
    const rate = rateFor(number, rates);
    this.rated.set(call.ref, { rate, account });
    if (account?.kind !== 'prepaid') return undefined;
    if (!rate) return `prepaid account ${account.id}: no rate for ${number}`;
    if (account.balance < firstIncrementPrice(rate))
      return `prepaid account ${account.id}: balance cannot pay the first increment`;
    return undefined;
  }

  /** The call was answered: a prepaid call is cut when its balance runs out. */
  answered(call: Call): void {
    const r = this.rated.get(call.ref);
    if (r?.account?.kind !== 'prepaid' || !r.rate) return;
    const seconds = affordableSeconds(r.account.balance, r.rate);
    if (!Number.isFinite(seconds)) return;
    r.limit = seconds;
    this.log.info({ callRef: call.ref, account: r.account.id, seconds }, 'prepaid call limit');
    // From the answer time the record bills from.
    const since = call.record.answeredAt ?? this.env.now();
    const warnMs = Math.round(this.env.config.trunks.prepaidWarning * 1000);
    const station = call.aLeg;
    if (warnMs > 0 && station.party.station) {
      const at = Math.max(0, since + seconds * 1000 - warnMs - this.env.now());
      call.setTimer('prepaidWarning', at, () => {
        if (!call.ended) void playCreditWarning(this.env, call, station);
      });
    }
    call.setTimer('prepaid', Math.max(0, since + seconds * 1000 - this.env.now()), () => {
      if (call.ended) return;
      this.log.info({ callRef: call.ref, account: r.account?.id }, 'prepaid balance spent: cut');
      endCall(this.env, call, { note: 'prepaid balance spent' });
    });
  }

  /** Writes the charge on the record and the ledger (engine hook, before the record). */
  onRecord(call: Call): void {
    const r = this.rated.get(call.ref);
    if (!r) return;
    this.rated.delete(call.ref);
    const rec = call.record;
    if (!r.rate) return;
    const answered = rec.answeredAt;
    // A prepaid call cut at its limit is billed the limit (the BYE takes a few ms more).
    const talked = answered === null ? 0 : this.env.now() - answered;
    const billedMs = r.limit === undefined ? talked : Math.min(talked, r.limit * 1000);
    const charge =
      answered === null || r.account?.kind === 'flat' ? 0 : chargeFor(billedMs, r.rate);
    rec.charge = charge;
    const account = r.account;
    if (!account || account.kind === 'flat' || charge === 0) return;
    this.writes = this.writes
      .then(async () => {
        await this.store.billing.post(account.id, -charge, {
          callRef: call.ref,
          note: `call to ${rec.callee ?? ''} on ${rec.trunk ?? ''}`,
        });
      })
      .catch((err: unknown) => this.log.error({ err, callRef: call.ref }, 'charge not posted'));
  }

  /** Resolves when every ledger write so far is done. */
  flush(): Promise<void> {
    return this.writes;
  }
}
