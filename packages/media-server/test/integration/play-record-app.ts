/**
 * What the baresip tests share: an fsmrf app that answers one call by connecting the caller to
 * the media server, records the caller while playing it a 700 Hz tone, then hangs up; free ports
 * for a phone; and the decoding check of both directions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { loadWav } from '../../src/media';
import { freePort } from '../../../sip-server/test/helpers/sipp';
import { detectTones } from '../helpers/audio';
import type { Baresip } from './baresip';
import type { Any, Stack } from './stack';

/** The SDP of the one call the app handled (offer from the phone, the media server's answer). */
export interface HandledCall {
  done: Promise<void>;
  offerSdp(): string;
  answerSdp(): string;
}

/** Answers the next INVITE: record the caller into `appRec` while a 700 Hz tone plays for `toneMs`. */
export function playAndRecordOnce(stack: Stack, appRec: string, toneMs: number): HandledCall {
  let offer = '';
  let answer = '';
  const done = new Promise<void>((resolve, reject) => {
    stack.srf.invite(async (req: Any, res: Any) => {
      try {
        offer = String(req.body);
        const { endpoint, dialog } = await stack.ms.connectCaller(req, res);
        answer = String(endpoint.local.sdp);
        await endpoint.set('RECORD_READ_ONLY', 'true');
        await endpoint.execute('record_session', appRec);
        await endpoint.play(`tone_stream://%(${toneMs},0,700);loops=1`);
        await endpoint.execute('stop_record_session', appRec);
        dialog.destroy();
        await endpoint.destroy();
        resolve();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
  return { done, offerSdp: () => offer, answerSdp: () => answer };
}

/** The phone (playing 440 Hz) heard the app's 700 Hz and not itself; the app recorded 440 Hz. */
export async function expectToneBothWays(phone: Baresip, appRec: string): Promise<void> {
  const heardFile = phone.heardFile();
  expect(heardFile).toBeDefined();
  const heard = await loadWav(heardFile!);
  expect(detectTones(heard, [440, 700], { ratio: 0.05 })).toEqual([700]);
  const recorded = await loadWav(appRec);
  expect(detectTones(recorded, [440, 700], { ratio: 0.05 })).toEqual([440]);
}

/**
 * Ports for one phone: a SIP port free for UDP and TCP whose next port is free for TCP too
 * (baresip binds TLS there), and twenty RTP ports below the kernel's ephemeral range (32768 up)
 * and above the media server's default 20000-20999, so no port handed out elsewhere lands there.
 */
export async function phonePorts(): Promise<{ sipPort: number; rtpPorts: [number, number] }> {
  let sipPort = await freePort('both');
  while (!(await isFree('tcp', sipPort + 1))) sipPort = await freePort('both');
  for (;;) {
    const base = 30000 + 20 * Math.floor(Math.random() * 130);
    if ((await isFree('udp', base)) && (await isFree('udp', base + 10)))
      return { sipPort, rtpPorts: [base, base + 19] };
  }
}

function isFree(type: 'tcp' | 'udp', port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (type === 'tcp') {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
      return;
    }
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
