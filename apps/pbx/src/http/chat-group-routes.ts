/**
 * Chat groups ("text conferences") over HTTP: list, create, rename, members, leave, delete,
 * history with paging, post. A station user sees only the groups they are in; the group's
 * creator or an administrator manages it (rename, add and remove members, delete); any member
 * reads, posts and leaves. Posts go through the message relay, so phones get them as MESSAGE
 * from the group's number exactly as when a member's phone writes to it. Changes to a group are
 * published on the `messages` topic as `group` events to its members (old and new), including
 * changes made with `pbx chat` (see chat-group-feed.ts); each member's copy of a message, once
 * sent to their phone or refused by it, as a `delivery` event to the members.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { chatGroupNumberProblems, pickChatGroupNumber, planFromStored } from '@pbx/dialplan';
import {
  CHAT_GROUP_ADMIN,
  CHAT_GROUP_MEMBER_LIMIT,
  ConflictError,
  type ChatGroup,
} from '@pbx/store';
import { PBX_SENDER } from '../messages/message-relay';
import type { AppliedChange } from '../applied-changes';
import { ChatGroupFeed } from './chat-group-feed';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { IdParam } from './route-params';
import type { Principal } from './sessions';

const Tel = z.string().regex(/^\d{2,8}$/, 'must be a station number');
const Name = z.string().trim().min(1, 'must not be empty').max(64);
const CreateSchema = z
  .object({
    name: Name,
    number: z
      .string()
      .regex(/^\d{1,8}$/, 'must be 1 to 8 digits')
      .optional(),
    members: z.array(Tel).max(CHAT_GROUP_MEMBER_LIMIT).default([]),
  })
  .strict();
const RenameSchema = z.object({ name: Name }).strict();
const MembersSchema = z
  .object({
    members: z.array(Tel).min(1, 'name at least one station').max(CHAT_GROUP_MEMBER_LIMIT),
  })
  .strict();
const PostSchema = z.object({ body: z.string().min(1, 'must not be empty').max(4000) }).strict();
const HistoryQuery = z
  .object({
    before: z.coerce
      .number()
      .int()
      .positive()
      .max(2 ** 40)
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
const MemberParam = IdParam.extend({ tel: Tel });

/** Attempts at picking a free number when two creations race for the same one. */
const PICK_ATTEMPTS = 3;

