/** What SendBuffers asks of a dgram socket: libuv's count of sends it still holds. */
export interface SendQueue {
  getSendQueueCount(): number;
}

/**
 * The outgoing packet buffer of one RTP socket, reused from packet to packet instead of a new
 * Buffer per packet, and never rewritten while the socket may still hold it.
 *
 * `dgram.send` hands the buffer to libuv. Node first tries `uv_udp_try_send`: when the datagram
 * goes out at once the buffer is free when `send` returns. When it cannot (the socket's send
 * buffer is full, or an earlier send is still queued), libuv queues the request with a pointer to
 * our bytes and sends it later: rewriting the buffer for the next frame would change a packet
 * already "sent". libuv counts the requests it holds (`getSendQueueCount`), so after every send
 * we look: 0 means nothing of ours is held and the buffer is reused; more means this one may be,
 * and it is retired (left to the pending request, which keeps it alive) for a fresh one. The
 * destination must resolve synchronously too (an IP literal on a socket whose `lookup` answers
 * at once, which the port pool's sockets do): with Node's default lookup, or a host name, dgram
 * holds the buffer until the next tick whatever libuv says, and the caller passes `reusable:
 * false`. A ring of several buffers would not be safer than this check and one buffer, since how
 * long libuv holds a queued send has no bound.
 */
export class SendBuffers {
  private buf: Buffer | undefined;
  /** Buffers given up because the socket might still hold them (tests, stats). */
  retired = 0;

  constructor(
    private readonly socket: SendQueue,
    private readonly size: number,
  ) {}

  /** A buffer of `length` bytes to fill and send now: the reused one when `length` fits it. */
  take(length: number): Buffer {
    if (length !== this.size) return Buffer.allocUnsafeSlow(length);
    this.buf ??= Buffer.allocUnsafeSlow(this.size);
    return this.buf;
  }

  /**
   * Call right after `socket.send(buf, …)`. `reusable`: the send reached libuv synchronously
   * (see the class comment); otherwise the buffer is retired whatever the queue says.
   */
  sent(buf: Buffer, reusable: boolean): void {
    if (buf !== this.buf) return;
    if (!reusable || this.socket.getSendQueueCount() > 0) {
      this.buf = undefined;
      this.retired++;
    }
  }
}
