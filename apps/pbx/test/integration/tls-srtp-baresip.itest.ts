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
import type { DepositOutcome } from '../../src/voicemail';
import { readPcm16 } from '../../src/voicemail/wav-audit';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { recordingUnderWay } from '../helpers/voicemail-recording';

jest.setTimeout(120_000);

const TONES: Record<string, number> = {
  '201': 500,
  '202': 800,
  '203': 500,
  '204': 800,
  '205': 1700,
};
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
  /** The media server's answers to phones' offers (voice mail, a resume onto the mixer). */
  const mediaAnswers: MediaEndpoint[] = [];

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
      voicemail: true,
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
    const answer = h.pbx.media.answerOffer.bind(h.pbx.media);
    jest.spyOn(h.pbx.media, 'answerOffer').mockImplementation(async (offer) => {
      const ep = await answer(offer);
      mediaAnswers.push(ep);
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
    tones: readonly number[] = ALL,
  ): Promise<{ tones: number[]; unopened: number }> {
    const sources = from === 'media server' ? mediaServerPorts() : from.rtpPorts;
    const keys = (): string[] =>
      sdesKeys(
        ...h.cc.env.registry.all().flatMap((c) => [c.aLeg?.sdp, c.bLeg?.sdp]),
        ...[...mediaOffers, ...mediaAnswers].map((ep) => ep.localSdp),
      );
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
    return { tones: detectTones(plain, [...tones], { ratio: 0.1 }), unopened };
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
    expect((await h.pbx.sipServer!.stats()).connections).toBe(2);

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
    expect((await h.pbx.sipServer!.stats()).connections).toBe(2);

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
    expect((await h.pbx.sipServer!.stats()).connections).toBe(2);
  });

  /** A fresh capture of what `tels`' phones receive (the previous one stopped). */
  async function recapture(name: string, on: readonly BaresipPhone[]): Promise<void> {
    await capture?.stop().catch(() => undefined);
    pcap = path.join(dir, `${name}.pcap`);
    capture = await startRtpCapture({
      file: pcap,
      ranges: on.map((p) => p.rtpPorts),
      maxMs: 100_000,
    });
  }

  const tlsPhoneOf = async (tel: string): Promise<BaresipPhone> => {
    if (!h.cc.stations.has(tel)) await h.station(tel);
    return phones.find((p) => p.tel === tel) ?? (await tlsPhone(tel));
  };

  test('voice mail over SRTP: the mailbox answers an SRTP caller with SRTP; the message holds its tone', async () => {
    if (!h.cc.stations.has('205')) await h.station('205');
    await h.pbx.changeApplied('stations', 10_000);
    const a = await tlsPhoneOf('201');
    const deposits: DepositOutcome[] = [];
    h.pbx.voicemail.onDeposit((station, o) => {
      if (station === '205') deposits.push(o);
    });
    await recapture('voicemail', [a]);
    const answered = mediaAnswers.length;
    const since = a.events.length;
    // Everything the media server sends 201 from now on is this call's (greeting, beep).
    const dialled = Date.now();
    // 205 is not registered: its mailbox answers at once.
    await a.dial('205');
    await a.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && !!e.peeruri?.startsWith(a.uri('205')),
      20_000,
      since,
    );
    expect(mediaAnswers.slice(answered).map((ep) => ep.localSdp)).toEqual([
      expect.stringMatching(
        /^m=audio \d+ RTP\/SAVP .*\r?\n(?:.*\r?\n)*a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 /m,
      ),
    ]);
    // The greeting reaches the caller encrypted under the media server's key, nothing in clear.
    expect((await heard(a, 'media server', dialled, 600)).unopened).toBe(0);
    // Recording: a temporary file holds 2 s of the caller's (decrypted) audio.
    const box = path.join(h.pbx.voicemail.files.root, 'boxes', '205');
    await recordingUnderWay(box);
    const hangup = a.events.length;
    await a.command('hangup');
    await a.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, hangup);
    await waitFor('the deposit', () => deposits.length === 1, 20_000);
    expect(deposits[0]).toMatchObject({ kind: 'kept' });
    const [msg] = await h.pbx.ctx.store.voicemail.messages('205');
    expect(msg).toMatchObject({ callerTel: '201', heard: false });
    const { samples } = await readPcm16(h.pbx.voicemail.files.abs(msg!.file));
    expect(samples.length).toBeGreaterThan(16_000);
    expect(detectTones(samples, ALL, { ratio: 0.1 })).toEqual([TONES['201']]);
    expect(goertzel(samples, TONES['201']!)).toBeGreaterThan(100 * goertzel(samples, 1000));
  });

  test('conference 46 over SRTP: members re-INVITEd onto the mixer with SRTP each hear the other two', async () => {
    const owner = await tlsPhoneOf('201');
    const b = await tlsPhoneOf('202');
    const c = await tlsPhoneOf('205');
    const call = async (tel: string): Promise<void> => {
      const since = owner.events.length;
      await owner.dial(tel);
      await owner.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && !!e.peeruri?.startsWith(owner.uri(tel)),
        20_000,
        since,
      );
    };
    const hold = async (tel: string): Promise<void> => {
      await owner.command('hold');
      await waitFor(
        `201 holding ${tel}`,
        () => h.cc.env.registry.heldCalls('201').some((x) => x.party === tel),
        20_000,
      );
    };
    const dial46 = async (): Promise<void> => {
      const since = owner.events.length;
      await owner.dial('46');
      const closed = await owner.waitForEvent(
        (e) => e.type === 'CALL_CLOSED' && !!e.peeruri?.startsWith(owner.uri('46')),
        20_000,
        since,
      );
      expect(closed.param).toMatch(/480/);
      await h.cc.conferences.idle('201');
    };
    const offered = mediaOffers.length;
    await call('202');
    await hold('202');
    await dial46();
    const before = owner.events.length;
    await call('205');
    await owner.waitForEvent(
      (e) => e.type === 'CALL_CLOSED' && !!e.peeruri?.startsWith(owner.uri('202')),
      20_000,
      before,
    );
    await hold('205');
    await dial46();
    await dial46();
    expect(h.cc.conferences.list()[0]).toMatchObject({ phase: 'started' });
    // The manual's step 12; the phone may have resumed by itself already (then this is refused).
    await owner.command('resume').catch(() => undefined);
    await waitFor(
      '201 on the mixer',
      () => (h.cc.conferences.list()[0]?.parties ?? []).some((p) => p.role === 'owner'),
      20_000,
    );
    await h.cc.conferences.idle('201');
    // Every offer the mixer made to these SRTP phones was SRTP.
    const offers = mediaOffers.slice(offered).map((ep) => ep.localSdp);
    expect(offers.length).toBeGreaterThanOrEqual(2);
    for (const sdp of offers) expect(sdp).toMatch(/^m=audio \d+ RTP\/SAVP /m);

    await recapture('conference', [owner, b, c]);
    const at = Date.now() + 300;
    const tones = [TONES['201']!, TONES['202']!, TONES['205']!];
    const others = (tel: string): number[] =>
      tones.filter((t) => t !== TONES[tel]).sort((x, y) => x - y);
    const got = [];
    for (const p of [owner, b, c])
      got.push([p.tel, await heard(p, 'media server', at, 1_500, tones)]);
    expect(got).toEqual([owner, b, c].map((p) => [p.tel, { tones: others(p.tel), unopened: 0 }]));

    for (const p of [b, c]) {
      const since = p.events.length;
      await p.command('hangup');
      await p.waitForEvent((e) => e.type === 'CALL_CLOSED', 20_000, since);
    }
    await waitFor('conference ended', () => h.cc.conferences.list().length === 0, 20_000);
    await waitFor(
      'no call of 201, 202, 205 left',
      () => !legOf('201') && !legOf('202') && !legOf('205'),
      20_000,
    );
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

      // Policy optional, but 204 (on UDP) set to require SRTP: its plain-RTP calls either way
      // are refused before they ring.
      await h.pbx.ctx.store.stations.update('204', { srtp: 'required' }, { realm: 'pbx.local' });
      await h.pbx.changeApplied('stations', 10_000);
      since = udpPlain.events.length;
      await udpPlain.dial('203');
      const fromRequired = await udpPlain.waitForEvent(
        (e) => e.type === 'CALL_CLOSED',
        20_000,
        since,
      );
      expect(fromRequired.param).toMatch(/488/);
      since = tlsPlain.events.length;
      await tlsPlain.dial('204');
      const toRequired = await tlsPlain.waitForEvent(
        (e) => e.type === 'CALL_CLOSED',
        20_000,
        since,
      );
      expect(toRequired.param).toMatch(/488/);
      expect(udpPlain.events.some((e) => e.type === 'CALL_INCOMING')).toBe(false);
      expect(tlsPlain.events.some((e) => e.type === 'CALL_INCOMING')).toBe(false);
    } finally {
      config.security.srtp = 'optional';
    }
  });
});
