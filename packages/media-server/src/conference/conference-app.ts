/**
 * The `conference` application: `<name>[@profile][+<pin>][+flags{a|b}]` (spec §3.3). Blocks until
 * the member leaves; a `transfer` moves it into the next conference within the same app run.
 */
import type { Application } from '../channel/apps/types';
import type { MemberFlags } from './conference';

export interface ConferenceArg {
  name: string;
  profile: string;
  flags: MemberFlags;
}

export function parseConferenceArg(arg: string): ConferenceArg {
  let rest = arg.trim();
  let flagText = '';
  const f = /\+?flags\{([^}]*)\}/.exec(rest);
  if (f) {
    flagText = f[1] ?? '';
    rest = rest.slice(0, f.index) + rest.slice(f.index + f[0].length);
  }
  const namePart = rest.split('+')[0] ?? '';
  const [name = '', profile = 'default'] = namePart.split('@');
  const set = new Set(
    flagText
      .split('|')
      .map((x) => x.trim())
      .filter(Boolean),
  );
  return {
    name,
    profile,
    flags: {
      mute: set.has('mute'),
      deaf: set.has('deaf'),
      endconf: set.has('endconf'),
      moderator: set.has('moderator'),
    },
  };
}

export const conferenceApp: Application = async ({ ctx, ch, arg, signal }) => {
  const parsed = parseConferenceArg(ch.expand(arg));
  if (!parsed.name) return '-ERR no conference name';
  let name = parsed.name;
  for (;;) {
    const conf = ctx.conferences.getOrCreate(ctx, name, parsed.profile);
    const member = conf.add(ch, { ...parsed.flags });
    if (!member) {
      ctx.log.info({ conference: name, uuid: ch.uuid }, 'conference locked or full');
      return undefined;
    }
    const onAbort = (): void => member.leaveWith('hangup');
    // uuid_transfer/park breaks the app; plain uuid_break does not drop a conference member.
    const abortReason = (): string => String(signal.reason);
    signal.addEventListener(
      'abort',
      () => {
        if (abortReason() !== 'break') onAbort();
      },
      { once: true },
    );
    const outcome = await member.left;
    if (outcome.reason === 'transfer' && outcome.transferTo && ch.isUp) {
      name = outcome.transferTo;
      continue;
    }
    return undefined;
  }
};
