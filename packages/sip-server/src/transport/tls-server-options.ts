/**
 * Server-side TLS settings of the SIP listeners: the certificate, and whether phones must present
 * a client certificate (mutual TLS). Pure helpers that turn them into Node's TLS options; kept
 * apart from the outgoing (trunk) side in connect.ts.
 */
import tls from 'node:tls';
import { TransportError } from '../errors';

/**
 * Client certificates asked of phones:
 * - `off`: none asked (default);
 * - `any`: one is required but not checked against a CA (OfficeServ's "validate any certificate");
 * - `verify`: one is required and must chain to `ca` (mutual TLS).
 */
export type ClientCertMode = 'off' | 'any' | 'verify';

/** Certificate material of a TLS listener; replaceable at run time with the same mode. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  /** CAs trusted for client certificates (PEM); required with `clientCert: 'verify'`. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface TlsServerSettings extends TlsCredentials {
  clientCert?: ClientCertMode;
}

/** The secure context of a listener; throws TransportError for a bad certificate/key pair. */
export function secureContextFor(c: TlsCredentials): tls.SecureContext {
  try {
    return tls.createSecureContext({ cert: c.cert, key: c.key, ...(c.ca ? { ca: c.ca } : {}) });
  } catch (err) {
    throw new TransportError(`unusable TLS certificate or key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Options for `tls.createServer` from the settings (the context is built and checked first). */
export function tlsServerOptions(s: TlsServerSettings, handshakeTimeoutMs: number): tls.TlsOptions {
  const mode = s.clientCert ?? 'off';
  if (mode === 'verify' && !s.ca)
    throw new TransportError('TLS client certificate verification needs a CA (ca)');
  // Checked here for a clear error; tls.Server builds its own context from cert/key/ca.
  secureContextFor(s);
  return {
    cert: s.cert,
    key: s.key,
    ...(s.ca ? { ca: s.ca } : {}),
    handshakeTimeout: handshakeTimeoutMs,
    requestCert: mode !== 'off',
    // `any`: the handshake accepts whatever is presented; the listener refuses a peer that
    // presented nothing (see presentedCertificate).
    rejectUnauthorized: mode === 'verify',
  };
}

/** True when the peer of an accepted TLS socket gave a certificate. */
export function presentedCertificate(socket: tls.TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
}
