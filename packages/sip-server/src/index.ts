/** @pbx/sip-server: an embedded SIP server that speaks drachtio's wire protocol. */
export { startSipServer } from './server';
export type { SipServer, SipServerOptions } from './server';
export type { Logger } from './logger';
export { silentLogger } from './logger';
export * from './errors';
/** The SIP grammar, for apps that read header text (e.g. the registrar). */
export { parseUri, parseVia, splitHeaderValues } from './message';
