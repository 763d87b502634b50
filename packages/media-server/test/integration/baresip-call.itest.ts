/**
 * A real SIP phone (baresip) calls an app built on the unmodified drachtio-srf + drachtio-fsmrf,
 * which connects the caller to the embedded media server (connectCaller), records the caller
 * while playing it a tone, then hangs up. Checked by decoding: the phone heard 700 Hz and not its
 * own 440 Hz; the app's recording holds the phone's 440 Hz.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWav } from '../../src/media';
import { freePort } from '../../../sip-server/test/helpers/sipp';
import { detectTones } from '../helpers/audio';
import { startBaresip } from './baresip';
import type { Any, Stack } from './stack';
import { startStack, withTimeout } from './stack';
import { toneWav } from '../helpers/tone-wav';

describe('baresip phone through srf + fsmrf + media server', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-call-'));
    toneWav(path.join(dir, 'phone-440.wav'), 440, 6, 0.5);
    stack = await startStack({ soundsDir: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plays to the phone and records the phone', async () => {
    const appRec = path.join(dir, 'app-heard.wav');
    const done = new Promise<void>((resolve, reject) => {
      stack.srf.invite(async (req: Any, res: Any) => {
        try {
          const { endpoint, dialog } = await stack.ms.connectCaller(req, res);
          await endpoint.set('RECORD_READ_ONLY', 'true');
          await endpoint.execute('record_session', appRec);
          await endpoint.play('tone_stream://%(2000,0,700);loops=1');
          await endpoint.execute('stop_record_session', appRec);
          dialog.destroy();
          await endpoint.destroy();
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    const sipUdp = stack.sip.sipAddresses.find((a) => a.protocol === 'udp')!;
    let port = await freePort('both');
    while (!(await isFree(port + 1))) port = await freePort('both');
    const phone = startBaresip({
      dir: path.join(dir, 'phone'),
      sipPort: port,
      rtpPorts: [38600, 38699],
      sourceWav: path.join(dir, 'phone-440.wav'),
      dial: `sip:app@127.0.0.1:${sipUdp.port}`,
    });
    try {
      await withTimeout(done, 15000, 'call handled by the app');
      await phone.waitFor(/terminated|closed|BYE/i, 5000).catch(() => undefined);
    } finally {
      await phone.stop();
    }
    const heardFile = phone.heardFile();
    expect(heardFile).toBeDefined();
    const heard = await loadWav(heardFile!);
    expect(detectTones(heard, [440, 700], { ratio: 0.05 })).toEqual([700]);
    const recorded = await loadWav(appRec);
    expect(detectTones(recorded, [440, 700], { ratio: 0.05 })).toEqual([440]);
  });
});

async function isFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
