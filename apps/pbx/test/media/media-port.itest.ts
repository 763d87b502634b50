/**
 * The media port through the whole PBX: drachtio-fsmrf connected to the embedded media server
 * that `startPbx` runs, an endpoint offered to an RTP phone and completed with its answer, a
 * looped tone the phone decodes, stop, and the reconnect after the media server restarts.
 */
import { startMediaServer } from '@pbx/media-server';
import path from 'node:path';
import { dominantFrequency, rms } from '../../../../packages/media-server/test/helpers/audio';
import pino from 'pino';
import { MediaUnavailableError } from '../../src/engine/media-port';
import { MediaConnection } from '../../src/media/media-connection';
import { startRtpPhone, type RtpPhone } from '../helpers/rtp-phone';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

function availability(pbx: TestPbx, up: boolean, withinMs: number): Promise<void> {
  if (pbx.media.available === up) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`media not ${up ? 'up' : 'down'}`)), withinMs);
    pbx.media.onAvailability((now) => {
      if (now !== up) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('media port (drachtio-fsmrf → embedded media server)', () => {
  let pbx: TestPbx;
  let phone: RtpPhone;

  beforeAll(async () => {
    pbx = await startTestPbx();
    phone = await startRtpPhone();
    await pbx.media.waitUntilAvailable(10_000);
  });
  afterAll(async () => {
    await phone?.close();
    await pbx?.[Symbol.asyncDispose]();
  });

  it('offers an endpoint, takes the answer, plays a looped tone the phone hears, stops', async () => {
    const ep = await pbx.media.createOffer();
    expect(ep.localSdp).toMatch(/^m=audio \d+ RTP\/AVP/m);
    await ep.modify(phone.sdp());
    const since = Date.now();
    const playing = ep.play({ stream: 'tone_stream://%(1000,0,697)' }, { loop: true });
    await phone.waitForAudio(since, 600);
    expect(dominantFrequency(phone.samplesSince(since).subarray(800))).toBeCloseTo(697, -2);
    await ep.stop();
    await expect(playing).resolves.toEqual({ stopped: true });
    const ended = new Promise((resolve) => ep.onEnded(resolve));
    await ep.destroy();
    await ended;
    expect(ep.ended).toBe(true);
  });

  it('answers an offer from a phone', async () => {
    const ep = await pbx.media.answerOffer(phone.sdp());
    expect(ep.localSdp).toMatch(/^a=rtpmap:0 PCMU\/8000/m);
    const since = Date.now();
    await ep.play({ stream: 'tone_stream://%(400,0,1209)' });
    const heard = phone.samplesSince(since);
    expect(rms(heard)).toBeGreaterThan(500);
    expect(dominantFrequency(heard.subarray(400))).toBeCloseTo(1209, -2);
    await ep.destroy();
  });

  it('rejects a missing file', async () => {
    const ep = await pbx.media.answerOffer(phone.sdp());
    await expect(ep.play({ file: '/nonexistent/hold.wav' })).rejects.toThrow(/cannot play/);
    await ep.destroy();
  });

  it('reconnects after the media server restarts; says why while it is down', async () => {
    const server = pbx.mediaServer!;
    const { config } = pbx.ctx;
    await server.close();
    await availability(pbx, false, 5_000);
    expect(pbx.media.unavailableReason).toMatch(/lost the Event Socket|cannot reach/);
    await expect(pbx.media.createOffer()).rejects.toBeInstanceOf(MediaUnavailableError);
    const again = await startMediaServer({
      sip: { host: config.media.host, port: config.media.sipPort },
      esl: { host: '127.0.0.1', port: config.media.eslPort, password: config.media.eslPassword },
      rtp: { portMin: config.media.rtpPortMin, portMax: config.media.rtpPortMax },
      soundsDir: path.join(pbx.dataDir, 'sounds'),
    });
    try {
      await availability(pbx, true, 15_000);
      const ep = await pbx.media.answerOffer(phone.sdp());
      const since = Date.now();
      await ep.play({ stream: 'tone_stream://%(400,0,852)' });
      expect(dominantFrequency(phone.samplesSince(since).subarray(400))).toBeCloseTo(852, -2);
      await ep.destroy();
    } finally {
      await pbx.media.stop();
      await again.close();
    }
  });

  it('a wrong Event Socket password: unavailable, and the reason says so', async () => {
    const server = await startMediaServer({
      sip: { host: '127.0.0.1', port: 0 },
      esl: { host: '127.0.0.1', port: 0, password: 'right-password' },
      rtp: { portMin: 29000, portMax: 29099 },
    });
    const conn = new MediaConnection({
      srf: {},
      log: pino({ level: 'silent' }),
      target: () => ({ address: '127.0.0.1', port: server.esl.port, secret: 'wrong-password' }),
      retry: { firstMs: 50, maxMs: 200 },
    });
    try {
      conn.start();
      await expect(conn.waitUntilAvailable(1_000)).rejects.toThrow(/refused the password/);
      expect(conn.available).toBe(false);
      expect(conn.unavailableReason).toMatch(/refused the password \(media\.eslPassword\)/);
      await expect(conn.createOffer()).rejects.toBeInstanceOf(MediaUnavailableError);
    } finally {
      await conn.stop();
      await server.close();
    }
  });
});
