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
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 * ```
 *                      request arrives: guard=64·T1+T4
 *                             │
 *  request again: absorb  ┌───▼────┐ guard: timeout (TU never answered)
 *                         │ trying ├─────────────────────────────┐
 *                         └───┬────┘                              │
 *                     TU 1xx  │ send          TU 200-699: send,    │
 *                      ┌──────▼─────┐         J=64·T1 (UDP)       │
 *  request: retransmit │ proceeding ├─────────────┐               │
 *  TU 1xx: send        └────────────┘       ┌─────▼─────┐ timer J ▼
 *                                           │ completed ├───► terminated
 *                 request: retransmit       └───────────┘
 * ```
 */
export type NonInviteServerState =
  | { kind: 'trying' }
  | { kind: 'proceeding' }
  | { kind: 'completed' }
  | { kind: 'terminated'; reason: TerminationReason };

export function startNonInviteServer(
  cfg: TransactionConfig,
): [NonInviteServerState, ServerEffect[]] {
  // The client gives up after 64·T1 (timer F); T4 more covers its last retransmission in flight,
  // which would otherwise open a second transaction.
  return [{ kind: 'trying' }, [start('guard', 64 * cfg.timers.t1 + cfg.timers.t4)]];
}

export function nextNonInviteServer(
  s: NonInviteServerState,
  e: ServerEvent,
  _now: number,
  cfg: TransactionConfig,
): [NonInviteServerState, ServerEffect[]] {
  switch (s.kind) {
    case 'trying':
    case 'proceeding':
      if (e.type === 'respond') {
        if (e.status < 200) return [{ kind: 'proceeding' }, [{ type: 'send' }]];
        // RFC 3261 17.2.2: final → Completed, timer J (zero when reliable).
        if (cfg.reliable) {
          return [
            { kind: 'terminated', reason: 'completed' },
            [cancel('guard'), { type: 'send' }, { type: 'terminated', reason: 'completed' }],
          ];
        }
        return [
          { kind: 'completed' },
          [cancel('guard'), { type: 'send' }, start('J', 64 * cfg.timers.t1)],
        ];
      }
      // RFC 3261 17.2.2: retransmissions in Trying are discarded, in Proceeding answered.
      if (e.type === 'request') return [s, s.kind === 'proceeding' ? [{ type: 'retransmit' }] : []];
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
      if (e.type === 'respond') return invalid('NIST', s, e);
      if (e.type === 'request') return [s, [{ type: 'retransmit' }]];
      if (e.type === 'timer' && e.timer === 'J') {
        return [
          { kind: 'terminated', reason: 'completed' },
          [{ type: 'terminated', reason: 'completed' }],
        ];
      }
      if (e.type === 'transportError') {
        // RFC 3261 17.2.4: the final response could not be sent; the TU is told.
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('J'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      return [s, []];
    case 'terminated':
      if (e.type === 'respond') return invalid('NIST', s, e);
      return [s, []];
    default:
      return assertNever(s);
  }
}

/** Non-INVITE server transaction runner: see {@link nextNonInviteServer}. */
export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  constructor(
    request: SipRequest,
    info: ReceiveInfo,
    key: string,
    config: TransactionConfig,
    ctx: ServerTransactionContext,
  ) {
    super(request, info, key, config, ctx, startNonInviteServer);
  }

  /** Completed over UDP: only timer J's retransmission duty is left, which the layer can keep. */
  protected override retirable(): boolean {
    return this.state === 'completed' && !this.config.reliable;
  }

  protected reduce(
    s: NonInviteServerState,
    e: ServerEvent,
    now: number,
    cfg: TransactionConfig,
  ): [NonInviteServerState, ServerEffect[]] {
    return nextNonInviteServer(s, e, now, cfg);
  }
}
