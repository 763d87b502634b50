/**
 * What only the running PBX knows: live registrations (the SIP Phone Status board), live calls
 * with hang-up, and a call's SIP ladder from the messages kept for recent calls.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '@pbx/store';
import { endCall } from '../engine/call-setup';
import type { CallRef } from '../engine/call-registry';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import type { CallIds } from './live-sources';
import { callInvolves, callView, registrationView } from './views';

const RefParam = z.object({ ref: z.string().min(1).max(100) });

export function liveRoutes(app: FastifyInstance, h: HttpContext, callIds: CallIds): void {
  const { calls, registrar } = h.deps;
  const registry = calls.env.registry;

  app.get('/api/registrations', async (req) => {
    h.admin(req);
    const now = h.deps.ctx.now();
    const stations = await h.store.stations.list();
    return stations.map((s) => {
      const live = registrar.bindings.live(s.tel, now).map(registrationView);
      return { tel: s.tel, name: s.name, registered: live.length > 0, contacts: live };
    });
  });

  app.get('/api/calls', async (req) => {
    const who = h.principal(req);
    const all = registry.all().map(callView);
    return who.role === 'admin' ? all : all.filter((c) => callInvolves(c, who.tel));
  });

  const findCall = (req: { params: unknown }) => {
    const { ref } = parseInput(RefParam, req.params, 'path');
    const call = registry.call(ref as CallRef);
    return { ref, call };
  };

  const hangup = async (req: FastifyRequest) => {
    const who = h.principal(req);
    const { ref, call } = findCall(req);
    if (!call || call.ended) throw new NotFoundError('call', ref);
    const view = callView(call);
    if (who.role === 'station' && !callInvolves(view, who.tel))
      throw new HttpError(403, 'forbidden', 'not your call');
    endCall(calls.env, call, { status: 480, note: 'hung up from the web' });
    await h.audit(who, 'calls hangup', { ref });
    return { hungUp: ref };
  };
  app.post('/api/calls/:ref/hangup', hangup);
  app.delete('/api/calls/:ref', hangup);

  app.get('/api/calls/:ref/ladder', async (req) => {
    h.admin(req);
    const { ref, call } = findCall(req);
    const ids = callIds.of(ref);
    if (!call && ids.length === 0) throw new NotFoundError('call', ref);
    // The SIP worker hands its trace over in batches: the ladder waits for what it has handled,
    // so a call hung up a moment ago shows its BYEs.
    await h.deps.sipTrafficFlush?.().catch(() => undefined);
    const messages = h.trace.ladder(ids);
    // Name the phones: the station registered from each address the messages went to.
    const now = h.deps.ctx.now();
    const peers: Record<string, string> = {};
    for (const tel of registrar.bindings.tels())
      for (const b of registrar.bindings.live(tel, now))
        peers[`${b.sourceIp}:${b.sourcePort}`] = tel;
    const named = Object.fromEntries(
      [...new Set(messages.map((m) => m.peer))].flatMap((p) => (peers[p] ? [[p, peers[p]]] : [])),
    );
    return { ref, callIds: ids, peers: named, messages };
  });
}
