/**
 * What the `pbx` command does beyond the console's core resources, for the administrator:
 * message-waiting lamps (read, set), messages from the PBX to stations, a consistent backup of
 * the database on the PBX's host, and the check of a backup for `pbx restore`. Inputs are checked
 * with the CLI's own rules; every change goes to the audit log (origin `web`).
 *
 * Restore: `pbx restore` replaces the database file and says "stop the PBX first": the running
 * PBX holds the password key and every module's state from the database it started on, so it
 * cannot take another one underneath. The API does what is safe while it runs: it checks the
 * backup exactly as `pbx restore` does (integrity, tables, schema version, its key file) and
 * answers what it found; `POST /api/restore` then refuses (409) naming the command to run with
 * the PBX stopped.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { backupDatabase, checkBackup, defaultKeyPath, NotFoundError, StoreError } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';

const TelParam = z.object({ tel: z.string().regex(/^\d{2,8}$/, 'must be 2 to 8 digits') });
const Count = z.number().int().min(0).max(9_999_999);
const MwiSchema = z.object({ new: Count, old: Count.optional() }).strict();
const UnsolicitedSchema = z.object({ on: z.boolean() }).strict();
const MessageSchema = z
  .object({
    to: z.union([z.literal('all'), z.string().regex(/^\d{2,8}$/, 'must be a station or "all"')]),
    body: z.string().trim().min(1, 'must not be empty').max(4000),
  })
  .strict();
/** A backup file named to the PBX: an absolute path on its own host. */
const HostFile = z
  .string()
  .min(2)
  .max(1024)
  .refine((f) => path.isAbsolute(f), 'must be an absolute path on the PBX host')
  .refine((f) => !/[\0]/.test(f), 'must not contain NUL');
const RestoreSchema = z.object({ file: HostFile }).strict();
const BackupSchema = z.object({ file: HostFile, force: z.boolean().optional() }).strict();

export function serviceRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

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
  /** `pbx restore`'s checks of a backup, without replacing anything. */
  const checked = async (file: string) => {
    const dbPath = h.config.db.path;
    if (dbPath && path.resolve(file) === path.resolve(dbPath))
      throw new HttpError(400, 'invalid_input', `${file}: is the database itself; name a backup`);
    if (!existsSync(file)) throw new NotFoundError('backup file', file);
    const summary = await checkBackup(file).catch((err: unknown) => {
      if (err instanceof StoreError)
        throw new HttpError(400, 'invalid_backup', `restore refused: ${err.message}`);
      throw err;
    });
    const key = defaultKeyPath(file);
    if (!existsSync(key))
      throw new HttpError(
        400,
        'invalid_backup',
        `restore refused: ${key}: the backup's password key is missing; without it the station passwords cannot be read`,
      );
    return summary;
  };
  app.post('/api/backup/check', async (req) => {
    const who = h.admin(req);
    const { file } = parseInput(RestoreSchema, req.body, 'body');
    const summary = await checked(file);
    await h.audit(who, 'backup check', { file });
    return { file, ...summary };
  });
  app.post('/api/restore', async (req) => {
    const who = h.admin(req);
    const { file } = parseInput(RestoreSchema, req.body, 'body');
    const s = await checked(file);
    await h.audit(who, 'restore', { file }, 'failed', 'the PBX is running');
    throw new HttpError(
      409,
      'pbx_running',
      `${file} is a sound backup (schema ${s.version}, ${s.stations} stations, ${s.callRecords} call records), ` +
        `but the running PBX cannot replace its own database: stop the PBX, run pbx restore ${file}, start it again`,
    );
  });
}
