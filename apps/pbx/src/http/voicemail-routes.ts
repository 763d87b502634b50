/**
 * A station user's voice mail in the console: the list (new first), the recording as WAV (the
 * session's own mailbox only), mark heard and delete. Reads and changes go through the same
 * store calls the phone menu makes (`store.voicemail`), and the message-waiting lamp is written
 * afterwards through the presence module's mailbox interface, exactly as the menu does: hearing
 * or deleting the last new message turns the light off. The mailbox's greeting is set from an
 * uploaded WAV, played back, or reset to the default (the station's user for their own mailbox,
 * the administrator for any), with the same checks as `pbx vm greeting` (@pbx/admin).
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  GREETING_MAX_BYTES,
  resetGreeting,
  setGreeting,
  voicemailPatch,
  voicemailWhen,
} from '@pbx/admin';
import { NotFoundError, type VoicemailBox } from '@pbx/store';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { IdParam } from './route-params';
import { stationOf } from './user-routes';

/** Content types a greeting upload may come as (the body is the WAV file itself). */
const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];

const TelParam = z.object({ tel: z.string().regex(/^\d{2,8}$/, 'must be 2 to 8 digits') });
/** A mailbox's options, as `pbx ext set --voicemail --vm-pin --vm-pin-clear --vm-when`. */
const BoxPatch = z
  .object({
    enabled: z.union([z.boolean(), z.string().max(8)]).optional(),
    pin: z.string().max(32).optional(),
    pinClear: z.boolean().optional(),
    when: z.union([z.string().max(100), z.array(z.string().max(20)).max(10)]).optional(),
  })
  .strict();
const BOX_LABELS = {
  enabled: 'enabled',
  pin: 'pin',
  pinClear: 'pinClear',
  when: 'when',
  command: 'mailbox',
};
const AsQuery = z.object({ as: z.string().optional() }).strict();

/** A mailbox's options without the PIN hash. */
function boxView(b: VoicemailBox) {
  return {
    tel: b.tel,
    enabled: b.enabled,
    pin: b.hasPin ? 'set' : 'none',
    when: voicemailWhen(b),
    greeting: b.greeting === '' ? 'default' : 'own',
  };
}

