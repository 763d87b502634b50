/** @pbx/sip-server: an embedded SIP server that speaks drachtio's wire protocol. */
export { startSipServer } from './server';
export type { SipServer, SipServerOptions } from './server';
export type { Logger } from './logger';
export { silentLogger } from './logger';
export * from './errors';
/** The SIP grammar, for apps that read header text (e.g. the registrar). */
export { parseUri, parseVia, splitHeaderValues, ownString } from './message';
/** Status codes and their reason phrases: the one table of the whole PBX. */
export { reasonPhrase, StatusCode } from './message';
/** A small in-process user agent (UAS/UAC primitives) on the same transport and transactions. */
export * from './user-agent';
export {
  getHeader,
  getHeaders,
  makeResponse,
  randomBranch,
  randomCallId,
  randomTag,
  callId,
  cseq,
} from './message';
export type { SipHeader, SipRequest, SipResponse } from './message/types';
export type { Destination, ReceiveInfo } from './transport/types';
export type {
  ClientCertMode,
  TlsCredentials,
  TlsServerSettings,
} from './transport/tls-server-options';
/** The server in the caller's thread or in a worker thread, behind one handle. */
export { startSipServerIn } from './thread/sip-server-handle';
export { workerEntryFor, type WorkerEntry } from './thread/worker-entry';
export type {
  SipServerHandle,
  SipServerHandleOptions,
  SipServerThread,
  TrafficListener,
} from './thread/sip-server-handle';
export type { SipServerStats, WorkerLogTarget } from './thread/protocol';
export type { SourceBlock, SourceBlocksUpdate } from './source-blocks';
