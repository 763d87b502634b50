import { SendBuffers } from '../../src/media/send-buffers';

/** A socket's libuv send queue as SendBuffers sees it: the count is set by the test. */
class Queue {
  count = 0;
  getSendQueueCount(): number {
    return this.count;
  }
}

describe('SendBuffers', () => {
  it('reuses one buffer while every send left at once', () => {
    const q = new Queue();
    const b = new SendBuffers(q, 172);
    const first = b.take(172);
    b.sent(first, true);
    expect(b.take(172)).toBe(first);
    expect(b.retired).toBe(0);
  });

  it('gives a buffer up when the socket still holds a send, and writes the next into a new one', () => {
    const q = new Queue();
    const b = new SendBuffers(q, 172);
    const held = b.take(172);
    held.fill(1);
    q.count = 1; // libuv queued it: it keeps a pointer to these bytes
    b.sent(held, true);
    const next = b.take(172);
    expect(next).not.toBe(held);
    next.fill(2);
    expect(held.every((x) => x === 1)).toBe(true);
    expect(b.retired).toBe(1);
  });

  it('never reuses a buffer sent to a destination that is resolved later', () => {
    const q = new Queue();
    const b = new SendBuffers(q, 172);
    const first = b.take(172);
    b.sent(first, false);
    expect(b.take(172)).not.toBe(first);
  });

  it('gives other sizes a buffer of their own and ignores them when sent', () => {
    const q = new Queue();
    const b = new SendBuffers(q, 172);
    const audio = b.take(172);
    const other = b.take(16);
    expect(other).toHaveLength(16);
    q.count = 3;
    b.sent(other, true);
    q.count = 0;
    b.sent(audio, true);
    expect(b.take(172)).toBe(audio);
    expect(b.retired).toBe(0);
  });
});
