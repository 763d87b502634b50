/**
 * The standalone command: one `sip-server ready` log line, a drachtio-srf client can connect,
 * SIGTERM stops it with exit 0; bad arguments exit 2 with a message naming the option.
 * Runs the built file (npm test builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import Srf from 'drachtio-srf';
import { freePort } from '../helpers/sipp';
import { waitForOutput } from '../helpers/child-output';

const BIN = path.resolve(__dirname, '../../dist/bin/sip-server.js');

describe('sip-server command', () => {
  it('logs ready, serves a drachtio-srf client and stops cleanly on SIGTERM', async () => {
    const sipPort = await freePort('both');
    const controlPort = await freePort('tcp');
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--sip-host',
        '127.0.0.1',
        '--sip-port',
        String(sipPort),
        '--control-port',
        String(controlPort),
        '--secret',
        'bin-secret',
      ],
      {
        env: { ...process.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const out = await waitForOutput(child.stdout, '"msg":"sip-server ready"', 10_000);
      expect(out).not.toContain('bin-secret');
      const srf = new Srf();
      const hostport = await new Promise<string>((resolve, reject) => {
        srf.on('connect', (err: Error | null, hp: string) => (err ? reject(err) : resolve(hp)));
        // drachtio-srf's types say connect() returns a promise; it returns nothing and reports
        // through the 'connect' event handled above.
        void srf.connect({ host: '127.0.0.1', port: controlPort, secret: 'bin-secret' });
      });
      expect(hostport).toContain(`udp/127.0.0.1:${sipPort}`);
      srf.disconnect();
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it.each([
    [['--sip-port', 'abc', '--secret', 'x'], '--sip-port'],
    [['--sip-port', '5070'], '--secret'],
    [['--bogus', '--secret', 'x'], 'bogus'],
  ])('refuses %j with exit 2 naming %s', (args, named) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, DRACHTIO_SECRET: '' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(named);
  });
});
