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
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 * ```
 *               start: transmit, E=T1 (UDP), F=64·T1
 *                             │
 *  timer E: transmit,     ┌───▼────┐ timer F, transport error
 *  E=min(2E,T2)           │ trying ├──────────────────────────┐
 *                         └───┬────┘                           │
 *                         1xx │ pass up      200-699: pass up,  │
 *                      ┌──────▼─────┐        K=T4 (from both)   │
 *  timer E: transmit,  │ proceeding ├──────────┐                │
 *  E=T2; 1xx: pass up  └────────────┘     ┌────▼──────┐ timer K  ▼
 *                                         │ completed ├───► terminated
 *                                         └───────────┘
 * ```
 */
export type NonInviteClientState =
  | { kind: 'trying'; interval: number }
  | { kind: 'proceeding'; interval: number }
  | { kind: 'completed' }
  | { kind: 'terminated'; reason: TerminationReason };

export function startNonInviteClient(
  cfg: TransactionConfig,
): [NonInviteClientState, ClientEffect[]] {
  const { t1 } = cfg.timers;
  const effects: ClientEffect[] = [{ type: 'transmit' }];
  if (!cfg.reliable) effects.push(start('E', t1));
  effects.push(start('F', 64 * t1));
  return [{ kind: 'trying', interval: t1 }, effects];
}

export function nextNonInviteClient(
  s: NonInviteClientState,
  e: ClientEvent,
  _now: number,
  cfg: TransactionConfig,
): [NonInviteClientState, ClientEffect[]] {
  const { t2, t4 } = cfg.timers;
  switch (s.kind) {
    case 'trying':
    case 'proceeding':
      if (e.type === 'response') {
        if (e.status < 200)
          return [{ kind: 'proceeding', interval: s.interval }, [{ type: 'passUp' }]];
        // RFC 3261 17.1.2.2: final response → Completed, timer K (zero when reliable).
        const leaving: ClientEffect[] = [cancel('E'), cancel('F'), { type: 'passUp' }];
        if (cfg.reliable) {
          return [
            { kind: 'terminated', reason: 'completed' },
            [...leaving, { type: 'terminated', reason: 'completed' }],
          ];
        }
        return [{ kind: 'completed' }, [...leaving, start('K', t4)]];
      }
      if (e.type === 'transportError') {
        return [
          { kind: 'terminated', reason: 'transportError' },
          [
            cancel('E'),
            cancel('F'),
            { type: 'transportError' },
            { type: 'terminated', reason: 'transportError' },
          ],
        ];
      }
      if (e.timer === 'E') {
        // RFC 3261 17.1.2.2: doubling capped at T2 in Trying; always T2 in Proceeding.
        const interval = s.kind === 'trying' ? Math.min(s.interval * 2, t2) : t2;
        return [{ kind: s.kind, interval }, [{ type: 'transmit' }, start('E', interval)]];
      }
      if (e.timer === 'F') {
        return [
          { kind: 'terminated', reason: 'timeout' },
          [cancel('E'), { type: 'timeout' }, { type: 'terminated', reason: 'timeout' }],
        ];
      }
      return [s, []];
    case 'completed':
      if (e.type === 'timer' && e.timer === 'K') {
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

/** Non-INVITE client transaction runner: see {@link nextNonInviteClient}. */
export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientState> {
  constructor(
    branch: string,
    key: string,
    request: SipRequest,
    dest: Destination,
    config: TransactionConfig,
    user: ClientTransactionUser,
    ctx: ClientTransactionContext,
  ) {
    super(branch, key, request, dest, config, user, ctx, startNonInviteClient);
  }

  protected reduce(
    s: NonInviteClientState,
    e: ClientEvent,
    now: number,
    cfg: TransactionConfig,
  ): [NonInviteClientState, ClientEffect[]] {
    return nextNonInviteClient(s, e, now, cfg);
  }

  /** Completed (timer K, UDP only; over TCP it ends at once): see {@link nextNonInviteClient}. */
  protected retireAs(s: NonInviteClientState): Retirement | undefined {
    return s.kind === 'completed' ? 'absorb' : undefined;
  }

  /** Only INVITE can be cancelled (RFC 3261 §9.1). */
  cancelable(): boolean {
    return false;
  }
}
