/**
 * The busy lamps' view of the call engine ({@link DialogSource}): a station's lamp lists its legs
 * (the station reducer's `dialogInfo`), shows DND and forward-all as busy when configured; a park
 * slot's lamp (watched as the retrieve code + slot) shows the parked call; a ring group's lamp
 * shows the calls to the group, ringing until a member answers.
 */
import { classify } from '@pbx/dialplan';
import type { CallRegistry } from '../engine/call-registry';
import type { LiveStations } from '../engine/live-stations';
import type { NumberPlanSource } from '../engine/number-plan';
import type { ParkedCall } from '../state/park-slots';
import { dialogInfo } from '../state/station-state';
import type { DialogElement } from '../sip/event-bodies';
import type { DialogSource } from './dialog-package';

/** Which settings light a station's lamp while it has no call. */
export interface BusyPolicy {
  readonly dndAsBusy: boolean;
  readonly forwardAllAsBusy: boolean;
}

export interface BlfSourceDeps {
  readonly stations: LiveStations;
  readonly registry: CallRegistry;
  readonly plan: NumberPlanSource;
  readonly parked: () => readonly ParkedCall[];
  readonly domain: () => string;
  readonly policy: () => BusyPolicy;
}

const PARK = 'park:';

/** The resource name of a park slot's lamp. */
export function parkResource(slot: string): string {
  return `${PARK}${slot}`;
}

export class BlfSource implements DialogSource {
  constructor(private readonly d: BlfSourceDeps) {}

  resolve(user: string): string | undefined {
    const plan = this.d.plan.plan();
    const c = classify(user, {
      codes: plan.codes,
      isStation: (n) => this.d.stations.has(n),
      isGroup: (n) => this.d.plan.group(n) !== undefined,
    });
    if (c.kind === 'station' || c.kind === 'group') return c.number;
    if (c.kind === 'feature' && c.feature === 'parkRetrieve' && c.arg !== undefined)
      return this.d.stations.has(c.arg) ? parkResource(c.arg) : undefined;
    return undefined;
  }

  entity(resource: string): string {
    const user = resource.startsWith(PARK)
      ? `${this.d.plan.plan().codes.parkRetrieve ?? ''}${resource.slice(PARK.length)}`
      : resource;
    return this.uri(user);
  }

  /** Whether the resource is a station (its lamp follows that station's reducer). */
  isStation(resource: string): boolean {
    return this.d.stations.has(resource);
  }

  dialogs(resource: string): DialogElement[] {
    if (resource.startsWith(PARK)) return this.parkDialogs(resource.slice(PARK.length));
    if (this.d.plan.group(resource)) return this.groupDialogs(resource);
    return this.stationDialogs(resource);
  }

  private uri(user: string): string {
    return `sip:${user}@${this.d.domain()}`;
  }

  private stationDialogs(tel: string): DialogElement[] {
    const s = this.d.stations.peek(tel);
    if (!s) return [];
    const local = { uri: this.uri(tel), ...optional('display', this.d.stations.displayName(tel)) };
    const out = dialogInfo(s).map((d): DialogElement => ({
      id: d.id,
      callId: d.callId,
      ...optional('localTag', d.localTag),
      ...optional('remoteTag', d.remoteTag),
      direction: d.direction,
      state: d.state,
      local,
      remote: { uri: this.uri(d.remote), ...optional('display', d.remoteDisplayName) },
    }));
    if (out.length > 0) return out;
    const policy = this.d.policy();
    const why =
      policy.dndAsBusy && s.settings.dnd
        ? 'dnd'
        : policy.forwardAllAsBusy && s.settings.forward?.type === 'all'
          ? 'forward'
          : undefined;
    if (!why) return [];
    // No call, but the station takes none: a confirmed dialog with itself lights the lamp steady.
    return [
      {
        id: `${why}-${tel}`,
        callId: `${why}-${tel}`,
        direction: 'initiator',
        state: 'confirmed',
        local,
        remote: local,
      },
    ];
  }

  private parkDialogs(slot: string): DialogElement[] {
    const p = this.d.parked().find((c) => c.slot === slot);
    if (!p) return [];
    const leg = this.d.registry.leg(p.legId);
    return [
      {
        id: p.legId,
        callId: leg?.sipIds.callId ?? p.callRef,
        ...optional('localTag', leg?.sipIds.localTag),
        ...optional('remoteTag', leg?.sipIds.remoteTag),
        direction: 'recipient',
        state: 'confirmed',
        local: { uri: this.entity(parkResource(slot)) },
        remote: { uri: this.uri(p.party) },
      },
    ];
  }

  private groupDialogs(group: string): DialogElement[] {
    return this.d.registry
      .all()
      .filter((c) => c.record.kind === 'group' && c.record.dialled === group && !c.aLeg.ended)
      .map((c): DialogElement => ({
        id: c.ref,
        callId: c.aLeg.sipIds.callId,
        ...optional('localTag', c.aLeg.sipIds.localTag),
        ...optional('remoteTag', c.aLeg.sipIds.remoteTag),
        direction: 'recipient',
        state: c.record.answeredAt === null ? 'early' : 'confirmed',
        local: { uri: this.uri(group) },
        remote: {
          uri: this.uri(c.record.caller.number),
          ...optional('display', c.record.caller.displayName),
        },
      }));
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
