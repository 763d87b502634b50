/**
 * What the registrar tells the SIP server to drop before parsing (the list mirrored into the
 * server's worker thread): blocked addresses in `no-response` mode only, white-listed ones never,
 * every block made or forgotten as it happens, the whole list again on refresh (mode change).
 */
import pino from 'pino';
import type { SourceBlocksUpdate } from '@pbx/sip-server';
import { CommExclusive, type CommExclusiveMode } from '../../src/registrar/comm-exclusive';
import { DroppedSources } from '../../src/registrar/dropped-sources';

const T0 = 1_800_000_000_000;

function setup(mode: CommExclusiveMode, trusted: string[] = []) {
  const rows = new Map<string, number>();
  const settings = { mode, retryLimit: 1, blockMs: 60_000 };
  let now = T0;
  const comm = new CommExclusive({
    blocks: {
      block: async (b) => {
        rows.set(b.ip, b.blockedUntil);
        return { ...b, reason: b.reason ?? '', failures: b.failures ?? 0, blockedAt: now };
      },
      list: async (o = {}) =>
        [...rows]
          .filter(([, until]) => until > (o.activeAt ?? 0))
          .map(([ip, blockedUntil]) => ({
            ip,
            blockedUntil,
            reason: '',
            failures: 1,
            blockedAt: T0,
          })),
      purgeExpired: async () => 0,
    },
    accessLog: { add: async (e) => ({ id: 1, at: now, port: null, callerId: '', ...e }) },
    settings: () => settings,
    log: pino({ level: 'silent' }),
    trusted: (ip) => trusted.includes(ip),
  });
  const dropped = new DroppedSources(
    comm,
    () => settings.mode,
    () => now,
  );
  const updates: SourceBlocksUpdate[] = [];
  return {
    comm,
    rows,
    settings,
    dropped,
    updates,
    watch: () => dropped.watch((u) => updates.push(u)),
    at: (t: number) => (now = t),
  };
}

test('no-response: the whole list first, then each block made and forgotten', async () => {
  const s = setup('no-response');
  s.comm.countFailure('127.0.0.9', 5060, '201', T0);
  const stop = s.watch();
  expect(s.updates).toEqual([
    { replace: true, block: [{ address: '127.0.0.9', until: T0 + 60_000 }] },
  ]);
  s.comm.countFailure('127.0.0.8', 5060, '201', T0 + 1);
  expect(s.updates[1]).toEqual({ block: [{ address: '127.0.0.8', until: T0 + 60_001 }] });
  // An ended block noticed on the request path, and one lifted by the CLI (table reload).
  expect(s.comm.isBlocked('127.0.0.9', T0 + 60_000)).toBe(false);
  expect(s.updates[2]).toEqual({ unblock: ['127.0.0.9'] });
  await s.comm.reload(T0 + 2);
  expect(s.updates.slice(3)).toEqual([{ unblock: ['127.0.0.8'] }]);
  stop();
  s.comm.countFailure('127.0.0.7', 5060, '201', T0 + 3);
  expect(s.updates).toHaveLength(4);
});

test('response mode: nothing is dropped by the server; a change to no-response sends the list', () => {
  const s = setup('response');
  s.watch();
  s.comm.countFailure('127.0.0.9', 5060, '201', T0);
  expect(s.updates).toEqual([{ replace: true, block: [] }]);
  s.settings.mode = 'no-response';
  s.dropped.refresh();
  expect(s.updates[1]).toEqual({
    replace: true,
    block: [{ address: '127.0.0.9', until: T0 + 60_000 }],
  });
  s.settings.mode = 'response';
  s.dropped.refresh();
  expect(s.updates[2]).toEqual({ replace: true, block: [] });
});

test('white-listed addresses are never sent, ended blocks are left out of the whole list', () => {
  const s = setup('no-response', ['127.0.0.5']);
  s.comm.countFailure('127.0.0.5', 5060, '201', T0);
  s.comm.countFailure('127.0.0.6', 5060, '201', T0);
  s.at(T0 + 60_000);
  s.watch();
  expect(s.updates).toEqual([{ replace: true, block: [] }]);
});
