/**
 * The PBX's media port with SRTP (SDES) phones, against the embedded media server through the
 * unmodified drachtio-fsmrf: `answerOffer` of an RTP/SAVP offer (fsmrf's createEndpoint refuses
 * SAVP, so the port makes an SRTP endpoint and gives it the offer) answers RTP/SAVP with the
 * offer's tag and a key of its own, and `createOffer({ srtp: true })` offers RTP/SAVP. A UDP socket
 * stands in for the phone: what the endpoint plays reaches it as SRTP that only the endpoint's
 * key opens, and decodes to the tone played.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { detectTones } from '../../../../packages/media-server/test/helpers/audio';
import { decodeG711 } from '../../../../packages/media-server/src/media';
import { SrtpTransform } from '../../../../packages/media-server/src/media/srtp-transform';
import type { MediaEndpoint } from '../../src/engine/media-port';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';
import { waitFor } from '../helpers/calls-harness';

jest.setTimeout(60_000);

const TONE = 1000;

function phoneSdp(port: number, key: string, tag: number): string {
  return [
    'v=0',
    'o=phone 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio ' + String(port) + ' RTP/SAVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=crypto:${tag} AES_CM_128_HMAC_SHA1_80 inline:${key}`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function cryptoOf(sdp: string): { tag: number; key: string } | undefined {
  const m = /^a=crypto:(\d+) AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/]{40})\s*$/m.exec(sdp);
  return m ? { tag: Number(m[1]), key: m[2]! } : undefined;
}

describe('media port: SRTP endpoints (embedded media server)', () => {
  let pbx: TestPbx;
  let phone: dgram.Socket;
  let phonePort: number;
  const received: Buffer[] = [];
  const endpoints: MediaEndpoint[] = [];

  beforeAll(async () => {
    pbx = await startTestPbx();
    await pbx.media.waitUntilAvailable(10_000);
    phone = dgram.createSocket('udp4');
    phone.on('message', (msg) => received.push(msg));
    await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', () => resolve()));
    phonePort = phone.address().port;
  });

  afterAll(async () => {
    for (const ep of endpoints) await ep.destroy().catch(() => undefined);
    phone?.close();
    await pbx?.[Symbol.asyncDispose]();
  });

  /** Plays the tone on `ep` and says what the phone decrypted with `key` (and what it could not). */
  async function hear(
    ep: MediaEndpoint,
    key: string,
  ): Promise<{ tones: number[]; unopened: number }> {
    received.length = 0;
    void ep.play({ stream: `tone_stream://%(3000,0,${TONE})` }).catch(() => undefined);
    await waitFor('1 s of audio at the phone', () => received.length >= 60, 15_000);
    await ep.stop();
    const srtp = new SrtpTransform({ localKey: key, remoteKey: key });
    const chunks: Int16Array[] = [];
    let unopened = 0;
    for (const packet of received) {
      const plain = srtp.unprotect(packet);
      if (!plain) {
        unopened++;
        continue;
      }
      if ((plain[1]! & 0x7f) === 0) chunks.push(decodeG711('PCMU', plain.subarray(12)));
    }
    const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return { tones: detectTones(all, [440, TONE], { ratio: 0.1 }), unopened };
  }

  test('answerOffer: an RTP/SAVP offer is answered RTP/SAVP with its tag and a new key', async () => {
    const ours = randomBytes(30).toString('base64');
    const ep = await pbx.media.answerOffer(phoneSdp(phonePort, ours, 7));
    endpoints.push(ep);
    expect(ep.localSdp).toMatch(/^m=audio \d+ RTP\/SAVP 0 /m);
    const theirs = cryptoOf(ep.localSdp);
    expect(theirs).toMatchObject({ tag: 7 });
    expect(theirs!.key).not.toBe(ours);
    expect(await hear(ep, theirs!.key)).toEqual({ tones: [TONE], unopened: 0 });
    await ep.destroy();
  });

  test('createOffer with srtp: RTP/SAVP offer, completed by the phone answer', async () => {
    const ep = await pbx.media.createOffer({ srtp: true });
    endpoints.push(ep);
    expect(ep.localSdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    const theirs = cryptoOf(ep.localSdp);
    expect(theirs).toBeDefined();
    await ep.modify(phoneSdp(phonePort, randomBytes(30).toString('base64'), theirs!.tag));
    expect(await hear(ep, theirs!.key)).toEqual({ tones: [TONE], unopened: 0 });
    // Without srtp the offer stays plain RTP.
    const plain = await pbx.media.createOffer();
    endpoints.push(plain);
    expect(plain.localSdp).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(cryptoOf(plain.localSdp)).toBeUndefined();
    await plain.destroy();
    await ep.destroy();
  });
});
