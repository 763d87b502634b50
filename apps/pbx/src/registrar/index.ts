/** The registrar: REGISTER with digest authentication, Comm Exclusive, white list, licence, NAT. */
export { installRegistrar, toRegisterRequest } from './install';
export type { RegistrarModule, RegistrarOptions } from './install';
export { Registrar, formatBinding } from './registrar';
export type {
  RegisterOutcome,
  RegisterRequest,
  RegistrarDeps,
  RegistrarEvents,
  RegistrarSettings,
  RegistrationExtra,
} from './registrar';
export { contactTarget, isBehindNat } from './nat';
export type { ContactTarget, PacketSource } from './nat';
export { qualifyStation, sendOptions, DEFAULT_QUALIFY_TIMEOUT_MS } from './qualify';
export type { QualifyResult } from './qualify';
export { CommExclusive } from './comm-exclusive';
export type { Admission, CommExclusiveMode, CommExclusiveSettings } from './comm-exclusive';
export { NonceService, DEFAULT_NONCE_TTL_MS } from './nonce';
export { BindingTable } from './bindings';
export { REFUSALS, REASON } from './refusals';
export type { Refusal, RefusalKind } from './refusals';
