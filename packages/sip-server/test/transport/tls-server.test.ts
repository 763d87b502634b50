/**
 * Server-side TLS of the SIP listeners: client certificates (off / any / verify against a CA) and
 * certificate reload without restart, with real TLS clients (node:tls) on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { ReceiveInfo, TransportLayer } from '../../src/transport';
import type { SipMessage } from '../../src/message/types';
import { portOf, requestText, startTransport } from './helpers';
import { hasOpenssl, makeCa, makeCert, type TestCert } from './test-certs';

const opensslAvailable = hasOpenssl();
if (!opensslAvailable) {
  test.skip('TLS server tests skipped: the openssl CLI is not installed', () => undefined);
}

/** What became of one client connection that sends an OPTIONS. */
interface Outcome {
  /** The handshake completed on the client's side. */
  connected: boolean;
  /** The server's transport received the request. */
  delivered: boolean;
  /** The certificate the server presented (PEM fingerprint). */
  serverFingerprint?: string;
}

(opensslAvailable ? describe : describe.skip)(
  'TLS listener: client certificates and reload',
  () => {
    let dir: string;
    let ca: TestCert;
    let server1: TestCert;
    let server2: TestCert;
    let client: TestCert;
    let stranger: TestCert;

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sip-tls-server-'));
      ca = makeCa(dir, 'phones');
      server1 = makeCert(dir, 'server1', '127.0.0.1', ca);
      server2 = makeCert(dir, 'server2', '127.0.0.1', ca);
      client = makeCert(dir, 'client', 'phone-201', ca);
      stranger = makeCert(dir, 'stranger', 'phone-666');
    }, 60_000);

    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Connects, sends one OPTIONS and waits until either the server's transport got it or the
     * connection closed (TLS 1.3 sends the server's verdict on the client certificate after the
     * client's handshake finished, so a refused client sees its socket closed).
     */
    function attempt(t: TransportLayer, cert?: TestCert): Promise<Outcome> {
      return new Promise((resolve, reject) => {
        const outcome: Outcome = { connected: false, delivered: false };
        const timer = setTimeout(() => finish(new Error('no outcome within 10 s')), 10_000);
        const onMessage = (_m: SipMessage, info: ReceiveInfo): void => {
          if (info.source.protocol !== 'tls') return;
          outcome.delivered = true;
          finish();
        };
        t.on('message', onMessage);
        const sock = tls.connect({
          host: '127.0.0.1',
          port: portOf(t, 'tls'),
          ca: ca.cert,
          ...(cert ? { cert: cert.cert, key: cert.key } : {}),
        });
        function finish(err?: Error): void {
          clearTimeout(timer);
          t.off('message', onMessage);
          sock.destroy();
          if (err) reject(err);
          else resolve(outcome);
        }
        sock.on('secureConnect', () => {
          outcome.connected = true;
          outcome.serverFingerprint = new X509Certificate(
            sock.getPeerX509Certificate()?.raw ?? Buffer.alloc(0),
          ).fingerprint256;
          sock.write(
            requestText({
              via: `SIP/2.0/TLS 127.0.0.1:${sock.localPort ?? 0}`,
              branch: 'z9hG4bK-m1',
            }),
          );
        });
        sock.on('error', () => undefined);
        sock.on('close', () => finish());
      });
    }

    test('off (default): a client without a certificate is served', async () => {
      const t = await startTransport([
        { protocol: 'tls', tls: { cert: server1.cert, key: server1.key } },
      ]);
      try {
        expect(await attempt(t)).toMatchObject({ connected: true, delivered: true });
      } finally {
        await t.stop();
      }
    });

    test('verify: refused without a certificate or with one of another CA, served with one of the CA', async () => {
      const t = await startTransport([
        {
          protocol: 'tls',
          tls: { cert: server1.cert, key: server1.key, ca: ca.cert, clientCert: 'verify' },
        },
      ]);
      try {
        expect((await attempt(t)).delivered).toBe(false);
        expect((await attempt(t, stranger)).delivered).toBe(false);
        expect(t.connectionCount).toBe(0);
        expect(await attempt(t, client)).toMatchObject({ connected: true, delivered: true });
      } finally {
        await t.stop();
      }
    });

    test('any: refused without a certificate, served with any certificate', async () => {
      const t = await startTransport([
        { protocol: 'tls', tls: { cert: server1.cert, key: server1.key, clientCert: 'any' } },
      ]);
      try {
        expect((await attempt(t)).delivered).toBe(false);
        expect((await attempt(t, stranger)).delivered).toBe(true);
      } finally {
        await t.stop();
      }
    });

    test('verify without a CA is a clear start-up error', async () => {
      await expect(
        startTransport([
          { protocol: 'tls', tls: { cert: server1.cert, key: server1.key, clientCert: 'verify' } },
        ]),
      ).rejects.toThrow(/needs a CA/);
    });

    test('reload: new connections get the new certificate; a bad pair changes nothing', async () => {
      const t = await startTransport([
        { protocol: 'tls', tls: { cert: server1.cert, key: server1.key } },
      ]);
      try {
        const fp1 = new X509Certificate(server1.cert).fingerprint256;
        const fp2 = new X509Certificate(server2.cert).fingerprint256;
        expect((await attempt(t)).serverFingerprint).toBe(fp1);
        expect(t.reloadTls({ cert: server2.cert, key: server2.key })).toBe(1);
        expect(await attempt(t)).toMatchObject({ serverFingerprint: fp2, delivered: true });
        // The key of another certificate: refused, the current one stays.
        expect(() => t.reloadTls({ cert: server1.cert, key: server2.key })).toThrow(
          /unusable TLS certificate/,
        );
        expect((await attempt(t)).serverFingerprint).toBe(fp2);
      } finally {
        await t.stop();
      }
    });
  },
);
