/**
 * What a station user does from the console: their own settings (DND, call forward, status
 * text: the same fields the feature codes and `pbx ext set` change), the contact list with every
 * colleague's live lamp, their call history with missed-call counts, and chat (stored and relayed
 * like SIP MESSAGE, so a phone sees it and answers back).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError, type CallRecord } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { updateStation } from './station-changes';
import { callView, contactView } from './views';

const Digits = z.string().regex(/^\d{1,32}$/, 'must be 1 to 32 digits');
const MeSchema = z
  .object({
    dnd: z.boolean().optional(),
    forward: z
      .object({
        type: z.enum(['all', 'busy', 'noAnswer', 'busyNoAnswer']),
        // `voicemail`: the station's own mailbox.
        target: z.union([Digits, z.literal('voicemail')]),
      })
      .strict()
      .nullable()
      .optional(),
    statusText: z.string().max(100).optional(),
  })
  .strict();
const FORWARD_FIELD = {
  all: 'forwardAll',
  busy: 'forwardBusy',
  noAnswer: 'forwardNoAnswer',
  busyNoAnswer: 'forwardBusyNoAnswer',
} as const;
const MessageSchema = z
  .object({
    to: z.string().regex(/^\d{2,8}$/, 'must be a station number'),
    body: z.string().min(1, 'must not be empty').max(4000),
  })
  .strict();
const PeerQuery = z
  .object({
    peer: z
      .string()
      .regex(/^\d{2,8}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
/** Click to call: a station number, or trunk access code + digits (what a phone would dial). */
const DialSchema = z
  .object({
    to: z.string().regex(/^[0-9*#+]{1,32}$/, 'must be a number to dial'),
    name: z.string().max(64).optional(),
  })
  .strict();
const REFUSAL_STATUS = {
  'not-found': 404,
  'own-number': 400,
  'not-registered': 409,
  dnd: 409,
  busy: 409,
  target: 409,
} as const;
const ContactsQuery = z.object({ q: z.string().max(64).optional() }).strict();

/** Who the console acts for: a station user, or the admin naming a station with `?as=`. */
export function stationOf(h: HttpContext, req: FastifyRequest): string {
  const who = h.principal(req);
  if (who.role === 'station') return who.tel;
  const as = (req.query as Record<string, unknown> | undefined)?.['as'];
  if (typeof as === 'string' && /^\d{2,8}$/.test(as)) return as;
  throw new HttpError(400, 'invalid_input', 'administrators name the station with ?as=<tel>');
}

/** Incoming, outgoing and missed counts of a station's call records. */
export function historyCounts(tel: string, records: readonly CallRecord[]) {
  let incoming = 0;
  let outgoing = 0;
  let missed = 0;
  for (const r of records) {
    if (r.callerTel === tel) outgoing++;
    else {
      incoming++;
      if (r.answerAt === null && r.disposition !== null) missed++;
    }
  }
  return { incoming, outgoing, missed };
}

export function userRoutes(app: FastifyInstance, h: HttpContext): void {
  const { stations } = h.deps.calls;

  const me = async (tel: string) => {
    const row = await h.store.stations.get(tel);
    if (!row) throw new NotFoundError('station', tel);
    return contactView(row, stations.peek(tel));
  };

  app.get('/api/me', async (req) => me(stationOf(h, req)));

  app.patch('/api/me', async (req) => {
    const tel = stationOf(h, req);
    const input = parseInput(MeSchema, req.body, 'body');
    const raw: Record<string, unknown> = {};
    if (input.dnd !== undefined) raw.dnd = input.dnd;
    if (input.statusText !== undefined) raw.statusText = input.statusText;
    if (input.forward === null) {
      for (const f of Object.values(FORWARD_FIELD)) raw[f] = null;
    } else if (input.forward) {
      raw[FORWARD_FIELD[input.forward.type]] = input.forward.target;
    }
    await updateStation(h.store, h.config, tel, raw);
    await h.audit(h.principal(req), 'ext set', { tel, fields: Object.keys(raw) });
    await h.applied('stations');
    return me(tel);
  });

  app.get('/api/contacts', async (req) => {
    h.principal(req);
    const { q } = parseInput(ContactsQuery, req.query, 'query');
    const needle = q?.trim().toLowerCase() ?? '';
    const rows = await h.store.stations.list();
    return rows
      .filter((r) => !needle || r.tel.includes(needle) || r.name.toLowerCase().includes(needle))
      .map((r) => contactView(r, stations.peek(r.tel)));
  });

  app.get('/api/me/calls', async (req) => {
    const tel = stationOf(h, req);
    const { limit } = parseInput(
      z
        .object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          as: z.string().optional(),
        })
        .strict(),
      req.query,
      'query',
    );
    const records = await h.store.cdrs.list({ ext: tel, limit });
    return { counts: historyCounts(tel, records), records: records.reverse() };
  });

  // Click to call: the user's phone rings first (showing the target), then the target.
  app.post('/api/me/calls', async (req, reply) => {
    const tel = stationOf(h, req);
    const { to, name } = parseInput(DialSchema, req.body, 'body');
    const placed = h.deps.calls.clickToCall({
      station: tel,
      target: to,
      ...(name ? { targetName: name } : {}),
    });
    if ('refused' in placed)
      throw new HttpError(
        REFUSAL_STATUS[placed.refused],
        placed.refused.replace(/-/g, '_'),
        placed.message,
      );
    await h.audit(h.principal(req), 'calls dial', { tel, to, ref: placed.ref });
    void reply.status(202);
    return callView(placed);
  });

  app.get('/api/me/messages', async (req) => {
    const tel = stationOf(h, req);
    const { as: _as, ...rest } = (req.query ?? {}) as Record<string, unknown>;
    const { peer, limit } = parseInput(PeerQuery, rest, 'query');
    const list = await h.store.messages.list({ ext: tel, ...(peer ? { peer } : {}), limit });
    return list.reverse();
  });

  app.post('/api/me/messages', async (req, reply) => {
    const tel = stationOf(h, req);
    const { to, body } = parseInput(MessageSchema, req.body, 'body');
    const status = await h.deps.messages.relay.sendFromStation(tel, to, body);
    if (status === 404) throw new NotFoundError('station', to);
    if (status === 413) throw new HttpError(413, 'too_large', 'message too long for the phones');
    void reply.status(status === 200 ? 201 : 202);
    return { to, delivered: status === 200 };
  });
}
