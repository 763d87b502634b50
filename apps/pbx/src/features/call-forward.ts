/**
 * Call forward on the wire. Routing (state/routing.ts) decides where a call goes, following
 * forward all / busy / unreachable at once and arming no-answer; this module writes the
 * `Diversion` headers (RFC 5806) of the forwarded INVITE and continues the chain when the
 * no-answer timer fires. The forward settings themselves are set by the 600-604 feature codes
 * (state/features/call-forward.ts) or `pbx ext set`.
 */
import { formatDiversion, routeNoAnswer, type Diversion, type Route } from '../state/routing';
import type { CallEnv } from './call-env';
import type { Call, Leg } from './call-registry';
import { releaseLeg } from './call-setup';

/**
 * The `Diversion` header of a forwarded INVITE: one value per forward, most recent first
 * (RFC 5806 §4), each naming the station that forwarded and why.
 */
export function diversionHeaders(diversions: readonly Diversion[], domain: string): Record<string, string> {
  if (diversions.length === 0) return {};
  return { Diversion: diversions.map((d) => formatDiversion(d, domain)).join(', ') };
}

/** The station whose forward sent the call on last (the newest diversion), for the call record. */
export function lastDiversion(diversions: readonly Diversion[]): { forwardedFrom: string | null; forwardReason: Diversion['reason'] | null } {
  const d = diversions[0];
  return d ? { forwardedFrom: d.from, forwardReason: d.reason } : { forwardedFrom: null, forwardReason: null };
}

/**
 * Arms call forward no answer for a ringing leg: after the station's no-answer time the leg is
 * cancelled and the call continues along the chain (`follow` rings the next station or rejects).
 */
export function armNoAnswer(
  env: CallEnv,
  call: Call,
  route: Extract<Route, { kind: 'ring' }>,
  leg: Leg,
  follow: (next: Route) => void,
): void {
  const noAnswer = route.noAnswer;
  if (!noAnswer) return;
  call.setTimer('noAnswer', noAnswer.afterMs, () => {
    if (call.ended || call.connection || leg.ended) return;
    env.log.info({ callRef: call.ref, station: route.station, to: noAnswer.forwardTo }, 'no answer: forwarding');
    releaseLeg(env, leg);
    call.attempts.delete(leg);
    follow(routeNoAnswer(route, env.stations.lookup));
  });
}
