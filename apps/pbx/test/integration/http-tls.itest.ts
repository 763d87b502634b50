/**
 * HTTPS when a certificate is configured (`http.cert`, `http.key`): the API, the login's cookie
 * (Secure), the console page and the WebSocket event stream over real TLS, with a self-signed
 * certificate made by openssl for this test. A client that does not trust the certificate, and a
 * plain-HTTP request to the HTTPS port, get no answer from the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { makeCert } from '../../../../packages/sip-server/test/transport/test-certs';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request trusting `ca` (or nothing, with `ca` undefined). */
function request(
  url: string,
  ca: Buffer | undefined,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        ...(ca ? { ca } : {}),
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTPS with a configured certificate', () => {
  let dir = '';
  let ca: Buffer;
  let pbx: TestPbx;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-https-'));
    const { certFile: cert, keyFile: key, cert: pem } = makeCert(dir, 'console', '127.0.0.1');
    ca = pem;
    pbx = await startTestPbx({ env: { PBX_HTTP_CERT: cert, PBX_HTTP_KEY: key } });
    await pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
  });
  afterAll(async () => {
    await pbx?.[Symbol.asyncDispose]();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('API, Secure session cookie, console and event stream over TLS', async () => {
    expect(pbx.http.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await request(`${pbx.http.url}/api/health`, ca);
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { ok: true }]);

    const login = await request(`${pbx.http.url}/api/login`, ca, {
      method: 'POST',
      body: { user: 'admin', password: 'admin-pw-1' },
    });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie'] ?? '');
    expect(cookie).toMatch(/^pbx_session=[\w-]+;/);
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('HttpOnly');
    const token = (JSON.parse(login.body) as { token: string }).token;
    const stations = await request(`${pbx.http.url}/api/stations`, ca, { token });
    expect([stations.status, JSON.parse(stations.body)]).toEqual([200, []]);
    const bad = await request(`${pbx.http.url}/api/stations`, ca, {
      method: 'POST',
      token,
      body: { tel: 'x' },
    });
    expect(bad.status).toBe(400);

    const page = await request(`${pbx.http.url}/`, ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>PBX console</title>');

    // The event stream: wss, subscribed.
    const ws = new WebSocket(`${pbx.http.url.replace(/^https/, 'wss')}/api/events?topics=calls`, {
      ca,
      headers: { authorization: `Bearer ${token}` },
    });
    const first = await new Promise<{ subscribed?: string[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no subscription message')), 10_000);
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        resolve(JSON.parse(data.toString('utf8')) as { subscribed?: string[] });
      });
      ws.once('error', reject);
    });
    expect(first.subscribed).toEqual(['calls']);
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  });

  test('a client that does not trust the certificate, and plain HTTP, get no API answer', async () => {
    await expect(request(`${pbx.http.url}/api/health`, undefined)).rejects.toThrow(
      /self[- ]signed|certificate/i,
    );
    const plain = pbx.http.url.replace(/^https/, 'http');
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${plain}/api/health`, { timeout: 10_000 }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve(`status ${res.statusCode ?? 0}: ${text}`));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => resolve(`error: ${err.message}`));
    });
    expect(outcome).not.toContain('"ok":true');
    // Still serving TLS clients afterwards.
    expect((await request(`${pbx.http.url}/api/health`, ca)).status).toBe(200);
  });
});
