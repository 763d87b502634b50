import pino from 'pino';
import type { Block, BlockInput } from '@pbx/store';
import { CommExclusive, type CommExclusiveSettings } from '../../src/registrar/comm-exclusive';
import { REASON } from '../../src/registrar/refusals';

const T0 = 1_800_000_000_000;

function fakeRepos() {
  const blocks = new Map<string, Block>();
  const accessLog: Array<{ ip: string; reason: string; callerId?: string }> = [];
  return {
    blocks,
    accessLog,
    blockRepo: {
      block: jest.fn(async (b: BlockInput) => {
        const row = {
          ip: b.ip,
          blockedUntil: b.blockedUntil,
          reason: b.reason ?? '',
          failures: b.failures ?? 0,
          blockedAt: T0,
        };
        blocks.set(b.ip, row);
        return row;
      }),
      list: jest.fn(async (o: { activeAt?: number } = {}) =>
        [...blocks.values()].filter((b) => b.blockedUntil > (o.activeAt ?? 0)),
      ),
      purgeExpired: jest.fn(async (now: number) => {
        let n = 0;
        for (const [ip, b] of blocks) if (b.blockedUntil <= now && blocks.delete(ip)) n++;
        return n;
      }),
    },
    accessLogRepo: {
      add: jest.fn(async (e: { ip: string; reason: string; callerId?: string }) => {
        accessLog.push(e);
        return { id: accessLog.length, at: T0, port: null, callerId: '', ...e };
      }),
    },
  };
}

function make(
  settings: Partial<CommExclusiveSettings> = {},
  extra: { maxTrackedIps?: number; failureWindowMs?: number; sharedMemoryMs?: number } = {},
) {
  const repos = fakeRepos();
  const s: CommExclusiveSettings = {
    mode: 'response',
    retryLimit: 2,
    blockMs: 60_000,
    ...settings,
  };
  const comm = new CommExclusive({
    blocks: repos.blockRepo,
    accessLog: repos.accessLogRepo,
    settings: () => s,
    log: pino({ level: 'silent' }),
    ...extra,
  });
  return { comm, repos, s };
}

test('the retry limit-th failure blocks the address for the block timer, persisted and logged', async () => {
  const { comm, repos } = make({ retryLimit: 3 });
  expect(await comm.recordFailure('10.0.0.9', 5060, '201', T0)).toBe('counted');
  expect(await comm.recordFailure('10.0.0.9', 5060, '201', T0 + 1)).toBe('counted');
  expect(comm.admission('10.0.0.9', T0 + 2)).toBe('ok');
  expect(await comm.recordFailure('10.0.0.9', 5060, '201', T0 + 2)).toBe('blocked');
  expect(repos.blocks.get('10.0.0.9')).toMatchObject({
    blockedUntil: T0 + 2 + 60_000,
    failures: 3,
    reason: REASON.blocked(3),
  });
  expect(repos.accessLog).toEqual([
    { at: T0 + 2, ip: '10.0.0.9', port: 5060, callerId: '201', reason: REASON.blocked(3) },
  ]);
  expect(comm.isBlocked('10.0.0.9', T0 + 60_001)).toBe(true);
  expect(comm.isBlocked('10.0.0.9', T0 + 60_002)).toBe(false);
  // Other addresses are untouched.
  expect(comm.admission('10.0.0.8', T0 + 3)).toBe('ok');
});

test('while blocked: refuse in response mode, drop in no-response mode (read live)', async () => {
  const { comm, s } = make({ retryLimit: 1 });
  await comm.recordFailure('10.0.0.9', 5060, '', T0);
  expect(comm.admission('10.0.0.9', T0 + 1)).toBe('refuse');
  s.mode = 'no-response';
  expect(comm.admission('10.0.0.9', T0 + 1)).toBe('drop');
  expect(comm.stats().turnedAway).toBe(2);
});

test('a success clears the failures; old failures are forgotten after the window', async () => {
  const { comm } = make({ retryLimit: 2 }, { failureWindowMs: 1_000, sharedMemoryMs: 10 });
  await comm.recordFailure('10.0.0.9', 1, '', T0);
  comm.recordSuccess('10.0.0.9', '201', T0);
  expect(await comm.recordFailure('10.0.0.9', 1, '', T0 + 100)).toBe('counted');
  expect(comm.failureCount('10.0.0.9', T0 + 100)).toBe(1);
  expect(await comm.recordFailure('10.0.0.9', 1, '', T0 + 2_000)).toBe('counted');
  expect(await comm.recordFailure('10.0.0.9', 1, '', T0 + 2_500)).toBe('blocked');
  expect(comm.admission('10.0.0.9', T0 + 2_501)).toBe('refuse');
});

