/**
 * The worker's SIP trace batching: messages of one event-loop turn leave as one batch (one
 * postMessage), in order, with their bytes and peers intact; a later turn makes another batch.
 */
import { forEachMessage, TrafficBatcher } from '../../src/thread/traffic-batcher';
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
