/**
 * Command handling shared by both connection roles (spec §4): event, filter, api, bgapi, sendmsg,
 * myevents, noevents, nixevent, linger, exit. Exactly one reply per command.
 */
import { randomUUID } from 'node:crypto';
import { runApi } from '../api';
import { heartbeatHeaders } from '../api/status';
import type { ServerContext } from '../context';
import type { Channel } from '../channel/channel';
import type { EslCommand } from './command-parser';
import { commandHeader } from './command-parser';
import type { EslConnection } from './connection';
import { standardHeaders } from './event';
import { apiResponseFrame, commandReplyFrame } from './frames';
import { applyFilter, subscribe } from './subscriptions';

export interface CommandScope {
  ctx: ServerContext;
  /** The controlled channel of an outbound connection. */
  channel?: Channel;
}

function reply(conn: EslConnection, text: string, extra: Array<[string, string]> = []): void {
  conn.write(commandReplyFrame(text, extra));
}

/** Sends one HEARTBEAT to a connection that just subscribed to it (harmless deviation, §6.2). */
function heartbeatNow(ctx: ServerContext, conn: EslConnection): void {
  conn.deliver({
    name: 'HEARTBEAT',
    headers: [...standardHeaders('HEARTBEAT', ctx.identity), ...heartbeatHeaders(ctx)],
  });
}

export async function handleCommonCommand(
  cmd: EslCommand,
  conn: EslConnection,
  scope: CommandScope,
): Promise<void> {
  const { ctx } = scope;
  const [word = '', ...args] = cmd.line.split(/\s+/);
  const rest = cmd.line.slice(word.length).trim();
  switch (word.toLowerCase()) {
    case 'event': {
      const hadHeartbeat = conn.subs.all || conn.subs.names.has('HEARTBEAT');
      const r = subscribe(conn.subs, args);
      conn.subs = r.state;
      if (!r.ok) return reply(conn, '-ERR no keywords supplied');
      reply(conn, `+OK event listener enabled ${r.state.format}`);
      if (!hadHeartbeat && (r.state.all || r.state.names.has('HEARTBEAT'))) heartbeatNow(ctx, conn);
      return;
    }
    case 'filter': {
      const r = applyFilter(conn.subs, args);
      conn.subs = r.state;
      return reply(conn, r.reply);
    }
    case 'noevents':
      conn.subs = { ...conn.subs, all: false, names: new Set(), subclasses: new Set() };
      return reply(conn, '+OK no longer listening for events');
    case 'nixevent': {
      const names = new Set(conn.subs.names);
      for (const a of args) names.delete(a.toUpperCase());
      conn.subs = { ...conn.subs, names };
      return reply(conn, '+OK events nixed');
    }
    case 'myevents': {
      const uuid =
        args[0] && args[0] !== 'json' && args[0] !== 'plain' ? args[0] : scope.channel?.uuid;
      if (!uuid) return reply(conn, '-ERR invalid session id');
      const format = args.find((a) => a === 'json' || a === 'plain') ?? conn.subs.format;
      const s = subscribe({ ...conn.subs, format: format === 'json' ? 'json' : 'plain' }, [
        'ALL',
      ]).state;
      conn.subs = { ...s, filters: [...s.filters, ['Unique-ID', uuid]] };
      return reply(conn, '+OK Events Enabled');
    }
    case 'api': {
      const body = await runApi(ctx, rest);
      conn.write(apiResponseFrame(body));
      return;
    }
    case 'bgapi': {
      const jobUuid = commandHeader(cmd, 'Job-UUID') ?? randomUUID();
      reply(conn, `+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]);
      void runApi(ctx, rest).then((body) => {
        const [cmdName = '', ...cmdArgs] = rest.split(' ');
        ctx.fire({
          name: 'BACKGROUND_JOB',
          headers: [
            ...standardHeaders('BACKGROUND_JOB', ctx.identity),
            ['Job-UUID', jobUuid],
            ['Job-Command', cmdName],
            ['Job-Command-Arg', cmdArgs.join(' ')],
          ],
          body,
        });
      });
      return;
    }
    case 'sendmsg':
      return sendmsg(cmd, conn, scope, args[0]);
    case 'linger':
    case 'nolinger':
      return reply(conn, word === 'linger' ? '+OK will linger' : '+OK will not linger');
    case 'exit':
    case '...':
      reply(conn, '+OK bye');
      conn.end();
      return;
    default:
      return reply(conn, '-ERR command not found');
  }
}

function sendmsg(
  cmd: EslCommand,
  conn: EslConnection,
  scope: CommandScope,
  uuidArg: string | undefined,
): void {
  const { ctx } = scope;
  const ch = uuidArg ? ctx.channels.get(uuidArg) : scope.channel;
  if (!ch || !ch.isUp) return reply(conn, `-ERR invalid session id [${uuidArg ?? ''}]`);
  const command = (commandHeader(cmd, 'call-command') ?? '').toLowerCase();
  switch (command) {
    case 'execute': {
      const app = commandHeader(cmd, 'execute-app-name') ?? '';
      const arg = commandHeader(cmd, 'execute-app-arg') ?? '';
      const eventUuid = commandHeader(cmd, 'Event-UUID') ?? randomUUID();
      const loops = Math.max(1, Number(commandHeader(cmd, 'loops') ?? 1) || 1);
      if (!app) return reply(conn, '-ERR no application');
      reply(conn, '+OK');
      for (let i = 0; i < loops; i++) ch.queue.enqueue({ app, arg, eventUuid });
      return;
    }
    case 'hangup':
      reply(conn, '+OK');
      void ch.hangup(commandHeader(cmd, 'hangup-cause') ?? 'NORMAL_CLEARING');
      return;
    case 'unicast':
    case 'nomedia':
      return reply(conn, '-ERR unsupported');
    default:
      return reply(conn, '-ERR invalid command');
  }
}
