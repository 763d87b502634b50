/**
 * Music on hold and park music with real phones and real audio: baresip desk phones (each sends
 * its own tone) against the whole PBX with its embedded media server, hold music a test WAV with
 * a known tone. What each phone hears is taken off the wire (tcpdump on lo, decoded per sender:
 * baresip's own recorder stops after a re-INVITE) and checked by frequency.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectTones } from '../../../../packages/media-server/test/helpers/audio';
import pino from 'pino';
import { startMediaServer, type MediaServerHandle } from '@pbx/media-server';
import { isHearing } from '../../src/engine/waiting-media';
import type { Leg } from '../../src/engine/call-registry';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { heardFrom, readPcap, startRtpCapture, type RtpCapture } from '../helpers/rtp-capture';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(120_000);

const TONES: Record<string, number> = { '201': 500, '202': 800, '203': 1100 };
const MUSIC = 1300;
const ALL = [...Object.values(TONES), MUSIC];

describe('music on hold and park music (baresip, audio decoded)', () => {
  let h: CallsPbx;
  let dir: string;
  let phones: Map<string, BaresipPhone>;
  let capture: RtpCapture | undefined;
  let pcap: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moh-audio-'));
    for (const [tel, freq] of Object.entries(TONES))
      toneWav(path.join(dir, `tone-${tel}.wav`), freq, 120);
    toneWav(path.join(dir, 'music.wav'), MUSIC, 5);
    h = await startCallsPbx({
      musicOnHold: true,
      overrides: (c) => {
        c.media.holdMusic = path.join(dir, 'music.wav');
      },
    });
    await h.station('201');
    await h.station('202');
    await h.station('203');
    await h.station('204', { toneSource: 'phone' });
    await h.pbx.media.waitUntilAvailable(10_000);
  });

  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    phones = new Map();
  });

  afterEach(async () => {
    await capture?.stop().catch(() => undefined);
    capture = undefined;
    for (const p of phones.values()) await p.stop();
    await waitFor('no call left', () => h.cc.env.registry.size === 0, 10_000);
  });

  async function phone(tel: string, tone = tel): Promise<BaresipPhone> {
    const p = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, `tone-${tone}.wav`),
      pbx: h.pbx.target,
    });
    phones.set(tel, p);
    await h.register(tel, p.sipPort);
    return p;
  }

  async function listenTo(...list: BaresipPhone[]): Promise<void> {
    pcap = path.join(dir, `capture-${Date.now()}.pcap`);
    capture = await startRtpCapture({
      file: pcap,
      ranges: list.map((p) => p.rtpPorts),
      maxMs: 90_000,
    });
  }

  const mediaServerPorts = (): [number, number] => [
    h.pbx.ctx.config.media.rtpPortMin,
    h.pbx.ctx.config.media.rtpPortMax,
  ];

  /**
   * Waits until `to` has received `ms` of audio from `from` (a phone or the media server) since
   * `since`, then says which known tones it holds.
   */
  async function heard(
    to: BaresipPhone,
    from: BaresipPhone | 'media server',
    since: number,
    ms = 1_500,
  ): Promise<number[]> {
    const sources = from === 'media server' ? mediaServerPorts() : from.rtpPorts;
    let samples: Int16Array = new Int16Array(0);
    await waitFor(
      `${ms} ms of audio at ${to.tel} from ${from === 'media server' ? from : from.tel}`,
      () => {
        samples = heardFrom(readPcap(fs.readFileSync(pcap)), to.rtpPorts, sources, since);
        return samples.length >= (ms / 1000) * 8000;
      },
      15_000,
    );
    return detectTones(samples, ALL, { ratio: 0.1 });
  }

  /** Packets `to` got from the media server after `since`. */
  function fromMediaServer(to: BaresipPhone, since: number): number {
    return heardFrom(readPcap(fs.readFileSync(pcap)), to.rtpPorts, mediaServerPorts(), since)
      .length;
  }

  async function call(caller: BaresipPhone, tel: string): Promise<void> {
    const since = caller.events.length;
    await caller.dial(tel);
    await caller.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === caller.uri(tel),
      10_000,
      since,
    );
  }

  const legOf = (tel: string): Leg | undefined => {
    for (const c of h.cc.env.registry.all()) {
      for (const leg of [c.aLeg, c.bLeg]) if (leg?.party.number === tel && !leg.ended) return leg;
    }
    return undefined;
  };

  test('tone source system: the held party hears the hold music, then the other party after resume', async () => {
    const a = await phone('201');
    const b = await phone('202');
    await listenTo(a, b);
    await call(a, '202');
    expect(await heard(b, a, Date.now() + 300)).toEqual([TONES['201']]);

    await a.command('hold');
    await waitFor('202 on the hold music', () => {
      const leg = legOf('202');
      return !!leg && isHearing(leg, 'music');
    });
    const held = Date.now();
    expect(await heard(b, 'media server', held + 300)).toEqual([MUSIC]);
    expect(h.pbx.mediaServer!.stats().channels).toBe(1);

    await a.command('resume');
    await waitFor('202 off the media server', () => {
      const leg = legOf('202');
      return !!leg && !leg.waitingMedia && h.pbx.mediaServer!.stats().channels === 0;
    });
    const resumed = Date.now();
    expect(await heard(b, a, resumed + 300)).toEqual([TONES['201']]);
    expect(await heard(a, b, resumed + 300)).toEqual([TONES['202']]);
    // Nothing from the media server once the resume is through.
    expect(fromMediaServer(b, resumed + 500)).toBe(0);
  });

  test('tone source phone: the hold is only relayed, no media-server channel', async () => {
    const a = await phone('204', '201');
    const b = await phone('202');
    const offers = jest.spyOn(h.pbx.media, 'createOffer');
    const answers = jest.spyOn(h.pbx.media, 'answerOffer');
    try {
      await listenTo(b);
      await call(a, '202');
      const since = Date.now();
      await a.command('hold');
      await waitFor('204 holding 202', () => h.cc.env.registry.heldCalls('204').length === 1);
      await waitFor('the relayed hold answered', () => !legOf('202')?.waitingReinvite);
      expect(legOf('202')?.waitingMedia).toBeUndefined();
      await a.command('resume');
      await waitFor('resumed', () => h.cc.env.registry.heldCalls('204').length === 0);
      // Talking again (the holder's phone was the tone source meanwhile)...
      expect(await heard(b, a, Date.now() + 300)).toEqual([TONES['201']]);
      // ...and at no point was the media server asked for a channel or heard from.
      expect(offers).not.toHaveBeenCalled();
      expect(answers).not.toHaveBeenCalled();
      expect(fromMediaServer(b, since)).toBe(0);
    } finally {
      offers.mockRestore();
      answers.mockRestore();
    }
  });

  test('hold recall: held past the recall time, the holding phone rings with the held party and answering reconnects them', async () => {
    const a = await phone('201');
    const b = await phone('202');
    const saved = h.pbx.ctx.config.features.holdRecallTime;
    h.pbx.ctx.config.features.holdRecallTime = 2;
    try {
      await listenTo(a, b);
      await call(a, '202');
      // Taken before the hold is sent: the recall timer starts after it, whatever a loaded
      // machine does to when this test sees the hold.
      const holdSent = Date.now();
      await a.command('hold');
      await waitFor('201 holding 202', () => h.cc.env.registry.heldCalls('201').length === 1);
      // The phone answers the recall by itself (auto answer): a second call from 202 is set up
      // and the held one is closed by the PBX.
      const since = a.events.length;
      // The recall comes from the held party (From: 202 at the PBX's domain).
      const recall = await a.waitForEvent(
        (e) =>
          e.type === 'CALL_ESTABLISHED' &&
          /^sip:202@/.test(e.peeruri ?? '') &&
          e.peeruri !== a.uri('202'),
        10_000,
        since,
      );
      expect(recall.at - holdSent).toBeGreaterThanOrEqual(1_900);
      await a.waitForEvent((e) => e.type === 'CALL_CLOSED', 10_000, since);
      await waitFor('201 and 202 connected again, not held', () => {
        const calls = h.cc.env.registry.all();
        return (
          calls.length === 1 &&
          !!calls[0]!.connection &&
          h.cc.env.registry.heldCalls('201').length === 0 &&
          !legOf('202')?.waitingMedia
        );
      });
      const back = Date.now();
      expect(await heard(b, a, back + 300)).toEqual([TONES['201']]);
      expect(await heard(a, b, back + 300)).toEqual([TONES['202']]);
    } finally {
      h.pbx.ctx.config.features.holdRecallTime = saved;
    }
  });

  test('a parked call hears the music, then talks both ways with the retriever', async () => {
    const a = await phone('201');
    const b = await phone('202');
    const c = await phone('203');
    await listenTo(b, c);
    await call(a, '202');
    await a.command('hold');
    await waitFor('201 holding 202', () => h.cc.env.registry.heldCalls('201').length === 1);
    // 11 + own station: parked (the code call gets 480, the held dialog is ended).
    const since = a.events.length;
    await a.dial('11201');
    await a.waitForEvent(
      (e) => e.type === 'CALL_CLOSED' && e.peeruri === a.uri('11201'),
      10_000,
      since,
    );
    await waitFor('202 parked on the music', () => {
      const leg = legOf('202');
      return h.cc.parks.list().length === 1 && !!leg && isHearing(leg, 'music');
    });
    const parked = Date.now();
    expect(await heard(b, 'media server', parked + 300)).toEqual([MUSIC]);

    await call(c, '12201');
    await waitFor('202 retrieved, off the media server', () => {
      const leg = legOf('202');
      return !!leg && !leg.waitingMedia && h.pbx.mediaServer!.stats().channels === 0;
    });
    const retrieved = Date.now();
    expect(await heard(b, c, retrieved + 300)).toEqual([TONES['203']]);
    expect(await heard(c, b, retrieved + 300)).toEqual([TONES['202']]);
    expect(fromMediaServer(b, retrieved + 500)).toBe(0);
  });
});

