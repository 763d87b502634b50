/**
 * Rates, accounts and auth codes, as `pbx rate import|list`, `pbx account
 * add|topup|show|list|remove|statement` and `pbx authcode add|list|remove`, with the command
 * line's checks and messages (`@pbx/admin`). The rate table is imported from a CSV body
 * (`Content-Type: text/csv`, or JSON `{ "csv": "…" }`); every bad line is named in the 400. The
 * PBX reads rates and accounts per call, so a change counts from the next call; auth codes are
 * in area `trunks` and are answered once applied.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  accountChange,
  accountId,
  accountKind,
  accountStatement,
  authCode,
  parseRates,
} from '@pbx/admin';
import { AccountIdSchema, parseMoney } from '@pbx/config';
import { NotFoundError } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { EpochMs } from './route-params';

const AccountParam = z.object({ id: AccountIdSchema });
/** Money as the CLI takes it: a decimal text (or a number) with at most 6 decimals. */
const money = (allowNegative: boolean) =>
  z.union([z.string().max(20), z.number().finite()]).transform((v, ctx) => {
    try {
      return parseMoney('amount', typeof v === 'number' ? String(v) : v, allowNegative);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an amount with at most 6 decimals' });
      return z.NEVER;
    }
  });
const TopupSchema = z
  .object({ amount: money(true), note: z.string().max(200).optional() })
  .strict()
  .refine((v) => v.amount !== 0, 'amount must not be 0');
const AccountSchema = z
  .object({
    id: z.string().max(64),
    kind: z.string().max(16),
    name: z.string().max(200).optional(),
    flatFee: money(false).optional(),
  })
  .strict();
const AccountPatchSchema = z
  .object({
    name: z.string().max(1000).optional(),
    kind: z.string().max(16).optional(),
    flatFee: money(false).optional(),
  })
  .strict();
const RatesJson = z.object({ csv: z.string().max(1_000_000) }).strict();
const StatementQuery = z.object({ since: EpochMs, until: EpochMs.optional() }).strict();
const AuthCodeSchema = z
  .object({
    code: z.string().max(16),
    account: z.string().max(64),
    note: z.string().max(200).optional(),
  })
  .strict();
const CodeParam = z.object({ code: z.string().max(16) });

export function billingRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;
  // A rate table arrives as the CSV file itself.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });

  app.get('/api/rates', async (req) => {
    h.admin(req);
    return store.billing.rates();
  });
  app.put('/api/rates', async (req) => {
    const who = h.admin(req);
    const text =
      typeof req.body === 'string' ? req.body : parseInput(RatesJson, req.body, 'body').csv;
    const rates = parseRates(text);
    await store.billing.replaceRates(rates);
    await h.audit(who, 'rate import', { rates: rates.length });
    return { imported: rates.length };
  });

  app.get('/api/accounts', async (req) => {
    h.admin(req);
    return store.billing.accounts();
  });
  app.post('/api/accounts', async (req, reply) => {
    const who = h.admin(req);
    const body = parseInput(AccountSchema, req.body, 'body');
    const kind = accountKind(body.kind, 'kind');
    const a = await store.billing.createAccount({
      id: accountId(body.id),
      name: body.name ?? '',
      kind,
      flatFee: body.flatFee ?? 0,
    });
    await h.audit(who, 'account add', { id: a.id, kind });
    void reply.status(201);
    return a;
  });
  app.get('/api/accounts/:id', async (req) => {
    h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const a = await store.billing.account(id);
    if (!a) throw new NotFoundError('account', id);
    return { ...a, ledger: (await store.billing.ledger(id)).slice(-10) };
  });
  // As `pbx account set`: name, kind, flat fee (the balance moves by topup only).
  app.patch('/api/accounts/:id', async (req) => {
    const who = h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const body = parseInput(AccountPatchSchema, req.body, 'body');
    const patch = accountChange(body, { name: 'name', kind: 'kind', flatFee: 'flatFee' });
    const a = await store.billing.updateAccount(id, patch);
    await h.audit(who, 'account set', { id, fields: Object.keys(patch) });
    return a;
  });
  app.post('/api/accounts/:id/topup', async (req) => {
    const who = h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const { amount, note } = parseInput(TopupSchema, req.body, 'body');
    const a = await store.billing.post(id, amount, { note: note ?? 'top-up' });
    await h.audit(who, 'account topup', { id, amount });
    return a;
  });
  app.delete('/api/accounts/:id', async (req) => {
    const who = h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    await store.billing.removeAccount(id);
    await h.audit(who, 'account remove', { id });
    return { removed: id };
  });
  // `pbx account statement <id> --since … [--until …]`: the same CSV.
  app.get('/api/accounts/:id/statement', async (req, reply) => {
    h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const q = parseInput(StatementQuery, req.query, 'query');
    const until = q.until ?? h.deps.ctx.now();
    if (until < q.since)
      throw new HttpError(400, 'invalid_input', 'until: must not be before since');
    const a = await store.billing.account(id);
    if (!a) throw new NotFoundError('account', id);
    let csv = '';
    for await (const line of accountStatement(store, a, q.since, until)) csv += line;
    void reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="statement-${id}.csv"`);
    return csv;
  });

  app.get('/api/authcodes', async (req) => {
    h.admin(req);
    return store.billing.authCodes();
  });
  app.post('/api/authcodes', async (req, reply) => {
    const who = h.admin(req);
    const body = parseInput(AuthCodeSchema, req.body, 'body');
    const code = authCode(body.code);
    const account = accountId(body.account, 'account');
    await store.billing.addAuthCode({ code, account, note: body.note ?? '' });
    // The code itself is a credential: the audit names only its account.
    await h.audit(who, 'authcode add', { account });
    await h.applied('trunks');
    void reply.status(201);
    return { code, account, note: body.note ?? '' };
  });
  app.delete('/api/authcodes/:code', async (req) => {
    const who = h.admin(req);
    const { code } = parseInput(CodeParam, req.params, 'path');
    await store.billing.removeAuthCode(authCode(code));
    await h.audit(who, 'authcode remove', {});
    await h.applied('trunks');
    return { removed: true };
  });
}
