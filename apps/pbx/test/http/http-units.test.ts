import { EventHub, mayReceive, parseTopics, type HubEvent } from '../../src/http/event-hub';
import { cookieValue, LoginLimiter, sessionCookie, Sessions } from '../../src/http/sessions';
import { SipTrace } from '../../src/http/sip-trace';
import { PbxMetrics } from '../../src/http/metrics';
import { historyCounts } from '../../src/http/user-routes';
import type { CallRecord } from '@pbx/store';

describe('Sessions', () => {
  it('ends a session after the idle time and refreshes it on use', () => {
    let now = 0;
    const s = new Sessions(
      () => 1_000,
      () => now,
    );
    const a = s.create({ role: 'station', tel: '201' });
    now = 900;
    expect(s.get(a.token)?.principal).toEqual({ role: 'station', tel: '201' });
    now = 1_800;
    expect(s.get(a.token)).toBeDefined();
    now = 2_801;
    expect(s.get(a.token)).toBeUndefined();
    expect(s.get(undefined)).toBeUndefined();
    expect(s.get('forged')).toBeUndefined();
  });

  it('ends every session of a station when its password changes', () => {
    const s = new Sessions(() => 60_000);
    const a = s.create({ role: 'station', tel: '201' });
    const b = s.create({ role: 'station', tel: '202' });
    const admin = s.create({ role: 'admin', name: 'admin' });
    s.endStation('201');
    expect(s.get(a.token)).toBeUndefined();
    expect(s.get(b.token)).toBeDefined();
    expect(s.get(admin.token)).toBeDefined();
  });

  it('writes HttpOnly, SameSite=Strict cookies, Secure over HTTPS, and reads them back', () => {
    expect(sessionCookie('tok', false, 60)).toBe(
      'pbx_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(sessionCookie('tok', true, 60)).toMatch(/; Secure$/);
    expect(cookieValue('a=1; pbx_session=xyz; b=2', 'pbx_session')).toBe('xyz');
    expect(cookieValue('garbage', 'pbx_session')).toBeUndefined();
    expect(cookieValue(undefined, 'pbx_session')).toBeUndefined();
  });
});

describe('LoginLimiter', () => {
  it('refuses after N failures within the window, until the oldest leaves it; success clears', () => {
    let now = 0;
    const l = new LoginLimiter(
      () => 3,
      () => 10_000,
      () => now,
    );
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('ip|201')).toBe(0);
      l.failed('ip|201');
      now += 1_000;
    }
    expect(l.retryAfter('ip|201')).toBe(7_000);
    expect(l.retryAfter('ip|202')).toBe(0);
    now = 10_001;
    expect(l.retryAfter('ip|201')).toBe(0);
    l.failed('ip|201');
    l.succeeded('ip|201');
    expect(l.retryAfter('ip|201')).toBe(0);
  });
});

