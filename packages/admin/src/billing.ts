/**
 * Billing input as the administrator gives it (`pbx rate import`, `pbx account`, `pbx authcode`,
 * `/api/rates`, `/api/accounts`, `/api/authcodes`): the rate CSV with every bad line named,
 * account ids and kinds, auth codes, and an account's statement as CSV lines.
 */
import {
  AccountIdSchema,
  AuthCodeSchema,
  ConfigError,
  parseMoney,
  type ConfigIssue,
} from '@pbx/config';
import {
  csvLine,
  formatMoney,
  type AccountKind,
  type AccountPatch,
  type Rate,
  type Store,
} from '@pbx/store';
import { InputError } from './errors';

/** The rate CSV's columns, in order (a header row naming them is optional). */
export const RATE_COLUMNS = ['prefix', 'per_minute', 'minimum', 'increment', 'setup_fee'] as const;

/** One CSV line split on commas, quotes allowed (RFC 4180, no line breaks inside fields). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

function seconds(key: string, text: string, min: number): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < min)
    throw new ConfigError([
      { key, message: `must be whole seconds, at least ${min}`, got: JSON.stringify(text) },
    ]);
  return Number(text);
}

/**
 * Parses the rate table: `prefix,per_minute,minimum,increment,setup_fee` per line (prices as
 * decimal amounts, minimum and increment in seconds). Every bad line is named (ConfigError, one
 * issue per problem, keyed `line N`).
 */
export function parseRates(text: string): Rate[] {
  const issues: ConfigIssue[] = [];
  const rates: Rate[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const key = `line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const f = splitCsv(line);
    if (i === 0 && f[0]?.toLowerCase() === 'prefix') return;
    if (f.length !== 5) {
      issues.push({
        key,
        message: `must have 5 fields (${RATE_COLUMNS.join(',')}), got ${f.length}`,
      });
      return;
    }
    const [prefix = '', perMinute = '', minimum = '', increment = '', setup = ''] = f;
    if (!/^\+?\d{0,32}$/.test(prefix)) {
      issues.push({
        key,
        message: `prefix must be up to 32 digits, got ${JSON.stringify(prefix)}`,
      });
      return;
    }
    if (seen.has(prefix)) {
      issues.push({ key, message: `prefix ${prefix || '(any)'} is listed twice` });
      return;
    }
    try {
      const rate: Rate = {
        prefix,
        perMinute: parseMoney(`${key} per_minute`, perMinute),
        minSeconds: seconds(`${key} minimum`, minimum, 0),
        incrementSeconds: seconds(`${key} increment`, increment, 1),
        setupFee: parseMoney(`${key} setup_fee`, setup || '0'),
      };
      seen.add(prefix);
      rates.push(rate);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length) throw new ConfigError(issues);
  if (rates.length === 0)
    throw new ConfigError([{ key: 'rates', message: 'the file has no rate' }]);
  return rates;
}

export const ACCOUNT_KINDS: readonly AccountKind[] = ['prepaid', 'postpaid', 'flat'];

/** An account id (1 to 32 of letters, digits, `_`, `-`). */
export function accountId(id: string, label = 'account'): string {
  if (!AccountIdSchema.safeParse(id).success)
    throw new InputError(`${label} ${id}: must be 1 to 32 of letters, digits, "_" or "-"`);
  return id;
}

/** An account kind. */
export function accountKind(kind: string, label = '--kind'): AccountKind {
  if (!ACCOUNT_KINDS.includes(kind as AccountKind))
    throw new InputError(`${label} ${kind}: must be prepaid, postpaid or flat`);
  return kind as AccountKind;
}

/** Labels of an account change's fields, as the front end names them. */
export interface AccountChangeLabels {
  name: string;
  kind: string;
  flatFee: string;
}

/** Longest account name (characters). */
export const ACCOUNT_NAME_MAX = 200;

/**
 * An account change (`pbx account set`, `PATCH /api/accounts/:id`): the name, the kind and the
 * flat fee (already parsed to micro-units by the front end, as for `add`). Nothing to change, a
 * bad kind, a name too long or a negative fee is an {@link InputError} naming the field.
 */
export function accountChange(
  input: { name?: string; kind?: string; flatFee?: number },
  labels: AccountChangeLabels,
): AccountPatch {
  const patch: AccountPatch = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length > ACCOUNT_NAME_MAX)
      throw new InputError(`${labels.name}: at most ${ACCOUNT_NAME_MAX} characters`);
    patch.name = name;
  }
  if (input.kind !== undefined) patch.kind = accountKind(input.kind, labels.kind);
  if (input.flatFee !== undefined) {
    if (!Number.isSafeInteger(input.flatFee) || input.flatFee < 0)
      throw new InputError(`${labels.flatFee}: must be an amount of 0 or more`);
    patch.flatFee = input.flatFee;
  }
  if (Object.keys(patch).length === 0)
    throw new InputError(
      `nothing to change; give ${labels.name}, ${labels.kind} or ${labels.flatFee}`,
    );
  return patch;
}

/** An auth code (2 to 12 digits). */
export function authCode(code: string): string {
  if (!AuthCodeSchema.safeParse(code).success)
    throw new InputError(`auth code ${code}: must be 2 to 12 digits`);
  return code;
}

/**
 * The calls billed to an account in [since, until] as CSV lines (header, one per trunk call, a
 * flat account's monthly fees, a total line). The caller checked that the account exists.
 */
export async function* accountStatement(
  store: Store,
  account: { id: string; kind: AccountKind },
  since: number,
  until: number,
): AsyncGenerator<string> {
  yield csvLine(['start', 'caller', 'number', 'trunk', 'duration_s', 'charge']);
  let total = 0;
  for await (const r of store.cdrs.iterate({ account: account.id, since, until })) {
    if (r.trunk === null) continue;
    total += r.charge ?? 0;
    yield csvLine([
      new Date(r.startAt).toISOString(),
      r.callerTel,
      r.calleeTel ?? r.dialled,
      r.trunk,
      r.durationMs === null ? '0' : String(r.durationMs / 1000),
      formatMoney(r.charge ?? 0),
    ]);
  }
  // A flat-rate account pays the fees the PBX posted in the period (one per month), not calls.
  let fees = 0;
  if (account.kind === 'flat')
    for (const e of await store.billing.ledger(account.id, since, until)) {
      if (!e.note.startsWith('flat fee ')) continue;
      fees += -e.amount;
      yield csvLine([new Date(e.at).toISOString(), '', '', '', e.note, formatMoney(-e.amount)]);
    }
  const due = account.kind === 'flat' ? fees : total;
  yield csvLine(['', '', '', '', 'total', formatMoney(due)]);
}
