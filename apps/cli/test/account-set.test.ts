import { CliFixture, expectFailure } from './helpers';

describe('pbx account set', () => {
  let f: CliFixture;
  beforeEach(() => (f = new CliFixture()));
  afterEach(() => f.cleanup());

  it('changes the name, kind and flat fee; the balance and ledger stay', async () => {
    await f.ok('account', 'add', 'sales', '--kind', 'prepaid', '--name', 'Sales');
    await f.ok('account', 'topup', 'sales', '12.5');
    expect(await f.ok('account', 'set', 'sales', '--name', ' Sales team ')).toBe(
      'account sales: prepaid, flat fee 0.00, name "Sales team"\n',
    );
    expect(await f.ok('account', 'set', 'sales', '--kind', 'flat', '--flat-fee', '30')).toBe(
      'account sales: flat, flat fee 30.00, name "Sales team"\n',
    );
    expect(await f.json('account', 'show', 'sales')).toMatchObject({
      id: 'sales',
      name: 'Sales team',
      kind: 'flat',
      flatFee: 30_000_000,
      balance: 12_500_000,
      ledger: [expect.objectContaining({ amount: 12_500_000, note: 'top-up' })],
    });
  });

  it('refuses nothing to change, a bad kind or amount, an unknown account; changes nothing', async () => {
    await f.ok('account', 'add', 'sales', '--kind', 'postpaid');
    expectFailure(
      await f.pbx('account', 'set', 'sales'),
      2,
      'nothing to change; give --name, --kind or --flat-fee',
    );
    expectFailure(await f.pbx('account', 'set', 'sales', '--kind', 'gold'), 2, /--kind gold/);
    expectFailure(await f.pbx('account', 'set', 'sales', '--flat-fee', '-3'), 2, /--flat-fee/);
    expectFailure(
      await f.pbx('account', 'set', 'sales', '--name', 'x'.repeat(201)),
      2,
      '--name: at most 200 characters',
    );
    expectFailure(
      await f.pbx('account', 'set', 'nobody', '--name', 'X'),
      1,
      'account nobody not found',
    );
    expect(await f.json('account', 'show', 'sales')).toMatchObject({ kind: 'postpaid', name: '' });
  });
});
