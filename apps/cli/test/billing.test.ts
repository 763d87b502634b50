import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliFixture, expectFailure } from './helpers';

describe('pbx rate / account / cdr billing columns', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('imports a rate table and names every bad line', async () => {
    const good = join(f.dir, 'rates.csv');
    writeFileSync(
      good,
      'prefix,per_minute,minimum,increment,setup_fee\r\n0,0.10,0,60,0\r\n04,0.30,30,6,0.02\r\n,1.5,60,60,0\r\n',
    );
    expect(await f.ok('rate', 'import', good)).toBe('3 rates imported\n');
    expect(await f.json('rate', 'list')).toEqual([
      { prefix: '', perMinute: 1_500_000, minSeconds: 60, incrementSeconds: 60, setupFee: 0 },
      { prefix: '0', perMinute: 100_000, minSeconds: 0, incrementSeconds: 60, setupFee: 0 },
      { prefix: '04', perMinute: 300_000, minSeconds: 30, incrementSeconds: 6, setupFee: 20_000 },
    ]);
    const bad = join(f.dir, 'bad.csv');
    writeFileSync(bad, '0,0.10,0,60\n04,abc,0,60,0\n05,0.1,0,0,0\n0a,1,1,1,1\n');
    const r = await f.pbx('rate', 'import', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: line 1: must have 5 fields');
    expect(r.stderr).toContain('error: line 2 per_minute: must be a non-negative amount');
    expect(r.stderr).toContain('error: line 3 increment: must be whole seconds, at least 1');
    expect(r.stderr).toContain('error: line 4: prefix must be up to 32 digits');
    // Nothing changed.
    expect(await f.json<unknown[]>('rate', 'list')).toHaveLength(3);
    expectFailure(await f.pbx('rate', 'import', join(f.dir, 'none.csv')), 1, /none\.csv: ENOENT/);
  });

  it('keeps prepaid balances with a ledger, and prints a statement with the calls and a total', async () => {
    expect(await f.ok('account', 'add', '201', '--kind', 'prepaid', '--name', 'Alice')).toBe(
      'account 201 added (prepaid)\n',
    );
    expect(await f.ok('account', 'topup', '201', '5')).toBe('account 201: balance 5.00\n');
    expectFailure(await f.pbx('account', 'add', 'x', '--kind', 'gold'), 2, /--kind gold/);
    expectFailure(
      await f.pbx('account', 'topup', '201', '1.2345678'),
      2,
      /amount: must be an amount with at most 6 decimals/,
    );
    expectFailure(await f.pbx('account', 'topup', 'nobody', '1'), 1, 'account nobody not found');
    const store = await f.store();
    try {
      const base = Date.parse('2026-01-10T10:00:00Z');
      await store.cdrs.record({
        callRef: 'c1',
        callerTel: '201',
        dialled: '90398722900',
        calleeTel: '0398722900',
        startAt: base,
        answerAt: base + 1000,
        at: base + 61_000,
        disposition: 'answered',
        sipStatus: 200,
        trunk: 'main',
        account: '201',
        charge: 1_250_000,
      });
      await store.billing.post('201', -1_250_000, {
        callRef: 'c1',
        note: 'call',
        at: base + 61_000,
      });
    } finally {
      await store.close();
    }
    const show = await f.ok('account', 'show', '201');
    expect(show).toMatch(/Balance\s+│ 3\.75/);
    const statement = await f.ok(
      'account',
      'statement',
      '201',
      '--since',
      '2026-01-01',
      '--until',
      '2026-02-01',
    );
    expect(statement.split('\r\n')).toEqual([
      'start,caller,number,trunk,duration_s,charge',
      '2026-01-10T10:00:00.000Z,201,0398722900,main,60,1.25',
      ',,,,total,1.25',
      '',
    ]);
    const list = await f.ok('cdr', 'list');
    expect(list).toMatch(/│ Trunk │ Price │ Account │/);
    expect(list).toMatch(/│ main\s+│ 1\.25\s+│ 201\s+│\n/);
    expect(await f.json('cdr', 'list', '--account', 'nobody')).toEqual([]);
  });

  it("a flat-rate account's statement lists the monthly fees posted in the period, not its calls", async () => {
    expect(await f.ok('account', 'add', 'office', '--kind', 'flat', '--flat-fee', '25')).toBe(
      'account office added (flat)\n',
    );
    const store = await f.store();
    try {
      // What the PBX posts (apps/pbx/src/trunks/flat-fees.ts): one fee a month.
      await store.billing.post('office', -25_000_000, {
        note: 'flat fee 2026-01',
        at: Date.parse('2026-01-01T00:10:00Z'),
      });
      await store.billing.post('office', -25_000_000, {
        note: 'flat fee 2026-02',
        at: Date.parse('2026-02-01T00:10:00Z'),
      });
      await store.billing.post('office', 10_000_000, { note: 'top-up' });
    } finally {
      await store.close();
    }
    const statement = await f.ok(
      'account',
      'statement',
      'office',
      '--since',
      '2026-01-01',
      '--until',
      '2026-03-01',
    );
    expect(statement.split('\r\n')).toEqual([
      'start,caller,number,trunk,duration_s,charge',
      '2026-01-01T00:10:00.000Z,,,,flat fee 2026-01,25.00',
      '2026-02-01T00:10:00.000Z,,,,flat fee 2026-02,25.00',
      ',,,,total,50.00',
      '',
    ]);
  });
});
