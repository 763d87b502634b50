/**
 * The media worker dies (killed as a crash would): the unmodified drachtio-fsmrf client sees the
 * endpoints it had hung up (`destroy` with the cause), and the next endpoints get a new worker
 * and carry audio again (a tone played on one is recorded, decoded, on the other).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWav } from '../../src/media';
import { detectTones } from '../helpers/audio';
import type { Any, Stack } from './stack';
import { endpointPair, startStack, withTimeout } from './stack';

describe('media worker crash: calls on it are hung up, the next calls get a new worker', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-crash-'));
    stack = await startStack({ soundsDir: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function tonePasses(a: Any, b: Any, name: string): Promise<number[]> {
    const rec = path.join(dir, `${name}.wav`);
    await b.execute('record_session', rec);
    await withTimeout(a.play('tone_stream://%(800,0,700);loops=1'), 10_000, 'play');
    await b.execute('stop_record_session', rec);
    return detectTones(await loadWav(rec), [440, 700, 1000]);
  }

  it('hangs up the endpoints of the dead worker and serves new ones from a new worker', async () => {
    const worker = stack.media.worker;
    expect(worker).toBeDefined();
    const firstThread = worker!.threadId;
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    expect(await tonePasses(a, b, 'before')).toEqual([700]);

    const destroyed = [a, b].map(
      (ep: Any) =>
        new Promise<string | undefined>((resolve) =>
          ep.once('destroy', (e?: { reason?: string }) => resolve(e?.reason)),
        ),
    );
    await worker!.kill();
    const reasons = await withTimeout(Promise.all(destroyed), 10_000, 'endpoints destroyed');
    expect(reasons).toEqual(['NORMAL_TEMPORARY_FAILURE', 'NORMAL_TEMPORARY_FAILURE']);
    await withTimeout(
      (async () => {
        while (stack.media.stats().channels > 0) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'channels gone',
    );

    // The next call waits for the new worker if it is not up yet.
    const [c, d]: [Any, Any] = await withTimeout(endpointPair(stack.ms), 15_000, 'new endpoints');
    expect(worker!.restarts).toBe(1);
    expect(worker!.threadId).toBeDefined();
    expect(worker!.threadId).not.toBe(firstThread);
    expect(await tonePasses(c, d, 'after')).toEqual([700]);
    await c.destroy();
    await d.destroy();
    expect(stack.media.stats()).toMatchObject({ channels: 0 });
  });
});
