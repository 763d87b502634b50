/**
 * The standalone command: one `media-server ready` JSON line, the Event Socket answers with the
 * given password, SIGTERM stops it with exit 0; bad arguments exit 2 naming the option.
 * Runs the built file (npm test builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../../sip-server/test/helpers/sipp';
import { RawEslClient } from '../esl/raw-client';
import { waitForOutput } from '../../../sip-server/test/helpers/child-output';

const BIN = path.resolve(__dirname, '../../dist/bin/media-server.js');

describe('media-server command', () => {
  it('logs ready, serves ESL with the given password and stops cleanly on SIGTERM', async () => {
    const sipPort = await freePort('both');
    const eslPort = await freePort('tcp');
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--sip-host',
        '127.0.0.1',
        '--sip-port',
        String(sipPort),
        '--esl-port',
        String(eslPort),
        '--esl-password',
        'sekrit',
        '--rtp-ports',
        '37000-37019',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const out = await waitForOutput(child.stdout, '"msg":"media-server ready"', 10_000);
      expect(out).not.toContain('sekrit');
      const c = await RawEslClient.connect(eslPort);
      await c.next();
      c.send('auth sekrit\n\napi sofia status\n\n');
      expect((await c.next()).headers['Reply-Text']).toBe('+OK accepted');
      expect((await c.next()).body).toContain(`sip:mod_sofia@127.0.0.1:${sipPort}`);
      c.close();
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
    [['--rtp-ports', '100'], '--rtp-ports'],
    [['--sip-port', 'abc'], '--sip-port'],
    [['--esl-port', '70000'], 'esl.port'],
    [['--sip-host', 'example.com'], 'sip.host'],
    [['--log-level', 'loud'], '--log-level'],
    [['--bogus'], 'bogus'],
  ])('exits 2 for %j', (args, mentions) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(mentions);
  });
});
