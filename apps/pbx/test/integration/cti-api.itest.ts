/**
 * The console's API beyond calls, over real HTTP against a running PBX: external contacts
 * (shared by the administrator, personal per station user, ownership enforced, searchable) and
 * a station user's voice mail (list, the WAV served to its owner only, mark heard and delete,
 * with the message-waiting counts following exactly as the phone menu leaves them), and the
 * `pbx` command's services the API lacked (trunks, rates, accounts, lamps, PBX messages, backup).
 * Bad input, station users on admin routes and other users' resources get clear 4xx answers.
 */
import { mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { startCallsPbx, type CallsPbx } from '../helpers/calls-harness';
import { ApiClient, loggedIn } from '../helpers/http-client';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(60_000);

describe('CTI API: contacts and voice mail', () => {
  let h: CallsPbx;
  let base: string;
  let admin: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    h = await startCallsPbx();
    base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.ctx.store.webAuth.setCtiPassword('202', 'bob-cti');
    admin = new ApiClient(base);
    alice = new ApiClient(base);
    bob = new ApiClient(base);
    expect((await admin.login('admin', 'admin-pw-1')).status).toBe(200);
    expect((await alice.login('201', 'alice-cti')).status).toBe(200);
    expect((await bob.login('202', 'bob-cti')).status).toBe(200);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  test('external contacts: shared by the administrator, personal per user, each sees shared + own', async () => {
    const shared = await admin.request('POST', '/api/external-contacts', {
      name: 'Acme Plumbing',
      number: '90398722900',
      notes: 'boiler service',
    });
    expect(shared.status).toBe(201);
    expect(shared.body).toMatchObject({ name: 'Acme Plumbing', shared: true });
    const mine = await alice.request('POST', '/api/external-contacts', {
      name: 'Dr. Zed',
      number: '90311112222',
    });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ shared: false, owner: '201' });
    const bobs = await bob.request('POST', '/api/external-contacts', {
      name: "Bob's garage",
      number: '90355556666',
    });
    expect(bobs.status).toBe(201);

    const aliceSees = (await alice.request('GET', '/api/external-contacts')).body as Array<{
      name: string;
    }>;
    expect(aliceSees.map((c) => c.name).sort()).toEqual(['Acme Plumbing', 'Dr. Zed']);
    const bobSees = (await bob.request('GET', '/api/external-contacts')).body as Array<{
      name: string;
    }>;
    expect(bobSees.map((c) => c.name).sort()).toEqual(['Acme Plumbing', "Bob's garage"]);
    expect(((await admin.request('GET', '/api/external-contacts')).body as unknown[]).length).toBe(
      3,
    );
    // Search: name, number and notes, with the LIKE wildcards taken literally.
    const boiler = await alice.request('GET', '/api/external-contacts?q=BOILER');
    expect(boiler.body).toEqual([expect.objectContaining({ name: 'Acme Plumbing' })]);
    expect((await alice.request('GET', '/api/external-contacts?q=3111')).body).toEqual([
      expect.objectContaining({ name: 'Dr. Zed' }),
    ]);
    expect((await alice.request('GET', '/api/external-contacts?q=%25')).body).toEqual([]);

    // Ownership: Bob's personal contact does not exist for Alice; shared ones are the admin's.
    const bobId = bobs.body.id as number;
    expect(
      (await alice.request('PATCH', `/api/external-contacts/${bobId}`, { name: 'x' })).status,
    ).toBe(404);
    expect((await alice.request('DELETE', `/api/external-contacts/${bobId}`)).status).toBe(404);
    const sharedId = shared.body.id as number;
    expect(
      (await alice.request('PATCH', `/api/external-contacts/${sharedId}`, { notes: 'x' })).status,
    ).toBe(403);
    expect((await alice.request('DELETE', `/api/external-contacts/${sharedId}`)).status).toBe(403);
    expect(
      (
        await alice.request('POST', '/api/external-contacts', {
          name: 'X',
          number: '1',
          shared: true,
        })
      ).status,
    ).toBe(403);
    const renamed = await alice.request('PATCH', `/api/external-contacts/${mine.body.id}`, {
      name: 'Dr. Zed (dentist)',
    });
    expect([renamed.status, renamed.body.name]).toEqual([200, 'Dr. Zed (dentist)']);
    const notes = await admin.request('PATCH', `/api/external-contacts/${sharedId}`, {
      notes: 'boiler and radiators',
    });
    expect([notes.status, notes.body.notes]).toEqual([200, 'boiler and radiators']);
    expect((await bob.request('DELETE', `/api/external-contacts/${bobId}`)).status).toBe(200);
    expect((await bob.request('DELETE', `/api/external-contacts/${bobId}`)).status).toBe(404);

    // Bad input.
    for (const body of [
      {},
      { name: '', number: '123' },
      { name: 'A', number: 'call me' },
      { name: 'A', number: '1'.repeat(33) },
      { name: 'A\u0007', number: '123' },
      { name: 'A', number: '123', notes: 'n'.repeat(1001) },
      { name: 'A', number: '123', owner: '202' },
      '[]',
    ]) {
      const r = await alice.request('POST', '/api/external-contacts', body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect(
      (await alice.request('PATCH', `/api/external-contacts/${mine.body.id}`, {})).status,
    ).toBe(400);
    expect((await alice.request('PATCH', '/api/external-contacts/abc', { name: 'x' })).status).toBe(
      400,
    );
    expect((await alice.request('GET', '/api/external-contacts?q=' + 'x'.repeat(65))).status).toBe(
      400,
    );
    expect((await new ApiClient(base).request('GET', '/api/external-contacts')).status).toBe(401);
    // Removing a station removes its personal contacts.
    await h.pbx.ctx.store.stations.remove('202');
    expect(
      (await h.pbx.ctx.store.contacts.list({ viewer: null })).some((c) => c.ownerTel === '202'),
    ).toBe(false);
  });

  test('voice mail: list, play (owner only), mark heard and delete; the lamp counts follow', async () => {
    const store = h.pbx.ctx.store;
    const files = h.pbx.voicemail.files;
    const keep = async (caller: string, name: string) => {
      const rel = files.messageName('201');
      mkdirSync(path.dirname(files.abs(rel)), { recursive: true });
      toneWav(files.abs(rel), 700, 1);
      return store.voicemail.addMessage({
        tel: '201',
        callerTel: caller,
        callerName: name,
        receivedAt: Date.now(),
        durationMs: 1000,
        file: rel,
      });
    };
    const first = await keep('203', 'Carol');
    const second = await keep('0398722900', '');
    await h.pbx.presence.mailboxes.set('201', await store.voicemail.counts('201'));

    const list = await alice.request('GET', '/api/me/voicemail');
    expect(list.status).toBe(200);
    expect(list.body.counts).toEqual({ new: 2, old: 0 });
    expect(list.body.messages).toEqual([
      expect.objectContaining({
        id: first.id,
        callerTel: '203',
        callerName: 'Carol',
        heard: false,
      }),
      expect.objectContaining({ id: second.id, heard: false }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain('.wav');

    const audio = await fetch(`${base}/api/me/voicemail/${first.id}/audio`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await audio.arrayBuffer());
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
    // Another user and nobody: not theirs.
    const other = new ApiClient(base);
    await h.station('203', { name: 'Carol' });
    await store.webAuth.setCtiPassword('203', 'carol-cti');
    const carol = await loggedIn(base, '203', 'carol-cti');
    expect((await carol.request('GET', `/api/me/voicemail/${first.id}/audio`)).status).toBe(404);
    expect((await carol.request('DELETE', `/api/me/voicemail/${first.id}`)).status).toBe(404);
    expect((await carol.request('GET', '/api/me/voicemail?as=201')).body.counts).toEqual({
      new: 0,
      old: 0,
    });
    expect((await other.request('GET', `/api/me/voicemail/${first.id}/audio`)).status).toBe(401);
    expect((await admin.request('GET', '/api/me/voicemail')).status).toBe(400);
    expect((await admin.request('GET', '/api/me/voicemail?as=201')).body.counts).toEqual({
      new: 2,
      old: 0,
    });
    expect((await alice.request('GET', '/api/me/voicemail/999999/audio')).status).toBe(404);
    expect((await alice.request('POST', '/api/me/voicemail/abc/heard')).status).toBe(400);
    expect((await alice.request('GET', '/api/me/voicemail?bogus=1')).status).toBe(400);

    // Hearing one new message of two: the lamp stays on with one new, one old.
    expect((await alice.request('POST', `/api/me/voicemail/${first.id}/heard`)).status).toBe(200);
    expect(await store.mailboxes.get('201')).toMatchObject({ newMessages: 1, oldMessages: 1 });
    // Deleting the last new one turns it off, as the phone menu does; the file goes too.
    expect((await alice.request('DELETE', `/api/me/voicemail/${second.id}`)).status).toBe(200);
    expect(await store.mailboxes.get('201')).toMatchObject({ newMessages: 0, oldMessages: 1 });
    await expect(access(files.abs(second.file))).rejects.toThrow();
    expect((await alice.request('DELETE', `/api/me/voicemail/${second.id}`)).status).toBe(404);
    expect((await alice.request('GET', '/api/me/voicemail')).body.counts).toEqual({
      new: 0,
      old: 1,
    });
  });

  test("the CLI's services through the API: trunks, rates, accounts, lamps, messages, backup (admin only, bad input 4xx)", async () => {
    const store = h.pbx.ctx.store;
    // Station users are refused every one of them.
    for (const [method, url] of [
      ['GET', '/api/trunks'],
      ['DELETE', '/api/trunks/main'],
      ['GET', '/api/rates'],
      ['GET', '/api/accounts'],
      ['POST', '/api/accounts/201/topup'],
      ['GET', '/api/mwi'],
      ['PUT', '/api/mwi/201'],
      ['POST', '/api/messages'],
      ['POST', '/api/backup'],
    ] as const) {
      const r = await alice.request(method, url, method === 'GET' ? undefined : {});
      expect([url, r.status]).toEqual([url, 403]);
      expect((await new ApiClient(base).request(method, url)).status).toBe(401);
    }

    // Trunks: listed without secrets, removed.
    await store.trunks.create({
      name: 'main',
      host: '127.0.0.99',
      port: 5999,
      transport: 'udp',
      username: 'acct',
      password: 'provider-secret',
      register: false,
    });
    await h.pbx.changeApplied('trunks');
    const trunks = await admin.request('GET', '/api/trunks');
    expect(trunks.body).toEqual([
      expect.objectContaining({ name: 'main', host: '127.0.0.99', hasPassword: true }),
    ]);
    expect(JSON.stringify(trunks.body)).not.toContain('provider-secret');
    expect((await admin.request('GET', '/api/trunks/main')).status).toBe(200);
    expect((await admin.request('GET', '/api/trunks/Bad%20Name')).status).toBe(400);
    expect((await admin.request('GET', '/api/trunks/none')).status).toBe(404);
    expect((await admin.request('DELETE', '/api/trunks/main')).status).toBe(200);
    expect(await store.trunks.list()).toEqual([]);

    // Rates and accounts.
    await store.billing.replaceRates([
      { prefix: '03', perMinute: 20_000, minSeconds: 60, incrementSeconds: 60, setupFee: 0 },
    ]);
    expect((await admin.request('GET', '/api/rates')).body).toEqual([
      expect.objectContaining({ prefix: '03', perMinute: 20_000 }),
    ]);
    await store.billing.createAccount({ id: '201', kind: 'prepaid', name: 'Alice' });
    const topup = await admin.request('POST', '/api/accounts/201/topup', { amount: '12.50' });
    expect([topup.status, topup.body.balance]).toEqual([200, 12_500_000]);
    const shown = await admin.request('GET', '/api/accounts/201');
    expect(shown.body.ledger).toEqual([expect.objectContaining({ amount: 12_500_000 })]);
    expect((await admin.request('GET', '/api/accounts')).body).toHaveLength(1);
    for (const body of [{ amount: 'lots' }, { amount: '1.1234567' }, { amount: 0 }, {}]) {
      const r = await admin.request('POST', '/api/accounts/201/topup', body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect((await admin.request('POST', '/api/accounts/nobody/topup', { amount: 1 })).status).toBe(
      404,
    );
    expect((await admin.request('GET', '/api/accounts/bad%20id')).status).toBe(400);

    // Message-waiting lamp.
    const lamp = await admin.request('PUT', '/api/mwi/201', { new: 2 });
    expect(lamp.body).toMatchObject({ newMessages: 2, lamp: 'on' });
    expect(await store.mailboxes.get('201')).toMatchObject({ newMessages: 2 });
    expect((await admin.request('PUT', '/api/mwi/201', { new: -1 })).status).toBe(400);
    expect((await admin.request('PUT', '/api/mwi/299', { new: 1 })).status).toBe(404);
    const unsolicited = await admin.request('PUT', '/api/mwi/201/unsolicited', { on: true });
    expect(unsolicited.body).toMatchObject({ unsolicited: true });
    expect((await admin.request('PUT', '/api/mwi/201', { new: 0, old: 0 })).body.lamp).toBe('off');

    // A message from the PBX, queued for a station that is not registered.
    const sent = await admin.request('POST', '/api/messages', {
      to: '201',
      body: 'Fire drill at 3',
    });
    expect([sent.status, sent.body]).toEqual([202, { queued: 1 }]);
    const kept = await store.messages.list({ ext: '201', limit: 5 });
    expect(kept.some((m) => m.body === 'Fire drill at 3' && m.fromTel === 'pbx')).toBe(true);
    expect((await admin.request('POST', '/api/messages', { to: '299', body: 'x' })).status).toBe(
      404,
    );
    expect((await admin.request('POST', '/api/messages', { to: '201', body: '  ' })).status).toBe(
      400,
    );

    // Backup on the PBX host.
    const dir = path.join(path.dirname(h.pbx.dbPath), 'backups');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'copy.sqlite');
    const backup = await admin.request('POST', '/api/backup', { file });
    expect(backup.status).toBe(201);
    expect(backup.body).toMatchObject({ file });
    await access(file);
    expect((await admin.request('POST', '/api/backup', { file })).status).toBe(409);
    expect((await admin.request('POST', '/api/backup', { file, force: true })).status).toBe(201);
    for (const body of [
      { file: 'relative.sqlite' },
      { file: path.join(dir, 'missing', 'x.sqlite') },
      { file: h.pbx.dbPath, force: true },
      { file, extra: 1 },
    ]) {
      const r = await admin.request('POST', '/api/backup', body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const audit = await store.audit.list({ action: 'backup' });
    expect(audit.at(-1)).toMatchObject({ actor: 'web:admin', origin: 'web', outcome: 'ok' });
  });
});
