/**
 * What the `pbx` command does beyond the console's core resources, for the administrator:
 * trunks (read, remove), rates and billing accounts (read, top up), message-waiting lamps
 * (read, set), messages from the PBX to stations, and a consistent backup of the database on
 * the PBX's host. Inputs are checked with the CLI's own rules (`@pbx/config` schemas and
 * parsers); every change goes to the audit log (origin `web`).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AccountIdSchema, parseMoney, TrunkNameSchema } from '@pbx/config';
import { backupDatabase, NotFoundError, StoreError } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';

const TelParam = z.object({ tel: z.string().regex(/^\d{2,8}$/, 'must be 2 to 8 digits') });
const TrunkParam = z.object({ name: TrunkNameSchema });
const AccountParam = z.object({ id: AccountIdSchema });
/** Money as the CLI takes it: a decimal text (or a number) with at most 6 decimals. */
const Amount = z.union([z.string().max(20), z.number().finite()]).transform((v, ctx) => {
  try {
    return parseMoney('amount', typeof v === 'number' ? String(v) : v, true);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an amount with at most 6 decimals' });
    return z.NEVER;
  }
});
const TopupSchema = z
  .object({ amount: Amount, note: z.string().max(200).optional() })
  .strict()
  .refine((v) => v.amount !== 0, 'amount must not be 0');
const Count = z.number().int().min(0).max(9_999_999);
const MwiSchema = z.object({ new: Count, old: Count.optional() }).strict();
const UnsolicitedSchema = z.object({ on: z.boolean() }).strict();
const MessageSchema = z
  .object({
    to: z.union([z.literal('all'), z.string().regex(/^\d{2,8}$/, 'must be a station or "all"')]),
    body: z.string().trim().min(1, 'must not be empty').max(4000),
  })
  .strict();
const BackupSchema = z
  .object({
    file: z
      .string()
      .min(2)
      .max(1024)
      .refine((f) => path.isAbsolute(f), 'must be an absolute path on the PBX host')
      .refine((f) => !/[\0]/.test(f), 'must not contain NUL'),
    force: z.boolean().optional(),
  })
  .strict();

