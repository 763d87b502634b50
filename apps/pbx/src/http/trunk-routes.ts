/**
 * Trunks, as `pbx trunk add|set|list|show|remove`, `pbx trunk did …` and `pbx trunk route …`:
 * settings checked by `@pbx/config` (`parseTrunkCreate|Update`), DIDs and LCR routes by
 * `@pbx/admin`, the same as the command line. Passwords never leave the store and never reach the
 * audit log (only the names of the fields changed). Every change is answered once the running PBX
 * has applied it (area `trunks`: registrations restart, the next call uses the new settings).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { didEntry, routeEntry, routePrefix, trunkName } from '@pbx/admin';
import { parseTrunkCreate, parseTrunkUpdate, TrunkNameSchema } from '@pbx/config';
import { NotFoundError, type Store } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';

const TrunkParam = z.object({ name: TrunkNameSchema });
const DidParam = z.object({ name: TrunkNameSchema, did: z.string().max(40) });
const RouteParam = z.object({ name: TrunkNameSchema, prefix: z.string().max(40) });
const DidItem = z
  .object({
    did: z.string().max(40),
    // '' or absent: the operator.
    target: z.string().max(16).optional(),
  })
  .strict();
/** A trunk's settings (checked by parseTrunkCreate/Update) plus its DIDs. */
const TrunkBody = z.object({ dids: z.array(DidItem).max(1000).optional() }).catchall(z.unknown());
const DidBody = z.object({ target: z.string().max(16).optional() }).strict();
const RouteBody = z
  .object({
    priority: z.union([z.number(), z.string().max(8)]).optional(),
    strip: z.union([z.number(), z.string().max(8)]).optional(),
    prepend: z.string().max(40).optional(),
  })
  .strict();
const ROUTE_LABELS = { priority: 'priority', strip: 'strip', prepend: 'prepend' };

async function trunkView(store: Store, name: string) {
  const t = await store.trunks.get(name);
  if (!t) throw new NotFoundError('trunk', name);
  return {
    ...t,
    status: (await store.trunks.statuses()).find((s) => s.trunk === name) ?? null,
    dids: await store.trunks.dids(name),
    routes: (await store.trunks.routes()).filter((r) => r.trunk === name),
  };
}

export function trunkRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

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
    return trunkView(store, name);
  });

  // `pbx trunk add <name> --host … [--did DID=target]…`: body { name, host, …, dids? }.
  app.post('/api/trunks', async (req, reply) => {
    const who = h.admin(req);
    const { dids: didItems, name, ...settings } = parseInput(TrunkBody, req.body, 'body');
    if (typeof name !== 'string') throw new HttpError(400, 'invalid_input', 'name: is required');
    const input = parseTrunkCreate(name, settings);
    const dids = [];
    for (const d of didItems ?? []) dids.push(await didEntry(store, d.did, d.target ?? ''));
    await store.trunks.create({ name, ...input });
    for (const d of dids) await store.trunks.setDid({ ...d, trunk: name });
    await h.audit(who, 'trunk add', {
      name,
      fields: Object.keys(settings),
      dids: dids.map((d) => d.did),
    });
    await h.applied('trunks');
    void reply.status(201);
    return trunkView(store, name);
  });

  // `pbx trunk set <name> …`: only the fields given change.
  app.patch('/api/trunks/:name', async (req) => {
    const who = h.admin(req);
    const { name } = parseInput(TrunkParam, req.params, 'path');
    const { dids: didItems, ...settings } = parseInput(TrunkBody, req.body, 'body');
    if (Object.keys(settings).length === 0 && (didItems ?? []).length === 0)
      throw new HttpError(400, 'invalid_input', 'nothing to change: give at least one setting');
    const patch = parseTrunkUpdate(settings);
    if (!(await store.trunks.get(name))) throw new NotFoundError('trunk', name);
    const dids = [];
    for (const d of didItems ?? []) dids.push(await didEntry(store, d.did, d.target ?? ''));
    await store.trunks.update(name, patch);
    for (const d of dids) await store.trunks.setDid({ ...d, trunk: name });
    await h.audit(who, 'trunk set', {
      name,
      fields: Object.keys(settings),
      dids: dids.map((d) => d.did),
    });
    await h.applied('trunks');
    return trunkView(store, name);
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

  // DIDs, as `pbx trunk did add|remove|list`.
  app.get('/api/dids', async (req) => {
    h.admin(req);
    return store.trunks.dids();
  });
  app.put('/api/trunks/:name/dids/:did', async (req) => {
    const who = h.admin(req);
    const { name, did } = parseInput(DidParam, req.params, 'path');
    const { target } = parseInput(DidBody, req.body ?? {}, 'body');
    const d = await didEntry(store, did, target ?? '');
    if (!(await store.trunks.get(name))) throw new NotFoundError('trunk', name);
    await store.trunks.setDid({ ...d, trunk: name });
    await h.audit(who, 'trunk did add', { trunk: name, ...d });
    await h.applied('trunks');
    return { ...d, trunk: name };
  });
  app.delete('/api/trunks/:name/dids/:did', async (req) => {
    const who = h.admin(req);
    const { name, did } = parseInput(DidParam, req.params, 'path');
    await store.trunks.removeDid(trunkName(name), did);
    await h.audit(who, 'trunk did remove', { trunk: name, did });
    await h.applied('trunks');
    return { removed: did, trunk: name };
  });

  // LCR routes, as `pbx trunk route add|remove|list`; prefix `any` matches every number.
  app.get('/api/routes', async (req) => {
    h.admin(req);
    return store.trunks.routes();
  });
  app.put('/api/trunks/:name/routes/:prefix', async (req) => {
    const who = h.admin(req);
    const { name, prefix } = parseInput(RouteParam, req.params, 'path');
    const body = parseInput(RouteBody, req.body ?? {}, 'body');
    const route = routeEntry({ prefix, trunk: name, ...body }, ROUTE_LABELS);
    if (!(await store.trunks.get(name))) throw new NotFoundError('trunk', name);
    await store.trunks.setRoute(route);
    await h.audit(who, 'trunk route add', { ...route });
    await h.applied('trunks');
    return route;
  });
  app.delete('/api/trunks/:name/routes/:prefix', async (req) => {
    const who = h.admin(req);
    const { name, prefix } = parseInput(RouteParam, req.params, 'path');
    const p = routePrefix(prefix);
    await store.trunks.removeRoute(p, trunkName(name));
    await h.audit(who, 'trunk route remove', { trunk: name, prefix: p });
    await h.applied('trunks');
    return { removed: p === '' ? 'any' : p, trunk: name };
  });
}
