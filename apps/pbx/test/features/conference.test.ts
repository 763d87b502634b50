/**
 * Conference (46) without a media server, on a fake SIP port: the code still answers 480 and
 * the held call stays exactly as it was (the log says why); the conference runner needs media
 * for everything else (integration tests: calls-conference, conference-audio).
 */
import { phoneSdp } from './fake-sip-port';
import { connected, h, useEngine } from './engine-test-setup';
import { until } from './harness';

useEngine();

describe('conference without a media server', () => {
  test('46 answers 480 and leaves the held call as it was', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const reinvites = callee.reinvites.length;
    const code = h.sip.call('201', '46');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(caller.byeSent).toBe(false);
    expect(callee.connected).toBe(true);
    expect(callee.reinvites).toHaveLength(reinvites);
    expect(h.env.registry.heldCalls('201')).toEqual([expect.objectContaining({ party: '202' })]);
    expect(h.features.conferences.list()).toEqual([]);
  });

  test('a room number answers 480', async () => {
    const room = h.sip.call('203', '805');
    await until('the room call answered', () => room.final !== undefined);
    expect(room.final).toBe(480);
  });
});
