/**
 * Chat groups ("text conferences") over SIP MESSAGE and the HTTP API, against a running PBX with
 * sipp phones: a member's phone writes to the group's number and every other member's phone gets
 * it from the group's address with the writer named in the body; a non-member gets 403 and an
 * unknown number 404; a post from the browser API reaches the phones; an offline member gets the
 * group's messages in order with their original Date when it registers; the WebSocket stream
 * tells members (and only them) live; management rules and bad input get clear 4xx answers.
 */
import {
  bodyOf,
  expectPhoneOk,
  headerOf,
  received,
  startCallsPbx,
  waitFor,
  type CallsPbx,
} from '../helpers/calls-harness';
import { ApiClient, EventClient, type Json, loggedIn } from '../helpers/http-client';
import { freePort, scenario, startSippUas, type SippResult } from '../helpers/sipp';

jest.setTimeout(90_000);

const messagesIn = (r: SippResult) => received(r).filter((m) => m.startsWith('MESSAGE '));

describe('chat groups', () => {
  let h: CallsPbx;
  let base: string;
  const api: Record<string, ApiClient> = {};
  let group: Json;

  beforeAll(async () => {
    h = await startCallsPbx();
    base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol' });
    await h.station('204', { name: 'Dave' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    api.admin = await loggedIn(base, 'admin', 'admin-pw-1');
    for (const tel of ['201', '202', '203', '204']) {
      await h.pbx.ctx.store.webAuth.setCtiPassword(tel, `cti-${tel}`);
      api[tel] = await loggedIn(base, tel, `cti-${tel}`);
    }
    const created = await api['201']!.request('POST', '/api/chat/groups', {
      name: 'Sales',
      members: ['202', '203'],
    });
    expect(created.status).toBe(201);
    group = created.body;
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  /** A sipp phone for `tel` that takes `count` MESSAGEs; `done` also drops its binding. */
  async function inbox(tel: string, count: number) {
    const port = await freePort('udp', '127.0.0.1');
    const peer = await startSippUas({
      scenario: scenario('uas-message-200.xml'),
      localPort: port,
      localIp: '127.0.0.1',
      calls: count,
      timeoutMs: 20_000,
      traceMessages: true,
      keys: { tel },
    });
    return {
      register: () => h.register(tel, port),
      done: async () => {
        const r = await peer.done;
        await h.unregister(tel);
        return r;
      },
    };
  }

  /** A member's phone writes to `to`; its binding is dropped afterwards (the port closes). */
  async function write(tel: string, to: string, body: string, expect: 202 | 403 | 404) {
    const r = await h.call(tel, to, `uac-message-expect-${expect}.xml`, { keys: { body } });
    await h.unregister(tel);
    expectPhoneOk(r, `phone ${tel} writing to ${to}`);
  }

  test('the creator is a member; the group gets the first free chat number, 700', () => {
    expect(group).toMatchObject({
      number: '700',
      name: 'Sales',
      createdBy: '201',
      members: ['201', '202', '203'],
    });
  });

  test('a phone writes to the group: every other member gets it from the group, writer in the body', async () => {
    const events = await EventClient.open(base, api['202']!.token!, 'messages');
    const outsider = await EventClient.open(base, api['204']!.token!, 'messages');
    try {
      const bob = await inbox('202', 1);
      await bob.register();
      const carol = await inbox('203', 1);
      await carol.register();
      await write('201', '700', 'Hello team', 202);
      for (const [who, p] of [
        ['202', bob],
        ['203', carol],
      ] as const) {
        const got = await p.done();
        expectPhoneOk(got, `phone ${who}`);
        const [m] = messagesIn(got);
        expect(headerOf(m, 'From')).toMatch(/^"Sales" <sip:700@pbx\.local>/);
        expect(headerOf(m, 'To')).toMatch(new RegExp(`^<sip:${who}@pbx\\.local>`));
        expect(bodyOf(m)).toBe('Alice (201): Hello team');
        expect(Date.parse(headerOf(m, 'Date') ?? '')).not.toBeNaN();
      }
      const e = await events.waitFor(
        (x) => x.type === 'message' && x.data.groupId === group.id,
        15_000,
        'group message event',
      );
      expect(e.data).toMatchObject({ fromTel: '201', toTel: '700' });
      expect(e.data.body.trim()).toBe('Hello team');
      // Stored once, delivered to both, in the group's history.
      await waitFor('delivered to both', async () => {
        const r = await api['203']!.request('GET', `/api/chat/groups/${group.id}/messages`);
        return r.body.messages.length === 1 && r.body.messages[0].waitingFor.length === 0;
      });
      // A later event proves the outsider's stream works; it never got the group's message.
      const other = await api.admin!.request('POST', '/api/chat/groups', {
        name: 'Front desk',
        members: ['204'],
      });
      await outsider.waitFor((x) => x.type === 'group' && x.data.id === other.body.id);
      expect(outsider.events.some((x) => x.data?.groupId === group.id)).toBe(false);
    } finally {
      await events.close();
      await outsider.close();
    }
  });

  test('a non-member gets 403, an unknown number 404', async () => {
    await write('204', '700', 'let me in', 403);
    await write('201', '799', 'anyone?', 404);
    const r = await api['203']!.request('GET', `/api/chat/groups/${group.id}/messages`);
    expect(r.body.messages.map((m: Json) => m.body.trim())).toEqual(['Hello team']);
  });

  test('offline member: posts from phone and browser wait and arrive in order with their dates', async () => {
    await h.unregister('203');
    const bob = await inbox('202', 1);
    await bob.register();
    await write('201', '700', 'Carol, call me', 202);
    const got = await bob.done();
    expectPhoneOk(got, 'phone 202');
    expect(bodyOf(messagesIn(got)[0])).toBe('Alice (201): Carol, call me');
    // The browser post of Bob reaches the phones the same way.
    const alice = await inbox('201', 1);
    await alice.register();
    const post = await api['202']!.request('POST', `/api/chat/groups/${group.id}/messages`, {
      body: 'From the browser',
    });
    expect(post.status).toBe(202);
    expect(post.body.queuedFor).toEqual(['201', '203']);
    const aliceGot = await alice.done();
    expectPhoneOk(aliceGot, 'phone 201');
    const [am] = messagesIn(aliceGot);
    expect(headerOf(am, 'From')).toMatch(/^"Sales" <sip:700@pbx\.local>/);
    expect(bodyOf(am)).toBe('Bob (202): From the browser');

    let waiting: Json[] = [];
    await waitFor('both posts waiting for 203 only', async () => {
      const history = await api['201']!.request('GET', `/api/chat/groups/${group.id}/messages`);
      waiting = history.body.messages.slice(-2);
      return JSON.stringify(waiting.map((m: Json) => m.waitingFor)) === '[["203"],["203"]]';
    });

    const carol = await inbox('203', 2);
    await carol.register();
    const carolGot = await carol.done();
    expectPhoneOk(carolGot, 'phone 203');
    const list = messagesIn(carolGot);
    expect(list.map((m) => bodyOf(m))).toEqual([
      'Alice (201): Carol, call me',
      'Bob (202): From the browser',
    ]);
    // The original dates (the Date header has whole seconds).
    for (const [i, m] of list.entries())
      expect(Math.abs(Date.parse(headerOf(m, 'Date') ?? '') - waiting[i].createdAt)).toBeLessThan(
        1_000,
      );
    await waitFor('marked delivered to 203', async () =>
      (await h.pbx.ctx.store.messages.queue('203')).every((m) => m.groupId !== group.id),
    );
  });

  test('pbx chat post: queued in the database by the CLI, delivered by the running PBX', async () => {
    const bob = await inbox('202', 1);
    await bob.register();
    // What `pbx chat post 700 ...` writes; the messages change counter wakes the PBX.
    await h.pbx.ctx.store.messages.addToGroup(
      { fromTel: 'pbx', toTel: '700', body: 'Fire drill at 3', groupId: group.id },
      ['202'],
    );
    await h.pbx.changeApplied('messages');
    const got = await bob.done();
    expectPhoneOk(got, 'phone 202');
    const [m] = messagesIn(got);
    expect(headerOf(m, 'From')).toMatch(/^"Sales" <sip:700@pbx\.local>/);
    expect(bodyOf(m)).toBe('PBX: Fire drill at 3');
  });

  test('management: creator or admin manage, members read and leave, live group events', async () => {
    const bobEvents = await EventClient.open(base, api['202']!.token!, 'messages');
    try {
      const g = (
        await api['202']!.request('POST', '/api/chat/groups', { name: 'Lunch', number: '705' })
      ).body;
      expect(g).toMatchObject({ number: '705', members: ['202'], createdBy: '202' });
      const path = `/api/chat/groups/${g.id}`;
      // Not in it: not visible to 201.
      expect((await api['201']!.request('GET', path)).status).toBe(403);
      expect(
        (await api['201']!.request('GET', '/api/chat/groups')).body.map((x: Json) => x.id),
      ).not.toContain(g.id);
      expect((await api['201']!.request('POST', `${path}/messages`, { body: 'hi' })).status).toBe(
        403,
      );
      const added = await api['202']!.request('POST', `${path}/members`, {
        members: ['201', '204'],
      });
      expect([added.status, added.body.members]).toEqual([200, ['201', '202', '204']]);
      // A member who is not the creator may not rename, add or delete.
      expect((await api['201']!.request('PATCH', path, { name: 'Mine' })).status).toBe(403);
      expect(
        (await api['201']!.request('POST', `${path}/members`, { members: ['203'] })).status,
      ).toBe(403);
      expect((await api['201']!.request('DELETE', `${path}/members/204`)).status).toBe(403);
      expect((await api['201']!.request('DELETE', path)).status).toBe(403);
      // …but may leave.
      const left = await api['204']!.request('POST', `${path}/leave`);
      expect(left.status).toBe(200);
      expect((await api['204']!.request('GET', path)).status).toBe(403);
      const renamed = await api['202']!.request('PATCH', path, { name: 'Lunch crew' });
      expect([renamed.status, renamed.body.name]).toEqual([200, 'Lunch crew']);
      await bobEvents.waitFor(
        (x) => x.type === 'group' && x.data.id === g.id && x.data.name === 'Lunch crew',
      );
      // The administrator sees every group and manages any.
      const all = (await api.admin!.request('GET', '/api/chat/groups')).body.map(
        (x: Json) => x.number,
      );
      expect(all).toEqual(expect.arrayContaining(['700', '705']));
      expect((await api.admin!.request('DELETE', `${path}/members/201`)).status).toBe(200);
      expect((await api.admin!.request('DELETE', path)).status).toBe(200);
      await bobEvents.waitFor((x) => x.type === 'group' && x.data.id === g.id && x.data.deleted);
      expect((await api['202']!.request('GET', path)).status).toBe(404);
      // Its number now routes nowhere.
      await write('202', '705', 'gone?', 404);
    } finally {
      await bobEvents.close();
    }
  });

  test('history pages back with before/next', async () => {
    const g = (await api['203']!.request('POST', '/api/chat/groups', { name: 'Notes' })).body;
    const path = `/api/chat/groups/${g.id}/messages`;
    for (let i = 1; i <= 5; i++)
      expect((await api['203']!.request('POST', path, { body: `note ${i}` })).status).toBe(202);
    const p1 = await api['203']!.request('GET', `${path}?limit=2`);
    expect(p1.body.messages.map((m: Json) => m.body)).toEqual(['note 4', 'note 5']);
    const p2 = await api['203']!.request('GET', `${path}?limit=2&before=${p1.body.next}`);
    expect(p2.body.messages.map((m: Json) => m.body)).toEqual(['note 2', 'note 3']);
    const p3 = await api['203']!.request('GET', `${path}?limit=2&before=${p2.body.next}`);
    expect([p3.body.messages.map((m: Json) => m.body), p3.body.next]).toEqual([['note 1'], null]);
  });

  test('bad input and unauthorised access get clear 4xx answers', async () => {
    const a = api['201']!;
    const bad: Array<[string, string, unknown, number]> = [
      ['POST', '/api/chat/groups', {}, 400],
      ['POST', '/api/chat/groups', { name: '' }, 400],
      ['POST', '/api/chat/groups', { name: 'x'.repeat(65) }, 400],
      ['POST', '/api/chat/groups', { name: 'A', members: ['abc'] }, 400],
      ['POST', '/api/chat/groups', { name: 'A', number: '7x' }, 400],
      ['POST', '/api/chat/groups', { name: 'A', extra: 1 }, 400],
      ['POST', '/api/chat/groups', '[]', 400],
      ['POST', '/api/chat/groups', { name: 'A', members: ['299'] }, 404],
      // Feature code 40 (DND) is a prefix of 401; 201 is a station; 700 is taken.
      ['POST', '/api/chat/groups', { name: 'A', number: '401' }, 409],
      ['POST', '/api/chat/groups', { name: 'A', number: '201' }, 409],
      ['POST', '/api/chat/groups', { name: 'A', number: '700' }, 409],
      ['GET', '/api/chat/groups/abc', undefined, 400],
      ['GET', '/api/chat/groups/999999', undefined, 404],
      ['GET', `/api/chat/groups/${group.id}/messages?limit=0`, undefined, 400],
      ['GET', `/api/chat/groups/${group.id}/messages?before=x`, undefined, 400],
      ['POST', `/api/chat/groups/${group.id}/messages`, { body: '' }, 400],
      ['POST', `/api/chat/groups/${group.id}/messages`, { text: 'hi' }, 400],
      ['POST', `/api/chat/groups/${group.id}/members`, { members: [] }, 400],
      ['POST', `/api/chat/groups/${group.id}/members`, { members: ['202'] }, 409],
      ['DELETE', `/api/chat/groups/${group.id}/members/2x`, undefined, 400],
      ['PATCH', `/api/chat/groups/${group.id}`, { name: '  ' }, 400],
    ];
    for (const [method, path, body, status] of bad) {
      const r = await a.request(method, path, body);
      expect([method, path, JSON.stringify(body), r.status]).toEqual([
        method,
        path,
        JSON.stringify(body),
        status,
      ]);
      expect(typeof r.body.message).toBe('string');
    }
    h.pbx.ctx.config.messages.maxBytes = 10;
    try {
      const r = await a.request('POST', `/api/chat/groups/${group.id}/messages`, {
        body: 'far more than ten bytes',
      });
      expect(r.status).toBe(413);
    } finally {
      h.pbx.ctx.config.messages.maxBytes = 4096;
    }
    // A station cannot take the group's number either (409, not a database error).
    const station = await api.admin!.request('POST', '/api/stations', {
      tel: '700',
      password: 'Secret#7000x',
    });
    expect([station.status, station.body.message]).toEqual([
      409,
      'station 700 is the same number as chat group 700',
    ]);
    const anon = new ApiClient(base);
    expect((await anon.request('GET', '/api/chat/groups')).status).toBe(401);
    expect((await anon.request('POST', '/api/chat/groups', { name: 'A' })).status).toBe(401);
    // Station 204 is not in Sales: it neither reads nor writes nor manages it.
    const dave = api['204']!;
    expect((await dave.request('GET', `/api/chat/groups/${group.id}`)).status).toBe(403);
    expect((await dave.request('GET', `/api/chat/groups/${group.id}/messages`)).status).toBe(403);
    expect(
      (await dave.request('POST', `/api/chat/groups/${group.id}/messages`, { body: 'x' })).status,
    ).toBe(403);
    expect((await dave.request('DELETE', `/api/chat/groups/${group.id}`)).status).toBe(403);
    expect((await api.admin!.request('POST', `/api/chat/groups/${group.id}/leave`)).status).toBe(
      400,
    );
  });
});
