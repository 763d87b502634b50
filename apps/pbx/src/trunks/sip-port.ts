/**
 * The SIP a trunk needs besides calls: REGISTER with digest towards the provider.
 * `signalling/srf-trunk-port.ts` implements it on drachtio-srf (`srf.request('REGISTER', {auth})`,
 * which answers the 401/407 challenge itself).
 */
export interface RegisterRequest {
  /** `sip:host:port;transport=x` (the registrar). */
  readonly uri: string;
  /** Outbound proxy `sip:host:port;transport=x`, when every request goes through one. */
  readonly proxy?: string;
  readonly from: string;
  readonly to: string;
  readonly contact: string;
  readonly expires: number;
  readonly callId: string;
  readonly cseq: number;
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface RegisterResult {
  readonly status: number;
  readonly reason: string;
  /** The registration time granted (Contact `expires` or `Expires`), when the answer gave one. */
  readonly expires?: number;
  /** The realm of a challenge that went unanswered or failed, if any. */
  readonly realm?: string;
}

export interface TrunkSipPort {
  /** Sends REGISTER; resolves with the final response (408 on a transport timeout). */
  register(req: RegisterRequest): Promise<RegisterResult>;
}
