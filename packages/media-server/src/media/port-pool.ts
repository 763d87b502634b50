import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import type { LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { PortRangeExhaustedError } from './errors';

/**
 * Hands out RTP/RTCP port pairs (even RTP port, RTCP = RTP + 1) from a range, binding both
 * sockets. Pairs are tried round-robin from where the last search stopped, so a just-released
 * pair is not reused at once (late packets of the old call would land in the new one). A port
 * another process holds is skipped.
 */
export class PortPool {
  private readonly inUse = new Set<number>();
  private cursor: number;
  private readonly first: number;
  private readonly pairs: number;

  constructor(
    private readonly address: string,
    readonly min: number,
    readonly max: number,
  ) {
    this.first = min % 2 === 0 ? min : min + 1;
    this.pairs = Math.max(0, Math.floor((max - this.first + 1) / 2));
    this.cursor = 0;
  }

  get size(): number {
    return this.inUse.size;
  }

  /** Binds the next free pair; rejects with PortRangeExhaustedError when none is left. */
  async allocate(): Promise<{ rtp: Socket; rtcp: Socket; port: number; release: () => void }> {
    for (let tried = 0; tried < this.pairs; tried++) {
      const port = this.first + 2 * ((this.cursor + tried) % this.pairs);
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      const rtp = await bindUdp(this.address, port);
      const rtcp = rtp ? await bindUdp(this.address, port + 1) : undefined;
      if (rtp && rtcp) {
        this.cursor = (this.cursor + tried + 1) % this.pairs;
        return { rtp, rtcp, port, release: () => this.inUse.delete(port) };
      }
      if (rtp) await new Promise<void>((r) => rtp.close(() => r()));
      this.inUse.delete(port);
    }
    throw new PortRangeExhaustedError(this.min, this.max);
  }
}

/**
 * dgram resolves the destination of every send through `lookup`; the default (dns.lookup) answers
 * IP literals on the next tick, one extra callback per packet. Ours answers them at once.
 */
function literalLookup(
  host: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else lookup(host, options, callback);
}

/** Sockets made here: bound, and `literalLookup` resolves IP literals synchronously. */
const literalSockets = new WeakSet<Socket>();

/**
 * True for a socket of a port pool: a send to an IP literal reaches libuv before `send` returns
 * (SendBuffers relies on it to reuse a packet buffer).
 */
export function resolvesLiteralsAtOnce(socket: Socket): boolean {
  return literalSockets.has(socket);
}

/** Binds a UDP socket, or resolves undefined if the port is taken. */
function bindUdp(address: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', lookup: literalLookup });
    literalSockets.add(s);
    const onError = (): void => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}