describe('media server down, then back (baresip, audio decoded)', () => {
  let h: CallsPbx;
  let dir: string;
  const lines: string[] = [];
  const phones: BaresipPhone[] = [];
  let restarted: MediaServerHandle | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moh-down-'));
    for (const [tel, freq] of Object.entries(TONES))
      toneWav(path.join(dir, `tone-${tel}.wav`), freq, 120);
    toneWav(path.join(dir, 'music.wav'), MUSIC, 5);
    h = await startCallsPbx({
      musicOnHold: true,
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
      overrides: (c) => {
        c.media.holdMusic = path.join(dir, 'music.wav');
      },
    });
    await h.station('201');
    await h.station('202');
    await h.pbx.media.waitUntilAvailable(10_000);
  });

  afterAll(async () => {
    for (const p of phones) await p.stop();
    await h?.[Symbol.asyncDispose]();
    await restarted?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('hold works as a plain relay while the media server is down (the log says why); music again once it is back', async () => {
    const mediaPorts: [number, number] = [
      h.pbx.ctx.config.media.rtpPortMin,
      h.pbx.ctx.config.media.rtpPortMax,
    ];
    const phone = async (tel: string): Promise<BaresipPhone> => {
      const p = await startBaresipPhone({
        dir,
        tel,
        toneWav: path.join(dir, `tone-${tel}.wav`),
        pbx: h.pbx.target,
      });
      phones.push(p);
      await h.register(tel, p.sipPort);
      return p;
    };
    const a = await phone('201');
    const b = await phone('202');
    const pcap = path.join(dir, 'capture.pcap');
    const capture = await startRtpCapture({ file: pcap, ranges: [b.rtpPorts], maxMs: 90_000 });
    const heard = async (from: [number, number], since: number): Promise<number[]> => {
      let samples: Int16Array = new Int16Array(0);
      await waitFor(
        `1500 ms of audio at 202 from ${from.join('-')}`,
        () => {
          samples = heardFrom(readPcap(fs.readFileSync(pcap)), b.rtpPorts, from, since);
          return samples.length >= 1.5 * 8000;
        },
        15_000,
      );
      return detectTones(samples, ALL, { ratio: 0.1 });
    };
    const heldLeg = (): Leg | undefined =>
      h.cc.env.registry.all().find((c) => c.bLeg?.party.number === '202')?.bLeg;
    try {
      // The media server goes away.
      const { config } = h.pbx.ctx;
      const ports = { sip: config.media.sipPort, esl: config.media.eslPort };
      await h.pbx.mediaServer!.close();
      await waitFor('media seen down', () => !h.pbx.media.available, 10_000);

      const since = a.events.length;
      await a.dial('202');
      await a.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === a.uri('202'),
        10_000,
        since,
      );
      await a.command('hold');
      await waitFor('201 holding 202', () => h.cc.env.registry.heldCalls('201').length === 1);
      await waitFor('the log says why there is no music', () =>
        lines.some((l) => /no hold music: media server unavailable/.test(l)),
      );
      const why = JSON.parse(lines.find((l) => /no hold music/.test(l))!) as { reason: string };
      expect(why.reason).toMatch(/lost the Event Socket|cannot reach the Event Socket/);
      expect(heldLeg()?.waitingMedia).toBeUndefined();
      await a.command('resume');
      await waitFor('resumed', () => h.cc.env.registry.heldCalls('201').length === 0);
      expect(await heard(a.rtpPorts, Date.now() + 300)).toEqual([TONES['201']]);

      // It comes back on the same ports: the PBX reconnects by itself and the music works again.
      restarted = await startMediaServer({
        sip: { host: config.media.host, port: ports.sip },
        esl: { host: '127.0.0.1', port: ports.esl, password: config.media.eslPassword },
        rtp: { portMin: config.media.rtpPortMin, portMax: config.media.rtpPortMax },
      });
      await h.pbx.media.waitUntilAvailable(20_000);
      expect(lines.filter((l) => /"connected to media server"/.test(l))).toHaveLength(2);
      await a.command('hold');
      await waitFor('202 on the hold music again', () => {
        const leg = heldLeg();
        return !!leg && isHearing(leg, 'music');
      });
      expect(await heard(mediaPorts, Date.now() + 300)).toEqual([MUSIC]);
      await a.command('resume');
      await waitFor('202 off the media server', () => restarted!.stats().channels === 0);
    } finally {
      await capture.stop();
    }
  });
});
