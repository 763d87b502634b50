/**
 * TLS signalling and SRTP media end to end with real phones (issue 11, item 4): two baresip
 * phones register over TLS with digest authentication and `mediaenc=srtp-mand` (RTP/SAVP with
 * SDES AES_CM_128_HMAC_SHA1_80; plain RTP refused), one calls the other through the PBX, then
 * holds it so it hears music on hold from the embedded media server over SRTP.
 *
 * Audio is taken off the wire (tcpdump on lo) and decrypted in the test with the SDES keys of the
 * SDP (the phones' as the PBX relayed them, the media server's from its offer): every packet of
 * the sender must authenticate under a key (no plain RTP), and the decrypted audio must hold the
 * sender's tone.
 *
 * Connection reuse: the PBX's INVITE and BYE to a phone go over the connection the phone
 * registered on (the SIP server holds one connection per phone; baresip has no TLS certificate,
 * so a connection opened towards it could not even complete a handshake).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectTones } from '../../../../packages/media-server/test/helpers/audio';
import { SrtpTransform } from '../../../../packages/media-server/src/media/srtp-transform';
import {
  hasOpenssl,
  makeCa,
  makeCert,
} from '../../../../packages/sip-server/test/transport/test-certs';
import type { MediaEndpoint } from '../../src/engine/media-port';
import { isHearing } from '../../src/engine/waiting-media';
import type { Leg } from '../../src/engine/call-registry';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import {
  heardFrom,
  readPcap,
  startRtpCapture,
  type CapturedRtp,
  type RtpCapture,
} from '../helpers/rtp-capture';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(120_000);

const TONES: Record<string, number> = { '201': 500, '202': 800, '203': 500, '204': 800 };
const MUSIC = 1300;
const ALL = [...new Set([...Object.values(TONES), MUSIC])];

/** Every SDES key (`inline:` base64) in the texts. */
function sdesKeys(...texts: Array<string | undefined>): string[] {
  const keys = new Set<string>();
  for (const t of texts)
    for (const m of (t ?? '').matchAll(
      /a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/]{40})/g,
    ))
      keys.add(m[1]!);
  return [...keys];
}

/**
 * The captured packets with their payloads decrypted: each packet is tried with every key (the
 * authentication tag tells which one is its sender's); packets no key opens are left out.
 */
function decrypt(packets: readonly CapturedRtp[], keys: readonly string[]): CapturedRtp[] {
  const transforms = keys.map((k) => new SrtpTransform({ localKey: k, remoteKey: k }));
  const out: CapturedRtp[] = [];
  for (const p of packets) {
    for (const t of transforms) {
      const plain = t.unprotect(p.packet);
      if (!plain) continue;
      const cc = plain[0]! & 0x0f;
      out.push({ ...p, payload: plain.subarray(12 + cc * 4), packet: plain });
      break;
    }
  }
  return out;
}

