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
import { startBaresip } from './baresip';
import { expectToneBothWays, phonePorts, playAndRecordOnce } from './play-record-app';
import type { Stack } from './stack';
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
    const call = playAndRecordOnce(stack, appRec, 3000);
    const sipUdp = stack.sip.sipAddresses.find((a) => a.protocol === 'udp')!;
    const phone = startBaresip({
      dir: path.join(dir, 'phone'),
      ...(await phonePorts()),
      sourceWav: path.join(dir, 'phone-440.wav'),
      account: '<sip:phone@127.0.0.1>;regint=0;mediaenc=srtp-mand',
      extraConfig: ['module srtp.so'],
      dial: `sip:app@127.0.0.1:${sipUdp.port}`,
    });
    try {
      await withTimeout(call.done, 20_000, 'call handled by the app');
      await phone.waitFor(/terminated|closed|BYE/i, 10_000).catch(() => undefined);
    } finally {
      await phone.stop();
    }
    expect(call.offerSdp()).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(call.answerSdp()).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(call.answerSdp()).toMatch(
      /^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\s*$/m,
    );
    await expectToneBothWays(phone, appRec);
  });
});
