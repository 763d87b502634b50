/**
 * Trunks through the HTTP API against a running PBX, Kamailio as the provider and a sipp PSTN
 * gateway behind it: a trunk added through the API registers, a caller ID changed through the
 * API is what the provider sees on the next call, DIDs and LCR routes are checked with the
 * command line's messages, the call is billed to an account added through the API and shows on
 * its statement; passwords never come back nor reach the audit log.
 */
import { expectPhoneOk, findReceived, headerOf, waitFor } from '../helpers/calls-harness';
import { loggedIn } from '../helpers/http-client';
import {
  KAM_IP,
  NUMBER,
  PASSWORD,
  mainTrunkFields,
  records,
  world,
  type World,
} from '../helpers/trunk-world';

jest.setTimeout(90_000);

describe('HTTP API: trunks, DIDs, routes', () => {
  it('adds a registering trunk, changes it, routes a call over it and bills it; bad input is 4xx', async () => {
    await using w: World = await world();
    const { h } = w;
    const store = h.pbx.ctx.store;
    await h.station('201', { name: 'Alice' });
    await store.webAuth.setAdminPassword('admin-pw-1');
    const admin = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');

    // Bad settings: every field named with the rule `pbx trunk add` gives.
    for (const [body, message] of [
      [{ name: 'main' }, 'host: is required'],
      [{ name: 'Main Trunk', host: KAM_IP }, 'name: must be 1 to 32 of a-z, 0-9, "_" or "-"'],
      [{ name: 'main', host: KAM_IP, transport: 'sctp' }, 'transport: must be udp, tcp or tls'],
      [{ name: 'main', host: KAM_IP, bogus: 1 }, 'bogus: is not a trunk setting'],
      [{ host: KAM_IP }, 'name: is required'],
      [
        { name: 'main', host: KAM_IP, dids: [{ did: '0312', target: '299' }] },
        '299: no station or ring group has this number',
      ],
    ] as const) {
      const r = await admin.request('POST', '/api/trunks', body);
      expect([r.status >= 400 && r.status < 500, r.body.message]).toEqual([true, message]);
    }
    expect(await store.trunks.list()).toEqual([]);

    const added = await admin.request('POST', '/api/trunks', {
      ...mainTrunkFields(w),
      callerId: '0399990002',
      dids: [{ did: '0398720000', target: '201' }],
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      name: 'main',
      transport: 'tcp',
      hasPassword: true,
      dids: [{ did: '0398720000', trunk: 'main', target: '201' }],
    });
    expect(JSON.stringify(added.body)).not.toContain(PASSWORD);
    expect(
      (await admin.request('POST', '/api/trunks', { name: 'main', host: KAM_IP })).status,
    ).toBe(409);
    // Applied by the running PBX: it registers with the provider.
    await waitFor(
      'trunk main registered',
      async () =>
        (await store.trunks.statuses()).some((s) => s.trunk === 'main' && s.state === 'registered'),
      15_000,
    );
    expect((await admin.request('GET', '/api/trunks/main')).body.status).toMatchObject({
      state: 'registered',
    });

    const changed = await admin.request('PATCH', '/api/trunks/main', { callerId: '0399990001' });
    expect(changed.status).toBe(200);
    expect(changed.body.callerId).toBe('0399990001');
    expect((await admin.request('PATCH', '/api/trunks/main', {})).status).toBe(400);
    expect(
      (await admin.request('PATCH', '/api/trunks/main', { port: 'many' })).body.message,
    ).toMatch(/^port: /);
    expect((await admin.request('PATCH', '/api/trunks/other', { port: 5060 })).status).toBe(404);

    // LCR routes and DIDs, as `pbx trunk route|did`.
    const route = await admin.request('PUT', '/api/trunks/main/routes/any', {
      priority: 5,
      prepend: '',
    });
    expect(route.body).toEqual({ prefix: '', trunk: 'main', priority: 5, strip: 0, addPrefix: '' });
    const badPriority = await admin.request('PUT', '/api/trunks/main/routes/03', {
      priority: 5000,
    });
    expect([badPriority.status, badPriority.body.message]).toEqual([
      400,
      'priority 5000: must be an integer between 0 and 1000',
    ]);
    const badPrefix = await admin.request('PUT', '/api/trunks/main/routes/0x', {});
    expect(badPrefix.status).toBe(400);
    expect(badPrefix.body.message).toMatch(/^prefix 0x: must be up to 32 digits/);
    expect((await admin.request('PUT', '/api/trunks/other/routes/03', {})).status).toBe(404);
    expect((await admin.request('GET', '/api/routes')).body).toEqual([route.body]);
    const badDid = await admin.request('PUT', '/api/trunks/main/dids/12ab', { target: '201' });
    expect([badDid.status, badDid.body.message]).toEqual([
      400,
      'DID 12ab: must be 1 to 32 digits (a leading + allowed)',
    ]);
    expect(
      (await admin.request('PUT', '/api/trunks/main/dids/0398720001', { target: '201' })).status,
    ).toBe(200);
    expect((await admin.request('GET', '/api/dids')).body).toHaveLength(2);
    expect((await admin.request('DELETE', '/api/trunks/main/dids/0398720001')).status).toBe(200);
    expect((await admin.request('DELETE', '/api/trunks/main/dids/0398720001')).status).toBe(404);

    // Billing: the caller's station account and a rate, through the API.
    expect(
      (await admin.request('POST', '/api/accounts', { id: '201', kind: 'postpaid' })).status,
    ).toBe(201);
    expect((await admin.request('PUT', '/api/rates', { csv: '03,0.10,60,60,0\n' })).status).toBe(
      200,
    );

    // The next call uses the trunk as changed.
    const r = await h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(r, 'station 201');
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A');
    const invite = findReceived(gw, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@${KAM_IP.replace(/\./g, '\\.')}`),
    );
    expect(headerOf(invite, 'From')).toMatch(/<sip:0399990001@127\.0\.0\.10>/);
    const rec = (await records(h)).at(-1);
    expect(rec).toMatchObject({ callerTel: '201', trunk: 'main', account: '201' });
    expect(rec?.charge).toBe(100_000);

    const statement = await admin.request('GET', '/api/accounts/201/statement?since=0');
    expect(statement.status).toBe(200);
    const lines = (statement.body as string).trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`,201,${NUMBER},main,[\\d.]+,0\\.10$`));
    expect(lines[2]).toBe(',,,,total,0.10');

    const audit = JSON.stringify(await store.audit.list({ limit: 100 }));
    expect(audit).toContain('trunk add');
    expect(audit).toContain('trunk set');
    expect(audit).not.toContain(PASSWORD);

    expect((await admin.request('DELETE', '/api/trunks/main')).status).toBe(200);
    expect((await admin.request('GET', '/api/trunks/main')).status).toBe(404);
    expect((await admin.request('DELETE', '/api/trunks/main')).status).toBe(404);
    expect(await store.trunks.routes()).toEqual([]);
  });
});
