/**
 * A database that cannot be written: read-only (a read-only open, `PRAGMA query_only`, which is
 * what a read-only file or mount gives SQLite; file modes do not stop root) and a full disk (a
 * tiny tmpfs, when this process may mount one). REGISTERs are answered 503 with a reason that says
 * why and a clear log line, never 500 or silence; a call that was up stays up and ends normally;
 * new calls, which need no write, still connect; once the database is writable again
 * registrations are stored again.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { sippRegister } from '../helpers/register';
import { freePort } from '../helpers/sipp';

jest.setTimeout(60_000);

function capture(): { logger: pino.Logger; lines: Array<{ msg: string; level: number }> } {
  const lines: Array<{ msg: string; level: number }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as { msg: string; level: number });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

async function exercise(
  h: CallsPbx,
  lines: Array<{ msg: string; level: number }>,
  breakIt: () => Promise<void>,
  fixIt: () => Promise<void>,
  phrase: RegExp,
): Promise<void> {
  // A call is up before the database breaks; the callee hangs up after 2.5 s.
  const callee = await h.phone('2001', 'uas-answer-send-bye.xml', { pauseMs: 2_500 });
  const held = await h.startCall('2002', '2001', 'uac-invite-expect-200-recv-bye.xml');
  await waitFor('the call connected', () => h.cc.env.registry.all().length === 1, 5_000);

  // The phones of the second call are bound before (binding them is a write).
  const callee2 = await h.phone('2004', 'uas-answer.xml');
  const callerPort = await freePort('udp');
  await h.register('2005', callerPort);

  await breakIt();
  const reg = await sippRegister(h.pbx.target, { tel: '2003', password: 'secret2003' });
  expect(reg.ok).toBe(false);
  expect(reg.statuses).toContain(503);
  expect(reg.messages).toMatch(phrase);
  expect(reg.messages).toMatch(/Retry-After: 60/);
  expect(
    lines.some((l) =>
      /REGISTER not stored: the (database is read-only|disk holding the database is full)/.test(
        l.msg,
      ),
    ),
  ).toBe(true);

  // A new call needs no write: it connects while the database is broken.
  expectPhoneOk(
    await h.call('2005', '2004', 'uac-invite-expect-200.xml', {
      pauseMs: 300,
      port: callerPort,
      unregistered: true,
    }),
    'a call while the database cannot be written',
  );
  await callee2.stop();
  // The call that was up ends normally.
  expectPhoneOk(await held.done, 'the call that was up');
  await callee.stop();

  await fixIt();
  const again = await sippRegister(h.pbx.target, { tel: '2003', password: 'secret2003' });
  expect(again.ok).toBe(true);
}

describe('database that cannot be written', () => {
  it('read-only: REGISTER 503 "Database Read-Only", calls go on', async () => {
    const { logger, lines } = capture();
    await using h = await startCallsPbx({ logger });
    for (const tel of ['2001', '2002', '2003', '2004', '2005']) await h.station(tel);
    await exercise(
      h,
      lines,
      () => h.pbx.ctx.store.db.exec('PRAGMA query_only = 1'),
      () => h.pbx.ctx.store.db.exec('PRAGMA query_only = 0'),
      /SIP\/2\.0 503 Database Read-Only/,
    );
    expect(lines.some((l) => l.msg === 'call record not written')).toBe(true);
  });

  const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'pbx-full-'));
  const mounted =
    process.platform === 'linux' &&
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint]).status === 0;
  afterAll(() => {
    if (mounted) spawnSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  // Needs a tmpfs mount (root, or a user namespace allowing it); skipped otherwise.
  (mounted ? it : it.skip)('full disk: REGISTER 503 "Database Full", calls go on', async () => {
    const { logger, lines } = capture();
    const dataDir = path.join(mountPoint, 'data');
    await using h = await startCallsPbx({ logger, dataDir });
    for (const tel of ['2001', '2002', '2003', '2004', '2005']) await h.station(tel);
    const filler = path.join(mountPoint, 'filler');
    await exercise(
      h,
      lines,
      async () => {
        // Fill the disk, then make the WAL want new pages: a checkpoint empties it into the
        // database file so the next writes must grow it again.
        await h.pbx.ctx.store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        try {
          for (let i = 0; ; i++) writeFileSync(`${filler}-${i}`, Buffer.alloc(256 * 1024));
        } catch {
          // ENOSPC: full.
        }
        try {
          for (let i = 0; ; i++) writeFileSync(`${filler}-small-${i}`, Buffer.alloc(4096));
        } catch {
          // ENOSPC to the last page.
        }
      },
      async () => {
        spawnSync('sh', ['-c', `rm -f ${filler}-*`]);
        await h.pbx.ctx.store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
      },
      /SIP\/2\.0 503 Database Full/,
    );
  });
});
