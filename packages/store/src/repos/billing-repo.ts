import type { Database } from '../database';
import { ConflictError, NotFoundError } from '../errors';

/** An authorisation code and the account its calls are billed to. */
export interface AuthCode {
  code: string;
  account: string;
  note: string;
}

/** One row of the rate table. Money is integer micro-units (1 = 0.000001). */
export interface Rate {
  prefix: string;
  perMinute: number;
  minSeconds: number;
  incrementSeconds: number;
  setupFee: number;
}

export type AccountKind = 'prepaid' | 'postpaid' | 'flat';

export interface Account {
  id: string;
  name: string;
  kind: AccountKind;
  /** Prepaid: what is left; others: the negative sum of charges. */
  balance: number;
  /** Flat: the fee per period. */
  flatFee: number;
  createdAt: number;
  updatedAt: number;
}

/** What {@link BillingRepo.updateAccount} changes (absent fields stay). */
export interface AccountPatch {
  name?: string;
  kind?: AccountKind;
  /** Micro-units, posted each calendar month to a flat account. */
  flatFee?: number;
}

export interface LedgerEntry {
  id: number;
  account: string;
  at: number;
  amount: number;
  callRef: string | null;
  note: string;
}

interface AccountRow {
  id: string;
  name: string;
  kind: AccountKind;
  balance: number;
  flat_fee: number;
  created_at: number;
  updated_at: number;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  balance: r.balance,
  flatFee: r.flat_fee,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Auth codes (area `trunks`), the rate table and the accounts with their ledger. A balance only
 * changes together with a ledger row (top-up or charge), in one transaction.
 */
export class BillingRepo {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async addAuthCode(code: AuthCode): Promise<void> {
    if (await this.db.get('SELECT 1 FROM auth_codes WHERE code = ?', [code.code]))
      throw new ConflictError(`auth code ${code.code} already exists`);
    await this.db.run(
      'INSERT INTO auth_codes (code, account, note, created_at) VALUES (?, ?, ?, ?)',
      [code.code, code.account, code.note, this.clock()],
    );
  }

  async removeAuthCode(code: string): Promise<void> {
    const r = await this.db.run('DELETE FROM auth_codes WHERE code = ?', [code]);
    if (r.changes === 0) throw new NotFoundError('auth code', code);
  }

  async authCodes(): Promise<AuthCode[]> {
    return this.db.all<AuthCode>(
      'SELECT code, account, note FROM auth_codes ORDER BY length(code), code',
    );
  }

  /** Replaces the whole rate table (an import). */
  async replaceRates(rates: readonly Rate[]): Promise<void> {
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM rates');
      for (const r of rates) {
        await tx.run(
          `INSERT INTO rates (prefix, per_minute, min_seconds, increment_seconds, setup_fee,
             updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
          [r.prefix, r.perMinute, r.minSeconds, r.incrementSeconds, r.setupFee, now],
        );
      }
    });
  }

  async rates(): Promise<Rate[]> {
    return this.db.all<Rate>(
      `SELECT prefix, per_minute AS perMinute, min_seconds AS minSeconds,
         increment_seconds AS incrementSeconds, setup_fee AS setupFee FROM rates ORDER BY prefix`,
    );
  }

  async createAccount(input: {
    id: string;
    name?: string;
    kind: AccountKind;
    flatFee?: number;
  }): Promise<Account> {
    const now = this.clock();
    if (await this.db.get('SELECT 1 FROM accounts WHERE id = ?', [input.id]))
      throw new ConflictError(`account ${input.id} already exists`);
    await this.db.run(
      `INSERT INTO accounts (id, name, kind, balance, flat_fee, created_at, updated_at)
       VALUES (?, ?, ?, 0, ?, ?, ?)`,
      [input.id, input.name ?? '', input.kind, input.flatFee ?? 0, now, now],
    );
    return (await this.account(input.id))!;
  }

  async account(id: string): Promise<Account | undefined> {
    const row = await this.db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', [id]);
    return row ? toAccount(row) : undefined;
  }

  async accounts(): Promise<Account[]> {
    return (await this.db.all<AccountRow>('SELECT * FROM accounts ORDER BY id')).map(toAccount);
  }

  /**
   * Changes an account's name, kind or monthly flat fee (the balance moves only by posting);
   * NotFoundError for an unknown account.
   */
  async updateAccount(id: string, patch: AccountPatch): Promise<Account> {
    const columns: Array<[string, string | number | undefined]> = [
      ['name', patch.name],
      ['kind', patch.kind],
      ['flat_fee', patch.flatFee],
    ];
    const given = columns.filter((c): c is [string, string | number] => c[1] !== undefined);
    const r = await this.db.run(
      `UPDATE accounts SET ${[...given.map(([c]) => `${c} = ?`), 'updated_at = ?'].join(', ')}
       WHERE id = ?`,
      [...given.map(([, v]) => v), this.clock(), id],
    );
    if (r.changes === 0) throw new NotFoundError('account', id);
    return (await this.account(id))!;
  }

  async removeAccount(id: string): Promise<void> {
    const r = await this.db.run('DELETE FROM accounts WHERE id = ?', [id]);
    if (r.changes === 0) throw new NotFoundError('account', id);
  }

  /**
   * Adds `amount` (negative for a charge) to the balance with a ledger row; returns the account.
   * NotFoundError for an unknown account.
   */
  async post(
    id: string,
    amount: number,
    entry: { callRef?: string; note?: string; at?: number } = {},
  ): Promise<Account> {
    const at = entry.at ?? this.clock();
    return this.db.transaction(async (tx) => {
      const r = await tx.run(
        'UPDATE accounts SET balance = balance + ?, updated_at = ? WHERE id = ?',
        [amount, at, id],
      );
      if (r.changes === 0) throw new NotFoundError('account', id);
      await tx.run(
        'INSERT INTO account_ledger (account, at, amount, call_ref, note) VALUES (?, ?, ?, ?, ?)',
        [id, at, amount, entry.callRef ?? null, entry.note ?? ''],
      );
      const row = await tx.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', [id]);
      return toAccount(row!);
    });
  }

  async ledger(id: string, since?: number, until?: number): Promise<LedgerEntry[]> {
    return this.db.all<LedgerEntry>(
      `SELECT id, account, at, amount, call_ref AS callRef, note FROM account_ledger
       WHERE account = ? AND at >= ? AND at < ? ORDER BY id`,
      [id, since ?? 0, until ?? Number.MAX_SAFE_INTEGER],
    );
  }
}
