/**
 * Feeds the event hub, the metrics and the SIP trace from the engine's own events: the call
 * registry (call state), the station reducer's effects (lamps, DND, forward: what BLF follows),
 * the registrar's binding changes, the message relay and the call-record writer. The engine
 * knows nothing of HTTP; these are its public listener hooks.
 */
import type { Call, CallRef, Leg } from '../engine/call-registry';
import type { EventHub } from './event-hub';
import type { HttpDeps } from './http-context';
import type { PbxMetrics } from './metrics';
import type { SipTrace } from './sip-trace';
import { callView, contactView } from './views';

/** The SIP Call-IDs seen in each recent call (for its ladder), bounded. */
export class CallIds {
  private readonly byRef = new Map<string, Set<string>>();
  /**
   * The refs in the order they were first noted, as a ring: the oldest is forgotten without
   * walking the map from its front (where forgotten refs leave holes until the map is rebuilt).
   */
  private readonly order: string[] = [];
  private oldest = 0;
  constructor(private readonly max = 500) {}

  note(ref: string, callId: string): void {
    if (!callId) return;
    let set = this.byRef.get(ref);
    if (!set) {
      if (this.byRef.size >= this.max) {
        const gone = this.order[this.oldest];
        if (gone !== undefined) this.byRef.delete(gone);
      }
      set = new Set();
      this.byRef.set(ref, set);
      if (this.order.length < this.max) this.order.push(ref);
      else {
        this.order[this.oldest] = ref;
        this.oldest = (this.oldest + 1) % this.max;
      }
    }
    set.add(callId);
  }

  of(ref: string): string[] {
    return [...(this.byRef.get(ref) ?? [])];
  }
}

/** Starts feeding; returns a function that stops what can be stopped (the SIP observer). */
export function feedLiveSources(
  deps: HttpDeps,
  hub: EventHub,
  metrics: PbxMetrics,
  trace: SipTrace,
  callIds: CallIds,
): () => void {
  const { calls, registrar, messages, ctx } = deps;
  const registry = calls.env.registry;
  const log = ctx.log.child({ component: 'http-events' });
  const guard = (what: string, f: () => void): void => {
    try {
      f();
    } catch (err) {
      log.error({ err, what }, 'event not published');
    }
  };

  hub.onPublished((topic) => metrics.event(topic));

  // Calls: coalesced per tick, so the several changes of one SIP event make one message, and
  // each call's view is built once per tick, when it is published, not at every change.
  // `removed`: the call left the registry in this tick (its last message says `ended`).
  const pending = new Map<string, { call: Call; removed: boolean }>();
  // The live calls already told, so their end can be told (with their parties) once removed.
  const known = new Map<string, Call>();
  let scheduled = false;
  const publishPending = (): void => {
    scheduled = false;
    const batch = [...pending.values()];
    pending.clear();
    // No client follows calls: nothing is built, only counted and remembered as told.
    if (!hub.wants('calls')) {
      for (const { call, removed } of batch) {
        if (removed || call.ended) known.delete(call.ref);
        else known.set(call.ref, call);
        hub.count('calls');
      }
      return;
    }
    for (const { call, removed } of batch)
      guard('call', () => {
        const view = callView(call);
        if (removed) view.state = 'ended';
        if (view.state === 'ended') known.delete(call.ref);
        else known.set(call.ref, call);
        const stations = new Set<string>();
        if (view.caller.station) stations.add(view.caller.station);
        if (view.callee) stations.add(view.callee);
        for (const l of view.legs) if (l.station) stations.add(l.station);
        hub.publish('calls', 'call', view, [...stations]);
      });
  };
  const noteLeg = (ref: CallRef, leg: Leg | undefined): void => {
    if (leg?.sipIds.callId) callIds.note(ref, leg.sipIds.callId);
  };
  // Several changes per SIP event and per call: no closure, array or pending record per change
  // when the call is already pending as it is.
  registry.onChange((ref: CallRef) => {
    try {
      const call = registry.call(ref);
      const queued = pending.get(ref);
      if (call) {
        noteLeg(ref, call.aLeg);
        noteLeg(ref, call.bLeg);
        for (const leg of call.attempts) noteLeg(ref, leg);
        if (queued === undefined || queued.call !== call || queued.removed)
          pending.set(ref, { call, removed: false });
      } else {
        // Removed: told as ended, unless it never was told (nor is about to be) or was told
        // ended already (a leg untracked after its call was removed changes nothing more).
        const last = queued?.call ?? known.get(ref);
        known.delete(ref);
        if (!last) return;
        if (queued === undefined || queued.call !== last || !queued.removed)
          pending.set(ref, { call: last, removed: true });
      }
    } catch (err) {
      log.error({ err, what: 'call' }, 'event not published');
      return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(publishPending);
  });

  // Lamps, DND, forward, status: what a contact list shows. A call changes its stations several
  // times in one SIP event (leg added, ringing, ...): each station's contact is built and told
  // once per tick, as it stands then.
  const changedStations = new Set<string>();
  const publishStations = (): void => {
    const tels = [...changedStations];
    changedStations.clear();
    if (!hub.wants('presence')) {
      for (const tel of tels) if (calls.stations.row(tel)) hub.count('presence');
      return;
    }
    for (const tel of tels)
      guard('presence', () => {
        const row = calls.stations.row(tel);
        if (row)
          hub.publish('presence', 'contact', contactView(row, calls.stations.peek(tel)), [tel]);
      });
  };
  calls.stations.onStationEffect((tel) => {
    if (changedStations.size === 0) setImmediate(publishStations);
    changedStations.add(tel);
  });

  registrar.lookup.onChange((tel) =>
    guard('registration', () => {
      if (!hub.wants('registrations')) {
        hub.count('registrations');
        return;
      }
      const now = ctx.now();
      const contacts = registrar.bindings.live(tel, now).length;
      hub.publish('registrations', 'registration', { tel, registered: contacts > 0, contacts }, [
        tel,
      ]);
    }),
  );

  // Group messages go to every member (the relay names them); one-to-one to both stations.
  messages.relay.onStored((m, audience) =>
    guard('message', () => hub.publish('messages', 'message', m, audience)),
  );

  calls.env.cdr.onWritten((r) =>
    guard('record', () => {
      metrics.callAttempt(r.disposition);
      const stations = [r.callerTel, r.calleeTel].filter((t): t is string => !!t);
      hub.publish('records', 'record', r, stations);
    }),
  );

  const stopTraffic = deps.sipTraffic?.((direction, data, peer) => {
    const entry = trace.add(direction, data, peer);
    if (entry) metrics.sipMessage(direction, entry.method, entry.status);
  });
  return () => stopTraffic?.();
}
