/**
 * A short Event Socket handshake before drachtio-fsmrf is let near a media server: TCP connect,
 * `auth/request`, `auth <password>`, `exit`. fsmrf's `connect` cannot be cancelled: on a refused
 * connection or a wrong password its ESL client keeps reconnecting in the background forever
 * (fsmrf-esl-protocol.md §1.4), so the manager only calls it once this probe has passed.
 */
import net from 'node:net';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
  readonly secret: string;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function probeEsl(target: ProbeTarget, timeoutMs = 3_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const where = `${target.address}:${target.port}`;
    let buffer = '';
    let authSent = false;
    let settled = false;
    const socket = net.createConnection({ host: target.address, port: target.port });
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.ok && !socket.destroyed) socket.end('exit\n\n');
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: `no Event Socket answer from ${where} within ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        reason: `cannot reach the Event Socket at ${where}: ${err.code ?? err.message}`,
      }),
    );
    socket.on('close', () =>
      finish({ ok: false, reason: `the Event Socket at ${where} closed the connection` }),
    );
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      // Frames end with a blank line; the two we wait for carry no body.
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        // Header values may be URL-encoded (`Reply-Text: %2BOK%20accepted`).
        const reply = decode(/^Reply-Text: (.*)$/m.exec(frame)?.[1] ?? '');
        if (!authSent && /^Content-Type: auth\/request$/m.test(frame)) {
          authSent = true;
          socket.write(`auth ${target.secret}\n\n`);
        } else if (authSent && reply.startsWith('+OK')) {
          finish({ ok: true });
        } else if (authSent && reply.startsWith('-ERR')) {
          finish({
            ok: false,
            reason: `the Event Socket at ${where} refused the password (media.eslPassword)`,
          });
        } else if (/^Content-Type: text\/rude-rejection$/m.test(frame)) {
          finish({ ok: false, reason: `the Event Socket at ${where} refused this address (ACL)` });
        }
      }
    });
  });
}
