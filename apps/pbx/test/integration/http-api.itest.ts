/**
 * The HTTP API and WebSocket event stream against a running PBX with sipp phones: logins and
 * roles, bad input and unauthorised access (4xx, never a crash), stations changed through the
 * API and applied by the PBX, live calls seen ringing then connected and hung up from the API,
 * the call's SIP ladder, DND set by a station user refusing the next call, chat delivered to a
 * sipp phone as MESSAGE, call records (JSON and CSV) and Prometheus metrics.
 */
import WebSocket from 'ws';
import {
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { ApiClient, EventClient, loggedIn } from '../helpers/http-client';
import { run } from '../../../cli/src/main';

/** Runs `pbx --db <db> ...args` in-process against the test PBX's HTTP port. */
async function pbxCli(db: string, port: number, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(['--db', db, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PBX_HTTP_PORT: String(port), PBX_HTTP_HOST: '127.0.0.1' },
  });
  return { code, stdout, stderr };
}

jest.setTimeout(60_000);

describe('HTTP API', () => {
  let h: CallsPbx;
  let base: string;
  let admin: ApiClient;
  const clients: EventClient[] = [];

  beforeAll(async () => {
    h = await startCallsPbx();
    base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.ctx.store.webAuth.setCtiPassword('202', 'bob-cti');
    admin = await loggedIn(base, 'admin', 'admin-pw-1');
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await h?.[Symbol.asyncDispose]();
  });

  const events = async (token: string, topics: string): Promise<EventClient> => {
    const c = await EventClient.open(base, token, topics);
    clients.push(c);
    return c;
  };

  test('logins: station users with the CTI password only; a session cookie is HttpOnly and SameSite', async () => {
    const alice = new ApiClient(base);
    const r = await alice.login('201', 'alice-cti');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'station', user: '201' });
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^pbx_session=[\w-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    // The SIP password is not a CTI password.
    expect((await new ApiClient(base).login('201', 'secret201')).status).toBe(401);
    expect((await new ApiClient(base).login('209', 'anything')).status).toBe(401);
    const audit = await h.pbx.ctx.store.audit.list({ action: 'web login' });
    expect(
      audit.some((a) => a.actor === 'web:201' && a.outcome === 'ok' && a.origin === 'web'),
    ).toBe(true);
    expect(audit.some((a) => a.actor === 'web:209' && a.outcome === 'failed')).toBe(true);
  });

  test('bad input and unauthorised access get clear 4xx JSON answers', async () => {
    const anon = new ApiClient(base);
    for (const path of ['/api/stations', '/api/calls', '/api/cdrs', '/api/me', '/api/contacts']) {
      const r = await anon.request('GET', path);
      expect([path, r.status]).toEqual([path, 401]);
      expect(r.body).toMatchObject({ error: 'unauthorized' });
    }
    const alice = new ApiClient(base);
    await alice.login('201', 'alice-cti');
    for (const [method, path] of [
      ['GET', '/api/stations'],
      ['GET', '/api/cdrs'],
      ['GET', '/api/registrations'],
      ['GET', '/api/groups'],
      ['GET', '/api/numplan'],
      ['GET', '/api/config'],
      ['GET', '/api/audit'],
      ['GET', '/api/access-log'],
      ['POST', '/api/whitelist'],
      ['PATCH', '/api/stations/202'],
      ['PUT', '/api/stations/202/cti-password'],
    ] as const) {
      const r = await alice.request(method, path, method === 'GET' ? undefined : { dnd: true });
      expect([path, r.status]).toEqual([path, 403]);
    }
    const bad = [
      await admin.request('POST', '/api/login', '{not json'),
      await admin.request('POST', '/api/login', { user: 'admin' }),
      await admin.request('POST', '/api/stations', { tel: 'x1', password: 'abc' }),
      await admin.request('POST', '/api/stations', [1, 2]),
      await admin.request('PATCH', '/api/stations/201', { dnd: 'maybe' }),
      await admin.request('PATCH', '/api/stations/201', { bogus: 1 }),
      await admin.request('GET', '/api/cdrs?limit=-4'),
      await admin.request('GET', '/api/cdrs?disposition=weird'),
      await admin.request('PUT', '/api/config', { 'sip.expireTime': 'soon' }),
      await admin.request('POST', '/api/blocks', { ip: '999.1.1.1' }),
      await alice.request('PATCH', '/api/me', { forward: { type: 'sideways', target: '202' } }),
      await alice.request('POST', '/api/me/messages', { to: '202', body: '' }),
    ];
    for (const r of bad) {
      expect(r.status).toBe(400);
      expect(typeof (r.body as { message: string }).message).toBe('string');
    }
    expect((await admin.request('GET', '/api/stations/299')).status).toBe(404);
    expect((await admin.request('DELETE', '/api/calls/call-nope')).status).toBe(404);
    expect((await admin.request('GET', '/api/nothing-here')).status).toBe(404);
    // WebSocket without a session: refused before the upgrade.
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
    // Still serving.
    expect((await anon.request('GET', '/api/health')).status).toBe(200);
  });

  test('failed logins are limited per address and user (429 with Retry-After)', async () => {
    const c = new ApiClient(base);
    const attempts = h.pbx.ctx.config.http.loginAttempts;
    await h.pbx.ctx.store.webAuth.setCtiPassword('203', 'carol-cti');
    for (let i = 0; i < attempts; i++) expect((await c.login('203', 'wrong')).status).toBe(401);
    // Even the right password waits now.
    const limited = await c.login('203', 'carol-cti');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is not affected.
    expect((await new ApiClient(base).login('201', 'alice-cti')).status).toBe(200);
  });

  test('stations added and changed through the API are live in the PBX, as with the CLI', async () => {
    const created = await admin.request('POST', '/api/stations', {
      tel: '250',
      password: 'pass250x',
      name: 'Dora',
      useWhitelist: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tel: '250', name: 'Dora', password: 'set' });
    expect(h.cc.stations.has('250')).toBe(true);
    const clash = await admin.request('POST', '/api/stations', {
      tel: '250',
      password: 'pass250x',
    });
    expect(clash.status).toBe(409);
    const changed = await admin.request('PATCH', '/api/stations/250', {
      dnd: 'on',
      forwardAll: '201',
    });
    expect(changed.status).toBe(200);
    expect(h.cc.stations.peek('250')?.settings).toMatchObject({
      dnd: true,
      forward: { type: 'all', target: '201' },
    });
    expect((await admin.request('DELETE', '/api/stations/250')).status).toBe(200);
    expect(h.cc.stations.has('250')).toBe(false);
    const audit = await h.pbx.ctx.store.audit.list({ action: 'ext add' });
    expect(audit.at(-1)).toMatchObject({ actor: 'web:admin', origin: 'web', outcome: 'ok' });
  });

  test('a call rings then connects on the event stream, shows in /api/calls and is hung up from the API', async () => {
    const adminEvents = await events(admin.token!, 'calls,presence,records');
    const carol = await loggedIn(base, '201', 'alice-cti');
    const callee = await h.phone('202', 'uas-ring-pause-answer.xml', { pauseMs: 1000 });
    const caller = await h.startCall('201', '202', 'uac-invite-expect-200-recv-bye.xml');
    const ringing = await adminEvents.waitFor(
      (e) => e.topic === 'calls' && e.data.state === 'ringing' && e.data.callee === '202',
      15_000,
      'ringing call',
    );
    await adminEvents.waitFor(
      (e) => e.topic === 'presence' && e.data.tel === '202' && e.data.lamp === 'ringing',
      15_000,
      'lamp of 202 flashing',
    );
    const ref = ringing.data.ref as string;
    await adminEvents.waitFor(
      (e) => e.topic === 'calls' && e.data.ref === ref && e.data.state === 'connected',
      15_000,
      'connected call',
    );
    await adminEvents.waitFor(
      (e) => e.topic === 'presence' && e.data.tel === '202' && e.data.lamp === 'busy',
      15_000,
      'lamp of 202 steady',
    );
    const live = await admin.request('GET', '/api/calls');
    expect(live.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ref,
          state: 'connected',
          caller: expect.objectContaining({ station: '201' }),
        }),
      ]),
    );
    // The caller's own user sees it too; another station's user does not.
    expect(((await carol.request('GET', '/api/calls')).body as unknown[]).length).toBe(1);
    // A user whose station is not in the call (203 is locked out by the login limit above).
    const made = await admin.request('POST', '/api/stations', { tel: '251', password: 'pass251x' });
    expect([made.status, made.body]).toEqual([201, expect.anything()]);
    const pw = await admin.request('PUT', '/api/stations/251/cti-password', {
      password: 'dave-cti',
    });
    expect([pw.status, pw.body]).toEqual([200, { ok: true }]);
    const dave = await loggedIn(base, '251', 'dave-cti');
    expect((await dave.request('GET', '/api/calls')).body).toEqual([]);
    expect((await dave.request('DELETE', `/api/calls/${ref}`)).status).toBe(403);

    expect((await admin.request('DELETE', `/api/calls/${ref}`)).status).toBe(200);
    expectPhoneOk(await caller.done, 'caller 201 (BYE from the PBX)');
    expectPhoneOk(await callee.done, 'callee 202 (BYE from the PBX)');
    await adminEvents.waitFor(
      (e) => e.topic === 'calls' && e.data.ref === ref && e.data.state === 'ended',
      15_000,
      'ended call',
    );
    const record = await adminEvents.waitFor(
      (e) => e.topic === 'records' && e.data.callRef === ref,
      15_000,
      'call record',
    );
    expect(record.data).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      disposition: 'answered',
    });
    expect((await admin.request('GET', '/api/calls')).body).toEqual([]);

    // The ladder: the INVITE from 201, the 180 and 200 from 202, the BYEs of the hang-up.
    const ladder = await admin.request('GET', `/api/calls/${ref}/ladder`);
    expect(ladder.status).toBe(200);
    const labels = (
      ladder.body as { messages: Array<{ direction: string; label: string }> }
    ).messages.map((m) => `${m.direction} ${m.label}`);
    expect(labels).toEqual(
      expect.arrayContaining(['in INVITE', 'out INVITE', 'in 180 Ringing', 'in 200 OK', 'out BYE']),
    );
    expect(labels.indexOf('in INVITE')).toBeLessThan(labels.indexOf('out BYE'));

    const cdrs = await admin.request('GET', '/api/cdrs?ext=202&limit=5');
    expect(
      (cdrs.body as { records: Array<{ callRef: string }> }).records.some((r) => r.callRef === ref),
    ).toBe(true);
    const csv = await admin.request('GET', '/api/cdrs?ext=202&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(String(csv.body).split('\r\n')[0]).toMatch(/call_?ref/i);
    expect(String(csv.body)).toContain(ref);
  });

  test('`pbx calls` lists the live call and `pbx calls hangup` ends it, through the API', async () => {
    const adminEvents = await events(admin.token!, 'calls');
    const callee = await h.phone('203', 'uas-answer.xml');
    const caller = await h.startCall('201', '203', 'uac-invite-expect-200-recv-bye.xml');
    const connected = await adminEvents.waitFor(
      (e) => e.topic === 'calls' && e.data.callee === '203' && e.data.state === 'connected',
      15_000,
      'connected call to 203',
    );
    const ref = connected.data.ref as string;
    const listed = await pbxCli(h.pbx.dbPath, h.pbx.http.port, 'calls', '--json');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ ref, state: 'connected', callee: '203' }),
    ]);
    const table = await pbxCli(h.pbx.dbPath, h.pbx.http.port, 'calls');
    expect(table.stdout).toContain(ref);
    const hung = await pbxCli(h.pbx.dbPath, h.pbx.http.port, 'calls', 'hangup', ref);
    expect([hung.code, hung.stderr]).toEqual([0, '']);
    expectPhoneOk(await caller.done, 'caller 201');
    expectPhoneOk(await callee.done, 'callee 203');
    const gone = await pbxCli(h.pbx.dbPath, h.pbx.http.port, 'calls', 'hangup', ref);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/call.*not found|no call/i);
  });

  test('a station user sets DND; the next call to it is refused; history counts the missed call', async () => {
    const bob = await loggedIn(base, '202', 'bob-cti');
    const set = await bob.request('PATCH', '/api/me', { dnd: true, statusText: 'In a meeting' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ tel: '202', dnd: true, statusText: 'In a meeting' });
    const refused = await h.call('201', '202', 'uac-invite-expect-486.xml');
    expectPhoneOk(refused, 'call to 202 in DND');
    await h.settle();
    const history = await bob.request('GET', '/api/me/calls');
    expect((history.body as { counts: { missed: number } }).counts.missed).toBeGreaterThanOrEqual(
      1,
    );
    expect((await bob.request('PATCH', '/api/me', { dnd: false })).status).toBe(200);
    expect(h.cc.stations.peek('202')?.settings.dnd).toBe(false);
  });

  test('chat from the API reaches a sipp phone as MESSAGE and is kept as history for both', async () => {
    const alice = new ApiClient(base);
    await alice.login('201', 'alice-cti');
    const bobEvents = await events(
      (await new ApiClient(base).login('202', 'bob-cti')).body.token,
      'messages',
    );
    const phone = await h.phone('202', 'uas-message-200.xml');
    const sent = await alice.request('POST', '/api/me/messages', {
      to: '202',
      body: 'Lunch at noon?',
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ delivered: true });
    const got = await phone.done;
    expectPhoneOk(got, 'phone 202 receiving MESSAGE');
    const message = findReceived(got, /^MESSAGE /);
    expect(message).toMatch(/^From: "Alice" <sip:201@/m);
    expect(message).toContain('Lunch at noon?');
    await bobEvents.waitFor((e) => e.topic === 'messages' && e.data.body === 'Lunch at noon?');
    const history = await alice.request('GET', '/api/me/messages?peer=202');
    expect((history.body as Array<{ body: string }>).map((m) => m.body)).toContain(
      'Lunch at noon?',
    );
  });

  test('contacts show every station with its lamp and status; metrics are Prometheus text', async () => {
    const alice = new ApiClient(base);
    await alice.login('201', 'alice-cti');
    const contacts = await alice.request('GET', '/api/contacts?q=bo');
    expect(contacts.body).toEqual([
      expect.objectContaining({
        tel: '202',
        name: 'Bob',
        lamp: 'idle',
        statusText: 'In a meeting',
      }),
    ]);
    const metrics = await new ApiClient(base).request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const text = String(metrics.body);
    expect(text).toMatch(/^pbx_active_calls 0$/m);
    expect(text).toMatch(/^pbx_call_attempts_total\{disposition="answered"\} [1-9]/m);
    expect(text).toMatch(/^pbx_sip_requests_total\{method="INVITE",direction="in"\} [1-9]/m);
    expect(text).toMatch(
      /^pbx_sip_responses_total\{method="INVITE",status="486",direction="out"\} [1-9]/m,
    );
    expect(text).toMatch(/^pbx_process_nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^pbx_blocked_sources 0$/m);
  });
});
