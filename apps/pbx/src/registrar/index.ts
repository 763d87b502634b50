/** The registrar: REGISTER with digest authentication, Comm Exclusive, white list, licence, NAT. */
export { installRegistrar } from './install';
export type { RegistrarContext, RegistrarModule, RegistrarOptions } from './install';
export type { RegistrarSipPort } from './sip-port';
export { bindingLookup, inviteTarget, matchesRegistration } from './registration-lookup';
export { Registrar, formatBinding } from './registrar';
export type {
  RegisterOutcome,
  RegisterRequest,
  RegistrarDeps,
  RegistrarEvents,
  RegistrarSettings,
  RegistrationExtra,
  StaticBinding,
} from './registrar';
export { contactTarget, isBehindNat } from './nat';
export type { ContactTarget, PacketSource } from './nat';
export { qualifyStation, DEFAULT_QUALIFY_TIMEOUT_MS } from './qualify';
export type { QualifyDeps, QualifyResult } from './qualify';
export { CommExclusive } from './comm-exclusive';
export type { Admission, CommExclusiveMode, CommExclusiveSettings } from './comm-exclusive';
export { NonceService, DEFAULT_NONCE_TTL_MS } from './nonce';
export { BindingTable } from './bindings';
export { REFUSALS, REASON } from './refusals';
export type { Refusal, RefusalKind } from './refusals';
