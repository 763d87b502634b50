/**
 * Changing a billing account through the HTTP API (`PATCH /api/accounts/:id`, as `pbx account
 * set`): name, kind and flat fee change, the balance and ledger stay; bad input is 400 with the
 * field named, an unknown account 404, a station user 403; the change is audited.
 */
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';
import { type ApiClient, type Json, loggedIn } from '../helpers/http-client';

jest.setTimeout(60_000);

describe('PATCH /api/accounts/:id', () => {
  let pbx: TestPbx;
  let admin: ApiClient;

  beforeAll(async () => {
    pbx = await startTestPbx();
    const store = pbx.ctx.store;
    await store.stations.create({ tel: '201', password: 'secret201x' }, { realm: 'pbx.local' });
    await store.webAuth.setAdminPassword('admin-pw-1');
    await store.webAuth.setCtiPassword('201', 'cti-201');
    admin = await loggedIn(pbx.http.url, 'admin', 'admin-pw-1');
    expect(
      (await admin.request('POST', '/api/accounts', { id: 'sales', kind: 'prepaid' })).status,
    ).toBe(201);
    expect(
      (await admin.request('POST', '/api/accounts/sales/topup', { amount: '7.25' })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await pbx?.[Symbol.asyncDispose]();
  });

  test('changes name, kind and flat fee; the balance stays; audited', async () => {
    const r = await admin.request('PATCH', '/api/accounts/sales', {
      name: 'Sales team',
      kind: 'flat',
      flatFee: '19.90',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: 'sales',
      name: 'Sales team',
      kind: 'flat',
      flatFee: 19_900_000,
      balance: 7_250_000,
    });
    const back = (await admin.request('GET', '/api/accounts/sales')).body as Json;
    expect(back).toMatchObject({ kind: 'flat', flatFee: 19_900_000, balance: 7_250_000 });
    expect(back.ledger).toHaveLength(1);
    const audit = await pbx.ctx.store.audit.list({ action: 'account set' });
    expect(audit.find((a) => a.action === 'account set')).toMatchObject({
      outcome: 'ok',
      details: { id: 'sales', fields: ['name', 'kind', 'flatFee'] },
    });
  });

  test('bad input 400 naming the field, unknown 404, a station user 403; nothing changes', async () => {
    for (const [body, message] of [
      [{}, /nothing to change; give name, kind or flatFee/],
      [{ kind: 'gold' }, /kind gold: must be prepaid, postpaid or flat/],
      [{ flatFee: '-1' }, /flatFee/],
      [{ name: 'x'.repeat(201) }, /name: at most 200 characters/],
      [{ balance: 100 }, /balance/],
    ] as const) {
      const r = await admin.request('PATCH', '/api/accounts/sales', body);
      expect({ status: r.status, error: r.body.error }).toEqual({
        status: 400,
        error: 'invalid_input',
      });
      expect(r.body.message).toMatch(message);
    }
    expect((await admin.request('PATCH', '/api/accounts/nobody', { name: 'X' })).status).toBe(404);
    const user = await loggedIn(pbx.http.url, '201', 'cti-201');
    expect((await user.request('PATCH', '/api/accounts/sales', { name: 'Mine' })).status).toBe(403);
    expect((await admin.request('GET', '/api/accounts/sales')).body).toMatchObject({
      name: 'Sales team',
      kind: 'flat',
      balance: 7_250_000,
    });
  });
});
