/**
 * GET /api/events (WebSocket): the live event stream. The client names its topics in the query
 * (`?topics=calls,presence`) and may change them with `{"subscribe":[...]}` /
 * `{"unsubscribe":[...]}` messages. Authenticated like the rest of the API (cookie, Bearer, or
 * `?token=` for clients that cannot set headers); refused with 401 before the upgrade. A client
 * that stops reading is disconnected rather than buffered without bound.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpContext } from './http-context';
import { HttpError } from './http-errors';
import { parseTopics, TOPICS, type HubEvent, type Subscriber, type Topic } from './event-hub';
import type { Principal } from './sessions';

const MAX_BUFFERED = 4 * 1024 * 1024;

const ClientMessage = z
  .object({
    subscribe: z.array(z.string().max(32)).max(10).optional(),
    unsubscribe: z.array(z.string().max(32)).max(10).optional(),
  })
  .strict();

export function eventsRoute(app: FastifyInstance, h: HttpContext): void {
  const principals = new WeakMap<object, Principal>();
  app.get(
    '/api/events',
    {
      websocket: true,
      preValidation: async (req) => {
        const q = req.query as Record<string, unknown>;
        const token = h.token(req) ?? (typeof q['token'] === 'string' ? q['token'] : undefined);
        const session = h.sessions.get(token);
        if (!session) throw new HttpError(401, 'unauthorized', 'log in first (POST /api/login)');
        const { unknown } = parseTopics(typeof q['topics'] === 'string' ? q['topics'] : '');
        if (unknown.length)
          throw new HttpError(
            400,
            'invalid_input',
            `unknown topics ${unknown.join(', ')}; topics are ${TOPICS.join(', ')}`,
          );
        principals.set(req.raw, session.principal);
      },
    },
    (socket, req) => {
      const principal = principals.get(req.raw);
      if (!principal) {
        socket.close(1008, 'unauthorized');
        return;
      }
      const q = req.query as Record<string, unknown>;
      const initial = parseTopics(typeof q['topics'] === 'string' ? q['topics'] : TOPICS.join(','));
      const sub: Subscriber = {
        principal,
        topics: new Set<Topic>(initial.topics),
        send(event: HubEvent) {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > MAX_BUFFERED) {
            socket.close(1013, 'client too slow');
            return;
          }
          socket.send(JSON.stringify(event));
        },
      };
      const unsubscribe = h.hub.subscribe(sub);
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      socket.on('message', (data: Buffer) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString('utf8'));
        } catch {
          socket.send(JSON.stringify({ error: 'invalid_input', message: 'send JSON' }));
          return;
        }
        const r = ClientMessage.safeParse(parsed);
        if (!r.success) {
          socket.send(
            JSON.stringify({ error: 'invalid_input', message: 'send {"subscribe":[topics]}' }),
          );
          return;
        }
        const add = parseTopics((r.data.subscribe ?? []).join(','));
        const drop = parseTopics((r.data.unsubscribe ?? []).join(','));
        for (const t of add.topics) sub.topics.add(t);
        for (const t of drop.topics) sub.topics.delete(t);
        socket.send(
          JSON.stringify({
            subscribed: [...sub.topics],
            ...(add.unknown.length || drop.unknown.length
              ? { unknown: [...add.unknown, ...drop.unknown] }
              : {}),
          }),
        );
      });
      socket.send(JSON.stringify({ subscribed: [...sub.topics] }));
    },
  );
}
