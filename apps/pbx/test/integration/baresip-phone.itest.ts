/**
 * The baresip phone driver itself. baresip quitting by itself (its `-t` timer, once 30 s) looked
 * like a phone that stopped answering its control socket for 15 s and like a conference mixer
 * that fell silent; now a phone lives far longer than any test, and a phone that is gone fails
 * what waits on it at once, saying why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BARESIP_ORPHAN_QUIT_S } from '../../../../packages/media-server/test/integration/baresip';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(60_000);

describe('baresip phone driver', () => {
  let dir: string;
  let wav: string;
  const phones: BaresipPhone[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-phone-'));
    wav = path.join(dir, 'tone.wav');
    toneWav(wav, 700, 5);
  });

  afterEach(async () => {
    for (const p of phones.splice(0)) await p.stop();
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a phone quits by itself only after far longer than any test runs', async () => {
    const p = await startBaresipPhone({ dir, tel: '201', toneWav: wav, pbx: '127.0.0.1:5060' });
    phones.push(p);
    await expect(p.command('reginfo')).resolves.toEqual(expect.any(String));
    const args = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    const quitAfter = Number(args[args.indexOf('-t') + 1]);
    expect(quitAfter).toBe(BARESIP_ORPHAN_QUIT_S);
    // Longer than every baresip test file's jest timeout (the longest is 150 s) many times over.
    expect(quitAfter).toBeGreaterThanOrEqual(600);
  });

  test('phones started at once each get their own ports and answer on their own socket', async () => {
    const tels = ['211', '212', '213', '214', '215', '216'];
    const started = await Promise.all(
      tels.map((tel) => startBaresipPhone({ dir, tel, toneWav: wav, pbx: '127.0.0.1:5060' })),
    );
    phones.push(...started);
    const ports = started.flatMap((p) => [p.sipPort, p.sipPort + 2, p.rtpPorts[0]]);
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of started) {
      // Outside the kernel's ephemeral range, so no released port is handed to someone else.
      expect(p.sipPort + 2).toBeLessThan(32768);
      expect(p.rtpPorts[1]).toBeLessThan(32768);
      // reginfo names the phone's own account: the driver is talking to its own baresip.
      expect(await p.command('reginfo')).toContain(`sip:${p.tel}@127.0.0.1`);
    }
  });

  test('a phone that has quit fails commands and event waits at once, saying why', async () => {
    const p = await startBaresipPhone({
      dir,
      tel: '202',
      toneWav: wav,
      pbx: '127.0.0.1:5060',
      quitAfterS: 2,
    });
    phones.push(p);
    // Waiting for an event that never comes ends when the phone goes, not after 20 s.
    const started = Date.now();
    await expect(p.waitForEvent(() => false, 20_000)).rejects.toThrow(
      /baresip 202 is gone \(.*exit code 0 after \d/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const before = Date.now();
    await expect(p.command('hangup')).rejects.toThrow(/hangup: baresip 202 is gone/);
    expect(Date.now() - before).toBeLessThan(1_000);
  });
});
