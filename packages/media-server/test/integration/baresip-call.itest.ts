/**
 * A real SIP phone (baresip) calls an app built on the unmodified drachtio-srf + drachtio-fsmrf,
 * which connects the caller to the embedded media server (connectCaller), records the caller
 * while playing it a tone, then hangs up. Checked by decoding: the phone heard 700 Hz and not its
 * own 440 Hz; the app's recording holds the phone's 440 Hz.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBaresip } from './baresip';
import { expectToneBothWays, phonePorts, playAndRecordOnce } from './play-record-app';
import type { Stack } from './stack';
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
    const call = playAndRecordOnce(stack, appRec, 2000);
    const sipUdp = stack.sip.sipAddresses.find((a) => a.protocol === 'udp')!;
    const phone = startBaresip({
      dir: path.join(dir, 'phone'),
      ...(await phonePorts()),
      sourceWav: path.join(dir, 'phone-440.wav'),
      dial: `sip:app@127.0.0.1:${sipUdp.port}`,
    });
    try {
      await withTimeout(call.done, 15000, 'call handled by the app');
      await phone.waitFor(/terminated|closed|BYE/i, 5000).catch(() => undefined);
    } finally {
      await phone.stop();
    }
    await expectToneBothWays(phone, appRec);
  });
});
