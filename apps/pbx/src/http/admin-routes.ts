/**
 * The administrator's resources: stations, number plan, white list, blocks, system options,
 * call records (filters, paging, CSV), audit and access logs (feature codes and ring groups are
 * in plan-routes.ts, trunks in trunk-routes.ts, billing in billing-routes.ts). Changes go through the same store
 * repositories and parsers as the `pbx` command, are written to the audit log (origin `web`),
 * and are answered only once the running PBX has applied them.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getOptionValue, OPTIONS, parseOptionValue } from '@pbx/config';
import { checkWebPassword } from '@pbx/admin';
import { CDR_DISPOSITIONS, NotFoundError, type CdrDisposition } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { createStation, updateStation } from './station-changes';
import { stationView } from './views';
import { EpochMs } from './route-params';

const TelParam = z.object({ tel: z.string().regex(/^\d{2,8}$/, 'must be 2 to 8 digits') });
const Body = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });
/** A CTI password (checked by @pbx/admin's checkWebPassword, as `pbx ext cti-password`). */
const CtiSchema = z
  .object({ password: z.string().max(1024), current: z.string().max(1024).optional() })
  .strict();
const WhitelistSchema = z
  .object({ entry: z.string().min(1).max(64), note: z.string().max(200).optional() })
  .strict();
const IpSchema = z.string().refine((s) => isIP(s) !== 0, 'must be an IP address');
const BlockSchema = z
  .object({
    ip: IpSchema,
    seconds: z
      .number()
      .positive()
      .max(366 * 86_400)
      .optional(),
    reason: z.string().max(200).optional(),
  })
  .strict();

