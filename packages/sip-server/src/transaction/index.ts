export { TransactionLayer } from './transaction-layer';
export type {
  ClientTransaction,
  ServerTransaction,
  TransactionLayerEvents,
  TransactionLayerOptions,
  TransactionLayerTransport,
} from './transaction-layer';
export { ClientTransactionBase } from './client-transaction';
export type { ClientTransactionUser, TransactionTransport } from './client-transaction';
export { ServerTransactionBase } from './server-transaction';
export type { ServerTransactionEvents } from './server-transaction';
export {
  InviteClientTransaction,
  nextInviteClient,
  startInviteClient,
} from './invite-client-transaction';
export type { InviteClientState } from './invite-client-transaction';
export {
  NonInviteClientTransaction,
  nextNonInviteClient,
  startNonInviteClient,
} from './non-invite-client-transaction';
export type { NonInviteClientState } from './non-invite-client-transaction';
export {
  InviteServerTransaction,
  nextInviteServer,
  startInviteServer,
} from './invite-server-transaction';
export type { InviteServerState } from './invite-server-transaction';
export {
  NonInviteServerTransaction,
  nextNonInviteServer,
  startNonInviteServer,
} from './non-invite-server-transaction';
export type { NonInviteServerState } from './non-invite-server-transaction';
export { DEFAULT_TIMERS, resolveTimers } from './state-table';
export type {
  ClientEffect,
  ClientEvent,
  ServerEffect,
  ServerEvent,
  TerminationReason,
  TimerName,
  TransactionConfig,
  TransactionTimerOptions,
  TransactionTimers,
} from './state-table';
export { systemClock } from './clock';
export type { Clock, ClockTimer } from './clock';
export { buildAckForNon2xx } from './ack';
export { ackDialogKey, clientTransactionKey, serverTransactionKey, MAGIC_COOKIE } from './matching';
