/** Pure SIP helpers: SDP, header values, URIs and status phrases. Imports nothing of the app. */
export * from './sdp';
export * from './header-values';
export * from './replaces';
export * from './status';
