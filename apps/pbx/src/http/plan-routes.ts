/**
 * The number plan as the administrator changes it: feature codes (`pbx numplan
 * list|set|clear|reset`) and ring groups (`pbx group add|set|show|remove`), with the command
 * line's checks and messages (`@pbx/admin`). Answered once the running PBX has applied the change
 * (areas `numplan`, `groups`): the next call dials the new code, rings the new members.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  addRingGroup,
  changeFeatureCode,
  changeRingGroup,
  codeId,
  defaultCodeOf,
  loadNumberPlan,
  parseOverflowAfter,
  parseOverflowStation,
  planCodeRows,
  telList,
  type GroupLabels,
} from '@pbx/admin';
import { describePlan } from '@pbx/dialplan';
import { NotFoundError } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';

const LABELS: GroupLabels = {
  members: 'members',
  add: 'add',
  remove: 'remove',
  voicemail: 'voicemail',
  voicemailAfter: 'voicemailAfter',
};
const FeatureParam = z.object({ feature: z.string().max(32) });
const CodeBody = z.object({ code: z.string().max(16) }).strict();
const GroupParam = z.object({ number: z.string().regex(/^\d{1,8}$/, 'must be 1 to 8 digits') });
const Tels = z.array(z.string().max(16)).max(50);
const GroupCreate = z
  .object({
    number: z.string().max(16),
    name: z.string().max(64).optional(),
    members: Tels.optional(),
  })
  .strict();
const GroupPatch = z
  .object({
    name: z.string().max(64).optional(),
    members: Tels.optional(),
    add: Tels.optional(),
    remove: Tels.optional(),
    // A station number, or null / "none" for no overflow.
    voicemail: z.string().max(16).nullable().optional(),
    // Seconds, or null / "default" for the system no-answer time.
    voicemailAfter: z
      .union([z.number(), z.string().max(16)])
      .nullable()
      .optional(),
  })
  .strict();

export function planRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;

  // Feature codes and the plan codes (trunk access, auth code), as `pbx numplan list --json`.
  app.get('/api/numplan', async (req) => {
    h.admin(req);
    const plan = await loadNumberPlan(store);
    return [
      ...describePlan(plan).map((r) => ({ ...r, changed: r.code !== r.defaultCode })),
      ...planCodeRows(plan).map((r) => ({ ...r, changed: r.code !== r.defaultCode })),
    ];
  });
  app.put('/api/numplan/:feature', async (req) => {
    const who = h.admin(req);
    const id = codeId(parseInput(FeatureParam, req.params, 'path').feature);
    const { code } = parseInput(CodeBody, req.body, 'body');
    await changeFeatureCode(store, id, code);
    await h.audit(who, 'numplan set', { feature: id, code });
    await h.applied('numplan');
    return { feature: id, code, defaultCode: defaultCodeOf(id) };
  });
  // `pbx numplan clear`: no code dials the feature.
  app.delete('/api/numplan/:feature', async (req) => {
    const who = h.admin(req);
    const id = codeId(parseInput(FeatureParam, req.params, 'path').feature);
    await changeFeatureCode(store, id, null);
    await h.audit(who, 'numplan clear', { feature: id });
    await h.applied('numplan');
    return { feature: id, code: null, defaultCode: defaultCodeOf(id) };
  });
  app.post('/api/numplan/:feature/reset', async (req) => {
    const who = h.admin(req);
    const id = codeId(parseInput(FeatureParam, req.params, 'path').feature);
    const def = defaultCodeOf(id);
    await changeFeatureCode(store, id, def);
    await h.audit(who, 'numplan reset', { feature: id });
    await h.applied('numplan');
    return { feature: id, code: def, defaultCode: def };
  });

  app.get('/api/groups', async (req) => {
    h.admin(req);
    return store.ringGroups.list();
  });
  app.get('/api/groups/:number', async (req) => {
    h.admin(req);
    const { number } = parseInput(GroupParam, req.params, 'path');
    const g = await store.ringGroups.get(number);
    if (!g) throw new NotFoundError('ring group', number);
    return g;
  });
  app.post('/api/groups', async (req, reply) => {
    const who = h.admin(req);
    const body = parseInput(GroupCreate, req.body, 'body');
    const g = await addRingGroup(
      store,
      {
        number: body.number,
        name: body.name ?? '',
        members: telList(body.members ?? [], LABELS.members),
      },
      LABELS,
    );
    await h.audit(who, 'group add', { number: g.number, members: g.members });
    await h.applied('groups');
    void reply.status(201);
    return g;
  });
  app.patch('/api/groups/:number', async (req) => {
    const who = h.admin(req);
    const { number } = parseInput(GroupParam, req.params, 'path');
    const body = parseInput(GroupPatch, req.body, 'body');
    if (Object.keys(body).length === 0)
      throw new HttpError(
        400,
        'invalid_input',
        'nothing to change; give name, members, add, remove, voicemail or voicemailAfter',
      );
    const g = await changeRingGroup(
      store,
      number,
      {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.members === undefined ? {} : { members: telList(body.members, LABELS.members) }),
        ...(body.add === undefined ? {} : { add: telList(body.add, LABELS.add) }),
        ...(body.remove === undefined ? {} : { remove: telList(body.remove, LABELS.remove) }),
        ...(body.voicemail === undefined
          ? {}
          : { voicemail: parseOverflowStation(body.voicemail ?? 'none', LABELS.voicemail) }),
        ...(body.voicemailAfter === undefined
          ? {}
          : {
              voicemailAfter: parseOverflowAfter(
                body.voicemailAfter ?? 'default',
                LABELS.voicemailAfter,
              ),
            }),
      },
      LABELS,
    );
    await h.audit(who, 'group set', { number, fields: Object.keys(body) });
    await h.applied('groups');
    return g;
  });
  app.delete('/api/groups/:number', async (req) => {
    const who = h.admin(req);
    const { number } = parseInput(GroupParam, req.params, 'path');
    await store.ringGroups.remove(number);
    await h.audit(who, 'group remove', { number });
    await h.applied('groups');
    return { removed: number };
  });
}
