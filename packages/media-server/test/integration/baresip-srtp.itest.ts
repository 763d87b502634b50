/**
 * SRTP (SDES, AES_CM_128_HMAC_SHA1_80) with a real phone: baresip with `mediaenc=srtp-mand` (it
 * offers RTP/SAVP with a=crypto and refuses plain RTP) calls an app on the unmodified
 * drachtio-srf + drachtio-fsmrf, which connects it to the embedded media server (connectCaller),
 * records it while playing a tone. Checked by decoding on both sides: the phone (decrypting with
 * libsrtp) heard 700 Hz and not its own 440 Hz; the media server (decrypting with werift) recorded
 * the phone's 440 Hz. The media server's answer is RTP/SAVP with its own key.
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

jest.setTimeout(60_000);

describe('baresip with mandatory SRTP through srf + fsmrf + media server', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-srtp-'));
    toneWav(path.join(dir, 'phone-440.wav'), 440, 8, 0.5);
    stack = await startStack({ soundsDir: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plays to the phone and records it, both ways encrypted', async () => {
    const appRec = path.join(dir, 'app-heard.wav');
    let answerSdp = '';
    let offerSdp = '';
    const done = new Promise<void>((resolve, reject) => {
      stack.srf.invite(async (req: Any, res: Any) => {
        try {
          offerSdp = String(req.body);
          const { endpoint, dialog } = await stack.ms.connectCaller(req, res);
          answerSdp = String(endpoint.local.sdp);
          await endpoint.set('RECORD_READ_ONLY', 'true');
          await endpoint.execute('record_session', appRec);
          await endpoint.play('tone_stream://%(3000,0,700);loops=1');
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
    // baresip also binds TLS on the SIP port + 1.
    let port = await freePort('both');
    while (!(await isFree('tcp', port + 1))) port = await freePort('both');
    const rtpBase = await freeRtpBlock();
    const phone = startBaresip({
      dir: path.join(dir, 'phone'),
      sipPort: port,
      rtpPorts: [rtpBase, rtpBase + 19],
      sourceWav: path.join(dir, 'phone-440.wav'),
      account: '<sip:phone@127.0.0.1>;regint=0;mediaenc=srtp-mand',
      extraConfig: ['module srtp.so'],
      dial: `sip:app@127.0.0.1:${sipUdp.port}`,
    });
    try {
      await withTimeout(done, 20_000, 'call handled by the app');
      await phone.waitFor(/terminated|closed|BYE/i, 10_000).catch(() => undefined);
    } finally {
      await phone.stop();
    }
    expect(offerSdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(answerSdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(answerSdp).toMatch(
      /^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\s*$/m,
    );
    const heardFile = phone.heardFile();
    expect(heardFile).toBeDefined();
    const heard = await loadWav(heardFile!);
    expect(detectTones(heard, [440, 700], { ratio: 0.05 })).toEqual([700]);
    const recorded = await loadWav(appRec);
    expect(detectTones(recorded, [440, 700], { ratio: 0.05 })).toEqual([440]);
  });
});

async function isFree(type: 'tcp' | 'udp', port: number): Promise<boolean> {
  if (type === 'tcp') {
    const net = await import('node:net');
    return new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  }
  const dgram = await import('node:dgram');
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Twenty RTP ports free now, below the kernel's ephemeral range (32768 up) and above the media
 * server's default 20000-20999, so no port handed out elsewhere lands among them.
 */
async function freeRtpBlock(): Promise<number> {
  for (;;) {
    const base = 30000 + 20 * Math.floor(Math.random() * 130);
    if ((await isFree('udp', base)) && (await isFree('udp', base + 10))) return base;
  }
}
