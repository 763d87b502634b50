import pino from 'pino';
import type { Registration } from '@pbx/store';
import { BindingTable } from '../../src/registrar/bindings';
import { ExpirySweeper } from '../../src/registrar/expiry-sweeper';

const reg = (tel: string, expiresAt: number): Registration => ({
  id: 1,
  tel,
  contact: `sip:${tel}@10.0.0.5`,
  sourceIp: '10.0.0.5',
  sourcePort: 5060,
  protocol: 'udp',
  userAgent: '',
  expiresAt,
  callId: 'c',
  cseq: 1,
  extra: {},
  registeredAt: 0,
  updatedAt: 0,
});

function make(now: { t: number }) {
  const bindings = new BindingTable();
  const deps = {
    registrations: { purgeExpired: jest.fn(async () => 0) },
    accessLog: { prune: jest.fn(async () => 0) },
    comm: { sweep: jest.fn(async () => 0) },
  };
  const expired: string[] = [];
  const sweeper = new ExpirySweeper({
    bindings,
    ...deps,
    accessLogLimit: () => 500,
    log: pino({ level: 'silent' }),
    now: () => now.t,
    onExpired: (r) => expired.push(r.tel),
    intervalMs: 100,
    pruneEveryMs: 1_000,
  });
  return { bindings, deps, expired, sweeper };
}

test('a sweep de-registers expired bindings, ends blocks and prunes the access log now and then', async () => {
  const now = { t: 10_000 };
  const { bindings, deps, expired, sweeper } = make(now);
  bindings.set(reg('201', 10_500));
  bindings.set(reg('202', 20_000));
  expect(await sweeper.sweep(10_400)).toBe(0);
  expect(deps.registrations.purgeExpired).not.toHaveBeenCalled();
  expect(deps.accessLog.prune).toHaveBeenCalledWith({ keep: 500 });
  expect(await sweeper.sweep(10_500)).toBe(1);
  expect(expired).toEqual(['201']);
  expect(deps.registrations.purgeExpired).toHaveBeenCalledWith(10_500);
  expect(bindings.isRegistered('202', 10_500)).toBe(true);
  expect(deps.comm.sweep).toHaveBeenCalledTimes(2);
  expect(deps.accessLog.prune).toHaveBeenCalledTimes(1); // not again within pruneEveryMs
});

test('the timer sweeps on its own and stops cleanly', async () => {
  jest.useFakeTimers();
  try {
    const now = { t: 10_000 };
    const { bindings, expired, sweeper } = make(now);
    bindings.set(reg('201', 10_050));
    sweeper.start();
    now.t = 10_100;
    await jest.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['201']);
    await sweeper.stop();
    bindings.set(reg('202', 10_150));
    now.t = 10_300;
    await jest.advanceTimersByTimeAsync(500);
    expect(expired).toEqual(['201']);
  } finally {
    jest.useRealTimers();
  }
});
