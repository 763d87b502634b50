/**
 * SIP message model (RFC 3261 §7). Parsed messages keep their headers in arrival order so the
 * server can hand the client the message as received; names are stored in canonical form
 * (compact forms expanded) and looked up case-insensitively.
 */

/** Methods as spelled by drachtio-srf. Unknown extension methods are carried as plain strings. */
export type SipMethod =
  | 'INVITE'
  | 'ACK'
  | 'BYE'
  | 'CANCEL'
  | 'REGISTER'
  | 'OPTIONS'
  | 'INFO'
  | 'UPDATE'
  | 'PRACK'
  | 'SUBSCRIBE'
  | 'NOTIFY'
  | 'REFER'
  | 'MESSAGE'
  | 'PUBLISH';

export type Params = Record<string, string | null>;

/** sip:, sips: or tel: URI (RFC 3261 §19.1, RFC 3966). `host` keeps IPv6 brackets off. */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  headers: Record<string, string>;
}

/** `"Display" <uri>;params` or `uri;params` (RFC 3261 §20.10, §25.1 name-addr / addr-spec). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  params: Params;
}

/** One Via value (RFC 3261 §20.42). */
export interface Via {
  transport: string; // upper case: UDP, TCP, TLS, WS, WSS, SCTP
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface SipHeader {
  /** Canonical name, e.g. `Call-ID`, `Via`, `X-Custom` (compact forms expanded). */
  name: string;
  value: string;
}

interface SipMessageBase {
  /** Ordered header lines; a header listed on several lines appears several times. */
  headers: SipHeader[];
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

export type ParseResult<T = SipMessage> =
  { ok: true; message: T } | { ok: false; error: SipParseErrorInfo };

export interface SipParseErrorInfo {
  /** Human readable reason, suitable for the reason phrase of a 400. */
  reason: string;
  /** Set when enough of a request was understood to answer it (start line, Via, From, To, Call-ID, CSeq). */
  answerable?: SipRequest;
  /** Suggested status: 400 normally, 505 for a bad SIP version, 413 when too large. */
  status: 400 | 413 | 505;
}
