import { InvalidStateError } from '../../src/errors';
import {
  nextInviteClient,
  startInviteClient,
  type InviteClientState,
} from '../../src/transaction/invite-client-transaction';
import {
  nextInviteServer,
  startInviteServer,
} from '../../src/transaction/invite-server-transaction';
import {
  nextNonInviteClient,
  startNonInviteClient,
} from '../../src/transaction/non-invite-client-transaction';
import {
  nextNonInviteServer,
  startNonInviteServer,
} from '../../src/transaction/non-invite-server-transaction';
import {
  resolveTimers,
  type ClientEvent,
  type ServerEvent,
  type TimerName,
  type TransactionConfig,
} from '../../src/transaction/state-table';
import { simulate } from './simulate';

const udp: TransactionConfig = { reliable: false, timers: resolveTimers() };
const tcp: TransactionConfig = { reliable: true, timers: resolveTimers() };
const clientTimer = (timer: TimerName): ClientEvent => ({ type: 'timer', timer });
const serverTimer = (timer: TimerName): ServerEvent => ({ type: 'timer', timer });
const res = (status: number): ClientEvent => ({ type: 'response', status });
const respond = (status: number): ServerEvent => ({ type: 'respond', status });

const ict = (cfg = udp) => simulate(startInviteClient, nextInviteClient, cfg, clientTimer);
const nict = (cfg = udp) => simulate(startNonInviteClient, nextNonInviteClient, cfg, clientTimer);
const ist = (cfg = udp) => simulate(startInviteServer, nextInviteServer, cfg, serverTimer);
const nist = (cfg = udp) => simulate(startNonInviteServer, nextNonInviteServer, cfg, serverTimer);

