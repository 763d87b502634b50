/** One call through the B2BUA (both legs). Not SIP's Call-ID, which is one per leg. */
export type CallRef = string & { readonly __brand: 'CallRef' };

/** One SIP leg of a call: the a-leg (inbound to the PBX) or a b-leg (outbound from it). */
export type LegId = string & { readonly __brand: 'LegId' };

/** Brands a string as a CallRef; the runner mints them, tests use literals. */
export function callRef(value: string): CallRef {
  return value as CallRef;
}

/** Brands a string as a LegId. */
export function legId(value: string): LegId {
  return value as LegId;
}
