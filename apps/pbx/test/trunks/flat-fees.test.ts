import pino from 'pino';
import { Store } from '@pbx/store';
import { FlatFeeSchedule, feePeriod, postFlatFees } from '../../src/trunks/flat-fees';

const log = pino({ level: 'silent' });

describe('flat fees', () => {
  it('names the period by the UTC calendar month', () => {
    expect(feePeriod(Date.parse('2026-01-31T23:59:59Z'))).toBe('2026-01');
    expect(feePeriod(Date.parse('2026-02-01T00:00:00Z'))).toBe('2026-02');
  });

  it('posts each flat fee once a month, and nothing to other accounts', async () => {
    await using store = await Store.open({ path: ':memory:' });
    await store.billing.createAccount({ id: 'office', kind: 'flat', flatFee: 25_000_000 });
    await store.billing.createAccount({ id: 'free', kind: 'flat', flatFee: 0 });
    await store.billing.createAccount({ id: '201', kind: 'postpaid' });
    const jan = Date.parse('2026-01-15T08:00:00Z');
    expect(await postFlatFees(store, jan, log)).toEqual(['office']);
    // Later the same month (another check, a restart): nothing more.
    expect(await postFlatFees(store, jan + 3_600_000, log)).toEqual([]);
    expect(await postFlatFees(store, Date.parse('2026-01-31T23:59:00Z'), log)).toEqual([]);
    expect(await postFlatFees(store, Date.parse('2026-02-01T00:30:00Z'), log)).toEqual(['office']);
    const ledger = await store.billing.ledger('office');
    expect(ledger.map((e) => [e.note, e.amount])).toEqual([
      ['flat fee 2026-01', -25_000_000],
      ['flat fee 2026-02', -25_000_000],
    ]);
    expect((await store.billing.account('office'))?.balance).toBe(-50_000_000);
    expect(await store.billing.ledger('free')).toEqual([]);
    expect(await store.billing.ledger('201')).toEqual([]);
  });

  it('runs at start and then on schedule', async () => {
    await using store = await Store.open({ path: ':memory:' });
    await store.billing.createAccount({ id: 'office', kind: 'flat', flatFee: 1_000_000 });
    let now = Date.parse('2026-03-31T23:59:59Z');
    const schedule = new FlatFeeSchedule({ store, now: () => now, log, everyMs: 20 });
    schedule.start();
    const notes = async (): Promise<string[]> =>
      (await store.billing.ledger('office')).map((e) => e.note);
    const until = async (want: string[]): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (JSON.stringify(await notes()) !== JSON.stringify(want)) {
        if (Date.now() > deadline) throw new Error(`ledger ${JSON.stringify(await notes())}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(['flat fee 2026-03']);
    now = Date.parse('2026-04-01T00:00:01Z');
    await until(['flat fee 2026-03', 'flat fee 2026-04']);
    await schedule.stop();
  });
});
