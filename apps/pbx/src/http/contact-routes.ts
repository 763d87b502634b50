/**
 * External contacts of the contact book: shared ones (the administrator's, everyone sees them)
 * and a station user's personal ones (only that user sees them). A user may change only their
 * own; another user's personal contact does not exist for them (404, nothing leaks).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError, type ContactRow } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { IdParam } from './route-params';
import type { Principal } from './sessions';

const Name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
/** What a phone would dial: a station number, or trunk access code + digits. */
const DialNumber = z.string().regex(/^[0-9*#+]{1,32}$/, 'must be a number to dial (digits, * # +)');
const Notes = z.string().max(1000);
const CreateSchema = z
  .object({
    name: Name,
    number: DialNumber,
    notes: Notes.optional(),
    shared: z.boolean().optional(),
  })
  .strict();
const UpdateSchema = z
  .object({ name: Name.optional(), number: DialNumber.optional(), notes: Notes.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field');
const ListQuery = z
  .object({
    q: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(500),
  })
  .strict();

/** A contact as the API shows it. */
export function externalContactView(c: ContactRow) {
  return {
    id: c.id,
    name: c.name,
    number: c.number,
    notes: c.notes,
    shared: c.ownerTel === null,
    ...(c.ownerTel !== null ? { owner: c.ownerTel } : {}),
    updatedAt: c.updatedAt,
  };
}

export function contactRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

  /** The contact `id` if `who` may change it; 404 when they may not even see it. */
  const writable = async (req: FastifyRequest, who: Principal): Promise<ContactRow> => {
    const { id } = parseInput(IdParam, req.params, 'path');
    const row = await store.contacts.get(id);
    if (!row || (who.role === 'station' && row.ownerTel !== null && row.ownerTel !== who.tel))
      throw new NotFoundError('contact', String(id));
    if (who.role === 'station' && row.ownerTel === null)
      throw new HttpError(403, 'forbidden', 'shared contacts are changed by the administrator');
    return row;
  };

  app.get('/api/external-contacts', async (req) => {
    const who = h.principal(req);
    const { q, limit } = parseInput(ListQuery, req.query, 'query');
    const rows = await store.contacts.list({
      viewer: who.role === 'station' ? who.tel : null,
      ...(q?.trim() ? { q: q.trim() } : {}),
      limit,
    });
    return rows.map(externalContactView);
  });

  app.post('/api/external-contacts', async (req, reply) => {
    const who = h.principal(req);
    const { shared, ...input } = parseInput(CreateSchema, req.body, 'body');
    if (who.role === 'station' && shared)
      throw new HttpError(403, 'forbidden', 'shared contacts are added by the administrator');
    // The administrator's contacts are the shared ones.
    const owner = who.role === 'station' ? who.tel : null;
    const row = await store.contacts.add(owner, input);
    await h.audit(who, 'contact add', { id: row.id, shared: owner === null });
    void reply.status(201);
    return externalContactView(row);
  });

  app.patch('/api/external-contacts/:id', async (req) => {
    const who = h.principal(req);
    const row = await writable(req, who);
    const change = parseInput(UpdateSchema, req.body, 'body');
    const updated = await store.contacts.update(row.id, change);
    await h.audit(who, 'contact set', { id: row.id, fields: Object.keys(change) });
    return externalContactView(updated);
  });

  app.delete('/api/external-contacts/:id', async (req) => {
    const who = h.principal(req);
    const row = await writable(req, who);
    await store.contacts.remove(row.id);
    await h.audit(who, 'contact remove', { id: row.id });
    return { removed: row.id };
  });
}
