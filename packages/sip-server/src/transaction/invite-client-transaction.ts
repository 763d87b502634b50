import type { SipRequest } from '../message/types';
import type { Destination } from '../transport/types';
import {
  ClientTransactionBase,
  type ClientTransactionContext,
  type ClientTransactionUser,
  type Retirement,
} from './client-transaction';
import {
  assertNever,
  cancel,
  start,
  type ClientEffect,
  type ClientEvent,
  type TerminationReason,
  type TransactionConfig,
} from './state-table';

/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, with RFC 6026's Accepted state).
 *
 * ```
 *                  start: transmit, A=T1 (UDP), B=64·T1
 *                               │
 *      timer A: transmit, A×2 ┌─▼───────┐ timer B, transport error ──────────────┐
 *                             │ calling │───────────────────────┐                │
 *                             └─┬───────┘ 300-699: ACK, pass up, D              │
 *                           1xx │ pass up, C                     ▼               │
 *                          ┌────▼───────┐ 300-699: ACK, ┌───────────┐ 300-699:   │
 *    1xx: pass up, C again │ proceeding ├──────────────►│ completed │ ACK again  │
 *    timer C: timeout      └────┬───────┘ pass up, D    └─────┬─────┘            │
 *                           2xx │ (also from calling)   timer D│                  │
 *                          ┌────▼─────┐                        ▼                  │
 *    2xx: pass up          │ accepted ├── timer M ─────► terminated ◄───────────┘
 *                          └──────────┘
 * ```
 */
export type InviteClientState =
  | { kind: 'calling'; interval: number }
  | { kind: 'proceeding'; timedOut: boolean }
  | { kind: 'completed' }
  | { kind: 'accepted' }
  | { kind: 'terminated'; reason: TerminationReason };

export function startInviteClient(cfg: TransactionConfig): [InviteClientState, ClientEffect[]] {
  const { t1 } = cfg.timers;
  const effects: ClientEffect[] = [{ type: 'transmit' }];
  // RFC 3261 17.1.1.2: timer A only for unreliable transports; timer B always.
  if (!cfg.reliable) effects.push(start('A', t1));
  effects.push(start('B', 64 * t1));
  return [{ kind: 'calling', interval: t1 }, effects];
}

export function nextInviteClient(
  s: InviteClientState,
  e: ClientEvent,
  _now: number,
  cfg: TransactionConfig,
): [InviteClientState, ClientEffect[]] {
  const { t1 } = cfg.timers;
  switch (s.kind) {
    case 'calling':
    case 'proceeding': {
      if (e.type === 'response') {
        const leaving = [cancel('A'), cancel('B'), cancel('C')];
        if (e.status < 200) {
          // RFC 3261 17.1.1.2: 1xx moves Calling to Proceeding and stops retransmissions;
          // RFC 3261 16.6/16.7: timer C restarts on each provisional.
          if (s.kind === 'proceeding' && s.timedOut) return [s, [{ type: 'passUp' }]];
          return [
            { kind: 'proceeding', timedOut: false },
            [cancel('A'), cancel('B'), start('C', cfg.timers.timerC), { type: 'passUp' }],
          ];
        }
        if (e.status < 300) {
          // RFC 6026 7.2: 2xx moves to Accepted; every 2xx goes up for 64·T1.
          return [{ kind: 'accepted' }, [...leaving, { type: 'passUp' }, start('M', 64 * t1)]];
        }
        // RFC 3261 17.1.1.2: non-2xx final: ACK, pass up, timer D (zero when reliable).
        if (cfg.reliable) {
          return [
            { kind: 'terminated', reason: 'completed' },
            [
              ...leaving,
              { type: 'sendAck' },
              { type: 'passUp' },
              { type: 'terminated', reason: 'completed' },
            ],
          ];
        }
        return [
          { kind: 'completed' },
          [...leaving, { type: 'sendAck' }, { type: 'passUp' }, start('D', cfg.timers.timerD)],
        ];
      }
      if (e.type === 'transportError') {
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('A'),
            cancel('B'),
            cancel('C'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      if (s.kind === 'calling') {
        if (e.timer === 'A') {
          // RFC 3261 17.1.1.2: timer A doubles each time (no T2 cap for INVITE).
          const interval = s.interval * 2;
          return [{ kind: 'calling', interval }, [{ type: 'transmit' }, start('A', interval)]];
        }
        if (e.timer === 'B') {
          return [
            { kind: 'terminated', reason: 'timeout' },
            [cancel('A'), { type: 'timeout' }, { type: 'terminated', reason: 'timeout' }],
          ];
        }
        return [s, []];
      }
      // Proceeding.
      if (e.timer === 'C' && !s.timedOut) {
        // The TU is told and sends CANCEL; if no final arrives within 64·T1 we give up
        // (RFC 3261 9.1) without telling the TU a second time.
        return [{ kind: 'proceeding', timedOut: true }, [{ type: 'timeout' }, start('B', 64 * t1)]];
      }
      if (e.timer === 'B' && s.timedOut) {
        return [
          { kind: 'terminated', reason: 'timeout' },
          [cancel('C'), { type: 'terminated', reason: 'timeout' }],
        ];
      }
      return [s, []];
    }
    case 'completed':
      if (e.type === 'response' && e.status >= 300) return [s, [{ type: 'sendAck' }]];
      if (e.type === 'timer' && e.timer === 'D') {
        return [
          { kind: 'terminated', reason: 'completed' },
          [{ type: 'terminated', reason: 'completed' }],
        ];
      }
      if (e.type === 'transportError') {
        return [
          { kind: 'terminated', reason: 'transportError' },
          [cancel('D'), { type: 'terminated', reason: 'transportError' }],
        ];
      }
      return [s, []];
    case 'accepted':
      if (e.type === 'response' && e.status >= 200 && e.status < 300)
        return [s, [{ type: 'passUp' }]];
      if (e.type === 'timer' && e.timer === 'M') {
        return [
          { kind: 'terminated', reason: 'completed' },
          [{ type: 'terminated', reason: 'completed' }],
        ];
      }
      return [s, []];
    case 'terminated':
      return [s, []];
    default:
      return assertNever(s);
  }
}

/** INVITE client transaction runner: see {@link nextInviteClient}. */
export class InviteClientTransaction extends ClientTransactionBase<InviteClientState> {
  constructor(
    branch: string,
    key: string,
    request: SipRequest,
    dest: Destination,
    config: TransactionConfig,
    user: ClientTransactionUser,
    ctx: ClientTransactionContext,
  ) {
    super(branch, key, request, dest, config, user, ctx, startInviteClient);
  }

  protected reduce(
    s: InviteClientState,
    e: ClientEvent,
    now: number,
    cfg: TransactionConfig,
  ): [InviteClientState, ClientEffect[]] {
    return nextInviteClient(s, e, now, cfg);
  }

  /** Accepted (timer M) and Completed (timer D, UDP only): see {@link nextInviteClient}. */
  protected retireAs(s: InviteClientState): Retirement | undefined {
    if (s.kind === 'accepted') return 'pass-2xx';
    if (s.kind === 'completed') return 'ack-again';
    return undefined;
  }

  /** RFC 3261 §9.1: a CANCEL may be sent once a provisional response has arrived. */
  cancelable(): boolean {
    return this.state === 'proceeding';
  }
}