test('a shared address (a station succeeded there): only the failing station is turned away', async () => {
  const { comm, repos } = make({ retryLimit: 3 });
  comm.recordSuccess('10.0.0.5', '201', T0);
  expect(comm.isShared('10.0.0.5', T0 + 1)).toBe(true);
  for (let i = 1; i <= 2; i++)
    expect(await comm.recordFailure('10.0.0.5', 5070, '202', T0 + i)).toBe('counted');
  expect(await comm.recordFailure('10.0.0.5', 5070, '202', T0 + 3)).toBe('blocked');
  // The address stays open; 202 from it is refused until the timer ends.
  expect(comm.admission('10.0.0.5', T0 + 4)).toBe('ok');
  expect(comm.stationAdmission('10.0.0.5', '202', T0 + 4)).toBe('refuse');
  expect(comm.stationAdmission('10.0.0.5', '201', T0 + 4)).toBe('ok');
  expect(comm.stationAdmission('10.0.0.6', '202', T0 + 4)).toBe('ok');
  expect(comm.stationAdmission('10.0.0.5', '202', T0 + 3 + 60_000)).toBe('ok');
  expect(repos.blocks.size).toBe(0);
  expect(repos.accessLog).toEqual([
    {
      at: T0 + 3,
      ip: '10.0.0.5',
      port: 5070,
      callerId: '202',
      reason: REASON.stationBlocked(3, '202'),
    },
  ]);
  // Another station's failures there are counted on their own.
  expect(await comm.recordFailure('10.0.0.5', 5072, '203', T0 + 5)).toBe('counted');
});

test('an address with no success (a scanner trying many names) is blocked whole', async () => {
  const { comm } = make({ retryLimit: 3 });
  comm.recordSuccess('10.0.0.5', '201', T0);
  for (const [i, name] of ['100', '101'].entries())
    expect(await comm.recordFailure('10.0.0.66', 1, name, T0 + i)).toBe('counted');
  expect(await comm.recordFailure('10.0.0.66', 1, '102', T0 + 2)).toBe('blocked');
  expect(comm.admission('10.0.0.66', T0 + 3)).toBe('refuse');
  expect(comm.isShared('10.0.0.66', T0 + 3)).toBe(false);
});

test('the white list overrides Comm Exclusive: a listed address is never blocked', async () => {
  const repos = fakeRepos();
  const listed = new Set(['10.0.0.7']);
  const comm = new CommExclusive({
    blocks: repos.blockRepo,
    accessLog: repos.accessLogRepo,
    settings: () => ({ mode: 'response', retryLimit: 1, blockMs: 60_000 }),
    log: pino({ level: 'silent' }),
    trusted: (ip) => listed.has(ip),
  });
  expect(await comm.recordFailure('10.0.0.7', 1, '201', T0)).toBe('counted');
  expect(comm.admission('10.0.0.7', T0 + 1)).toBe('ok');
  // Even a block row made before the address was listed does not apply.
  await repos.blockRepo.block({ ip: '10.0.0.7', blockedUntil: T0 + 60_000 });
  await comm.reload(T0 + 2);
  expect(comm.admission('10.0.0.7', T0 + 3)).toBe('ok');
  listed.delete('10.0.0.7');
  expect(comm.admission('10.0.0.7', T0 + 3)).toBe('refuse');
});

test('failure counters are bounded: a spray from many addresses keeps at most maxTrackedIps', async () => {
  const { comm } = make({ retryLimit: 5 }, { maxTrackedIps: 100 });
  for (let i = 0; i < 5_000; i++)
    await comm.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 1, '', T0);
  expect(comm.stats().trackedIps).toBe(100);
});

test('reload mirrors the table: a block removed by the CLI ends at once and its failures restart', async () => {
  const { comm, repos } = make({ retryLimit: 2 });
  await comm.recordFailure('10.0.0.9', 1, '', T0);
  await comm.recordFailure('10.0.0.9', 1, '', T0);
  repos.blocks.delete('10.0.0.9');
  repos.blocks.set('10.0.0.7', {
    ip: '10.0.0.7',
    blockedUntil: T0 + 5_000,
    reason: 'by hand',
    failures: 0,
    blockedAt: T0,
  });
  await comm.reload(T0 + 1);
  expect(comm.admission('10.0.0.9', T0 + 1)).toBe('ok');
  expect(comm.admission('10.0.0.7', T0 + 1)).toBe('refuse');
  expect(await comm.recordFailure('10.0.0.9', 1, '', T0 + 2)).toBe('counted');
});

test('sweep ends blocks whose timer ran out and purges them', async () => {
  const { comm, repos } = make({ retryLimit: 1, blockMs: 1_000 });
  await comm.recordFailure('10.0.0.9', 1, '', T0);
  expect(await comm.sweep(T0 + 999)).toBe(0);
  expect(await comm.sweep(T0 + 1_000)).toBe(1);
  expect(repos.blockRepo.purgeExpired).toHaveBeenCalledWith(T0 + 1_000);
  expect(repos.blocks.size).toBe(0);
  expect(comm.stats().blockedIps).toBe(0);
});

test('the failure window from the settings (security.failureWindow) wins and applies at once', async () => {
  const { comm } = make({ retryLimit: 2, failureWindowMs: 5_000 }, { failureWindowMs: 1_000 });
  await comm.recordFailure('10.0.0.7', 1, '', T0);
  // 3 s apart: inside the 5 s window of the settings, outside the constructor's 1 s.
  expect(await comm.recordFailure('10.0.0.7', 1, '', T0 + 3_000)).toBe('blocked');
  const narrow = make({ retryLimit: 2, failureWindowMs: 1_000 });
  await narrow.comm.recordFailure('10.0.0.8', 1, '', T0);
  expect(await narrow.comm.recordFailure('10.0.0.8', 1, '', T0 + 3_000)).toBe('counted');
  expect(narrow.comm.failureCount('10.0.0.8', T0 + 3_500)).toBe(1);
});
