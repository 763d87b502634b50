/**
 * The per-channel outbound connection (spec §2.4): connect to the app's `X-esl-outbound`
 * listener, send nothing until `connect`, answer it with CHANNEL_DATA, then serve commands for
 * that channel.
 */
import net from 'node:net';
import type { ServerContext } from '../context';
import type { Channel } from '../channel/channel';
import { handleCommonCommand } from './commands';
import { EslConnection } from './connection';
import { commandReplyFrame } from './frames';

/** Splits `host:port` at the last colon. */
export function parseHostPort(
  text: string | undefined,
): { host: string; port: number } | undefined {
  if (!text) return undefined;
  const i = text.lastIndexOf(':');
  if (i <= 0) return undefined;
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host, port };
}

/** Connects the channel's outbound socket; rejects on failure or after `timeoutMs`. */
export function connectOutbound(
  ctx: ServerContext,
  ch: Channel,
  target: { host: string; port: number },
  timeoutMs = 4000,
): Promise<EslConnection> {
  const log = ctx.log.child({ component: 'esl-outbound', uuid: ch.uuid });
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`outbound ESL connect to ${target.host}:${target.port} timed out`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      let connected = false;
      const conn = new EslConnection(socket, log, async (cmd, c) => {
        const word = cmd.line.split(' ')[0]?.toLowerCase();
        if (word === 'connect') {
          if (connected) return c.write(commandReplyFrame('-ERR already connected'));
          connected = true;
          c.write(
            commandReplyFrame('+OK\n', [
              ...ch.channelData(),
              ['Socket-Mode', 'async'],
              ['Control', 'full'],
            ]),
          );
          return;
        }
        await handleCommonCommand(cmd, c, { ctx, channel: ch });
      });
      ctx.bus.add(conn);
      // The app closing its socket does not end the call in FreeSWITCH's async mode, but nothing
      // could control the channel any more: hang up so no port or timer is left behind.
      conn.onClose(() => {
        if (ch.isUp) void ch.hangup('NORMAL_CLEARING');
      });
      resolve(conn);
    });
  });
}