describe('EventHub', () => {
  const event = (topic: HubEvent['topic'], stations?: string[]): HubEvent => ({
    topic,
    type: 'x',
    at: 0,
    ...(stations ? { stations } : {}),
    data: {},
  });

  it('gives station users presence of all, and only their own calls, messages and records', () => {
    const user = { role: 'station', tel: '201' } as const;
    expect(mayReceive(user, event('presence', ['202']))).toBe(true);
    expect(mayReceive(user, event('registrations', ['202']))).toBe(true);
    expect(mayReceive(user, event('calls', ['202', '203']))).toBe(false);
    expect(mayReceive(user, event('calls', ['201', '203']))).toBe(true);
    expect(mayReceive(user, event('messages', ['202', '203']))).toBe(false);
    expect(mayReceive(user, event('records'))).toBe(false);
    expect(mayReceive({ role: 'admin', name: 'admin' }, event('records'))).toBe(true);
  });

  it('delivers by topic and stops after unsubscribe', () => {
    const hub = new EventHub(() => 5);
    const got: HubEvent[] = [];
    const off = hub.subscribe({
      principal: { role: 'admin', name: 'a' },
      topics: new Set(['calls']),
      send: (e) => got.push(e),
    });
    hub.publish('presence', 'contact', {});
    hub.publish('calls', 'call', { ref: 'c1' });
    off();
    hub.publish('calls', 'call', { ref: 'c2' });
    expect(got).toEqual([{ topic: 'calls', type: 'call', at: 5, data: { ref: 'c1' } }]);
    expect(hub.published.get('calls')).toBe(2);
  });

  it('says whether a topic is followed, and counts an unbuilt event like a published one', () => {
    const hub = new EventHub(() => 5);
    const topics: string[] = [];
    hub.onPublished((t) => topics.push(t));
    expect(hub.wants('calls')).toBe(false);
    const off = hub.subscribe({
      principal: { role: 'station', tel: '201' },
      topics: new Set(['presence']),
      send: () => undefined,
    });
    expect(hub.wants('presence')).toBe(true);
    expect(hub.wants('calls')).toBe(false);
    hub.count('calls');
    hub.publish('presence', 'contact', {});
    expect(topics).toEqual(['calls', 'presence']);
    expect(hub.published.get('calls')).toBe(1);
    expect(hub.published.get('presence')).toBe(1);
    off();
    expect(hub.wants('presence')).toBe(false);
  });

  it('parses topic lists and names unknown topics', () => {
    expect(parseTopics('calls, presence,,bogus')).toEqual({
      topics: ['calls', 'presence'],
      unknown: ['bogus'],
    });
  });
});