export function serviceRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

  // Trunks, as `pbx trunk list|show|remove` (passwords never leave the store).
  app.get('/api/trunks', async (req) => {
    h.admin(req);
    const [trunks, statuses, dids, routes] = await Promise.all([
      store.trunks.list(),
      store.trunks.statuses(),
      store.trunks.dids(),
      store.trunks.routes(),
    ]);
    return trunks.map((t) => ({
      ...t,
      status: statuses.find((s) => s.trunk === t.name) ?? null,
      dids: dids.filter((d) => d.trunk === t.name),
      routes: routes.filter((r) => r.trunk === t.name),
    }));
  });
  app.get('/api/trunks/:name', async (req) => {
    h.admin(req);
    const { name } = parseInput(TrunkParam, req.params, 'path');
    const t = await store.trunks.get(name);
    if (!t) throw new NotFoundError('trunk', name);
    return {
      ...t,
      status: (await store.trunks.statuses()).find((s) => s.trunk === name) ?? null,
      dids: await store.trunks.dids(name),
      routes: (await store.trunks.routes()).filter((r) => r.trunk === name),
    };
  });
  app.delete('/api/trunks/:name', async (req) => {
    const who = h.admin(req);
    const { name } = parseInput(TrunkParam, req.params, 'path');
    if (!(await store.trunks.get(name))) throw new NotFoundError('trunk', name);
    await store.trunks.remove(name);
    await h.audit(who, 'trunk remove', { name });
    await h.applied('trunks');
    return { removed: name };
  });

  // Rates and accounts, as `pbx rate list`, `pbx account list|show|topup`.
  app.get('/api/rates', async (req) => {
    h.admin(req);
    return store.billing.rates();
  });
  app.get('/api/accounts', async (req) => {
    h.admin(req);
    return store.billing.accounts();
  });
  app.get('/api/accounts/:id', async (req) => {
    h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const a = await store.billing.account(id);
    if (!a) throw new NotFoundError('account', id);
    return { ...a, ledger: (await store.billing.ledger(id)).slice(-10) };
  });
  app.post('/api/accounts/:id/topup', async (req) => {
    const who = h.admin(req);
    const { id } = parseInput(AccountParam, req.params, 'path');
    const { amount, note } = parseInput(TopupSchema, req.body, 'body');
    const a = await store.billing.post(id, amount, { note: note ?? 'top-up' });
    await h.audit(who, 'account topup', { id, amount });
    return a;
  });

  // Message-waiting lamps, as `pbx mwi list|set|unsolicited`: written through the presence
  // module's mailbox interface, so the phone is notified at once.
  app.get('/api/mwi', async (req) => {
    h.admin(req);
    return store.mailboxes.list();
  });
  app.put('/api/mwi/:tel', async (req) => {
    const who = h.admin(req);
    const { tel } = parseInput(TelParam, req.params, 'path');
    const input = parseInput(MwiSchema, req.body, 'body');
    if (!(await store.stations.get(tel))) throw new NotFoundError('station', tel);
    const before = await store.mailboxes.get(tel);
    const counts = { newMessages: input.new, oldMessages: input.old ?? before?.oldMessages ?? 0 };
    await h.deps.presence.mailboxes.set(tel, counts);
    await h.audit(who, 'mwi set', { tel, ...counts });
    return { tel, ...counts, lamp: counts.newMessages > 0 ? 'on' : 'off' };
  });
  app.put('/api/mwi/:tel/unsolicited', async (req) => {
    const who = h.admin(req);
    const { tel } = parseInput(TelParam, req.params, 'path');
    const { on } = parseInput(UnsolicitedSchema, req.body, 'body');
    if (!(await store.stations.get(tel))) throw new NotFoundError('station', tel);
    const m = await store.mailboxes.setUnsolicited(tel, on);
    await h.deps.presence.mailboxes.load();
    await h.audit(who, 'mwi unsolicited', { tel, on });
    return m;
  });

  // A message from the PBX, as `pbx message send <tel|all>`; delivered now or on registration.
  app.post('/api/messages', async (req, reply) => {
    const who = h.admin(req);
    const { to, body } = parseInput(MessageSchema, req.body, 'body');
    const stations = (await store.stations.list()).map((s) => s.tel);
    if (to !== 'all' && !stations.includes(to)) throw new NotFoundError('station', to);
    const targets = to === 'all' ? stations : [to];
    for (const tel of targets) await h.deps.messages.relay.sendFromPbx(tel, body);
    await h.audit(who, 'message send', { to, stations: targets.length });
    void reply.status(202);
    return { queued: targets.length };
  });

  // A consistent copy of the database on the PBX's host, as `pbx backup <file>`.
  app.post('/api/backup', async (req, reply) => {
    const who = h.admin(req);
    const { file, force } = parseInput(BackupSchema, req.body, 'body');
    const dbPath = h.config.db.path;
    if (!dbPath || dbPath === ':memory:')
      throw new HttpError(409, 'conflict', 'the database is in memory: nothing to back up');
    const folder = path.dirname(file);
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new HttpError(400, 'invalid_input', `folder ${folder} does not exist`);
    if (path.resolve(file) === path.resolve(dbPath))
      throw new HttpError(400, 'invalid_input', 'that is the database itself');
    if (existsSync(file) && !force)
      throw new HttpError(409, 'conflict', `${file} exists; send "force": true to overwrite it`);
    const r = await backupDatabase(store.db, dbPath, file).catch((err: unknown) => {
      if (err instanceof StoreError) throw new HttpError(500, 'backup_failed', err.message);
      throw err;
    });
    await h.audit(who, 'backup', { file: r.file });
    void reply.status(201);
    return r;
  });
}
