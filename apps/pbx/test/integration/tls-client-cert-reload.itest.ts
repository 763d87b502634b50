/**
 * The PBX's TLS options with real clients (issue 11, item 4): mutual TLS (`sip.tlsClientCert
 * verify` against `sip.tlsCa`) refuses a baresip phone without a client certificate and lets one
 * with a certificate of that CA register; and the certificate files are read again without a
 * restart when they change on disk (or on SIGHUP, `reloadTls()`), seen by a new connection that
 * is presented the new certificate, while an unusable pair keeps the current one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { X509Certificate } from 'node:crypto';
import {
  hasOpenssl,
  makeCa,
  makeCert,
  type TestCert,
} from '../../../../packages/sip-server/test/transport/test-certs';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { silenceWav } from '../helpers/tone-wav';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';

jest.setTimeout(90_000);

/** The fingerprint of the certificate a new TLS connection to the PBX is presented. */
function presented(port: number, client?: TestCert): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...(client ? { cert: client.cert, key: client.key } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no TLS handshake within 10 s'));
    }, 10_000);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const raw = sock.getPeerX509Certificate()?.raw;
      sock.destroy();
      resolve(raw ? new X509Certificate(raw).fingerprint256 : '');
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const fingerprint = (c: TestCert): string => new X509Certificate(c.cert).fingerprint256;

(hasOpenssl() ? describe : describe.skip)('TLS: client certificates and reload (PBX)', () => {
  let h: CallsPbx;
  let dir: string;
  let tlsPort: number;
  let ca: TestCert;
  let first: TestCert;
  let second: TestCert;
  let phoneCert: TestCert;
  let certFile: string;
  let keyFile: string;
  const phones: BaresipPhone[] = [];
  /** The PBX's log lines (JSON), kept to see refused handshakes. */
  const logLines: string[] = [];
  const logStream = {
    write(line: string): void {
      logLines.push(line);
    },
  };
  const refusedHandshakes = (): number =>
    logLines.filter((l) => l.includes('tls handshake failed')).length;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-mtls-'));
    ca = makeCa(dir, 'office');
    first = makeCert(dir, 'first', '127.0.0.1', ca);
    second = makeCert(dir, 'second', '127.0.0.1', ca);
    phoneCert = makeCert(dir, 'phone-301', 'phone-301', ca);
    // The files the PBX is configured with; the test replaces them as a renewer would.
    certFile = path.join(dir, 'pbx-cert.pem');
    keyFile = path.join(dir, 'pbx-key.pem');
    fs.copyFileSync(first.certFile, certFile);
    fs.copyFileSync(first.keyFile, keyFile);
    silenceWav(path.join(dir, 'silence.wav'), 5);
    h = await startCallsPbx({
      logger: pino({ level: 'debug' }, logStream),
      overrides: (c) => {
        c.sip.tlsCert = certFile;
        c.sip.tlsKey = keyFile;
        c.sip.tlsCa = ca.certFile;
        c.sip.tlsClientCert = 'verify';
        c.sip.tlsPort = 0;
      },
    });
    tlsPort = h.pbx.ctx.config.sip.tlsPort;
    await h.station('301');
    await h.station('302');
  }, 60_000);

  afterAll(async () => {
    for (const p of phones) await p.stop();
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function tlsPhone(tel: string, clientCert?: TestCert): Promise<BaresipPhone> {
    const extraConfig = ['module srtp.so', `sip_cafile ${ca.certFile}`];
    if (clientCert) {
      // baresip takes its certificate and key from one PEM file.
      const pem = path.join(dir, `client-${tel}.pem`);
      fs.writeFileSync(pem, Buffer.concat([clientCert.cert, clientCert.key]));
      extraConfig.push(`sip_certificate ${pem}`);
    }
    const p = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, 'silence.wav'),
      pbx: `127.0.0.1:${tlsPort}`,
      account: `<sip:${tel}@127.0.0.1:${tlsPort};transport=tls>;auth_pass=secret${tel};regint=300`,
      extraConfig,
    });
    phones.push(p);
    return p;
  }

  const registeredOverTls = async (tel: string): Promise<boolean> =>
    (await h.pbx.ctx.store.registrations.listByTel(tel)).some((r) => r.protocol === 'tls');

  test('mutual TLS: refused without a client certificate, registered with one of the CA', async () => {
    await tlsPhone('302');
    // The PBX ended its handshake: no client certificate.
    await waitFor('302 refused in the TLS handshake', () => refusedHandshakes() > 0, 20_000);
    expect(await registeredOverTls('302')).toBe(false);

    await tlsPhone('301', phoneCert);
    await waitFor('301 registered over TLS', () => registeredOverTls('301'), 20_000);
    expect(await registeredOverTls('302')).toBe(false);
  });

  test('certificate reload: a file change is picked up, a bad pair is refused, SIGHUP path reloads', async () => {
    expect(await presented(tlsPort, phoneCert)).toBe(fingerprint(first));
    // Replaced as renewers do: written beside, renamed over.
    fs.copyFileSync(second.keyFile, `${keyFile}.new`);
    fs.renameSync(`${keyFile}.new`, keyFile);
    fs.copyFileSync(second.certFile, `${certFile}.new`);
    fs.renameSync(`${certFile}.new`, certFile);
    let seen = '';
    await waitFor(
      'new connections presented the new certificate',
      async () => (seen = await presented(tlsPort, phoneCert)) === fingerprint(second),
      15_000,
    );
    expect(seen).toBe(fingerprint(second));

    // A certificate whose key is not beside it: refused, the current one stays.
    fs.copyFileSync(first.certFile, certFile);
    expect(await h.pbx.reloadTls()).toBe(false);
    expect(await presented(tlsPort, phoneCert)).toBe(fingerprint(second));

    // Both files of the first pair back, reloaded on demand (what SIGHUP calls).
    fs.copyFileSync(first.keyFile, keyFile);
    expect(await h.pbx.reloadTls()).toBe(true);
    expect(await presented(tlsPort, phoneCert)).toBe(fingerprint(first));
    // The phone registered before the reloads is still registered on its connection.
    expect(await registeredOverTls('301')).toBe(true);
  });
});
