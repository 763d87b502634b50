export * from './types';
export { TransportLayer } from './transport-layer';
export type {
  ListenOptions,
  SendOptions,
  TransportLayerOptions,
  TransportLimits,
} from './transport-layer';
export { responseDestination, defaultPort, viaProtocol } from './response-destination';
export { applyReceived, normalizeAddress } from './received';
export { LogLimiter } from './log-limiter';
export type { Admission } from './transport-layer';
export type { ClientCertMode, TlsCredentials, TlsServerSettings } from './tls-server-options';
