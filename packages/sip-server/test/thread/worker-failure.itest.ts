/**
 * A SIP server worker thread that dies without `stop()` (here ended from outside, as an uncaught
 * error in it would end it) is reported once through `onFailure` with a clear error and log line,
 * pending requests reject, a listener added afterwards still hears of it, and `stop()` still
 * resolves. The PBX turns that report into exit code 1 for its supervisor (apps/pbx/src/main.ts).
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../src/logger';
import { startSipServerThread } from '../../src/thread/threaded-server';

jest.setTimeout(30_000);

function capturingLogger(lines: Array<{ level: string; msg?: string }>): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, msg: typeof obj === 'string' ? obj : msg });
    };
  const log: Logger = {
    child: () => log,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: () => true,
  };
  return log;
}

describe('SIP server worker failure', () => {
  it('reports a worker that died once, with a clear error, and still stops', async () => {
    const lines: Array<{ level: string; msg?: string }> = [];
    let worker: Worker | undefined;
    const server = await startSipServerThread(
      {
        sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
        control: { host: '127.0.0.1', port: 0, secret: 'failure-secret' },
      },
      { to: 'post', level: 'error' },
      capturingLogger(lines),
      (w) => (worker = w),
    );
    try {
      const failures: Error[] = [];
      const reported = new Promise<Error>((resolve) =>
        server.onFailure((err) => {
          failures.push(err);
          resolve(err);
        }),
      );
      await expect(server.stats()).resolves.toMatchObject({ dialogs: 0 });
      await worker!.terminate();
      const err = await reported;
      expect(err.message).toMatch(/sip-server worker exited unexpectedly/);
      expect(lines).toContainEqual({
        level: 'error',
        msg: 'sip-server worker exited unexpectedly: no SIP service from now on',
      });
      await expect(server.stats()).rejects.toThrow(/exited/);
      const late = await new Promise<Error>((resolve) => server.onFailure(resolve));
      expect(late).toBe(err);
      expect(failures).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('does not report a worker ended by stop()', async () => {
    const server = await startSipServerThread(
      {
        sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
        control: { host: '127.0.0.1', port: 0, secret: 'failure-secret' },
      },
      { to: 'post', level: 'silent' },
    );
    const failures: Error[] = [];
    server.onFailure((err) => failures.push(err));
    await server.stop();
    // The exit has been handled once stop() resolved; a report would have been made by now.
    await new Promise((r) => setImmediate(r));
    expect(failures).toEqual([]);
  });
});
