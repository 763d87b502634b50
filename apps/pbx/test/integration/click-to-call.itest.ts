/**
 * Click to call through the API with sipp phones: the user's phone rings first showing the
 * target, the target is called with the user's SDP once the user answers, and the user is
 * re-INVITEd with the target's SDP (the two phones' media point at each other). The call is an
 * ordinary live call (listed, hung up from the API), its record says outgoing for the user. A
 * phone that is not registered, in DND or busy, a bad number, another user's station or a
 * refusal by the user's phone get clear answers and events, never a hang.
 */
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  received,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { ApiClient, EventClient, loggedIn } from '../helpers/http-client';
import { freePort } from '../helpers/sipp';

jest.setTimeout(60_000);

describe('click to call', () => {
  let h: CallsPbx;
  let base: string;
  let alice: ApiClient;
  let admin: ApiClient;
  const clients: EventClient[] = [];

  beforeAll(async () => {
    h = await startCallsPbx();
    base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol' });
    await h.station('204', { name: 'Dan' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.ctx.store.webAuth.setCtiPassword('203', 'carol-cti');
    alice = await loggedIn(base, '201', 'alice-cti');
    admin = await loggedIn(base, 'admin', 'admin-pw-1');
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await h?.[Symbol.asyncDispose]();
  });

  const events = async (client: ApiClient, topics: string): Promise<EventClient> => {
    const c = await EventClient.open(base, client.token!, topics);
    clients.push(c);
    return c;
  };

  test('the user answers, the target answers: bridged phone to phone, listed, hung up from the API, recorded as outgoing', async () => {
    const ev = await events(alice, 'calls,records');
    const userPort = await freePort('udp', '127.0.0.1');
    const targetPort = await freePort('udp', '127.0.0.1');
    const user = await h.phone('201', 'uas-answer-expect-reinvite-mport.xml', {
      pauseMs: 300,
      keys: { mport: String(userPort) },
    });
    const target = await h.phone('202', 'uas-answer-mport.xml', {
      keys: { mport: String(targetPort) },
    });
    const placed = await alice.request('POST', '/api/me/calls', { to: '202' });
    expect(placed.status).toBe(202);
    const ref = placed.body.ref as string;
    expect(placed.body).toMatchObject({
      state: 'ringing',
      caller: { station: '201' },
      callee: '202',
    });
    // Connected with an answer time: the target answered and the user took its SDP.
    await ev.waitFor(
      (e) =>
        e.topic === 'calls' &&
        e.data.ref === ref &&
        e.data.state === 'connected' &&
        e.data.answeredAt !== null,
      15_000,
      'click-to-call connected',
    );
    const live = await alice.request('GET', '/api/calls');
    expect(live.body).toEqual([
      expect.objectContaining({
        ref,
        state: 'connected',
        caller: expect.objectContaining({ station: '201' }),
      }),
    ]);
    expect((await admin.request('DELETE', `/api/calls/${ref}`)).status).toBe(200);
    const userDone = await user.done;
    const targetDone = await target.done;
    expectPhoneOk(userDone, 'user phone 201');
    expectPhoneOk(targetDone, 'target phone 202');

    // The user's phone was rung first, showing the target.
    const first = findReceived(userDone, /^INVITE /);
    expect(headerOf(first, 'From')).toMatch(/^"Bob" <sip:202@/);
    // The target was called by the user, with the user's media.
    const toTarget = findReceived(targetDone, /^INVITE /);
    expect(headerOf(toTarget, 'From')).toMatch(/^"Alice" <sip:201@/);
    expect(bodyOf(toTarget)).toMatch(new RegExp(`^m=audio ${userPort} `, 'm'));
    // The user was then re-INVITEd with the target's media: the two point at each other.
    const invites = received(userDone).filter((m) => m.startsWith('INVITE '));
    expect(invites).toHaveLength(2);
    expect(bodyOf(invites[1])).toMatch(new RegExp(`^m=audio ${targetPort} `, 'm'));
    expect(bodyOf(invites[1])).toMatch(/^a=sendrecv/m);

    const record = await ev.waitFor(
      (e) => e.topic === 'records' && e.data.callRef === ref,
      15_000,
      'call record',
    );
    expect(record.data).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      disposition: 'answered',
    });
    await h.settle();
    const history = await alice.request('GET', '/api/me/calls');
    const mine = (history.body.records as Array<{ callRef: string; callerTel: string }>).find(
      (r) => r.callRef === ref,
    );
    expect(mine).toMatchObject({ callerTel: '201' });
    expect(history.body.counts.outgoing).toBeGreaterThanOrEqual(1);
    expect((await alice.request('GET', '/api/calls')).body).toEqual([]);
  });

  test('the target hangs up: the user gets BYE and the record says answered', async () => {
    const ev = await events(alice, 'calls,records');
    const user = await h.phone('201', 'uas-answer-expect-reinvite.xml');
    const target = await h.phone('203', 'uas-answer-send-bye.xml', { pauseMs: 2000 });
    const placed = await alice.request('POST', '/api/me/calls', { to: '203' });
    expect(placed.status).toBe(202);
    const ref = placed.body.ref as string;
    expectPhoneOk(await target.done, 'target phone 203 hanging up');
    expectPhoneOk(await user.done, 'user phone 201 getting BYE');
    const record = await ev.waitFor(
      (e) => e.topic === 'records' && e.data.callRef === ref,
      15_000,
      'call record',
    );
    expect(record.data).toMatchObject({
      callerTel: '201',
      calleeTel: '203',
      disposition: 'answered',
      hangupSide: 'callee',
    });
  });

  test('the user phone refuses: the call ends with a record and an ended event', async () => {
    const ev = await events(alice, 'calls,records');
    const user = await h.phone('201', 'uas-reject-486.xml');
    const placed = await alice.request('POST', '/api/me/calls', { to: '202' });
    expect(placed.status).toBe(202);
    const ref = placed.body.ref as string;
    expectPhoneOk(await user.done, 'user phone 201 refusing');
    await ev.waitFor(
      (e) => e.topic === 'calls' && e.data.ref === ref && e.data.state === 'ended',
      15_000,
      'ended event',
    );
    const record = await ev.waitFor(
      (e) => e.topic === 'records' && e.data.callRef === ref,
      15_000,
      'call record',
    );
    expect(record.data).toMatchObject({ callerTel: '201', answerAt: null });
    expect(record.data.disposition).not.toBe('answered');
  });

  test('refusals before anything rings: clear 4xx answers', async () => {
    await h.unregister('201');
    const notRegistered = await alice.request('POST', '/api/me/calls', { to: '202' });
    expect(notRegistered.status).toBe(409);
    expect(notRegistered.body).toMatchObject({ error: 'not_registered' });
    expect(notRegistered.body.message).toMatch(/not registered/);

    await h.register('201', await freePort('udp', '127.0.0.1'));
    expect((await alice.request('PATCH', '/api/me', { dnd: true })).status).toBe(200);
    const dnd = await alice.request('POST', '/api/me/calls', { to: '202' });
    expect([dnd.status, dnd.body.error]).toEqual([409, 'dnd']);
    expect((await alice.request('PATCH', '/api/me', { dnd: false })).status).toBe(200);

    // 204 has no registration: the target cannot be called now.
    const target = await alice.request('POST', '/api/me/calls', { to: '204' });
    expect([target.status, target.body.error]).toEqual([409, 'target']);
    const unknown = await alice.request('POST', '/api/me/calls', { to: '299' });
    expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found']);
    const own = await alice.request('POST', '/api/me/calls', { to: '201' });
    expect([own.status, own.body.error]).toEqual([400, 'own_number']);
    for (const body of [
      {},
      { to: 'abc' },
      { to: '202', extra: 1 },
      { to: '2'.repeat(40) },
      '[1]',
    ]) {
      const r = await alice.request('POST', '/api/me/calls', body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const anon = await new ApiClient(base).request('POST', '/api/me/calls', { to: '202' });
    expect(anon.status).toBe(401);
    // The administrator must name the station.
    expect((await admin.request('POST', '/api/me/calls', { to: '202' })).status).toBe(400);
    // Nothing was left ringing.
    expect((await admin.request('GET', '/api/calls')).body).toEqual([]);
  });
});
