/**
 * Conference membership rules without audio: ids from 1, add-member before conference-create,
 * del-member on every leave, endconf hangs the rest up, conference-destroy exactly once.
 */
import type { Channel } from '../../src/channel/channel';
import { Conference } from '../../src/conference/conference';
import type { ServerContext } from '../../src/context';
import type { EslEvent } from '../../src/esl/event';
import type { ConferenceMixer, RtpSession } from '../../src/media/types';

function setup() {
  const events: EslEvent[] = [];
  let mixerClosed = 0;
  const mixer = {
    addMember: (session: RtpSession) => ({
      session,
      setMute: () => undefined,
      setDeaf: () => undefined,
    }),
    removeMember: () => undefined,
    close: () => {
      mixerClosed += 1;
    },
    stopRecording: () => Promise.resolve(undefined),
  } as unknown as ConferenceMixer;
  const ctx = {
    engine: { createMixer: () => mixer },
    identity: { coreUuid: 'core', hostname: 'h', ipv4: '127.0.0.1' },
    config: { sipAddress: '127.0.0.1' },
    fire: (e: EslEvent) => events.push(e),
  } as unknown as ServerContext;
  const hungUp: string[] = [];
  const channel = (uuid: string): Channel =>
    ({
      uuid,
      rtp: {} as RtpSession,
      vars: new Map<string, string>(),
      headers: () => [['Unique-ID', uuid]],
      hangup: (cause: string) => {
        hungUp.push(`${uuid} ${cause}`);
        return Promise.resolve();
      },
    }) as unknown as Channel;
  let gone = 0;
  const conf = new Conference(ctx, 'room', 'default', () => {
    gone += 1;
  });
  const actions = (): string[] =>
    events.map((e) => {
      const h = Object.fromEntries(e.headers);
      return `${h['Action']}${h['Member-ID'] ? ` ${h['Member-ID']}` : ''} size=${h['Conference-Size']}`;
    });
  return { conf, channel, actions, hungUp, mixerClosed: () => mixerClosed, gone: () => gone };
}

const flags = { mute: false, deaf: false, endconf: false, moderator: false };

describe('Conference', () => {
  it('numbers members from 1 and announces the joiner before conference-create', () => {
    const t = setup();
    expect(t.conf.add(t.channel('a'), { ...flags })?.id).toBe(1);
    expect(t.conf.add(t.channel('b'), { ...flags })?.id).toBe(2);
    expect(t.actions()).toEqual([
      'add-member 1 size=1',
      'conference-create size=1',
      'add-member 2 size=2',
    ]);
  });

  it('refuses joins when locked or full', () => {
    const t = setup();
    t.conf.maxMembers = 1;
    expect(t.conf.add(t.channel('a'), { ...flags })).toBeDefined();
    expect(t.conf.add(t.channel('b'), { ...flags })).toBeUndefined();
    t.conf.maxMembers = 0;
    t.conf.locked = true;
    expect(t.conf.add(t.channel('c'), { ...flags })).toBeUndefined();
  });

  it('ends the conference when an endconf member leaves: the rest hang up, destroy once', async () => {
    const t = setup();
    const ctl = t.conf.add(t.channel('ctl'), { ...flags, endconf: true })!;
    const m2 = t.conf.add(t.channel('m2'), { ...flags })!;
    t.conf.add(t.channel('m3'), { ...flags });
    m2.leaveWith('kick');
    expect(await m2.left).toEqual({ reason: 'kick', transferTo: undefined });
    ctl.leaveWith('hangup');
    expect(t.hungUp).toEqual(['m3 NORMAL_CLEARING']);
    expect(t.actions().filter((a) => a.startsWith('conference-destroy'))).toHaveLength(1);
    expect(t.actions()).toContain('kick-member 2 size=2');
    expect(t.actions().filter((a) => a.startsWith('del-member')).length).toBe(3);
    expect(t.mixerClosed()).toBe(1);
    expect(t.gone()).toBe(1);
  });
});
