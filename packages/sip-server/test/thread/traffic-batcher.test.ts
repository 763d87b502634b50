/**
 * The worker's SIP trace batching: messages of one event-loop turn leave as one batch (one
 * postMessage), in order, with their bytes and peers intact; a later turn makes another batch.
 */
import { forEachMessage, MAX_BATCH_BYTES, TrafficBatcher } from '../../src/thread/traffic-batcher';
import type { TrafficBatch } from '../../src/thread/protocol';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the messages of one turn leave as one batch, in order, bytes and peers intact', async () => {
  const batches: TrafficBatch[] = [];
  const batcher = new TrafficBatcher((b) => batches.push(b));
  const sent: Array<[string, string, string, number]> = [];
  for (let i = 0; i < 500; i++) {
    const direction = i % 3 === 0 ? 'out' : 'in';
    const text = `MESSAGE ${i} ${'x'.repeat(i % 97)}`;
    // Slices of one pooled buffer, as the transport's messages can be.
    const data = Buffer.from(`..${text}..`).subarray(2, 2 + Buffer.byteLength(text));
    sent.push([direction, text, `127.0.0.${1 + (i % 5)}`, 5000 + i]);
    batcher.add(direction, data, { address: `127.0.0.${1 + (i % 5)}`, port: 5000 + i });
  }
  expect(batches).toHaveLength(0);
  await nextTurn();
  expect(batches).toHaveLength(1);
  const got: Array<[string, string, string, number]> = [];
  forEachMessage(batches[0]!, (direction, data, peer) =>
    got.push([direction, data.toString(), peer.address, peer.port]),
  );
  expect(got).toEqual(sent);

  batcher.add('in', Buffer.from('later'), { address: '127.0.0.1', port: 1 });
  await nextTurn();
  expect(batches).toHaveLength(2);
  const later: string[] = [];
  forEachMessage(batches[1]!, (_d, data) => later.push(data.toString()));
  expect(later).toEqual(['later']);
});

test('flush sends at once and an empty turn sends nothing', async () => {
  const batches: TrafficBatch[] = [];
  const batcher = new TrafficBatcher((b) => batches.push(b));
  batcher.flush();
  expect(batches).toHaveLength(0);
  batcher.add('out', Buffer.from('a'), { address: '127.0.0.1', port: 2 });
  batcher.flush();
  expect(batches).toHaveLength(1);
  await nextTurn();
  expect(batches).toHaveLength(1);
});

/** Resolves once `check` holds, polling each turn; fails after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await nextTurn();
  }
}

test('with an interval, the messages of several turns leave as one batch', async () => {
  const batches: TrafficBatch[] = [];
  const batcher = new TrafficBatcher((b) => batches.push(b), 50);
  const started = Date.now();
  batcher.add('in', Buffer.from('one'), { address: '127.0.0.1', port: 1 });
  await nextTurn();
  batcher.add('out', Buffer.from('two'), { address: '127.0.0.2', port: 2 });
  await nextTurn();
  batcher.add('in', Buffer.from('three'), { address: '127.0.0.3', port: 3 });
  await until(() => batches.length > 0);
  // Timers may fire a millisecond early; the batch waited for (about) its interval.
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  expect(batches).toHaveLength(1);
  const got: string[] = [];
  forEachMessage(batches[0]!, (d, data, peer) => got.push(`${d} ${data.toString()} ${peer.port}`));
  expect(got).toEqual(['in one 1', 'out two 2', 'in three 3']);
});

test('with an interval, a batch that reaches MAX_BATCH_BYTES leaves at once, and flush cancels the timer', async () => {
  const batches: TrafficBatch[] = [];
  const batcher = new TrafficBatcher((b) => batches.push(b), 60_000);
  const big = Buffer.alloc(MAX_BATCH_BYTES / 2, 0x61);
  batcher.add('in', big, { address: '127.0.0.1', port: 1 });
  expect(batches).toHaveLength(0);
  batcher.add('in', big, { address: '127.0.0.1', port: 1 });
  expect(batches).toHaveLength(1);
  expect(batches[0]!.bytes.byteLength).toBe(MAX_BATCH_BYTES);
  batcher.add('out', Buffer.from('small'), { address: '127.0.0.1', port: 2 });
  batcher.flush();
  expect(batches).toHaveLength(2);
  batcher.flush();
  expect(batches).toHaveLength(2);
});
