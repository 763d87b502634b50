/**
 * The media worker's supervisor with stand-in engines: a crash starts a new engine after a
 * back-off, a failed start is retried later, calls during a restart wait for it, calls after
 * close fail, and a crash of an engine already replaced changes nothing.
 */
import { MediaStateError } from '../../src/media/errors';
import type { ThreadedMediaEngine } from '../../src/media/thread/remote-engine';
import { createSupervisedMediaEngine } from '../../src/media/thread/supervised-engine';
import type { RtpSession } from '../../src/media/types';

interface Fake {
  engine: ThreadedMediaEngine;
  crash: (err?: Error) => void;
  closed: boolean;
}

function fakeStarts(failures: number[] = []): {
  start: (onCrash: (err: Error) => void) => Promise<ThreadedMediaEngine>;
  made: Fake[];
  attempts: number;
} {
  const made: Fake[] = [];
  const state = {
    attempts: 0,
    made,
    start: async (onCrash: (err: Error) => void): Promise<ThreadedMediaEngine> => {
      const n = state.attempts++;
      if (failures.includes(n)) throw new Error(`start ${n} failed`);
      const fake: Fake = {
        closed: false,
        crash: (err = new Error('worker died')) => onCrash(err),
        engine: {
          threadId: 100 + n,
          openSession: () => Promise.resolve({ id: n } as unknown as RtpSession),
          close: () => {
            fake.closed = true;
            return Promise.resolve();
          },
          stats: () => ({ sessions: n, portsInUse: 0, lateTicks: 0 }),
        } as unknown as ThreadedMediaEngine,
      };
      made.push(fake);
      return fake.engine;
    },
  };
  return state;
}

describe('supervised media engine', () => {
  it('starts a new engine after a crash; calls during the restart wait for it', async () => {
    const f = fakeStarts();
    const sup = await createSupervisedMediaEngine(f.start);
    expect(sup.current?.threadId).toBe(100);
    f.made[0]!.crash();
    expect(sup.current).toBeUndefined();
    expect(() => sup.createMixer()).toThrow(MediaStateError);
    const session = (await sup.openSession()) as unknown as { id: number };
    expect(session.id).toBe(1);
    expect(sup.restarts).toBe(1);
    expect(sup.current?.threadId).toBe(101);
    // A late crash report of the replaced engine is ignored.
    f.made[0]!.crash();
    expect(sup.current?.threadId).toBe(101);
    await sup.close();
    expect(f.made[1]!.closed).toBe(true);
  });

  it('retries a start that fails, backing off, until one works', async () => {
    const f = fakeStarts([1, 2]);
    const sup = await createSupervisedMediaEngine(f.start);
    f.made[0]!.crash();
    const engine = await sup.whenRunning();
    expect(engine.threadId).toBe(103);
    expect(f.attempts).toBe(4);
    expect(sup.restarts).toBe(1);
    await sup.close();
  });

  it('fails calls waiting on a restart when closed, and every call after', async () => {
    const f = fakeStarts([1, 2, 3, 4, 5]);
    const sup = await createSupervisedMediaEngine(f.start);
    f.made[0]!.crash();
    const waiting = sup.openSession();
    await sup.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(sup.openSession()).rejects.toThrow(/closed/);
    expect(() => sup.createMixer()).toThrow(/closed/);
  });

  it('throws the first start error (nothing to supervise yet)', async () => {
    const f = fakeStarts([0]);
    await expect(createSupervisedMediaEngine(f.start)).rejects.toThrow('start 0 failed');
  });
});
