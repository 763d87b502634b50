import type { SipMessage } from '../message/types';

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** A peer or local SIP address on one transport protocol. */
export interface HostPort {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

/** Where a message came from and which of our sockets got it. */
export interface ReceiveInfo {
  /** Packet source (not Via/Contact): what rport/received and NAT logic use. */
  source: HostPort;
  /** The local listening address and port that received it. */
  local: { address: string; port: number };
  /** For TCP/TLS: the connection it arrived on, so replies and later requests can reuse it. */
  connectionId?: string;
  /** Size in bytes as received. */
  bytes: number;
}

/** Where to send: a peer plus, for stream transports, an optional connection to reuse. */
export interface Destination extends HostPort {
  connectionId?: string;
}

/** What a send actually used (the connection, and the local address for logging). */
export interface SendResult {
  connectionId?: string;
  local: { address: string; port: number };
}

export interface TransportLayerEvents {
  message: (message: SipMessage, info: ReceiveInfo) => void;
  /** Unparsable bytes: the layer already answered 400 where it could, or dropped them. */
  malformed: (reason: string, info: ReceiveInfo) => void;
  /** A stream connection closed (peer, error, or idle). */
  connectionClosed: (connectionId: string) => void;
  /** Bytes from a source the admission check refused, dropped unparsed. */
  refused: (info: ReceiveInfo) => void;
  /**
   * Every parsed message received (`in`) and every message sent (`out`), as bytes, for observers
   * (metrics, the web console's SIP ladder). Emitted only while someone listens.
   */
  traffic: (direction: 'in' | 'out', data: Buffer, peer: HostPort) => void;
}

/** One listening address of ours, as reported in the drachtio `hostports` token. */
export interface ListenAddress {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** Advertised address used in Contact/Via when configured (external IP), else `address`. */
  advertisedAddress: string;
}
