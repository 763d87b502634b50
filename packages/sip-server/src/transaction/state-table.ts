/**
 * Shared vocabulary of the four RFC 3261 §17 transaction state machines. Each machine is a pure
 * reducer `next(state, event, now, config) → [state, effects]` in its own file
 * (`invite-client-transaction.ts`, …) beside the runner that carries out the effects (send bytes,
 * start timers, call the transaction user). The reducers do no I/O.
 *
 * Overview (UDP; on TCP/TLS the retransmission timers A, E, G are never started and timers D, I,
 * J, K are zero, so those states are left at once):
 *
 * | machine | state      | event          | next       | effects                               |
 * |---------|------------|----------------|------------|---------------------------------------|
 * | ICT     | calling    | timer A        | calling    | transmit, A ×2                        |
 * | ICT     | calling    | timer B        | terminated | timeout                               |
 * | ICT     | calling/pr | 1xx            | proceeding | pass up, (re)start C                  |
 * | ICT     | calling/pr | 2xx            | accepted   | pass up, M = 64·T1 (RFC 6026)         |
 * | ICT     | calling/pr | 300-699        | completed  | ACK, pass up, D                       |
 * | ICT     | proceeding | timer C        | proceeding | timeout (TU cancels), B = 64·T1 guard |
 * | ICT     | completed  | 300-699        | completed  | ACK again (absorbed)                  |
 * | ICT     | accepted   | 2xx            | accepted   | pass up (every retransmission)        |
 * | NICT    | trying     | timer E        | trying     | transmit, E = min(2E, T2)             |
 * | NICT    | proceeding | timer E        | proceeding | transmit, E = T2                      |
 * | NICT    | trying/pr  | 1xx            | proceeding | pass up                               |
 * | NICT    | trying/pr  | 200-699        | completed  | pass up, K = T4                       |
 * | NICT    | trying/pr  | timer F        | terminated | timeout                               |
 * | IST     | proceeding | TU 1xx         | proceeding | send                                  |
 * | IST     | proceeding | TU 2xx         | accepted   | send, G = T1, L = 64·T1               |
 * | IST     | proceeding | TU 300-699     | completed  | send, G = T1, H = 64·T1               |
 * | IST     | completed  | timer G        | completed  | retransmit, G = min(2G, T2)           |
 * | IST     | completed  | ACK            | confirmed  | I = T4 (ACK absorbed)                 |
 * | IST     | completed  | timer H        | terminated | ackTimeout                            |
 * | IST     | accepted   | first ACK      | accepted   | pass ACK up, stop G                   |
 * | IST     | accepted   | timer L        | terminated | ackTimeout if no ACK came             |
 * | NIST    | trying/pr  | TU 1xx         | proceeding | send                                  |
 * | NIST    | trying/pr  | TU 200-699     | completed  | send, J = 64·T1                       |
 * | any IST/NIST | any   | request again  | same       | retransmit last response (if any)     |
 */
import { InvalidStateError } from '../errors';

/** Transaction timer values in milliseconds (RFC 3261 Table 4). */
export interface TransactionTimers {
  t1: number;
  t2: number;
  t4: number;
  /** Proxy/UAC timer C: a provisional arrived but no final response (RFC 3261 §16.6). */
  timerC: number;
  /** ICT timer D on unreliable transports (RFC 3261: at least 32 s; default 64·T1). */
  timerD: number;
}

export type TransactionTimerOptions = Partial<TransactionTimers>;

export const DEFAULT_TIMERS: Readonly<TransactionTimers> = {
  t1: 500,
  t2: 4000,
  t4: 5000,
  timerC: 185_000,
  timerD: 32_000,
};

/**
 * Defaults for every timer not given (an explicit `undefined` counts as not given). Timer D
 * defaults to 64·T1, which is RFC 3261's 32 s with the default T1.
 */
export function resolveTimers(opts: TransactionTimerOptions = {}): TransactionTimers {
  const pick = (name: keyof TransactionTimers, fallback: number): number => {
    const v = opts[name];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  const t1 = pick('t1', DEFAULT_TIMERS.t1);
  return {
    t1,
    t2: pick('t2', DEFAULT_TIMERS.t2),
    t4: pick('t4', DEFAULT_TIMERS.t4),
    timerC: pick('timerC', DEFAULT_TIMERS.timerC),
    timerD: pick('timerD', 64 * t1),
  };
}

/** What a reducer needs besides its state: fixed for the life of one transaction. */
export interface TransactionConfig {
  /** TCP/TLS: no retransmissions, zero-length wait states. */
  reliable: boolean;
  timers: TransactionTimers;
}

/**
 * RFC 3261 timer letters, plus `L` and `M` from RFC 6026 and `guard`, which ends a server
 * transaction whose transaction user never sends a final response.
 */
export type TimerName =
  'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'guard';

export type TimerEffect =
  { type: 'startTimer'; timer: TimerName; ms: number } | { type: 'cancelTimer'; timer: TimerName };

export type TerminationReason =
  'completed' | 'timeout' | 'transportError' | 'ackTimeout' | 'stopped';

export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}

export const start = (timer: TimerName, ms: number): TimerEffect => ({
  type: 'startTimer',
  timer,
  ms,
});
export const cancel = (timer: TimerName): TimerEffect => ({ type: 'cancelTimer', timer });

// ---------------------------------------------------------------------------------------------
// Client transactions.

export type ClientEvent =
  | { type: 'response'; status: number }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transportError' };

export type ClientEffect =
  | TimerEffect
  /** Send the request (again). */
  | { type: 'transmit' }
  /** Build and send the ACK for the non-2xx final response just received (ICT only). */
  | { type: 'sendAck' }
  /** Hand the response just received to the transaction user. */
  | { type: 'passUp' }
  | { type: 'timeout' }
  | { type: 'transportError' }
  | { type: 'terminated'; reason: TerminationReason };

// ---------------------------------------------------------------------------------------------
// Server transactions.

export type ServerEvent =
  /** The request arrived again (a retransmission). */
  | { type: 'request' }
  | { type: 'ack' }
  /** The transaction user sends a response. Impossible in the wrong state: throws. */
  | { type: 'respond'; status: number }
  | { type: 'timer'; timer: TimerName }
  | { type: 'transportError' };

export type ServerEffect =
  | TimerEffect
  /** Send the response the TU just gave and keep it as the last response. */
  | { type: 'send' }
  /** Send the last response again. */
  | { type: 'retransmit' }
  /** Hand the ACK for our 2xx to the TU (first one only). */
  | { type: 'passAck' }
  | { type: 'ackTimeout' }
  /** The TU never sent a final response in time. */
  | { type: 'timeout' }
  | { type: 'transportError' }
  | { type: 'terminated'; reason: TerminationReason };

/** A TU command impossible in the current state. */
export function invalid(machine: string, s: { kind: string }, e: ServerEvent): never {
  const what = e.type === 'respond' ? `respond ${e.status}` : e.type;
  throw new InvalidStateError(`${machine}: cannot ${what} in state ${s.kind}`);
}