describe('retransmission schedules and timeouts (UDP, T1=500 T2=4000)', () => {
  test.each([
    {
      name: 'ICT timer A doubles without cap, timer B at 64·T1',
      sim: ict,
      transmits: [0, 500, 1500, 3500, 7500, 15500, 31500],
      end: 'timeout',
      endAt: 32000,
    },
    {
      name: 'NICT timer E doubles up to T2, timer F at 64·T1',
      sim: nict,
      transmits: [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
      end: 'timeout',
      endAt: 32000,
    },
  ])('$name', ({ sim, transmits, end, endAt }) => {
    const s = sim();
    s.advance(60_000);
    expect(s.times('transmit')).toEqual(transmits);
    expect(s.times(end)).toEqual([endAt]);
    expect(s.times('terminated')).toEqual([endAt]);
    expect(s.state.kind).toBe('terminated');
    expect(s.timers.size).toBe(0);
  });

  test('IST non-2xx: timer G doubles up to T2, timer H gives ackTimeout at 64·T1', () => {
    const s = ist();
    s.send(respond(486));
    s.advance(60_000);
    expect(s.times('send')).toEqual([0]);
    expect(s.times('retransmit')).toEqual([
      500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(s.times('ackTimeout')).toEqual([32000]);
    expect(s.state).toEqual({ kind: 'terminated', reason: 'ackTimeout' });
    expect(s.timers.size).toBe(0);
  });

  test('IST 2xx: retransmitted at T1 doubling to T2 until 64·T1, then ackTimeout', () => {
    const s = ist();
    s.send(respond(200));
    expect(s.state.kind).toBe('accepted');
    s.advance(60_000);
    expect(s.times('retransmit')).toEqual([
      500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(s.times('ackTimeout')).toEqual([32000]);
    expect(s.timers.size).toBe(0);
  });

  test('no retransmission timers on reliable transports', () => {
    const c = ict(tcp);
    c.advance(60_000);
    expect(c.times('transmit')).toEqual([0]);
    expect(c.times('timeout')).toEqual([32000]);
    const n = nict(tcp);
    n.advance(60_000);
    expect(n.times('transmit')).toEqual([0]);
    expect(n.times('timeout')).toEqual([32000]);
    const i = ist(tcp);
    i.send(respond(200));
    i.advance(60_000);
    expect(i.times('retransmit')).toEqual([]);
    expect(i.times('ackTimeout')).toEqual([32000]);
  });
});

describe('INVITE client transaction', () => {
  test('1xx stops retransmission, goes up, and starts timer C', () => {
    const s = ict();
    s.advance(600);
    expect(s.send(res(100))).toEqual(expect.arrayContaining([{ type: 'passUp' }]));
    expect(s.state.kind).toBe('proceeding');
    s.advance(100_000);
    expect(s.times('transmit')).toEqual([0, 500]);
    expect(s.times('timeout')).toEqual([]);
    s.advance(200_000);
    // Timer C (185 s) after the 1xx at 600 ms.
    expect(s.times('timeout')).toEqual([185_600]);
    expect(s.state).toEqual({ kind: 'proceeding', timedOut: true });
    expect((s.state as InviteClientState).kind).toBe('proceeding');
  });

  test('after timer C, a final response still arrives (487 after CANCEL) and ends it', () => {
    const s = ict();
    s.send(res(180));
    s.advance(185_000);
    expect(s.times('timeout')).toEqual([185_000]);
    s.send(res(180)); // late provisional: passed up, does not restart timer C
    expect(s.times('passUp')).toEqual([0, 185_000]);
    s.send(res(487));
    expect(s.times('sendAck')).toEqual([185_000]);
    expect(s.state.kind).toBe('completed');
  });

  test('after timer C with no final, it terminates 64·T1 later without a second timeout', () => {
    const s = ict();
    s.send(res(180));
    s.advance(400_000);
    expect(s.times('timeout')).toEqual([185_000]);
    expect(s.state).toEqual({ kind: 'terminated', reason: 'timeout' });
    expect(s.timers.size).toBe(0);
  });

  test('a provisional restarts timer C', () => {
    const s = ict();
    s.send(res(180));
    s.advance(100_000);
    s.send(res(183));
    s.advance(300_000);
    expect(s.times('timeout')).toEqual([285_000]);
  });

  test.each([300, 404, 486, 603])(
    '%i: ACK sent and passed up once; retransmissions re-ACKed; timer D',
    (status) => {
      const s = ict();
      s.advance(700);
      const effects = s.send(res(status));
      const kinds = effects.map((e) => e.type);
      expect(kinds.indexOf('sendAck')).toBeLessThan(kinds.indexOf('passUp'));
      expect(s.state.kind).toBe('completed');
      expect(s.send(res(status)).map((e) => e.type)).toEqual(['sendAck']);
      s.advance(10_000);
      expect(s.send(res(status)).map((e) => e.type)).toEqual(['sendAck']);
      expect(s.times('passUp')).toEqual([700]);
      expect(s.times('transmit')).toEqual([0, 500]);
      s.advance(100_000);
      expect(s.times('terminated')).toEqual([32_700]);
    },
  );

  test('non-2xx over TCP: ACK, pass up and terminate at once (timer D = 0)', () => {
    const s = ict(tcp);
    const types = s.send(res(486)).map((e) => e.type);
    expect(types.filter((t) => t !== 'cancelTimer')).toEqual(['sendAck', 'passUp', 'terminated']);
    expect(s.state.kind).toBe('terminated');
  });

  test('2xx: Accepted passes every 2xx up for 64·T1 (RFC 6026)', () => {
    const s = ict();
    s.send(res(180));
    s.advance(1000);
    s.send(res(200));
    expect(s.state.kind).toBe('accepted');
    s.advance(2000);
    s.send(res(200));
    s.send(res(180)); // late provisional: ignored
    s.send(res(486)); // nonsense after 2xx: ignored
    expect(s.times('passUp')).toEqual([0, 1000, 2000]);
    expect(s.times('sendAck')).toEqual([]);
    s.advance(100_000);
    expect(s.times('terminated')).toEqual([33_000]);
    expect(s.timers.size).toBe(0);
  });

  test('transport error in calling informs the TU and terminates', () => {
    const s = ict();
    s.advance(600);
    s.send({ type: 'transportError' });
    expect(s.times('transportError')).toEqual([600]);
    expect(s.state).toEqual({ kind: 'terminated', reason: 'transportError' });
    expect(s.timers.size).toBe(0);
  });

  test('terminated ignores everything', () => {
    const s = ict();
    s.advance(40_000);
    expect(s.send(res(200))).toEqual([]);
    expect(s.send(clientTimer('A'))).toEqual([]);
  });
});

describe('non-INVITE client transaction', () => {
  test('1xx moves to proceeding; retransmissions continue at T2', () => {
    const s = nict();
    s.advance(600); // transmits 0, 500; E due 1500 with interval 1000
    s.send(res(100));
    expect(s.state.kind).toBe('proceeding');
    s.advance(10_000);
    expect(s.times('transmit')).toEqual([0, 500, 1500, 5500, 9500]);
  });

  test('final response: pass up once, absorb retransmissions, timer K = T4', () => {
    const s = nict();
    s.advance(600);
    s.send(res(200));
    expect(s.state.kind).toBe('completed');
    expect(s.send(res(200))).toEqual([]);
    expect(s.times('passUp')).toEqual([600]);
    s.advance(10_000);
    expect(s.times('terminated')).toEqual([5600]);
    expect(s.times('transmit')).toEqual([0, 500]);
  });

  test('final response over TCP terminates at once (timer K = 0)', () => {
    const s = nict(tcp);
    s.send(res(404));
    expect(s.state.kind).toBe('terminated');
    expect(s.times('passUp')).toEqual([0]);
    expect(s.timers.size).toBe(0);
  });
});

describe('INVITE server transaction', () => {
  test('proceeding: 1xx sent; request retransmission resends last response', () => {
    const s = ist();
    expect(s.send({ type: 'request' })).toEqual([{ type: 'retransmit' }]);
    s.send(respond(100));
    s.send(respond(180));
    expect(s.times('send')).toEqual([0, 0]);
    expect(s.state.kind).toBe('proceeding');
  });

  test('non-2xx: ACK confirms, is absorbed, stops G; timer I = T4', () => {
    const s = ist();
    s.send(respond(486));
    s.advance(1600);
    expect(s.send({ type: 'request' })).toEqual([{ type: 'retransmit' }]);
    expect(s.send({ type: 'ack' }).some((e) => e.type === 'passAck')).toBe(false);
    expect(s.state.kind).toBe('confirmed');
    expect(s.send({ type: 'ack' })).toEqual([]);
    s.advance(20_000);
    expect(s.times('retransmit')).toEqual([500, 1500, 1600]);
    expect(s.times('terminated')).toEqual([6600]);
    expect(s.times('ackTimeout')).toEqual([]);
  });

  test('2xx: the first ACK is passed up and stops retransmission, later ones absorbed', () => {
    const s = ist();
    s.send(respond(200));
    s.advance(2000);
    expect(s.send({ type: 'ack' })).toEqual(expect.arrayContaining([{ type: 'passAck' }]));
    expect(s.send({ type: 'ack' })).toEqual([]);
    expect(s.send({ type: 'request' })).toEqual([]);
    s.advance(60_000);
    expect(s.times('retransmit')).toEqual([500, 1500]);
    expect(s.times('passAck')).toEqual([2000]);
    expect(s.times('ackTimeout')).toEqual([]);
    expect(s.times('terminated')).toEqual([32_000]);
  });

  test('2xx over TCP: ACK ends the transaction at once', () => {
    const s = ist(tcp);
    s.send(respond(200));
    s.send({ type: 'ack' });
    expect(s.state).toEqual({ kind: 'terminated', reason: 'completed' });
    expect(s.timers.size).toBe(0);
  });

  test.each([
    ['completed', 486],
    ['accepted', 200],
  ])('a second final response in %s throws InvalidStateError', (_kind, status) => {
    const s = ist();
    s.send(respond(status));
    expect(() => s.send(respond(200))).toThrow(InvalidStateError);
    expect(() => s.send(respond(180))).toThrow(InvalidStateError);
  });

  test('guard: a TU that never answers ends the transaction after timer C', () => {
    const s = ist();
    s.send(respond(100));
    s.advance(200_000);
    expect(s.times('timeout')).toEqual([185_000]);
    expect(s.state).toEqual({ kind: 'terminated', reason: 'timeout' });
    expect(() => s.send(respond(200))).toThrow(InvalidStateError);
  });
});

describe('non-INVITE server transaction', () => {
  test('trying absorbs retransmissions silently; proceeding resends the 1xx', () => {
    const s = nist();
    expect(s.send({ type: 'request' })).toEqual([]);
    s.send(respond(100));
    expect(s.state.kind).toBe('proceeding');
    expect(s.send({ type: 'request' })).toEqual([{ type: 'retransmit' }]);
  });

  test('final: completed resends it on retransmission; timer J = 64·T1', () => {
    const s = nist();
    s.send(respond(200));
    s.advance(10_000);
    expect(s.send({ type: 'request' })).toEqual([{ type: 'retransmit' }]);
    expect(() => s.send(respond(200))).toThrow(InvalidStateError);
    s.advance(60_000);
    expect(s.times('terminated')).toEqual([32_000]);
    expect(s.timers.size).toBe(0);
  });

  test('final over TCP terminates at once (timer J = 0)', () => {
    const s = nist(tcp);
    s.send(respond(200));
    expect(s.state.kind).toBe('terminated');
    expect(s.timers.size).toBe(0);
  });

  test('guard: no TU answer for 64·T1 + T4 ends it with timeout', () => {
    const s = nist();
    s.advance(40_000);
    expect(s.times('timeout')).toEqual([37_000]);
    expect(s.state.kind).toBe('terminated');
  });
});

describe('resolveTimers', () => {
  test('defaults, explicit undefined ignored, timer D follows T1', () => {
    expect(resolveTimers()).toEqual({
      t1: 500,
      t2: 4000,
      t4: 5000,
      timerC: 185_000,
      timerD: 32_000,
    });
    expect(resolveTimers({ t1: undefined, t2: 2000 })).toMatchObject({
      t1: 500,
      t2: 2000,
      timerD: 32_000,
    });
    expect(resolveTimers({ t1: 50 })).toMatchObject({ t1: 50, timerD: 3200 });
    expect(resolveTimers({ t1: 50, timerD: 40_000 }).timerD).toBe(40_000);
  });
});
