/**
 * The JSON shapes the API and the event stream send: live calls, a station's live state as a
 * contact sees it, registrations. Pure functions of engine objects (http → engine, never back).
 */
import type { Registration, Station } from '@pbx/store';
import type { Call, Leg } from '../engine/call-registry';
import { presence, type StationState } from '../state/station-state';

/** One leg of a live call. */
export interface LegView {
  id: string;
  number: string;
  station?: string;
  name?: string;
  role: 'uas' | 'uac';
  state: 'trying' | 'ringing' | 'answered' | 'ended';
}

/** A live call. */
export interface CallView {
  ref: string;
  kind: string;
  dialled: string;
  caller: { number: string; station?: string; name?: string };
  callee: string | null;
  /** `ringing` until a b-leg answered, then `connected`; `ended` in the last event. */
  state: 'ringing' | 'connected' | 'ended';
  startedAt: number;
  answeredAt: number | null;
  legs: LegView[];
}

function legView(leg: Leg): LegView {
  return {
    id: leg.id,
    number: leg.party.number,
    ...(leg.party.station ? { station: leg.party.station } : {}),
    ...(leg.party.displayName ? { name: leg.party.displayName } : {}),
    role: leg.role,
    state: leg.state.kind,
  };
}

export function callView(call: Call): CallView {
  const legs = [call.aLeg, call.bLeg, ...call.attempts].filter(
    (l): l is Leg => l !== undefined && l.callRef === call.ref,
  );
  const caller = call.record.caller;
  return {
    ref: call.ref,
    kind: call.record.kind,
    dialled: call.record.dialled,
    caller: {
      number: caller.number,
      ...(caller.station ? { station: caller.station } : {}),
      ...(caller.displayName ? { name: caller.displayName } : {}),
    },
    callee: call.record.callee,
    state: call.ended ? 'ended' : call.connection ? 'connected' : 'ringing',
    startedAt: call.record.startedAt,
    answeredAt: call.record.answeredAt,
    legs: [...new Set(legs)].map(legView),
  };
}

/** True when the call involves station `tel` (as caller, callee or one of its legs). */
export function callInvolves(call: CallView, tel: string): boolean {
  return (
    call.caller.station === tel || call.callee === tel || call.legs.some((l) => l.station === tel)
  );
}

/** A station as a colleague sees it: number, name, lamp, availability and status text. */
export interface ContactView {
  tel: string;
  name: string;
  registered: boolean;
  /** The busy lamp: `idle` off, `ringing` flashing, `busy` steady. */
  lamp: 'idle' | 'ringing' | 'busy';
  dnd: boolean;
  /** The forward in force, if any (`all`, `busy`, `noAnswer`, `busyNoAnswer`). */
  forward: { type: string; target: string } | null;
  statusText: string;
}

export function contactView(row: Station, live: StationState | undefined): ContactView {
  const p = live ? presence(live) : 'idle';
  return {
    tel: row.tel,
    name: row.name,
    registered: live?.registered ?? false,
    lamp: p === 'idle' ? 'idle' : p === 'early' ? 'ringing' : 'busy',
    dnd: row.dnd,
    forward: forwardOf(row),
    statusText: row.statusText,
  };
}

/**
 * The one call forward a station has (the router reads it the same way); a forward to the station
 * itself is to its mailbox, shown as target `voicemail`.
 */
export function forwardOf(row: Station): { type: string; target: string } | null {
  const f = (type: string, target: string) => ({
    type,
    target: target === row.tel ? 'voicemail' : target,
  });
  if (row.forwardAll) return f('all', row.forwardAll);
  if (row.forwardBusy) return f('busy', row.forwardBusy);
  if (row.forwardNoAnswer) return f('noAnswer', row.forwardNoAnswer);
  if (row.forwardBusyNoAnswer) return f('busyNoAnswer', row.forwardBusyNoAnswer);
  return null;
}

/** A station's full settings for the administrator (never a password). */
export function stationView(s: Station): Record<string, unknown> {
  return { ...s, password: 'set' };
}

/** One live registration (a row of the SIP Phone Status board). */
export interface RegistrationView {
  tel: string;
  contact: string;
  sourceIp: string;
  sourcePort: number;
  protocol: string;
  userAgent: string;
  expiresAt: number;
}

export function registrationView(r: Registration): RegistrationView {
  return {
    tel: r.tel,
    contact: r.contact,
    sourceIp: r.sourceIp,
    sourcePort: r.sourcePort,
    protocol: r.protocol,
    userAgent: r.userAgent,
    expiresAt: r.expiresAt,
  };
}
