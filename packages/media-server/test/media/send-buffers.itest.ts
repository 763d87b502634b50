import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';

/*
 * The session reuses one packet buffer per socket (SendBuffers) instead of a new Buffer per
 * packet. Reuse is only safe while every send leaves at once; when libuv queues a send (a full
 * socket buffer) it keeps a pointer to our bytes. Node's `--test-udp-no-try-send` forces that
 * queued path for every send, so the fixture runs the built code (dist/, as `npx tsc -b` leaves
 * it) in a child with and without it and reports what a receiver got.
 */
const DIST = path.resolve(__dirname, '../../dist');
const CHILD = path.join(__dirname, 'fixtures/send-reuse-child.js');

interface ChildResult {
  buffers: { naive: number[]; guarded: number[]; retired: number };
  session: { packets: number; frames: number; mismatches: number; retired: number };
  conference: Record<'A' | 'B', { dupSeq: number; frames: number[]; retired: number }>;
}

function runChild(flags: string[]): Promise<ChildResult> {
  const portMin = 20000 + 2 * randomInt(0, 20000);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...flags, CHILD, DIST, String(portMin)],
      { timeout: 45000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim()) as ChildResult);
      },
    );
  });
}

const inOrder = Array.from({ length: 10 }, (_, i) => i);
const hundred = Array.from({ length: 100 }, (_, i) => i);

/**
 * Conference members A (hears the mixer's shared frame) and B (its own mixed frame, with a
 * private playback): each frame of the frame-unique playbacks once, in sequence-number order.
 */
function expectEveryMixedFrameSent(r: ChildResult): void {
  for (const m of [r.conference.A, r.conference.B]) {
    expect(m.dupSeq).toBe(0);
    expect(m.frames).toEqual(hundred);
  }
}

describe('packet buffer reuse against libuv queued sends (child processes)', () => {
  it('with every send queued (--test-udp-no-try-send): a reused buffer would corrupt queued packets; ours never is', async () => {
    const r = await runChild(['--test-udp-no-try-send']);
    // The hazard is real: one buffer rewritten for ten sends in one go sends the last one ten times
    // (the first left at once, the other nine waited in the queue holding our bytes).
    expect(new Set(r.buffers.naive).size).toBeLessThan(10);
    // SendBuffers sees the queued send and gives the buffer up: every packet as written.
    expect(r.buffers.guarded).toEqual(inOrder);
    expect(r.buffers.retired).toBe(10);
    // A playing session with event-loop stalls (frames sent back to back): every frame arrives
    // once, with its own sequence number and samples.
    expect(r.session).toMatchObject({ packets: 100, frames: 100, mismatches: 0 });
    expect(r.session.retired).toBeGreaterThan(0);
    // Mixed frames are rewritten every frame and sent from a reused buffer: none is altered by
    // the next frame's mix (or packet) before it left, with stalls making frames back to back.
    expectEveryMixedFrameSent(r);
    expect(r.conference.B.retired).toBeGreaterThan(0);
  }, 60000);

  it('with the normal send path the buffer is reused and every packet is as written', async () => {
    const r = await runChild([]);
    expect(r.buffers.guarded).toEqual(inOrder);
    // Sends left synchronously: nothing retired, the one buffer served all ten.
    expect(r.buffers.retired).toBe(0);
    expect(r.session).toMatchObject({ packets: 100, frames: 100, mismatches: 0 });
    expect(r.session.retired).toBeLessThan(50);
    expectEveryMixedFrameSent(r);
  }, 60000);
});
