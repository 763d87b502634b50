/**
 * The prepaid warning tone, heard: a station with a prepaid balance for 5 s calls out through
 * Kamailio to a sipp gateway; 3 s before the cut (`trunks.prepaidWarning`) the PBX re-INVITEs the
 * station onto the embedded media server, which plays two 1 kHz beeps, then re-INVITEs it back to
 * the provider; the call is cut when the balance is spent. The station's audio goes to a test RTP
 * socket, decoded and checked by frequency and by when it came.
 */
import { dominantFrequency, rms } from '../../../../packages/media-server/test/helpers/audio';
import { expectPhoneOk, findReceived, received } from '../helpers/calls-harness';
import { startRtpPhone } from '../helpers/rtp-phone';
import { NUMBER, mainTrunk, records, world } from '../helpers/trunk-world';

jest.setTimeout(90_000);

describe('prepaid warning tone', () => {
  it('beeps 1 kHz at the station 3 s before the cut, then the call goes on until the cut', async () => {
    await using w = await world('uas-gateway-answer.xml', 'uas-gateway-answer.xml', (c) => {
      c.trunks.prepaidWarning = 3;
    });
    await mainTrunk(w);
    const store = w.h.pbx.ctx.store;
    // 0.60 a minute, per second: 0.05 pays exactly 5 s.
    await store.billing.replaceRates([
      { prefix: '03', perMinute: 600_000, minSeconds: 0, incrementSeconds: 1, setupFee: 0 },
    ]);
    await store.billing.createAccount({ id: '201', kind: 'prepaid' });
    await store.billing.post('201', 50_000, { note: 'top-up' });
    await w.h.station('201');
    await w.h.pbx.media.waitUntilAvailable(10_000);
    const rtp = await startRtpPhone();
    try {
      const r = await w.h.call(
        '201',
        `9${NUMBER}`,
        'uac-invite-200-warning-reinvites-recv-bye.xml',
        { keys: { rtpport: String(rtp.port) }, timeoutMs: 20_000 },
      );
      expectPhoneOk(r, 'station 201 (warning re-INVITEs, then cut)');
      expectPhoneOk(await w.gwA.done, 'gateway A (BYE from the PBX)');
      const reinvites = received(r).filter((m) => m.startsWith('INVITE '));
      expect(reinvites).toHaveLength(2);
      // Back to the provider: the second re-INVITE carries the gateway's SDP.
      expect(reinvites[1]).toMatch(/^o=gw /m);
      expect(findReceived(r, /^BYE /)).toBeDefined();

      const cut = (await records(w.h)).find((c) => c.callerTel === '201');
      expect(cut).toMatchObject({ disposition: 'answered', account: '201', charge: 50_000 });
      expect(cut?.note).toContain('prepaid balance spent');
      const answerAt = cut?.answerAt ?? 0;
      const talk = (cut?.endAt ?? 0) - answerAt;
      expect(talk).toBeGreaterThanOrEqual(5_000);
      expect(talk).toBeLessThan(5_600);

      // The only audio the station's socket got is the media server's tone.
      const first = rtp.packets.find((p) => p.pt === 0);
      expect(first).toBeDefined();
      const startsAfter = (first?.at ?? 0) - answerAt;
      expect(startsAfter).toBeGreaterThanOrEqual(1_900);
      expect(startsAfter).toBeLessThan(3_500);
      const samples = rtp.samplesSince(first?.at ?? 0);
      // Two 300 ms beeps with a 200 ms gap, at least.
      expect(samples.length).toBeGreaterThanOrEqual(0.8 * 8000);
      expect(rms(samples)).toBeGreaterThan(500);
      expect(Math.abs(dominantFrequency(samples) - 1000)).toBeLessThanOrEqual(25);
      // And it stopped before the cut (the station went back to the provider).
      const last = rtp.packets.filter((p) => p.pt === 0).at(-1);
      expect((last?.at ?? 0) - answerAt).toBeLessThan(talk);
    } finally {
      await rtp.close();
    }
  });
});
