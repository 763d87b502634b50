/**
 * The administrator's number plan, mailbox, billing, password and backup routes over real HTTP
 * against a running PBX, with sipp phones where a call shows the effect: a ring group added and
 * changed through the API changes who rings, a feature code moved through the API is what the
 * next phone dials, bad input gets the command line's messages (400), unknown ids 404,
 * station users 403, anonymous 401; changes are audited without secrets.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { ApiClient, loggedIn } from '../helpers/http-client';
import { run } from '../../../cli/src/main';

jest.setTimeout(60_000);

/** Runs `pbx --db <db> ...args` in-process (the command line's messages, for comparison). */
async function pbxCli(db: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(['--db', db, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, stdout, stderr: stderr.trim() };
}

describe('HTTP API: number plan, ring groups, mailboxes, billing, passwords, backup', () => {
  let h: CallsPbx;
  let base: string;
  let admin: ApiClient;
  let alice: ApiClient;
  let tmp: string;

  beforeAll(async () => {
    h = await startCallsPbx({
      overrides: (c) => {
        c.http.loginAttempts = 3;
        c.http.loginWindow = 600;
      },
    });
    base = h.pbx.http.url;
    for (const tel of ['201', '202', '203', '204']) await h.station(tel);
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    admin = await loggedIn(base, 'admin', 'admin-pw-1');
    alice = await loggedIn(base, '201', 'alice-cti');
    tmp = await mkdtemp(path.join(tmpdir(), 'pbx-api-admin-'));
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('every new route: 401 without a session, 403 for a station user', async () => {
    const anon = new ApiClient(base);
    const routes = [
      ['POST', '/api/groups'],
      ['PATCH', '/api/groups/500'],
      ['DELETE', '/api/groups/500'],
      ['PUT', '/api/numplan/dnd'],
      ['DELETE', '/api/numplan/dnd'],
      ['POST', '/api/numplan/dnd/reset'],
      ['GET', '/api/stations/202/voicemail'],
      ['PATCH', '/api/stations/202/voicemail'],
      ['POST', '/api/trunks'],
      ['PATCH', '/api/trunks/main'],
      ['PUT', '/api/trunks/main/dids/0312345'],
      ['DELETE', '/api/trunks/main/dids/0312345'],
      ['PUT', '/api/trunks/main/routes/any'],
      ['DELETE', '/api/trunks/main/routes/any'],
      ['GET', '/api/dids'],
      ['GET', '/api/routes'],
      ['PUT', '/api/rates'],
      ['POST', '/api/accounts'],
      ['DELETE', '/api/accounts/201'],
      ['GET', '/api/accounts/201/statement?since=0'],
      ['GET', '/api/authcodes'],
      ['POST', '/api/authcodes'],
      ['DELETE', '/api/authcodes/1234'],
      ['PUT', '/api/admin/password'],
      ['POST', '/api/backup/check'],
      ['POST', '/api/restore'],
    ] as const;
    for (const [method, p] of routes) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const a = await anon.request(method, p, body);
      expect([method, p, a.status, a.body.error]).toEqual([method, p, 401, 'unauthorized']);
      const s = await alice.request(method, p, body);
      expect([method, p, s.status, s.body.error]).toEqual([method, p, 403, 'forbidden']);
    }
    // A station user's own password route is not the administrator's.
    expect((await admin.request('PUT', '/api/me/password', { password: 'x' })).status).toBe(403);
  });

  test('ring groups: added through the API ring their members; changed members ring instead', async () => {
    const created = await admin.request('POST', '/api/groups', {
      number: '500',
      name: 'sales',
      members: ['202'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ number: '500', name: 'sales', members: ['202'] });
    const first = await h.phone('202', 'uas-answer.xml');
    expectPhoneOk(
      await h.call('201', '500', 'uac-invite-expect-200.xml', { pauseMs: 200 }),
      'caller',
    );
    expectPhoneOk(await first.done, 'member 202');
    expect(findReceived(await first.done, /^INVITE /)).toBeDefined();

    const changed = await admin.request('PATCH', '/api/groups/500', {
      remove: ['202'],
      add: ['203'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body.members).toEqual(['203']);
    const second = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(
      await h.call('201', '500', 'uac-invite-expect-200.xml', { pauseMs: 200 }),
      'caller',
    );
    expectPhoneOk(await second.done, 'member 203');
    await h.settle();
    const rec = (await h.pbx.ctx.store.cdrs.list({ ext: '201', limit: 1 }))[0];
    expect(rec).toMatchObject({ dialled: '500', calleeTel: '203', disposition: 'answered' });

    const audit = await h.pbx.ctx.store.audit.list({ action: 'group set' });
    expect(audit.some((a) => a.actor === 'web:admin' && a.origin === 'web')).toBe(true);
    expect((await admin.request('GET', '/api/groups/500')).body.members).toEqual(['203']);
    expect((await admin.request('DELETE', '/api/groups/500')).status).toBe(200);
    expect(h.cc.plan.group('500')).toBeUndefined();
  });

  test('ring groups: bad input as the command line says it; unknown groups 404', async () => {
    const bad = await admin.request('POST', '/api/groups', { number: '510', members: ['x1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'members: "x1" is not a station number (digits, comma-separated)',
    );
    // The same rule and words from `pbx group add` (only the label differs).
    const cli = await pbxCli(h.pbx.dbPath, 'group', 'add', '510', '--members', 'x1');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe(`error: ${bad.body.message.replace(/^members/, '--members')}`);

    const notStation = await admin.request('POST', '/api/groups', {
      number: '510',
      members: ['299'],
    });
    expect(notStation.status).toBe(409);
    expect(notStation.body.message).toMatch(/^members: .*299/);
    const clash = await admin.request('POST', '/api/groups', { number: '202' });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toContain('202');
    const tooLong = await admin.request('POST', '/api/groups', {
      number: '511',
      members: ['201', '202', '203', '204', '201'],
    });
    expect(tooLong.status).toBe(400);
    expect((await admin.request('POST', '/api/groups', { number: '512', extra: 1 })).status).toBe(
      400,
    );

    expect((await admin.request('POST', '/api/groups', { number: '520' })).status).toBe(201);
    // A station may not take a group's number or clash with a feature code (the same check).
    for (const tel of ['520', '6011']) {
      const r = await admin.request('POST', '/api/stations', { tel, password: 'pass520x' });
      expect([tel, r.status, r.body.error]).toEqual([tel, 409, 'conflict']);
      expect(r.body.message).toContain(tel === '520' ? '520' : '601');
    }
    for (const [body, message] of [
      [{}, 'nothing to change; give name, members, add, remove, voicemail or voicemailAfter'],
      [{ voicemailAfter: 0 }, 'voicemailAfter: a number of seconds, 0 < s <= 600, or default'],
      [{ voicemail: 'abc' }, 'voicemail: "abc" is not a station number, or none'],
    ] as const) {
      const r = await admin.request('PATCH', '/api/groups/520', body);
      expect([r.status, r.body.message]).toEqual([400, message]);
    }
    const addTwice = await admin.request('PATCH', '/api/groups/520', { add: ['202', '202'] });
    expect(addTwice.status).toBe(409);
    expect(addTwice.body.message).toBe('add: 202 is already a member of ring group 520');

    // The voice-mail overflow, as `pbx group set --voicemail --voicemail-after`.
    const off = await admin.request('PATCH', '/api/stations/204/voicemail', { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ tel: '204', enabled: false });
    const refused = await admin.request('PATCH', '/api/groups/520', { voicemail: '204' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      'voicemail: station 204 has its mailbox off (pbx ext set 204 --voicemail on first)',
    );
    const overflow = await admin.request('PATCH', '/api/groups/520', {
      voicemail: '203',
      voicemailAfter: 12,
    });
    expect(overflow.status).toBe(200);
    expect(overflow.body).toMatchObject({ voicemail: '203', voicemailAfter: 12 });
    expect(h.cc.plan.group('520')?.voicemail).toEqual({ station: '203', afterSeconds: 12 });

    for (const [method, p] of [
      ['GET', '/api/groups/599'],
      ['PATCH', '/api/groups/599'],
      ['DELETE', '/api/groups/599'],
    ] as const) {
      const r = await admin.request(method, p, method === 'PATCH' ? { name: 'x' } : undefined);
      expect([p, r.status, r.body.error]).toEqual([p, 404, 'not_found']);
    }
  });

  test('feature codes: a code moved through the API is what the next phone dials', async () => {
    const moved = await admin.request('PUT', '/api/numplan/dnd', { code: '47' });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ feature: 'dnd', code: '47', defaultCode: '40' });
    const listed = (await admin.request('GET', '/api/numplan')).body as Array<{
      feature: string;
      code: string | null;
      changed: boolean;
    }>;
    expect(listed.find((r) => r.feature === 'dnd')).toMatchObject({ code: '47', changed: true });
    expect(listed.some((r) => r.feature === 'trunk')).toBe(true);
    expectPhoneOk(await h.call('202', '471', 'uac-invite-expect-480.xml'), '202 dialling 471');
    await h.settle();
    expect((await h.pbx.ctx.store.stations.get('202'))?.dnd).toBe(true);
    expectPhoneOk(await h.call('202', '470', 'uac-invite-expect-480.xml'), '202 dialling 470');
    await h.settle();
    expect((await h.pbx.ctx.store.stations.get('202'))?.dnd).toBe(false);

    for (const [body, status] of [
      [{ code: 'x9' }, 400],
      [{ code: '201' }, 409],
      [{ code: 47 }, 400],
    ] as const) {
      const r = await admin.request('PUT', '/api/numplan/dnd', body);
      expect([body, r.status]).toEqual([body, status]);
      expect(typeof r.body.message).toBe('string');
    }
    const unknown = await admin.request('PUT', '/api/numplan/teleport', { code: '77' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^teleport: unknown feature; one of /);

    const cleared = await admin.request('DELETE', '/api/numplan/dnd');
    expect(cleared.body).toMatchObject({ feature: 'dnd', code: null });
    expect(h.cc.plan.plan().codes.dnd).toBeNull();
    const reset = await admin.request('POST', '/api/numplan/dnd/reset');
    expect(reset.body).toMatchObject({ feature: 'dnd', code: '40' });
    expect(h.cc.plan.plan().codes.dnd).toBe('40');
    const audit = await h.pbx.ctx.store.audit.list({ action: 'numplan set' });
    expect(audit[0]?.details).toMatchObject({ feature: 'dnd', code: '47' });
  });

  test('mailbox options: PIN and conditions checked as pbx ext set does; the PIN is never shown', async () => {
    for (const [body, message] of [
      [{ pin: '12' }, 'pin: a PIN is 4 to 10 digits'],
      [{ pin: '1234', pinClear: true }, 'mailbox: give either pin or pinClear, not both'],
      [
        { when: 'sometimes' },
        'when: sometimes is not one of no-answer, busy, dnd, unregistered, all, none',
      ],
      [{ enabled: 'maybe' }, 'enabled: say on or off'],
      [{}, 'nothing to change; give enabled, pin, pinClear or when'],
    ] as const) {
      const r = await admin.request('PATCH', '/api/stations/203/voicemail', body);
      expect([r.status, r.body.message]).toEqual([400, message]);
    }
    const r = await admin.request('PATCH', '/api/stations/203/voicemail', {
      pin: '4321098765',
      when: ['busy', 'no-answer'],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ pin: 'set', when: ['no-answer', 'busy'] });
    expect(JSON.stringify(r.body)).not.toContain('4321098765');
    const box = await h.pbx.ctx.store.voicemail.box('203');
    expect(box).toMatchObject({ hasPin: true, onBusy: true, onDnd: false });
    expect(box.pinHash).not.toContain('4321098765');
    const audit = await h.pbx.ctx.store.audit.list({ limit: 5 });
    expect(JSON.stringify(audit)).not.toContain('4321098765');
    expect((await admin.request('GET', '/api/stations/299/voicemail')).status).toBe(404);
    expect(
      (await admin.request('PATCH', '/api/stations/299/voicemail', { pin: '1234' })).status,
    ).toBe(404);
  });

  test('billing: accounts, rate CSV with every bad line named, auth codes', async () => {
    const kind = await admin.request('POST', '/api/accounts', { id: 'acme', kind: 'weird' });
    expect([kind.status, kind.body.message]).toEqual([
      400,
      'kind weird: must be prepaid, postpaid or flat',
    ]);
    const badId = await admin.request('POST', '/api/accounts', { id: 'a b', kind: 'prepaid' });
    expect([badId.status, badId.body.message]).toEqual([
      400,
      'account a b: must be 1 to 32 of letters, digits, "_" or "-"',
    ]);
    const acme = await admin.request('POST', '/api/accounts', {
      id: 'acme',
      kind: 'flat',
      name: 'Acme',
      flatFee: '12.50',
    });
    expect(acme.status).toBe(201);
    expect(acme.body).toMatchObject({ id: 'acme', kind: 'flat', flatFee: 12_500_000 });
    expect(
      (await admin.request('POST', '/api/accounts', { id: 'acme', kind: 'flat' })).status,
    ).toBe(409);

    const csv =
      'prefix,per_minute,minimum,increment,setup_fee\n03,0.05,60,60,0\n04,abc,60,60,0\n05,0.1,60\n';
    const res = await fetch(`${base}/api/rates`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { issues: Array<{ path: string; message: string }> };
    expect(err.issues.map((i) => i.path)).toEqual(['line 3 per_minute', 'line 4']);
    expect(err.issues[1]?.message).toBe(
      'must have 5 fields (prefix,per_minute,minimum,increment,setup_fee), got 3',
    );
    expect(await h.pbx.ctx.store.billing.rates()).toEqual([]);
    const good = await admin.request('PUT', '/api/rates', {
      csv: '03,0.05,60,60,0\n0,0.2,30,6,0.1\n',
    });
    expect(good.body).toEqual({ imported: 2 });
    expect((await admin.request('GET', '/api/rates')).body).toHaveLength(2);

    const code = await admin.request('POST', '/api/authcodes', { code: '1', account: 'acme' });
    expect([code.status, code.body.message]).toEqual([400, 'auth code 1: must be 2 to 12 digits']);
    expect(
      (await admin.request('POST', '/api/authcodes', { code: '471109382501', account: 'acme' }))
        .status,
    ).toBe(201);
    expect(
      (await admin.request('POST', '/api/authcodes', { code: '471109382501', account: 'acme' }))
        .status,
    ).toBe(409);
    expect((await admin.request('GET', '/api/authcodes')).body).toEqual([
      { code: '471109382501', account: 'acme', note: '' },
    ]);
    expect(
      JSON.stringify(await h.pbx.ctx.store.audit.list({ action: 'authcode add' })),
    ).not.toContain('471109382501');
    expect((await admin.request('DELETE', '/api/authcodes/471109382501')).status).toBe(200);
    expect((await admin.request('DELETE', '/api/authcodes/471109382501')).status).toBe(404);

    const statement = await admin.request('GET', '/api/accounts/acme/statement?since=0');
    expect(statement.status).toBe(200);
    expect(statement.headers.get('content-type')).toContain('text/csv');
    expect(statement.body).toMatch(/^start,caller,number,trunk,duration_s,charge\r?\n/);
    expect(statement.body).toMatch(/,,,,total,0(\.0+)?\r?\n$/);
    expect((await admin.request('GET', '/api/accounts/acme/statement')).status).toBe(400);
    expect((await admin.request('GET', '/api/accounts/nobody/statement?since=0')).status).toBe(404);
    expect((await admin.request('DELETE', '/api/accounts/acme')).status).toBe(200);
    expect((await admin.request('DELETE', '/api/accounts/acme')).status).toBe(404);
  });

  test('passwords: the current one is required, wrong ones are limited like logins, never logged', async () => {
    expect(
      (await admin.request('PUT', '/api/admin/password', { password: 'new-admin-pw' })).status,
    ).toBe(400);
    const short = await admin.request('PUT', '/api/admin/password', {
      current: 'admin-pw-1',
      password: 'abc',
    });
    expect([short.status, short.body.message]).toEqual([
      400,
      'password: must be 6 to 128 characters',
    ]);
    const wrong = await admin.request('PUT', '/api/admin/password', {
      current: 'nope-nope',
      password: 'new-admin-pw',
    });
    expect([wrong.status, wrong.body.error]).toEqual([403, 'bad_credentials']);
    const ok = await admin.request('PUT', '/api/admin/password', {
      current: 'admin-pw-1',
      password: 'new-admin-pw',
    });
    expect(ok.status).toBe(200);
    expect((await new ApiClient(base).login('admin', 'admin-pw-1')).status).toBe(401);
    expect((await new ApiClient(base).login('admin', 'new-admin-pw')).status).toBe(200);

    // A station user: own password, current required; other sessions end, this one goes on.
    const other = await loggedIn(base, '201', 'alice-cti');
    const changed = await alice.request('PUT', '/api/me/password', {
      current: 'alice-cti',
      password: 'alice-cti-2',
    });
    expect(changed.status).toBe(200);
    alice.token = changed.body.token as string;
    expect((await alice.request('GET', '/api/me')).status).toBe(200);
    expect((await other.request('GET', '/api/me')).status).toBe(401);
    // The old route for a station user now needs the current password too.
    expect(
      (await alice.request('PUT', '/api/stations/201/cti-password', { password: 'alice-cti-3' }))
        .status,
    ).toBe(400);
    // Three wrong attempts (http.loginAttempts) and the next one is refused outright.
    for (let i = 0; i < 3; i++) {
      const r = await alice.request('PUT', '/api/me/password', {
        current: `guess-${i}`,
        password: 'alice-cti-9',
      });
      expect(r.status).toBe(403);
    }
    const limited = await alice.request('PUT', '/api/me/password', {
      current: 'alice-cti-2',
      password: 'alice-cti-9',
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const audit = JSON.stringify(await h.pbx.ctx.store.audit.list({ limit: 50 }));
    for (const secret of ['new-admin-pw', 'alice-cti-2', 'alice-cti-9', 'guess-0'])
      expect(audit).not.toContain(secret);
    expect(audit).toContain('admin passwd');
    expect(audit).toContain('wrong current password');
  });

  test('backup: checked as pbx restore checks it; restore is refused while the PBX runs', async () => {
    const file = path.join(tmp, 'copy.sqlite');
    expect((await admin.request('POST', '/api/backup', { file })).status).toBe(201);
    const check = await admin.request('POST', '/api/backup/check', { file });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ file, stations: 4 });
    const restore = await admin.request('POST', '/api/restore', { file });
    expect(restore.status).toBe(409);
    expect(restore.body.error).toBe('pbx_running');
    expect(restore.body.message).toContain(`pbx restore ${file}`);
    expect((await h.pbx.ctx.store.stations.list()).length).toBe(4);

    const junk = path.join(tmp, 'junk.sqlite');
    await writeFile(junk, 'not a database at all');
    const bad = await admin.request('POST', '/api/restore', { file: junk });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^restore refused: /);
    expect((await admin.request('POST', '/api/restore', { file: 'relative.sqlite' })).status).toBe(
      400,
    );
    expect(
      (await admin.request('POST', '/api/restore', { file: path.join(tmp, 'missing.sqlite') }))
        .status,
    ).toBe(404);
    expect((await admin.request('POST', '/api/restore', { file: h.pbx.dbPath })).status).toBe(400);
  });
});