(hasOpenssl() ? describe : describe.skip)('TLS and SRTP end to end (baresip)', () => {
  let h: CallsPbx;
  let dir: string;
  let tlsPort: number;
  let caFile: string;
  const phones: BaresipPhone[] = [];
  let capture: RtpCapture | undefined;
  let pcap: string;
  const mediaOffers: MediaEndpoint[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-srtp-'));
    const ca = makeCa(dir, 'pbx');
    const server = makeCert(dir, 'server', '127.0.0.1', ca);
    caFile = ca.certFile;
    for (const [tel, freq] of Object.entries(TONES))
      toneWav(path.join(dir, `tone-${tel}.wav`), freq, 120);
    toneWav(path.join(dir, 'music.wav'), MUSIC, 5);
    h = await startCallsPbx({
      musicOnHold: true,
      overrides: (c) => {
        c.sip.tlsCert = server.certFile;
        c.sip.tlsKey = server.keyFile;
        c.sip.tlsPort = 0;
        c.media.holdMusic = path.join(dir, 'music.wav');
      },
    });
    tlsPort = h.pbx.ctx.config.sip.tlsPort;
    await h.station('201');
    await h.station('202');
    await h.pbx.media.waitUntilAvailable(10_000);
    const original = h.pbx.media.createOffer.bind(h.pbx.media);
    jest.spyOn(h.pbx.media, 'createOffer').mockImplementation(async (options) => {
      const ep = await original(options);
      mediaOffers.push(ep);
      return ep;
    });
    // The file's 120 s, not 60 s: starting the PBX (its first ts-jest compile in a worker) has taken
    // longer than 60 s on a loaded machine.
  });

  afterAll(async () => {
    await capture?.stop().catch(() => undefined);
    for (const p of phones) await p.stop();
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A baresip phone that registers itself over TLS (digest), by default demanding SRTP. */
  async function tlsPhone(tel: string, mediaenc = 'srtp-mand'): Promise<BaresipPhone> {
    const p = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, `tone-${tel}.wav`),
      // baresip adds the account's `;transport=tls` to what it dials.
      pbx: `127.0.0.1:${tlsPort}`,
      account:
        `<sip:${tel}@127.0.0.1:${tlsPort};transport=tls>;auth_pass=secret${tel};` +
        `regint=300;${mediaenc ? `mediaenc=${mediaenc};` : ''}answermode=auto`,
      extraConfig: ['module srtp.so', `sip_cafile ${caFile}`],
    });
    phones.push(p);
    // Seen at the PBX (baresip may register before its control socket is connected).
    await waitFor(
      `${tel} registered over TLS`,
      async () =>
        (await h.pbx.ctx.store.registrations.listByTel(tel)).some((r) => r.protocol === 'tls'),
      20_000,
    );
    return p;
  }

  const legOf = (tel: string): Leg | undefined => {
    for (const c of h.cc.env.registry.all()) {
      for (const leg of [c.aLeg, c.bLeg]) if (leg?.party.number === tel && !leg.ended) return leg;
    }
    return undefined;
  };

  const mediaServerPorts = (): [number, number] => [
    h.pbx.ctx.config.media.rtpPortMin,
    h.pbx.ctx.config.media.rtpPortMax,
  ];

  /**
   * Waits until `to` got `ms` of SRTP audio from `from` since `since` that the known keys open;
   * returns the tones in it, and how many packets of that sender in the same time no key opened
   * (plain RTP, or SRTP under an unknown key: must be none).
   */
  async function heard(
    to: BaresipPhone,
    from: BaresipPhone | 'media server',
    since: number,
    ms = 1_500,
  ): Promise<{ tones: number[]; unopened: number }> {
    const sources = from === 'media server' ? mediaServerPorts() : from.rtpPorts;
    const keys = (): string[] =>
      sdesKeys(legOf('201')?.sdp, legOf('202')?.sdp, ...mediaOffers.map((ep) => ep.localSdp));
    const window = (packets: readonly CapturedRtp[]): CapturedRtp[] =>
      packets.filter(
        (p) =>
          p.at >= since &&
          p.dstPort >= to.rtpPorts[0] &&
          p.dstPort <= to.rtpPorts[1] &&
          p.srcPort >= sources[0] &&
          p.srcPort <= sources[1],
      );
    let plain: Int16Array = new Int16Array(0);
    let unopened = 0;
    await waitFor(
      `${ms} ms of SRTP audio at ${to.tel} from ${from === 'media server' ? from : from.tel}`,
      () => {
        const packets = window(readPcap(fs.readFileSync(pcap)));
        const opened = decrypt(packets, keys());
        unopened = packets.length - opened.length;
        plain = heardFrom(opened, to.rtpPorts, sources, since);
        return plain.length >= (ms / 1000) * 8000;
      },
      20_000,
    );
    return { tones: detectTones(plain, ALL, { ratio: 0.1 }), unopened };
  }

  test('register over TLS, call with SRTP both ways over reused connections, music on hold over SRTP', async () => {
    const a = await tlsPhone('201');
    const b = await tlsPhone('202');
    // Registered over TLS, from the connection's source port.
    const bindings = await h.pbx.ctx.store.registrations.list();
    expect(
      bindings
        .filter((r) => r.tel === '201' || r.tel === '202')
        .map((r) => r.protocol)
        .sort(),
    ).toEqual(['tls', 'tls']);
    expect(h.pbx.sipServer!.stats().connections).toBe(2);

    pcap = path.join(dir, 'call.pcap');
    capture = await startRtpCapture({
      file: pcap,
      ranges: [a.rtpPorts, b.rtpPorts],
      maxMs: 100_000,
    });
    const since = a.events.length;
    await a.dial('202');
    await a.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && !!e.peeruri?.startsWith(a.uri('202')),
      20_000,
      since,
    );
    await b.waitForEvent((e) => e.type === 'CALL_ESTABLISHED', 20_000);
    // The SDP the PBX relayed is SAVP with SDES on both sides.
    expect(legOf('201')?.sdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(legOf('202')?.sdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    const up = Date.now();
    const bHears = await heard(b, a, up + 300);
    const aHears = await heard(a, b, up + 300);
    expect(bHears).toEqual({ tones: [TONES['201']], unopened: 0 });
    expect(aHears).toEqual({ tones: [TONES['202']], unopened: 0 });
    // The INVITE to 202 went over its registration connection: still one per phone.
    expect(h.pbx.sipServer!.stats().connections).toBe(2);

    await a.command('hold');
    await waitFor(
      '202 on the hold music',
      () => {
        const leg = legOf('202');
        return !!leg && isHearing(leg, 'music') && mediaOffers.length > 0;
      },
      20_000,
    );
    expect(mediaOffers.map((ep) => ep.localSdp)).toEqual([
      expect.stringMatching(/^m=audio \d+ RTP\/SAVP /m),
    ]);
    const held = Date.now();
    expect(await heard(b, 'media server', held + 300)).toEqual({ tones: [MUSIC], unopened: 0 });

    const hangup = a.events.length;
    await a.command('hangup');
    await a.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, hangup);
    await b.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000);
    await waitFor('no call left', () => h.cc.env.registry.size === 0, 20_000);
    expect(h.pbx.sipServer!.stats().connections).toBe(2);
  });

  test('policy security.srtp tls: plain RTP from or to a station on TLS is refused with 488', async () => {
    await h.station('203');
    await h.station('204');
    // 203: on TLS, plain RTP (would accept it); 204: on UDP, plain RTP.
    const tlsPlain = await tlsPhone('203', '');
    const udpPlain = await startBaresipPhone({
      dir,
      tel: '204',
      toneWav: path.join(dir, 'tone-204.wav'),
      pbx: h.pbx.target,
      beforeStart: (port) => h.register('204', port),
    });
    phones.push(udpPlain);
    const config = h.pbx.ctx.config;
    config.security.srtp = 'tls';
    try {
      // Caller on TLS offering plain RTP.
      let since = tlsPlain.events.length;
      await tlsPlain.dial('204');
      const closed = await tlsPlain.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, since);
      expect(closed.param).toMatch(/488/);
      // Plain RTP offered to the station on TLS: refused before it rings.
      since = udpPlain.events.length;
      await udpPlain.dial('203');
      const refused = await udpPlain.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, since);
      expect(refused.param).toMatch(/488/);
      expect(tlsPlain.events.some((e) => e.type === 'CALL_INCOMING')).toBe(false);
      expect(udpPlain.events.some((e) => e.type === 'CALL_INCOMING')).toBe(false);

      // The same call with the policy off goes through.
      config.security.srtp = 'optional';
      since = udpPlain.events.length;
      await udpPlain.dial('203');
      await udpPlain.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && !!e.peeruri?.startsWith(udpPlain.uri('203')),
        20_000,
        since,
      );
      const hangup = udpPlain.events.length;
      await udpPlain.command('hangup');
      await udpPlain.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, hangup);
      await waitFor('the call of 203 and 204 ended', () => !legOf('203') && !legOf('204'), 20_000);
    } finally {
      config.security.srtp = 'optional';
    }
  });
});
