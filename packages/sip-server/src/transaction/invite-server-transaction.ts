import type { SipRequest } from '../message/types';
import type { ReceiveInfo } from '../transport/types';
import { ServerTransactionBase, type ServerTransactionContext } from './server-transaction';
import {
  assertNever,
  cancel,
  invalid,
  start,
  type ServerEffect,
  type ServerEvent,
  type TerminationReason,
  type TransactionConfig,
} from './state-table';

/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with RFC 6026's Accepted state).
 *
 * ```
 *                       INVITE arrives (TU may send 100 at once)
 *                               │ guard=C
 *  INVITE again: retransmit ┌───▼────────┐ guard: timeout
 *  TU 1xx: send             │ proceeding ├────────────────────────────┐
 *                           └─┬────────┬─┘                            │
 *          TU 300-699: send,  │        │ TU 2xx: send, G=T1 (UDP), L=64·T1
 *          G=T1 (UDP), H=64·T1│        │                            │
 *  timer G: retransmit ┌──────▼────┐ ┌─▼────────┐ timer G: retransmit │
 *  INVITE: retransmit  │ completed │ │ accepted │ first ACK: pass up, │
 *                      └─┬───────┬─┘ └────┬─────┘ stop G; timer L:   │
 *                    ACK │ I=T4  │timer H │ ackTimeout if no ACK    │
 *                  ┌─────▼─────┐ │        │                         │
 *                  │ confirmed │ │        │                         │
 *                  └─────┬─────┘ │        │                         │
 *                timer I ▼       ▼        ▼                         ▼
 *                               terminated
 * ```
 * @NOTE not RFC compliant: RFC 3261 leaves 2xx retransmission to the TU and RFC 6026's Accepted
 * state only absorbs; here the transaction retransmits the 2xx (T1 doubling to T2, UDP only) until
 * the ACK arrives, and reports `ackTimeout` after 64·T1 without one, as drachtio-server does.
 */
export type InviteServerState =
  | { kind: 'proceeding' }
  | { kind: 'completed'; interval: number }
  | { kind: 'confirmed' }
  | { kind: 'accepted'; interval: number; acked: boolean }
  | { kind: 'terminated'; reason: TerminationReason };

export function startInviteServer(cfg: TransactionConfig): [InviteServerState, ServerEffect[]] {
  return [{ kind: 'proceeding' }, [start('guard', cfg.timers.timerC)]];
}