/** Query of GET /api/cdrs (also used by a station's own history). */
export const CdrQuerySchema = z
  .object({
    since: EpochMs.optional(),
    until: EpochMs.optional(),
    ext: z
      .string()
      .regex(/^[0-9*#+]{1,32}$/, 'must be a number')
      .optional(),
    disposition: z
      .enum(CDR_DISPOSITIONS as [CdrDisposition, ...CdrDisposition[]], {
        error: `must be one of ${CDR_DISPOSITIONS.join(', ')}`,
      })
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    beforeId: z.coerce.number().int().positive().optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

const LogQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(1000).default(200) })
  .strict();

export function adminRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

  // Stations ("SIP Phone Information"), as `pbx ext`.
  app.get('/api/stations', async (req) => {
    h.admin(req);
    const rows = await store.stations.list();
    return Promise.all(
      rows.map(async (s) => ({
        ...stationView(s),
        ctiPassword: (await store.webAuth.hasCtiPassword(s.tel)) ? 'set' : 'none',
      })),
    );
  });
  app.get('/api/stations/:tel', async (req) => {
    const { tel } = parseInput(TelParam, req.params, 'path');
    h.ownStation(req, tel);
    const s = await store.stations.get(tel);
    if (!s) throw new NotFoundError('station', tel);
    return { ...stationView(s), voicemail: await store.voicemail.summary(tel) };
  });
  app.post('/api/stations', async (req, reply) => {
    const who = h.admin(req);
    const raw = parseInput(Body, req.body, 'body');
    const station = await createStation(store, h.config, raw);
    await h.audit(who, 'ext add', { tel: station.tel });
    await h.applied('stations');
    void reply.status(201);
    return stationView(station);
  });
  app.patch('/api/stations/:tel', async (req) => {
    const { tel } = parseInput(TelParam, req.params, 'path');
    const who = h.admin(req);
    const raw = parseInput(Body, req.body, 'body');
    const station = await updateStation(store, h.config, tel, raw);
    await h.audit(who, 'ext set', { tel, fields: Object.keys(raw) });
    await h.applied('stations');
    return stationView(station);
  });
  app.delete('/api/stations/:tel', async (req) => {
    const { tel } = parseInput(TelParam, req.params, 'path');
    const who = h.admin(req);
    const { clearedForwardFrom } = await store.stations.remove(tel);
    h.sessions.endStation(tel);
    await h.audit(who, 'ext remove', { tel });
    await h.applied('stations');
    return { removed: tel, clearedForwardFrom };
  });
  app.put('/api/stations/:tel/cti-password', async (req) => {
    const { tel } = parseInput(TelParam, req.params, 'path');
    const who = h.ownStation(req, tel);
    const { password, current } = parseInput(CtiSchema, req.body, 'body');
    // A station user proves it is still them (a session left open is not enough).
    if (who.role === 'station') await h.verifyCurrent(req, tel, current);
    await store.webAuth.setCtiPassword(tel, checkWebPassword(password));
    h.sessions.endStation(tel);
    await h.audit(who, 'ext set', { tel, fields: ['ctiPassword'] });
    return { ok: true };
  });

  // Feature codes and ring groups: plan-routes.ts.

  // IP white list, as `pbx whitelist`.
  app.get('/api/whitelist', async (req) => {
    h.admin(req);
    return store.whitelist.list();
  });
  app.post('/api/whitelist', async (req, reply) => {
    const who = h.admin(req);
    const { entry, note } = parseInput(WhitelistSchema, req.body, 'body');
    const row = await store.whitelist.add(entry, note ?? '');
    await h.audit(who, 'whitelist add', { entry });
    await h.applied('whitelist');
    void reply.status(201);
    return row;
  });
  app.delete('/api/whitelist/:entry', async (req) => {
    const who = h.admin(req);
    const { entry } = parseInput(
      z.object({ entry: z.string().min(1).max(64) }),
      req.params,
      'path',
    );
    const row = await store.whitelist.remove(entry);
    await h.audit(who, 'whitelist remove', { entry });
    await h.applied('whitelist');
    return row;
  });

  // Blocked addresses, as `pbx block`.
  app.get('/api/blocks', async (req) => {
    h.admin(req);
    return store.blocks.list({ activeAt: h.deps.ctx.now() });
  });
  app.post('/api/blocks', async (req, reply) => {
    const who = h.admin(req);
    const b = parseInput(BlockSchema, req.body, 'body');
    const now = h.deps.ctx.now();
    const seconds = b.seconds ?? h.config.security.commonBlockTimer;
    const reason = b.reason ?? 'blocked by administrator';
    const row = await store.blocks.block({
      ip: b.ip,
      blockedUntil: now + Math.round(seconds * 1000),
      reason,
    });
    await store.accessLog.add({ at: now, ip: b.ip, reason });
    await h.audit(who, 'block add', { ip: b.ip, seconds });
    await h.applied('blocks');
    void reply.status(201);
    return row;
  });
  app.delete('/api/blocks/:ip', async (req) => {
    const who = h.admin(req);
    const { ip } = parseInput(z.object({ ip: IpSchema }), req.params, 'path');
    if (!(await store.blocks.remove(ip))) throw new NotFoundError('blocked IP', ip);
    await h.audit(who, 'block remove', { ip });
    await h.applied('blocks');
    return { removed: ip };
  });

  // System options, as `pbx config`.
  app.get('/api/config', async (req) => {
    h.admin(req);
    const stored = await store.options.all();
    return OPTIONS.map((o) => {
      const value = getOptionValue(h.config, o.key);
      return {
        key: o.key,
        value: o.secret && value !== undefined ? '***' : (value ?? null),
        stored: o.key in stored,
        settable: o.settable,
        restart: o.restart,
        description: o.description,
      };
    });
  });
  app.put('/api/config', async (req) => {
    const who = h.admin(req);
    const raw = parseInput(Body, req.body, 'body');
    if (Object.keys(raw).length === 0)
      throw new HttpError(400, 'invalid_input', 'give at least one option');
    const values: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw)) {
      const { key, value: typed } = parseOptionValue(name, value);
      const spec = OPTIONS.find((o) => o.key === key);
      if (!spec?.settable)
        throw new HttpError(400, 'invalid_input', `${key}: cannot be set at run time`);
      values[key] = typed;
    }
    await store.options.setMany(values);
    const secret = new Set(OPTIONS.filter((o) => o.secret).map((o) => o.key));
    await h.audit(who, 'config set', {
      options: Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, secret.has(k) ? '***' : v]),
      ),
    });
    await h.applied('config');
    return { updated: Object.keys(values) };
  });
  app.delete('/api/config/:key', async (req) => {
    const who = h.admin(req);
    const { key } = parseInput(z.object({ key: z.string().max(64) }), req.params, 'path');
    const spec = OPTIONS.find((o) => o.key === key);
    if (!spec) throw new NotFoundError('option', key);
    const existed = await store.options.unset(spec.key);
    await h.audit(who, 'config unset', { key: spec.key });
    if (existed) await h.applied('config');
    return { unset: spec.key, existed };
  });

  // Call records, as `pbx cdr list|export`.
  app.get('/api/cdrs', async (req, reply) => {
    h.admin(req);
    const q = parseInput(CdrQuerySchema, req.query, 'query');
    const { limit, beforeId, format, ...filter } = q;
    if (format === 'csv') {
      let csv = '';
      await store.cdrs.exportCsv(filter, (chunk) => {
        csv += chunk;
      });
      void reply
        .header('Content-Type', 'text/csv; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="call-records.csv"');
      return csv;
    }
    const records = await store.cdrs.list({ ...filter, limit, ...(beforeId ? { beforeId } : {}) });
    const total = await store.cdrs.count(filter);
    const last = records[records.length - 1];
    const first = records[0];
    // Pages go back in time: the next page is everything older than the oldest shown.
    const oldest = [first, last].filter((r) => r !== undefined).map((r) => r.id);
    return {
      total,
      records,
      ...(records.length === limit && oldest.length ? { nextBeforeId: Math.min(...oldest) } : {}),
    };
  });

  // Logs.
  app.get('/api/audit', async (req) => {
    h.admin(req);
    const { limit } = parseInput(LogQuery, req.query, 'query');
    return store.audit.list({ limit });
  });
  app.get('/api/access-log', async (req) => {
    h.admin(req);
    const { limit } = parseInput(LogQuery, req.query, 'query');
    return store.accessLog.list({ limit });
  });
}