describe('SipTrace', () => {
  const msg = (first: string, callId: string, cseq: string) =>
    Buffer.from(`${first}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`);
  const peer = { address: '127.0.0.1', port: 5070 };

  it('summarises requests and responses per Call-ID, in the order seen', () => {
    const t = new SipTrace({ now: () => 1 });
    t.add('in', msg('INVITE sip:202@x SIP/2.0', 'a', '1 INVITE'), peer);
    t.add('out', msg('SIP/2.0 180 Ringing', 'a', '1 INVITE'), peer);
    t.add('out', msg('INVITE sip:202@y SIP/2.0', 'b', '1 INVITE'), peer);
    t.add('in', Buffer.from('garbage without headers'), peer);
    expect(t.ladder(['a', 'b']).map((e) => [e.direction, e.label, e.method, e.status])).toEqual([
      ['in', 'INVITE', 'INVITE', undefined],
      ['out', '180 Ringing', 'INVITE', 180],
      ['out', 'INVITE', 'INVITE', undefined],
    ]);
  });

  it('summarises REGISTER transactions without keeping them or pushing dialogs out', () => {
    const t = new SipTrace({ maxDialogs: 1 });
    t.add('in', msg('INVITE sip:202@x SIP/2.0', 'call', '1 INVITE'), peer);
    const req = t.add('in', msg('REGISTER sip:x SIP/2.0', 'reg', '1 REGISTER'), peer);
    const res = t.add('out', msg('SIP/2.0 401 Unauthorized', 'reg', '1 REGISTER'), peer);
    expect([req?.method, req?.status, res?.method, res?.status]).toEqual([
      'REGISTER',
      undefined,
      'REGISTER',
      401,
    ]);
    expect(t.ladder(['reg'])).toEqual([]);
    expect(t.ladder(['call']).map((e) => e.label)).toEqual(['INVITE']);
  });

  it('summarises REGISTER traffic the same in every spelling, and not without a Call-ID', () => {
    const t = new SipTrace({ maxDialogs: 1 });
    const cases: Array<[string, { method: string; status?: number } | undefined]> = [
      ['REGISTER sip:x SIP/2.0\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\r\n', { method: 'REGISTER' }],
      ['REGISTER sip:x SIP/2.0\r\ni: r2\r\nCSeq: 1 REGISTER\r\n\r\n', { method: 'REGISTER' }],
      ['REGISTER sip:x SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n', undefined],
      ['REGISTER sip:x SIP/2.0\r\nCall-ID:  \r\nCSeq: 1 REGISTER\r\n\r\n', undefined],
      [
        'SIP/2.0 200 OK\r\nCall-ID: r3\r\nCSeq: 2 REGISTER\r\n\r\n',
        { method: 'REGISTER', status: 200 },
      ],
      [
        'SIP/2.0 401 Unauthorized\r\ncall-id: r4\r\ncseq: 1  REGISTER \r\n\r\n',
        { method: 'REGISTER', status: 401 },
      ],
      [
        'SIP/2.0 200 OK\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n',
        { method: 'INVITE', status: 200 },
      ],
      ['SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n\r\n', undefined],
    ];
    for (const [text, want] of cases) {
      const got = t.add('out', Buffer.from(text), peer);
      expect(got === undefined ? undefined : { method: got.method, status: got.status }).toEqual(
        want === undefined ? undefined : { status: undefined, ...want },
      );
    }
    // Only the INVITE's answer is kept.
    expect(t.dialogs).toBe(1);
    expect(t.ladder(['r1', 'r2', 'r3', 'r4']).length).toBe(0);
  });

  it('keeps memory bounded: the newest dialogs, a cap per dialog, the first bytes of each', () => {
    const t = new SipTrace({ maxDialogs: 2, maxPerDialog: 3, maxBytes: 200 });
    for (const id of ['a', 'b', 'c'])
      t.add('in', msg('OPTIONS sip:x SIP/2.0', id, '1 OPTIONS'), peer);
    expect(t.dialogs).toBe(2);
    expect(t.ladder(['a'])).toEqual([]);
    for (let i = 0; i < 10; i++) t.add('in', msg('INFO sip:x SIP/2.0', 'c', `${i} INFO`), peer);
    expect(t.ladder(['c'])).toHaveLength(3);
    const big = Buffer.concat([
      msg('MESSAGE sip:x SIP/2.0', 'd', '1 MESSAGE'),
      Buffer.alloc(5000, 65),
    ]);
    t.add('in', big, peer);
    expect(t.ladder(['d'])[0]?.text.length).toBe(200);
  });

  it('keeps the dialogs used most recently, whichever order their messages interleave in', () => {
    const t = new SipTrace({ maxDialogs: 2 });
    t.add('in', msg('INVITE sip:x SIP/2.0', 'a', '1 INVITE'), peer);
    t.add('in', msg('INVITE sip:x SIP/2.0', 'b', '1 INVITE'), peer);
    t.add('out', msg('SIP/2.0 180 Ringing', 'a', '1 INVITE'), peer);
    t.add('out', msg('SIP/2.0 200 OK', 'a', '1 INVITE'), peer);
    // a was used after b: the new dialog c pushes b out, not a.
    t.add('in', msg('INVITE sip:x SIP/2.0', 'c', '1 INVITE'), peer);
    expect(t.ladder(['b'])).toEqual([]);
    expect(t.ladder(['a']).map((e) => e.label)).toEqual(['INVITE', '180 Ringing', '200 OK']);
    t.add('in', msg('ACK sip:x SIP/2.0', 'c', '1 ACK'), peer);
    t.add('in', msg('BYE sip:x SIP/2.0', 'd', '1 BYE'), peer);
    expect(t.ladder(['a'])).toEqual([]);
    expect(t.ladder(['c', 'd']).map((e) => e.label)).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('reads method, status, label and CSeq from bytes as the text parse does, in any spelling', () => {
    const lines = [
      'INVITE sip:202@x SIP/2.0',
      'SIP/2.0 180 Ringing',
      'SIP/2.0 200',
      'SIP/2.0  486 Busy Here',
      'SIP/2.0 2000 Odd',
      'SIP/2.0\t603 Decline',
      'FOO sip:x SIP/2.0',
      'SIPX sip:x SIP/2.0',
      'NOSPACE',
    ];
    const cseqs = [
      '1 INVITE',
      '2  BYE',
      '3 FOO',
      '4 INVITE extra',
      'INVITE',
      ' 5 ACK ',
      '6 INVIT\u00c9',
    ];
    const fields = (e: {
      label: string;
      method: string;
      status?: number;
      cseq: string;
      peer: string;
    }) => [e.label, e.method, e.status, e.cseq, e.peer];
    let n = 0;
    for (const first of lines)
      for (const cseq of cseqs) {
        n++;
        const t = new SipTrace();
        const usual = `${first}\r\nCall-ID: u${n}\r\nCSeq: ${cseq}\r\n\r\n`;
        // Compact Call-ID and lower-case CSeq: the text parse alone.
        const other = `${first}\r\ni: o${n}\r\ncseq: ${cseq}\r\n\r\n`;
        const a = t.add('in', Buffer.from(usual), peer);
        const b = t.add('in', Buffer.from(other), peer);
        expect(a).toEqual(b);
        expect(t.ladder([`u${n}`]).map(fields)).toEqual(t.ladder([`o${n}`]).map(fields));
      }
    const t = new SipTrace();
    t.add('out', msg('SIP/2.0 180 Ringing', 'r', ' 7  INVITE '), peer);
    expect(t.ladder(['r']).map(fields)).toEqual([
      ['180 Ringing', 'INVITE', 180, '7  INVITE', '127.0.0.1:5070'],
    ]);
  });

  it("gives back every message of a dialog after its buffer grew, and no other dialog's", () => {
    const t = new SipTrace({ maxBytes: 3000 });
    const texts: string[] = [];
    for (let i = 0; i < 12; i++) {
      const body = String.fromCharCode(97 + i).repeat(200 * i);
      const m = msg('INFO sip:x SIP/2.0', 'grow', `${i} INFO`).toString() + body;
      texts.push(m);
      const data = Buffer.from(m);
      t.add('in', data, peer);
      data.fill(0);
      t.add('out', msg('OPTIONS sip:y SIP/2.0', `other${i}`, '1 OPTIONS'), peer);
    }
    expect(t.ladder(['grow']).map((e) => e.text)).toEqual(texts);
    expect(t.ladder(['grow']).map((e) => e.cseq)).toEqual(texts.map((_, i) => `${i} INFO`));
    expect(t.ladder(['other3']).map((e) => e.label)).toEqual(['OPTIONS']);
  });

  it('gives back the text of a kept message as it came, UTF-8 included', () => {
    const t = new SipTrace();
    const m = Buffer.from(
      'MESSAGE sip:202@x SIP/2.0\r\nCall-ID: u\r\nCSeq: 1 MESSAGE\r\n\r\nGrüße, 안녕',
    );
    t.add('in', m, peer);
    m.fill(0); // the transport reuses its buffer
    expect(t.ladder(['u'])[0]?.text).toBe(
      'MESSAGE sip:202@x SIP/2.0\r\nCall-ID: u\r\nCSeq: 1 MESSAGE\r\n\r\nGrüße, 안녕',
    );
  });
});

/** What the metrics' gauges read: an idle PBX (the counters are under test). */
const sources = {
  registeredStations: () => 0,
  registrations: () => 0,
  activeCalls: () => 0,
  blockedSources: () => 0,
  mediaChannels: () => undefined,
  wsClients: () => 0,
  sessions: () => 0,
};

describe('PbxMetrics', () => {
  const line = (text: string, name: string): string[] =>
    text.split('\n').filter((l) => l.startsWith(`${name}{`));

  it('counts SIP messages and events by label, and keeps counting across scrapes', async () => {
    const m = new PbxMetrics(sources);
    m.sipMessage('in', 'INVITE');
    m.sipMessage('in', 'INVITE');
    m.sipMessage('out', 'INVITE', 180);
    m.sipMessage('in', 'bogus method', 200);
    m.event('calls');
    let text = await m.text();
    expect(line(text, 'pbx_sip_requests_total')).toEqual([
      'pbx_sip_requests_total{method="INVITE",direction="in"} 2',
    ]);
    expect(line(text, 'pbx_sip_responses_total').sort()).toEqual([
      'pbx_sip_responses_total{method="INVITE",status="180",direction="out"} 1',
      'pbx_sip_responses_total{method="OTHER",status="200",direction="in"} 1',
    ]);
    expect(line(text, 'pbx_http_events_total')).toEqual(['pbx_http_events_total{topic="calls"} 1']);
    // A second scrape adds only what came since the first.
    m.sipMessage('in', 'INVITE');
    m.event('calls');
    m.event('presence');
    text = await m.text();
    expect(line(text, 'pbx_sip_requests_total')).toEqual([
      'pbx_sip_requests_total{method="INVITE",direction="in"} 3',
    ]);
    expect(line(text, 'pbx_http_events_total').sort()).toEqual([
      'pbx_http_events_total{topic="calls"} 2',
      'pbx_http_events_total{topic="presence"} 1',
    ]);
    text = await m.text();
    expect(line(text, 'pbx_sip_requests_total')).toEqual([
      'pbx_sip_requests_total{method="INVITE",direction="in"} 3',
    ]);
  });
});

describe('historyCounts', () => {
  it('counts incoming, outgoing and missed (incoming, ended, never answered)', () => {
    const rec = (callerTel: string, answerAt: number | null, disposition: string | null) =>
      ({ callerTel, answerAt, disposition }) as unknown as CallRecord;
    expect(
      historyCounts('201', [
        rec('201', 5, 'answered'),
        rec('202', 5, 'answered'),
        rec('202', null, 'no-answer'),
        rec('203', null, 'busy'),
        rec('203', null, null),
      ]),
    ).toEqual({ incoming: 4, outgoing: 1, missed: 2 });
  });
});

describe('PbxMetrics SIP message counters', () => {
  it('counts every message by label set, exactly at each read', async () => {
    const m = new PbxMetrics(sources);
    for (let i = 0; i < 3; i++) m.sipMessage('in', 'REGISTER');
    m.sipMessage('out', 'REGISTER', 401);
    m.sipMessage('out', 'REGISTER', 401);
    m.sipMessage('in', 'bogus method');
    const first = await m.text();
    expect(first).toMatch(/^pbx_sip_requests_total\{method="REGISTER",direction="in"\} 3$/m);
    expect(first).toMatch(/^pbx_sip_requests_total\{method="OTHER",direction="in"\} 1$/m);
    expect(first).toMatch(
      /^pbx_sip_responses_total\{method="REGISTER",status="401",direction="out"\} 2$/m,
    );
    m.sipMessage('in', 'REGISTER');
    const second = await m.text();
    expect(second).toMatch(/^pbx_sip_requests_total\{method="REGISTER",direction="in"\} 4$/m);
    expect(second).toMatch(
      /^pbx_sip_responses_total\{method="REGISTER",status="401",direction="out"\} 2$/m,
    );
  });

  it('counts published events by topic at each read', async () => {
    const m = new PbxMetrics(sources);
    m.event('registrations');
    m.event('registrations');
    m.event('calls');
    expect(await m.text()).toMatch(/^pbx_http_events_total\{topic="registrations"\} 2$/m);
    m.event('registrations');
    const text = await m.text();
    expect(text).toMatch(/^pbx_http_events_total\{topic="registrations"\} 3$/m);
    expect(text).toMatch(/^pbx_http_events_total\{topic="calls"\} 1$/m);
  });

  it('counts every status of a method apart, however many', async () => {
    const m = new PbxMetrics(sources);
    for (let i = 0; i < 600; i++) m.sipMessage('out', 'OPTIONS', 100 + i);
    m.sipMessage('out', 'OPTIONS', 699);
    const text = await m.text();
    expect(text).toMatch(
      /^pbx_sip_responses_total\{method="OPTIONS",status="100",direction="out"\} 1$/m,
    );
    expect(text).toMatch(
      /^pbx_sip_responses_total\{method="OPTIONS",status="699",direction="out"\} 2$/m,
    );
  });
});
