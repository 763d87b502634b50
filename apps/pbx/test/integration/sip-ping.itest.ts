/**
 * scripts/sip-ping.js, the docker-compose health check: exit 0 when the PBX answers OPTIONS
 * with 200, exit 1 when nothing answers, exit 2 on bad arguments.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../helpers/sipp';
import { startTestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(60_000);

const SCRIPT = path.resolve(__dirname, '../../../../scripts/sip-ping.js');

function ping(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

test('a running PBX answers the health check with 200', async () => {
  await using pbx = await startTestPbx();
  const r = await ping(pbx.sip.host, String(pbx.sip.port));
  expect(r).toMatchObject({ code: 0, out: expect.stringContaining('answered 200') });
});

test('nothing listening: exit 1 with the reason', async () => {
  const port = await freePort('udp', '127.0.0.1');
  const r = await ping('127.0.0.1', String(port), '500');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^sip-ping: /);
});

test('bad arguments: exit 2 with usage', async () => {
  const r = await ping('127.0.0.1', 'not-a-port');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/usage/);
});
