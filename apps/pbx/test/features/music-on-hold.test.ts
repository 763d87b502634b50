/**
 * Music on hold, park music and ringback on a fake SIP port and a fake media port: who is
 * re-INVITEd onto a media-server endpoint, with what, and when the endpoint is let go.
 */
import { isHearing, hearWhileWaiting, musicOnHold, RINGBACK } from '../../src/engine/waiting-media';
import { FakeMediaPort } from './fake-media-port';
import { phoneSdp } from './fake-sip-port';
import { advance, connected, h, useEngine } from './engine-test-setup';
import { settle, until } from './harness';

useEngine();

let media: FakeMediaPort;

beforeEach(() => {
  media = new FakeMediaPort();
  Object.assign(h.env, { media });
  h.env.hooks.onMediaIdle = (call) => musicOnHold(h.env, call);
  h.env.hooks.waiting = (leg, sound, why) => hearWhileWaiting(h.env, leg, sound, why);
});

const calleeLeg = () => {
  const call = h.env.registry.all()[0]!;
  return call.bLeg!;
};

describe('music on hold', () => {
  test('tone source system: the held party is re-INVITEd onto a looping endpoint; resume takes it back and hangs the endpoint up', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await until('the held party on the media server', () => callee.reinvites.length === 2);
    // First the relayed hold, then the media server's offer.
    expect(callee.reinvites[0]).toContain('a=sendonly');
    expect(callee.reinvites[1]).toContain('c=IN IP4 127.0.0.9');
    expect(callee.reinvites[1]).toContain('a=sendrecv');
    const [ep] = media.endpoints;
    await until('the endpoint completed and playing', () => (ep?.played.length ?? 0) === 1);
    expect(ep!.modified).toEqual([callee.remoteSdp]);
    expect(ep!.played[0]).toEqual({ source: { file: 'hold-music.wav' }, loop: true });
    expect(isHearing(calleeLeg(), 'music')).toBe(true);

    const reply = await caller.phoneReinvite(phoneSdp('201', 'sendrecv'));
    expect(reply.answer).toContain('a=sendrecv');
    // The resume goes straight to the held phone with the holder's SDP: off the media server.
    expect(callee.reinvites).toHaveLength(3);
    expect(callee.reinvites[2]).toContain('o=201');
    expect(callee.reinvites[2]).not.toContain('127.0.0.9');
    expect(ep!.ended).toBe(true);
    expect(media.live()).toEqual([]);
  });

  test('the configured hold music is played', async () => {
    h.env.config.media.holdMusic = '/srv/music/ours.wav';
    const { caller } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await until('playing', () => (media.endpoints[0]?.played.length ?? 0) === 1);
    expect(media.endpoints[0]!.played[0]!.source).toEqual({ file: '/srv/music/ours.wav' });
  });

  test('tone source phone: the hold is only relayed, no media-server endpoint', async () => {
    await h.stations(['207'], { toneSource: 'phone' });
    const invite = h.sip.call('207', '202');
    await settle();
    const callee = h.sip.to('202')[0]!.answer();
    await settle();
    await invite.dialog!.phoneReinvite(phoneSdp('207', 'sendonly'));
    await settle();
    expect(callee.reinvites).toHaveLength(1);
    expect(media.endpoints).toEqual([]);
  });

  test('media server unavailable: the hold is only relayed and the reason is known', async () => {
    media.available = false;
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await settle();
    expect(callee.reinvites).toHaveLength(1);
    expect(media.endpoints).toEqual([]);
  });

  test('the held party hangs up while on the music: the endpoint is hung up', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await until('on the music', () => (media.endpoints[0]?.played.length ?? 0) === 1);
    callee.hangUp();
    await settle();
    expect(media.live()).toEqual([]);
  });

  test('a parked party hears the music until retrieved', async () => {
    await h.stations(['208'], { toneSource: 'phone' });
    const invite = h.sip.call('208', '202');
    await settle();
    const callee = h.sip.to('202')[0]!.answer();
    await settle();
    await invite.dialog!.phoneReinvite(phoneSdp('208', 'sendonly'));
    await settle();
    expect(media.endpoints).toEqual([]); // tone source phone: no music while only held
    const code = h.sip.call('208', '11208');
    await until('parked', () => code.final !== undefined);
    await until(
      'the parked party on the music',
      () => (media.endpoints[0]?.played.length ?? 0) === 1,
    );
    expect(callee.reinvites.at(-1)).toContain('127.0.0.9');
    const retriever = h.sip.call('203', '12208');
    await until('retrieved', () => retriever.final !== undefined);
    expect(retriever.final).toBe(200);
    expect(callee.reinvites.at(-1)).toContain('o=203');
    expect(media.live()).toEqual([]);
  });

  test('a parked party that re-INVITEs with another port: the music endpoint takes the new offer', async () => {
    await h.stations(['208'], { toneSource: 'phone' });
    const invite = h.sip.call('208', '202');
    await settle();
    const callee = h.sip.to('202')[0]!.answer();
    await settle();
    await invite.dialog!.phoneReinvite(phoneSdp('208', 'sendonly'));
    const code = h.sip.call('208', '11208');
    await until('parked', () => code.final !== undefined);
    await until(
      'the parked party on the music',
      () => (media.endpoints[0]?.played.length ?? 0) === 1,
    );
    const [ep] = media.endpoints;
    const moved = phoneSdp('202').replace(/m=audio \d+/, 'm=audio 4998');
    expect(ep!.modified).not.toContain(moved);
    const reply = await callee.phoneReinvite(moved);
    // Answered from the endpoint (the media server's address), which was given the new offer.
    expect(reply.answer).toContain('c=IN IP4 127.0.0.9');
    expect(ep!.modified.at(-1)).toBe(moved);
    expect(ep!.modified).toHaveLength(2);
    expect(ep!.ended).toBe(false);
    expect(media.live()).toEqual([ep]);
  });

  test('a parked party hears the music until the park recall is answered', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const code = h.sip.call('201', '11201');
    await until('parked', () => code.final !== undefined);
    await until('on the music', () => (media.endpoints[0]?.played.length ?? 0) === 1);
    // Still the hold's endpoint: parking does not restart the music.
    expect(media.endpoints).toHaveLength(1);
    await advance(h.config.features.parkRecallTime * 1000);
    const recall = h.sip.to('201').at(-1)!;
    expect(media.live()).toHaveLength(1); // music while the recall rings
    recall.answer(phoneSdp('201'));
    await until('reconnected', () => (callee.reinvites.at(-1) ?? '').includes('o=201'));
    expect(media.live()).toEqual([]);
  });

  test('a blind-transferred party hears ringback while the target rings; the answer takes it off', async () => {
    const { caller, callee } = await connected();
    expect(await caller.phoneRefer('<sip:203@pbx.local>')).toBe(202);
    await settle();
    const [target] = h.sip.to('203');
    expect(media.endpoints).toEqual([]);
    target!.ring();
    await until('ringback playing', () => (media.endpoints[0]?.played.length ?? 0) === 1);
    expect(media.endpoints[0]!.played[0]).toEqual({ source: RINGBACK, loop: true });
    expect(callee.reinvites.at(-1)).toContain('127.0.0.9');
    target!.answer(phoneSdp('203'));
    await until('connected to 203', () => (callee.reinvites.at(-1) ?? '').includes('o=203'));
    expect(media.live()).toEqual([]);
  });

  test('the transfer fails: off the ringback and back to the original call', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    await until('on the music', () => (media.endpoints[0]?.played.length ?? 0) === 1);
    expect(await caller.phoneRefer('<sip:203@pbx.local>')).toBe(202);
    await settle();
    const [target] = h.sip.to('203');
    target!.ring();
    // Same endpoint: the hold music gives way to ringback.
    await until('ringback', () => media.endpoints[0]!.played.length === 2);
    expect(media.endpoints).toHaveLength(1);
    expect(media.endpoints[0]!.played[1]!.source).toEqual(RINGBACK);
    const before = callee.reinvites.length;
    target!.refuse(486);
    // Back to the original call's media (the holder's SDP, still on hold), then the hold music
    // again on a new endpoint.
    await until('music again', () => (media.endpoints[1]?.played.length ?? 0) === 1);
    const after = callee.reinvites.slice(before);
    expect(after).toHaveLength(2);
    expect(after[0]).toContain('o=201');
    expect(after[0]).toContain('a=sendonly');
    expect(after[1]).toContain('127.0.0.9');
    expect(media.endpoints[0]!.ended).toBe(true);
    expect(media.endpoints[1]!.played[0]!.source).toEqual({ file: 'hold-music.wav' });
  });
});
