/** The Event Socket listener (inbound connections, spec §1.4): password auth, then commands. */
import net from 'node:net';
import type { ServerContext } from '../context';
import { handleCommonCommand } from './commands';
import { EslConnection } from './connection';
import { authRequestFrame, commandReplyFrame } from './frames';

export interface InboundServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export async function startInboundServer(
  ctx: ServerContext,
  opts: { host: string; port: number; password: string },
): Promise<InboundServer> {
  const log = ctx.log.child({ component: 'esl-inbound' });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let authed = false;
    const conn = new EslConnection(socket, log, async (cmd, c) => {
      if (!authed) {
        const [word, ...rest] = cmd.line.split(' ');
        if (word !== 'auth') {
          c.write(commandReplyFrame('-ERR command not found'));
          return;
        }
        if (rest.join(' ') === opts.password) {
          authed = true;
          ctx.bus.add(c);
          c.write(commandReplyFrame('+OK accepted'));
        } else {
          log.warn({ remote: socket.remoteAddress }, 'esl: wrong password');
          c.write(commandReplyFrame('-ERR invalid'));
          c.end();
        }
        return;
      }
      await handleCommonCommand(cmd, c, { ctx });
    });
    conn.write(authRequestFrame());
  });
  server.on('error', (err) => log.error({ err }, 'esl listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
