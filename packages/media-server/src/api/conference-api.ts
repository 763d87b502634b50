/** `conference …` API (spec §3.7): list, get/set, member ops, lock, play, recording, transfer. */
import path from 'node:path';
import type { ServerContext } from '../context';
import type { Conference, Member } from '../conference/conference';
import { MediaFileError } from '../media/types';
import { noVariables, resolvePlayable } from '../channel/files';
import type { ApiCommand } from './index';

function listLines(c: Conference): string {
  return [...c.members.values()]
    .map((m) => {
      const flags = [
        m.flags.deaf ? '' : 'hear',
        m.flags.mute ? '' : 'speak',
        m.flags.moderator ? 'moderator' : '',
        m.flags.endconf ? 'endconf' : '',
      ]
        .filter(Boolean)
        .join('|');
      return `${m.id};${m.ch.name};${m.ch.uuid};drachtio;drachtio;${flags};0;0;100\n`;
    })
    .join('');
}

const MEMBER_OPS: Record<string, { word: string; apply: (c: Conference, m: Member) => void }> = {
  mute: {
    word: 'mute',
    apply: (c, m) => {
      m.flags.mute = true;
      m.mixer.setMute(true);
      c.fire('mute-member', m);
    },
  },
  unmute: {
    word: 'unmute',
    apply: (c, m) => {
      m.flags.mute = false;
      m.mixer.setMute(false);
      c.fire('unmute-member', m);
    },
  },
  tmute: {
    word: 'mute',
    apply: (c, m) => {
      m.flags.mute = !m.flags.mute;
      m.mixer.setMute(m.flags.mute);
      c.fire(m.flags.mute ? 'mute-member' : 'unmute-member', m);
    },
  },
  deaf: {
    word: 'deaf',
    apply: (c, m) => {
      m.flags.deaf = true;
      m.mixer.setDeaf(true);
      c.fire('deaf-member', m);
    },
  },
  undeaf: {
    word: 'undeaf',
    apply: (c, m) => {
      m.flags.deaf = false;
      m.mixer.setDeaf(false);
      c.fire('undeaf-member', m);
    },
  },
  kick: { word: 'kicked', apply: (_c, m) => m.leaveWith('kick') },
  hup: { word: 'hup', apply: (_c, m) => m.leaveWith('hup') },
  vmute: { word: 'vmute', apply: () => undefined },
  unvmute: { word: 'unvmute', apply: () => undefined },
  'vmute-snap': { word: 'vmute-snap', apply: () => undefined },
};

const GETTERS: Record<string, (c: Conference) => string> = {
  count: (c) => String(c.size),
  max_members: (c) => String(c.maxMembers),
  run_time: (c) => String(Math.floor((Date.now() - c.createdAt) / 1000)),
  rate: () => '8000',
  uuid: (c) => c.uuid,
  profile_name: (c) => c.profile,
  is_locked: (c) => (c.locked ? 'locked' : ''),
  endconference_grace_time: (c) => String(c.endGraceTime),
  wait_mod: () => '',
};

async function play(ctx: ServerContext, c: Conference, args: string[]): Promise<string> {
  const file = args[0];
  if (!file) return '-ERR (play) no file\n';
  const memberId = args.length > 1 ? args[args.length - 1] : undefined;
  const member =
    memberId !== undefined && /^\d+$/.test(memberId) ? c.members.get(Number(memberId)) : undefined;
  if (memberId !== undefined && /^\d+$/.test(memberId) && !member)
    return `-ERR Member: ${memberId} not found.\n`;
  const spec = member
    ? resolvePlayable(member.ch, ctx.config.soundsDir, file)
    : resolvePlayable(noVariables, ctx.config.soundsDir, file);
  let source;
  try {
    source = await ctx.engine.openSource(spec);
  } catch (err) {
    if (err instanceof MediaFileError) return `-ERR (play) File: ${file} not found.\n`;
    throw err;
  }
  c.fire(member ? 'play-file-member' : 'play-file', member, [['File', file]]);
  void c.mixer.play(source, member?.mixer).then(
    (r) => {
      source.close();
      c.fire(member ? 'play-file-member-done' : 'play-file-done', member, [
        ['File', file],
        ['seconds', String(Math.floor(r.ms / 1000))],
        ['milliseconds', String(r.ms)],
        ['samples', String(r.samples)],
      ]);
    },
    (err: unknown) => ctx.log.warn({ err: String(err) }, 'conference play failed'),
  );
  return member
    ? `+OK (play) Playing file ${file} to member ${member.id}\n`
    : `+OK (play) Playing file ${file}\n`;
}

