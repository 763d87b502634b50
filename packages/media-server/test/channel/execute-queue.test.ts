import { ExecuteQueue } from '../../src/channel/execute-queue';
import type { ExecuteItem } from '../../src/channel/execute-queue';

/** A runner whose apps end when the test says so (or when aborted). */
function harness(nestable: string[] = []) {
  const log: string[] = [];
  const finishers = new Map<string, () => void>();
  const queue = new ExecuteQueue({
    nestable: (app) => nestable.includes(app),
    run: (item: ExecuteItem, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        log.push(`start ${item.eventUuid}`);
        const end = (why: string): void => {
          log.push(`end ${item.eventUuid} ${why}`);
          resolve();
        };
        finishers.set(item.eventUuid, () => end('done'));
        signal.addEventListener('abort', () => end(String(signal.reason)), { once: true });
      }),
  });
  const finish = async (id: string): Promise<void> => {
    finishers.get(id)!();
    await new Promise((r) => setImmediate(r));
  };
  return { queue, log, finish };
}

const item = (app: string, id: string): ExecuteItem => ({ app, arg: '', eventUuid: id });

describe('ExecuteQueue', () => {
  it('runs items one at a time in arrival order', async () => {
    const { queue, log, finish } = harness();
    queue.enqueue(item('playback', 'a'));
    queue.enqueue(item('set', 'b'));
    expect(log).toEqual(['start a']);
    await finish('a');
    expect(log).toEqual(['start a', 'end a done', 'start b']);
    await finish('b');
    expect(queue.current).toBeUndefined();
  });

  it('breaks the running item; `all` also drops the queued ones', async () => {
    const { queue, log } = harness();
    queue.enqueue(item('playback', 'a'));
    queue.enqueue(item('playback', 'b'));
    queue.enqueue(item('playback', 'c'));
    queue.breakCurrent(false);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start a', 'end a break', 'start b']);
    queue.breakCurrent(true);
    await new Promise((r) => setImmediate(r));
    expect(log.slice(3)).toEqual(['end b break']);
    expect(queue.pending).toBe(0);
  });

  it('lets later items run nested while a nestable app blocks; transfer breaks them all', async () => {
    const { queue, log, finish } = harness(['conference']);
    queue.enqueue(item('conference', 'conf'));
    queue.enqueue(item('set_mute', 'm'));
    queue.enqueue(item('set', 's'));
    expect(log).toEqual(['start conf', 'start m']);
    await finish('m');
    expect(log).toEqual(['start conf', 'start m', 'end m done', 'start s']);
    queue.breakCurrent(false, 'transfer');
    await new Promise((r) => setImmediate(r));
    expect(log).toContain('end conf transfer');
    expect(log).toContain('end s transfer');
  });

  it('on close stops running apps and returns the queued items that never ran', async () => {
    const { queue, log } = harness();
    queue.enqueue(item('playback', 'a'));
    queue.enqueue(item('playback', 'b'));
    const dropped = await queue.close();
    expect(log).toEqual(['start a', 'end a hangup']);
    expect(dropped.map((d) => d.eventUuid)).toEqual(['b']);
    queue.enqueue(item('set', 'late'));
    expect(log).toHaveLength(2);
  });
});