export function voicemailRoutes(app: FastifyInstance, h: HttpContext): void {
  const { store } = h;
  const fileOf = (rel: string): string => {
    const abs = h.deps.voicemailFile?.(rel);
    if (!abs) throw new HttpError(503, 'unavailable', 'voice mail is not installed');
    return abs;
  };
  /** The lamp follows the kept messages, written where the phone menu writes it. */
  const updateLamp = async (tel: string): Promise<void> => {
    await h.deps.presence.mailboxes.set(tel, await store.voicemail.counts(tel));
  };
  const message = async (tel: string, params: unknown) => {
    const { id } = parseInput(IdParam, params, 'path');
    const m = await store.voicemail.message(tel, id);
    if (!m) throw new NotFoundError('voice-mail message', String(id));
    return m;
  };

  app.get('/api/me/voicemail', async (req) => {
    const tel = stationOf(h, req);
    parseInput(AsQuery, req.query, 'query');
    const messages = await store.voicemail.messages(tel);
    const counts = await store.voicemail.counts(tel);
    const box = await store.voicemail.box(tel);
    return {
      tel,
      greeting: box.greeting === '' ? 'default' : 'own',
      counts: { new: counts.newMessages, old: counts.oldMessages },
      messages: messages.map((m) => ({
        id: m.id,
        callerTel: m.callerTel,
        callerName: m.callerName,
        receivedAt: m.receivedAt,
        durationMs: m.durationMs,
        heard: m.heard,
      })),
    };
  });

  app.get('/api/me/voicemail/:id/audio', async (req, reply) => {
    const tel = stationOf(h, req);
    const m = await message(tel, req.params);
    const file = fileOf(m.file);
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) throw new NotFoundError('voice-mail recording', String(m.id));
    void reply
      .header('Content-Type', 'audio/wav')
      .header('Content-Length', String(size))
      .header('Cache-Control', 'private, no-store');
    return reply.send(createReadStream(file));
  });

  app.post('/api/me/voicemail/:id/heard', async (req) => {
    const tel = stationOf(h, req);
    const m = await message(tel, req.params);
    await store.voicemail.markHeard(tel, m.id);
    await updateLamp(tel);
    await h.audit(h.principal(req), 'vm heard', { tel, id: m.id });
    return { id: m.id, heard: true };
  });

  app.delete('/api/me/voicemail/:id', async (req) => {
    const tel = stationOf(h, req);
    const m = await message(tel, req.params);
    // Row first, then the file (a crash between leaves a file the next start removes).
    const gone = await store.voicemail.deleteMessage(tel, m.id);
    if (gone) await rm(fileOf(gone.file), { force: true });
    await updateLamp(tel);
    await h.audit(h.principal(req), 'vm delete', { tel, id: m.id });
    return { removed: m.id };
  });

  // The administrator's side: a station's mailbox options (messages: /api/me/voicemail?as=<tel>).
  app.get('/api/stations/:tel/voicemail', async (req) => {
    h.admin(req);
    const { tel } = parseInput(TelParam, req.params, 'path');
    if (!(await store.stations.exists(tel))) throw new NotFoundError('station', tel);
    return { ...boxView(await store.voicemail.box(tel)), ...(await store.voicemail.counts(tel)) };
  });
  app.patch('/api/stations/:tel/voicemail', async (req) => {
    const who = h.admin(req);
    const { tel } = parseInput(TelParam, req.params, 'path');
    const body = parseInput(BoxPatch, req.body, 'body');
    const patch = voicemailPatch(body, BOX_LABELS);
    if (!patch)
      throw new HttpError(
        400,
        'invalid_input',
        'nothing to change; give enabled, pin, pinClear or when',
      );
    if (!(await store.stations.exists(tel))) throw new NotFoundError('station', tel);
    const b = await store.voicemail.setBox(tel, patch);
    // Which options changed, never the PIN.
    await h.audit(who, 'ext set', { tel, fields: Object.keys(body).map((k) => `voicemail.${k}`) });
    await h.applied('voicemail');
    return boxView(b);
  });

  // The greeting: PUT the WAV file as the body (Content-Type audio/wav), GET it back, DELETE it
  // (back to the default greeting).
  app.addContentTypeParser(
    WAV_TYPES,
    { parseAs: 'buffer', bodyLimit: GREETING_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );
  const greetingOwner = async (req: FastifyRequest) => {
    const { tel } = parseInput(TelParam, req.params, 'path');
    const who = h.ownStation(req, tel);
    if (!(await store.stations.exists(tel))) throw new NotFoundError('station', tel);
    return { who, tel, root: fileOf('') };
  };
  app.put(
    '/api/stations/:tel/voicemail/greeting',
    { bodyLimit: GREETING_MAX_BYTES },
    async (req) => {
      const { who, tel, root } = await greetingOwner(req);
      if (!Buffer.isBuffer(req.body))
        throw new HttpError(
          415,
          'unsupported_media_type',
          `send the WAV file as the body with Content-Type ${WAV_TYPES[0]}`,
        );
      const info = await setGreeting(store, root, tel, req.body, 'greeting');
      await h.audit(who, 'vm greeting', { tel, seconds: Math.round(info.seconds * 10) / 10 });
      return { tel, greeting: 'own', seconds: info.seconds, sampleRate: info.sampleRate };
    },
  );
  app.delete('/api/stations/:tel/voicemail/greeting', async (req) => {
    const { who, tel, root } = await greetingOwner(req);
    await resetGreeting(store, root, tel);
    await h.audit(who, 'vm greeting reset', { tel });
    return { tel, greeting: 'default' };
  });
  app.get('/api/stations/:tel/voicemail/greeting', async (req, reply) => {
    const { tel } = await greetingOwner(req);
    const box = await store.voicemail.box(tel);
    const own = box.greeting ? fileOf(box.greeting) : undefined;
    const ownSize = own
      ? await stat(own).then(
          (s) => s.size,
          () => undefined,
        )
      : undefined;
    // As a caller hears it: the own greeting while its file is there, else the default.
    const fallback = h.deps.defaultGreetingFile?.();
    if (!fallback) throw new HttpError(503, 'unavailable', 'voice mail is not installed');
    const file = own && ownSize !== undefined ? own : fallback;
    const size =
      ownSize ??
      (await stat(file).then(
        (s) => s.size,
        () => undefined,
      ));
    if (size === undefined) throw new NotFoundError('greeting', tel);
    void reply
      .header('Content-Type', 'audio/wav')
      .header('Content-Length', String(size))
      .header('X-Greeting', ownSize !== undefined ? 'own' : 'default')
      .header('Cache-Control', 'private, no-store');
    return reply.send(createReadStream(file));
  });
}