async function recording(ctx: ServerContext, c: Conference, args: string[]): Promise<string> {
  const [op, given] = args;
  const file =
    given === undefined || given === 'all' || path.isAbsolute(given)
      ? given
      : path.resolve(ctx.config.recordingsDir ?? '.', given);
  switch (op ?? '') {
    case 'start':
      if (!file) return '-ERR no file\n';
      try {
        await c.mixer.startRecording(file);
        c.recordings.add(file);
        c.fire('start-recording', undefined, [['Path', file]]);
        return `+OK Record file ${given}\n`;
      } catch (err) {
        c.fire('start-recording', undefined, [
          ['Path', file],
          ['Error', String(err)],
        ]);
        return `-ERR Record file ${given} failed\n`;
      }
    case 'stop': {
      const targets =
        file === undefined || file === 'all'
          ? [...c.recordings]
          : c.recordings.has(file)
            ? [file]
            : [];
      let out = '';
      for (const f of targets) {
        await c.mixer.stopRecording(f);
        c.recordings.delete(f);
        c.fire('stop-recording', undefined, [['Path', f]]);
        out += `Stopped recording file ${f === file && given !== undefined ? given : f}\n`;
      }
      return `${out}+OK Stopped recording ${targets.length} file${targets.length === 1 ? '' : 's'}\n`;
    }
    case 'pause':
    case 'resume':
      // Pausing a conference recording is not supported by the mixer; acknowledged as FreeSWITCH words it.
      c.fire(`${op}-recording`, undefined, [['Path', file ?? '']]);
      return `+OK ${op === 'pause' ? 'Pause' : 'Resume'} recording file ${given ?? ''}\n`;
    case 'check':
      return c.recordings.size > 0
        ? [...c.recordings].map((f) => `Record file ${f}\n`).join('')
        : `Conference is not being recorded.\n`;
    default:
      ctx.log.debug({ op }, 'conference recording: unknown op');
      return '-ERR Usage: recording start|stop|check|pause|resume <file>\n';
  }
}

export const conferenceApi: ApiCommand = async (ctx, args) => {
  const [name, cmd, ...rest] = args;
  if (name === undefined || name === 'list') {
    const all = ctx.conferences.list();
    if (all.length === 0) return '+OK No active conferences.\n';
    return all
      .map(
        (c) =>
          `+OK Conference ${c.name} (${c.size} member${c.size === 1 ? '' : 's'} rate: 8000 flags: running|answered)\n${listLines(c)}`,
      )
      .join('');
  }
  const c = ctx.conferences.get(name);
  if (!c) return `-ERR Conference ${name} not found\n`;
  switch (cmd) {
    case undefined:
      return '-ERR no keywords supplied\n';
    case 'list':
      return rest[0] === 'count' ? String(c.size) : listLines(c);
    case 'get': {
      const g = GETTERS[rest[0] ?? ''];
      return g ? g(c) : '-ERR Invalid parameter\n';
    }
    case 'set': {
      const [param, value] = rest;
      if (param === 'max_members') {
        const old = String(c.maxMembers);
        c.maxMembers = Number(value) || 0;
        return old;
      }
      if (param === 'endconference_grace_time') {
        const old = String(c.endGraceTime);
        c.endGraceTime = Number(value) || 0;
        return old;
      }
      return '-ERR Invalid parameter\n';
    }
    case 'lock':
    case 'unlock':
      c.locked = cmd === 'lock';
      c.fire(cmd);
      return `+OK ${c.name} ${cmd}ed\n`;
    case 'play':
      return play(ctx, c, rest);
    case 'stop':
      c.mixer.stopPlayback();
      return '+OK Stopped 1 files\n';
    case 'recording':
      return recording(ctx, c, rest);
    case 'transfer': {
      const [to, ...ids] = rest;
      if (!to || ids.length === 0) return '-ERR Usage: transfer <conference> <member id> [...]\n';
      let out = '';
      for (const id of ids) {
        const m = c.members.get(Number(id));
        if (!m) {
          out += `-ERR Member: ${id} not found.\n`;
          continue;
        }
        m.leaveWith('transfer', to);
        c.fire('transfer', m, [
          ['Old-Conference-Name', c.name],
          ['New-Conference-Name', to],
        ]);
        out += `+OK Member '${id}' sent to conference ${to}.\n`;
      }
      return out;
    }
    case 'dtmf': {
      const [target, digits] = rest;
      const ms = c.select(target);
      if (ms.length === 0 || !digits) return `-ERR Member: ${target ?? ''} not found.\n`;
      for (const m of ms) void m.ch.rtp.sendDtmf(digits).catch(() => undefined);
      return ms.map((m) => `+OK sent ${digits} to ${m.id}\n`).join('');
    }
    case 'agc':
      return '+OK\n';
    default: {
      const op = MEMBER_OPS[cmd];
      if (!op) return `-ERR Unknown conference command ${cmd}\n`;
      const members = c.select(rest[0]);
      if (members.length === 0) return `-ERR Member: ${rest[0] ?? ''} not found.\n`;
      return members
        .map((m) => {
          op.apply(c, m);
          return `+OK ${op.word} ${m.id}\n`;
        })
        .join('');
    }
  }
};