export function nextInviteServer(
  s: InviteServerState,
  e: ServerEvent,
  _now: number,
  cfg: TransactionConfig,
): [InviteServerState, ServerEffect[]] {
  const { t1, t2, t4 } = cfg.timers;
  switch (s.kind) {
    case 'proceeding':
      if (e.type === 'respond') {
        if (e.status < 200) return [s, [{ type: 'send' }, start('guard', cfg.timers.timerC)]];
        const g: ServerEffect[] = cfg.reliable ? [] : [start('G', t1)];
        if (e.status < 300) {
          return [
            { kind: 'accepted', interval: t1, acked: false },
            [cancel('guard'), { type: 'send' }, ...g, start('L', 64 * t1)],
          ];
        }
        // RFC 3261 17.2.1: non-2xx final → Completed, timer G (UDP) and H.
        return [
          { kind: 'completed', interval: t1 },
          [cancel('guard'), { type: 'send' }, ...g, start('H', 64 * t1)],
        ];
      }
      if (e.type === 'request') return [s, [{ type: 'retransmit' }]];
      if (e.type === 'timer' && e.timer === 'guard') {
        return [
          { kind: 'terminated', reason: 'timeout' },
          [{ type: 'timeout' }, { type: 'terminated', reason: 'timeout' }],
        ];
      }
      if (e.type === 'transportError') {
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('guard'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      return [s, []];
    case 'completed':
      if (e.type === 'respond') return invalid('IST', s, e);
      if (e.type === 'request') return [s, [{ type: 'retransmit' }]];
      if (e.type === 'ack') {
        // RFC 3261 17.2.1: ACK → Confirmed, absorbed; timer I (zero when reliable).
        if (cfg.reliable) {
          return [
            { kind: 'terminated', reason: 'completed' },
            [cancel('G'), cancel('H'), { type: 'terminated', reason: 'completed' }],
          ];
        }
        return [{ kind: 'confirmed' }, [cancel('G'), cancel('H'), start('I', t4)]];
      }
      if (e.type === 'transportError') {
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('G'),
            cancel('H'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      if (e.timer === 'G') {
        const interval = Math.min(s.interval * 2, t2);
        return [{ kind: 'completed', interval }, [{ type: 'retransmit' }, start('G', interval)]];
      }
      if (e.timer === 'H') {
        return [
          { kind: 'terminated', reason: 'ackTimeout' },
          [cancel('G'), { type: 'ackTimeout' }, { type: 'terminated', reason: 'ackTimeout' }],
        ];
      }
      return [s, []];
    case 'confirmed':
      if (e.type === 'respond') return invalid('IST', s, e);
      if (e.type === 'timer' && e.timer === 'I') {
        return [
          { kind: 'terminated', reason: 'completed' },
          [{ type: 'terminated', reason: 'completed' }],
        ];
      }
      return [s, []];
    case 'accepted':
      if (e.type === 'respond') return invalid('IST', s, e);
      if (e.type === 'request') return [s, s.acked ? [] : [{ type: 'retransmit' }]];
      if (e.type === 'ack') {
        if (s.acked) return [s, []];
        if (cfg.reliable) {
          return [
            { kind: 'terminated', reason: 'completed' },
            [cancel('L'), { type: 'passAck' }, { type: 'terminated', reason: 'completed' }],
          ];
        }
        // Stay until L to absorb ACK retransmissions (RFC 6026 7.1).
        return [
          { kind: 'accepted', interval: s.interval, acked: true },
          [cancel('G'), { type: 'passAck' }],
        ];
      }
      if (e.type === 'transportError') {
        // The 2xx could not be sent: the dialog layer learns it from ackTimeout-like handling.
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('G'),
            cancel('L'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      if (e.timer === 'G' && !s.acked) {
        const interval = Math.min(s.interval * 2, t2);
        return [
          { kind: 'accepted', interval, acked: false },
          [{ type: 'retransmit' }, start('G', interval)],
        ];
      }
      if (e.timer === 'L') {
        const reason: TerminationReason = s.acked ? 'completed' : 'ackTimeout';
        const effects: ServerEffect[] = [cancel('G')];
        if (!s.acked) effects.push({ type: 'ackTimeout' });
        effects.push({ type: 'terminated', reason });
        return [{ kind: 'terminated', reason }, effects];
      }
      return [s, []];
    case 'terminated':
      if (e.type === 'respond') return invalid('IST', s, e);
      return [s, []];
    default:
      return assertNever(s);
  }
}

/** INVITE server transaction runner: see {@link nextInviteServer}. */
export class InviteServerTransaction extends ServerTransactionBase<InviteServerState> {
  constructor(
    request: SipRequest,
    info: ReceiveInfo,
    key: string,
    config: TransactionConfig,
    ctx: ServerTransactionContext,
  ) {
    super(request, info, key, config, ctx, startInviteServer);
  }

  /** Confirmed, or Accepted with the ACK in: the response is never sent again. */
  protected override mayResend(s: InviteServerState): boolean {
    return s.kind !== 'confirmed' && !(s.kind === 'accepted' && s.acked);
  }

  /** Accepted with the ACK in, over UDP: only absorbing INVITE and ACK retransmissions is left. */
  protected override retirableOnAck(s: InviteServerState): boolean {
    return s.kind === 'accepted' && s.acked;
  }

  protected reduce(
    s: InviteServerState,
    e: ServerEvent,
    now: number,
    cfg: TransactionConfig,
  ): [InviteServerState, ServerEffect[]] {
    return nextInviteServer(s, e, now, cfg);
  }
}