export function chatGroupRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

  /** The group, if the caller may see it (a member, or the admin); 404 / 403 otherwise. */
  const visible = async (req: FastifyRequest): Promise<{ who: Principal; group: ChatGroup }> => {
    const who = h.principal(req);
    const { id } = parseInput(IdParam, req.params, 'path');
    const group = await store.chatGroups.get(id);
    if (!group) throw new HttpError(404, 'not_found', `chat group ${id} not found`);
    if (who.role === 'station' && !group.members.includes(who.tel))
      throw new HttpError(403, 'forbidden', `station ${who.tel} is not in chat group ${id}`);
    return { who, group };
  };

  /** The group, if the caller may manage it (its creator, or the admin). */
  const managed = async (req: FastifyRequest): Promise<{ who: Principal; group: ChatGroup }> => {
    const { who, group } = await visible(req);
    if (who.role === 'station' && group.createdBy !== who.tel)
      throw new HttpError(
        403,
        'forbidden',
        `only the creator (${group.createdBy}) or an administrator manages chat group ${group.id}`,
      );
    return { who, group };
  };

  const log = h.deps.ctx.log.child({ component: 'chat-groups' });
  const feed = new ChatGroupFeed(store, h.hub, log);
  const publish = (group: ChatGroup, audience: Iterable<string>, deleted = false): Promise<void> =>
    feed.changed(group, audience, deleted);
  // `pbx chat` writes SQLite directly: told once the change watcher has seen it.
  const onApplied = (c: AppliedChange): void => {
    if (c.area === 'chatgroups' && c.error === undefined) void feed.sync();
  };
  h.deps.changes.on('applied', onApplied);
  app.addHook('onClose', async () => {
    h.deps.changes.off('applied', onApplied);
  });
  h.deps.messages.relay.onGroupDelivery((u) => {
    void feed.membersOf(u.groupId).then(
      (members) => h.hub.publish('messages', 'delivery', u, [...new Set([...members, u.fromTel])]),
      (err: unknown) => log.warn({ err }, 'delivery not told'),
    );
  });

  const creatorOf = (who: Principal): string =>
    who.role === 'station' ? who.tel : CHAT_GROUP_ADMIN;

  // Each with how many messages it holds (the administrator's page shows it).
  app.get('/api/chat/groups', async (req) => {
    const who = h.principal(req);
    const groups = await store.chatGroups.list(who.role === 'station' ? { member: who.tel } : {});
    const counts = await store.messages.groupCounts();
    return groups.map((g) => ({ ...g, messageCount: counts.get(g.id) ?? 0 }));
  });

  app.post('/api/chat/groups', async (req, reply) => {
    const who = h.principal(req);
    const input = parseInput(CreateSchema, req.body, 'body');
    // A station user is always in the groups they create.
    const members = who.role === 'station' ? [who.tel, ...input.members] : input.members;
    const plan = planFromStored(await store.numberPlan.overrides());
    if (input.number !== undefined) {
      const problems = chatGroupNumberProblems(plan, input.number);
      if (problems.length > 0) throw new HttpError(409, 'conflict', problems.join('; '));
    }
    let group: ChatGroup | undefined;
    for (let attempt = 1; !group; attempt++) {
      const number = input.number ?? (await freeNumber(h, plan));
      try {
        group = await store.chatGroups.create({
          number,
          name: input.name,
          createdBy: creatorOf(who),
          members,
        });
      } catch (err) {
        // Someone took the picked number meanwhile: pick again.
        if (
          !(err instanceof ConflictError) ||
          input.number !== undefined ||
          attempt >= PICK_ATTEMPTS
        )
          throw err;
      }
    }
    await h.audit(who, 'chat group create', { id: group.id, number: group.number, members });
    await publish(group, []);
    void reply.status(201);
    return group;
  });

  app.get('/api/chat/groups/:id', async (req) => (await visible(req)).group);

  app.patch('/api/chat/groups/:id', async (req) => {
    const { who, group } = await managed(req);
    const { name } = parseInput(RenameSchema, req.body, 'body');
    const renamed = await store.chatGroups.rename(group.id, name);
    await h.audit(who, 'chat group rename', { id: group.id, name });
    await publish(renamed, []);
    return renamed;
  });

  app.delete('/api/chat/groups/:id', async (req) => {
    const { who, group } = await managed(req);
    await store.chatGroups.remove(group.id);
    await h.audit(who, 'chat group delete', { id: group.id, number: group.number });
    await publish(group, [], true);
    return { deleted: group.id };
  });

  app.post('/api/chat/groups/:id/members', async (req) => {
    const { who, group } = await managed(req);
    const { members } = parseInput(MembersSchema, req.body, 'body');
    const changed = await store.chatGroups.addMembers(group.id, members);
    await h.audit(who, 'chat group add', { id: group.id, members });
    await publish(changed, []);
    return changed;
  });

  // The creator or admin removes anyone; a member removes themself (leaving).
  app.delete('/api/chat/groups/:id/members/:tel', async (req) => {
    const { tel } = parseInput(MemberParam, req.params, 'path');
    const { who, group } = await visible(req);
    if (who.role === 'station' && who.tel !== tel && group.createdBy !== who.tel)
      throw new HttpError(
        403,
        'forbidden',
        `only the creator (${group.createdBy}) or an administrator removes other members`,
      );
    const changed = await store.chatGroups.removeMember(group.id, tel);
    await h.audit(who, 'chat group remove', { id: group.id, tel });
    await publish(changed, [tel]);
    return changed;
  });

  app.post('/api/chat/groups/:id/leave', async (req) => {
    const { who, group } = await visible(req);
    if (who.role !== 'station')
      throw new HttpError(400, 'invalid_input', 'administrators are not members; remove a member');
    const changed = await store.chatGroups.removeMember(group.id, who.tel);
    await h.audit(who, 'chat group leave', { id: group.id });
    await publish(changed, [who.tel]);
    return { left: group.id };
  });

  // History, oldest first within the page; `next` pages further back.
  app.get('/api/chat/groups/:id/messages', async (req) => {
    const { group } = await visible(req);
    const { before, limit } = parseInput(HistoryQuery, req.query, 'query');
    const page = await store.messages.groupHistory(group.id, {
      limit,
      ...(before !== undefined ? { before } : {}),
    });
    const oldest = page[page.length - 1];
    return {
      group,
      messages: page.reverse(),
      next: page.length === limit && oldest ? oldest.id : null,
    };
  });

  // A station user writes as their station; the administrator writes as the PBX.
  app.post('/api/chat/groups/:id/messages', async (req, reply) => {
    const { who, group } = await visible(req);
    const { body } = parseInput(PostSchema, req.body, 'body');
    const from = who.role === 'station' ? who.tel : PBX_SENDER;
    const status = await h.deps.messages.relay.sendToGroup(from, group.id, body);
    if (status === 404) throw new HttpError(404, 'not_found', `chat group ${group.id} not found`);
    if (status === 403)
      throw new HttpError(403, 'forbidden', `station ${from} is not in chat group ${group.id}`);
    if (status === 413) throw new HttpError(413, 'too_large', 'message too long for the phones');
    void reply.status(202);
    return { group: group.id, queuedFor: group.members.filter((t) => t !== from) };
  });
}

/** A number for a new group: the first free one in the chat group ranges. */
async function freeNumber(
  h: HttpContext,
  plan: ReturnType<typeof planFromStored>,
): Promise<string> {
  const { store } = h;
  const taken = new Set([
    ...(await store.stations.list()).map((s) => s.tel),
    ...(await store.ringGroups.numbers()),
    ...(await store.chatGroups.numbers()),
  ]);
  const number = pickChatGroupNumber(plan, (n) => taken.has(n));
  if (number === undefined)
    throw new HttpError(409, 'conflict', 'no free chat group number; give one with "number"');
  return number;
}
