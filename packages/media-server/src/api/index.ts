/**
 * `api` / `bgapi` commands (spec §3.7): one reply body per command; unknown ones get
 * `-ERR <cmd> Command not found!`. Never throws.
 */
import type { ServerContext } from '../context';
import { splitArgs } from '../esl/encoding';
import { conferenceApi } from './conference-api';
import { sofiaStatus, statusText } from './status';
import {
  uuidBreak,
  uuidBridge,
  uuidDump,
  uuidKill,
  uuidSetMediaStats,
  uuidSetvar,
  uuidTransfer,
  uuidExists,
  uuidGetvar,
} from './uuid';

export type ApiCommand = (
  ctx: ServerContext,
  args: string[],
  raw: string,
) => Promise<string> | string;

const COMMANDS: Record<string, ApiCommand> = {
  sofia: (ctx, args) =>
    args[0] === 'status' ? sofiaStatus(ctx) : '-ERR unsupported sofia command\n',
  status: (ctx) => statusText(ctx),
  uuid_dump: uuidDump,
  uuid_set_media_stats: uuidSetMediaStats,
  uuid_bridge: uuidBridge,
  uuid_transfer: uuidTransfer,
  uuid_break: uuidBreak,
  uuid_kill: uuidKill,
  uuid_setvar: uuidSetvar,
  uuid_getvar: uuidGetvar,
  uuid_exists: uuidExists,
  conference: conferenceApi,
  hostname: (ctx) => ctx.identity.hostname,
  version: () => 'FreeSWITCH Version 1.10.11-release (pbx media-server)\n',
  show: (ctx, args) =>
    args[0] === 'channels' && args[1] === 'count'
      ? `\n${ctx.channels.size} total.\n`
      : '-ERR unsupported show command\n',
};

export async function runApi(ctx: ServerContext, line: string): Promise<string> {
  const trimmed = line.trim();
  const space = trimmed.indexOf(' ');
  const cmd = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1);
  const handler = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!handler) return `-ERR ${cmd} Command not found!\n`;
  try {
    const out = await handler(ctx, splitArgs(rest), rest);
    return out === '' ? '-ERR no reply\n' : out;
  } catch (err) {
    ctx.log.error({ err, cmd }, 'api command failed');
    return `-ERR ${cmd} failed\n`;
  }
}
