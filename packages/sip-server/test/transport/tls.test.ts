import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeResponse, serializeMessage } from '../../src/message';
import type { SipMessage, SipRequest } from '../../src/message/types';
import { responseDestination, type ReceiveInfo, type TransportLayer } from '../../src/transport';
import { nextEvent, portOf, requestText, startTransport } from './helpers';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const opensslAvailable = hasOpenssl();
if (!opensslAvailable) {
  test.skip('TLS loopback tests skipped: the openssl CLI is not installed to make a test certificate', () =>
    undefined);
}

(opensslAvailable ? describe : describe.skip)(
  'TransportLayer over TLS (loopback, self-signed)',
  () => {
    let dir: string;
    let cert: Buffer;
    let key: Buffer;
    let a: TransportLayer;
    let b: TransportLayer;

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sip-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore', timeout: 20_000 },
      );
      cert = fs.readFileSync(path.join(dir, 'cert.pem'));
      key = fs.readFileSync(path.join(dir, 'key.pem'));
    });

    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      a = await startTransport([{ protocol: 'tls', tls: { cert, key } }], {
        tlsClient: { ca: cert },
      });
      b = await startTransport([{ protocol: 'tls', tls: { cert, key } }], {
        tlsClient: { ca: cert },
      });
    });

    afterEach(async () => {
      await a.stop();
      await b.stop();
    });

    test('request and response over one verified TLS connection', async () => {
      const got = nextEvent<[SipMessage, ReceiveInfo]>(b, 'message');
      const sent = await a.send(
        { protocol: 'tls', address: '127.0.0.1', port: portOf(b, 'tls') },
        Buffer.from(requestText({ via: `SIP/2.0/TLS 127.0.0.1:${portOf(a, 'tls')}` })),
      );
      const [req, info] = await got;
      expect(info.source.protocol).toBe('tls');
      expect(info.connectionId).toBeDefined();
      const res = makeResponse(req as SipRequest, 200, 'OK', { toTag: 't' });
      const back = nextEvent<[SipMessage, ReceiveInfo]>(a, 'message');
      await b.send(responseDestination(res, info), serializeMessage(res));
      const [reply, replyInfo] = await back;
      expect(reply).toMatchObject({ kind: 'response', status: 200 });
      expect(replyInfo.connectionId).toBe(sent.connectionId);
      expect(a.connectionCount).toBe(1);
      expect(b.connectionCount).toBe(1);
    });

    test('an untrusted server certificate is refused by default', async () => {
      const strict = await startTransport([{ protocol: 'tls', tls: { cert, key } }]);
      try {
        await expect(
          strict.send(
            { protocol: 'tls', address: '127.0.0.1', port: portOf(b, 'tls') },
            Buffer.from(requestText({})),
          ),
        ).rejects.toMatchObject({ name: 'TransportError' });
        expect(strict.connectionCount).toBe(0);
      } finally {
        await strict.stop();
      }
    });

    test('clients that never handshake, or never send a message, are dropped after the timeout', async () => {
      const slow = await startTransport([{ protocol: 'tls', tls: { cert, key } }], {
        limits: { firstMessageTimeoutMs: 200 },
      });
      try {
        const sock = tls.connect({
          host: '127.0.0.1',
          port: portOf(slow, 'tls'),
          rejectUnauthorized: false,
        });
        sock.on('error', () => undefined);
        // Handshake completes but no SIP message ever comes: first-message timeout applies.
        const plain = net.connect({ host: '127.0.0.1', port: portOf(slow, 'tls') });
        plain.on('error', () => undefined);
        await Promise.all([
          new Promise<void>((r) => sock.once('close', () => r())),
          new Promise<void>((r) => plain.once('close', () => r())),
        ]);
        expect(slow.connectionCount).toBe(0);
      } finally {
        await slow.stop();
      }
    });
  },
);
