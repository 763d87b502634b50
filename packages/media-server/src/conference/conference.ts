/**
 * One conference (mod_conference as fsmrf uses it, spec §3.8): members with ids from 1, the
 * engine's mixer, `conference::maintenance` events, endconf, lock and max_members.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../context';
import type { Channel } from '../channel/channel';
import { standardHeaders } from '../esl/event';
import type { HeaderList } from '../esl/frames';
import type { ConferenceMixer, MixerMember } from '../media/types';

export interface MemberFlags {
  mute: boolean;
  deaf: boolean;
  endconf: boolean;
  moderator: boolean;
}

export type LeaveReason = 'hangup' | 'kick' | 'hup' | 'transfer' | 'end';

export interface Member {
  readonly id: number;
  readonly ch: Channel;
  readonly flags: MemberFlags;
  readonly mixer: MixerMember;
  /** Resolves the conference app of this member (with where to go next on transfer). */
  readonly left: Promise<{ reason: LeaveReason; transferTo?: string }>;
  leaveWith(reason: LeaveReason, transferTo?: string): void;
}

export class Conference {
  readonly uuid = randomUUID();
  readonly members = new Map<number, Member>();
  readonly mixer: ConferenceMixer;
  readonly createdAt = Date.now();
  readonly recordings = new Set<string>();
  locked = false;
  maxMembers = 0;
  endGraceTime = 0;
  private nextId = 1;
  private ended = false;
  private destroyed = false;

  constructor(
    private readonly ctx: ServerContext,
    readonly name: string,
    readonly profile: string,
    private readonly onEmpty: (c: Conference) => void,
  ) {
    this.mixer = ctx.engine.createMixer();
  }

  get size(): number {
    return this.members.size;
  }

  /** Fires a `conference::maintenance` event; member events carry the member's channel data. */
  fire(action: string, member?: Member, extra: HeaderList = []): void {
    const h: HeaderList = [
      ...standardHeaders('CUSTOM', this.ctx.identity, 'conference::maintenance'),
      ['Conference-Name', this.name],
      ['Conference-Domain', this.ctx.config.sipAddress],
      ['Conference-Size', String(this.size)],
      ['Conference-Ghosts', '0'],
      ['Conference-Profile-Name', this.profile],
      ['Conference-Unique-ID', this.uuid],
    ];
    if (member) {
      h.push(
        ['Floor', 'false'],
        ['Video', 'false'],
        ['Hear', String(!member.flags.deaf)],
        ['See', 'true'],
        ['Speak', String(!member.flags.mute)],
        ['Talking', 'false'],
        ['Mute-Detect', 'false'],
        ['Hold', 'false'],
        ['Member-ID', String(member.id)],
        ['Member-Type', member.flags.moderator ? 'moderator' : 'member'],
        ['Member-Ghost', 'false'],
        ['Energy-Level', '100'],
        ['Current-Energy', '0'],
        ...member.ch.headers(true),
      );
    }
    h.push(['Action', action], ...extra);
    this.ctx.fire({ name: 'CUSTOM', subclass: 'conference::maintenance', headers: h });
  }

  /** Adds a channel; undefined when the conference is locked or full. */
  add(ch: Channel, flags: MemberFlags): Member | undefined {
    if (this.ended || this.locked || (this.maxMembers > 0 && this.size >= this.maxMembers))
      return undefined;
    let settle: (v: { reason: LeaveReason; transferTo?: string }) => void = () => undefined;
    const left = new Promise<{ reason: LeaveReason; transferTo?: string }>((resolve) => {
      settle = resolve;
    });
    const mixerMember = this.mixer.addMember(ch.rtp, { mute: flags.mute, deaf: flags.deaf });
    const id = this.nextId++;
    const member: Member = {
      id,
      ch,
      flags,
      mixer: mixerMember,
      left,
      leaveWith: (reason, transferTo) => this.remove(member, reason, transferTo, settle),
    };
    const first = this.size === 0;
    this.members.set(id, member);
    ch.membership = { leave: (reason) => member.leaveWith(reason) };
    // The joiner's add-member goes out before anything else of the join (spec §6.2).
    this.fire('add-member', member);
    if (first) this.fire('conference-create');
    return member;
  }

  private remove(
    member: Member,
    reason: LeaveReason,
    transferTo: string | undefined,
    settle: (v: { reason: LeaveReason; transferTo?: string }) => void,
  ): void {
    if (!this.members.has(member.id)) return;
    this.members.delete(member.id);
    this.mixer.removeMember(member.mixer);
    if (member.ch.membership) member.ch.membership = undefined;
    if (reason === 'kick') this.fire('kick-member', member);
    if (reason === 'hup') this.fire('hup-member', member);
    this.fire('del-member', member);
    settle({ reason, transferTo });
    if (member.flags.endconf && !this.ended) this.end();
    if (this.size === 0) this.destroy();
  }

  /** endconf: every remaining member's channel is hung up (mod_conference.c L785–805). */
  end(): void {
    this.ended = true;
    for (const m of [...this.members.values()]) {
      m.leaveWith('end');
      if (m.ch.vars.get('hangup_after_conference') !== 'false') void m.ch.hangup('NORMAL_CLEARING');
    }
  }

  private destroy(): void {
    // Reached again when the last member of an ended conference leaves inside end().
    if (this.destroyed || this.size > 0) return;
    this.destroyed = true;
    this.ended = true;
    for (const file of this.recordings) void this.mixer.stopRecording(file).catch(() => undefined);
    this.recordings.clear();
    this.fire('conference-destroy');
    this.mixer.close();
    this.onEmpty(this);
  }

  /** `id`, `all`, `last`, `non_moderator` → members. */
  select(target: string | undefined): Member[] {
    const all = [...this.members.values()];
    if (target === undefined || target === 'all') return all;
    if (target === 'last') return all.length > 0 ? [all[all.length - 1]!] : [];
    if (target === 'non_moderator') return all.filter((m) => !m.flags.moderator);
    const m = this.members.get(Number(target));
    return m ? [m] : [];
  }
}
