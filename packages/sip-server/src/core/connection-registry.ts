/**
 * Phones registered over TCP/TLS: `user@host` of their Contact → the connection they registered
 * on, so later requests to them reuse it (wire spec §6.10).
 */
import type { Destination } from '../transport/types';

interface Entry {
  dest: Destination;
  expiresAt: number;
}

export class ConnectionRegistry {
  private readonly byAor = new Map<string, Entry>();

  remember(key: string, dest: Destination, expiresSec: number): void {
    if (expiresSec <= 0) {
      this.byAor.delete(key);
      return;
    }
    this.byAor.set(key, { dest, expiresAt: Date.now() + expiresSec * 1000 });
    if (this.byAor.size > 10000) this.sweep();
  }

  lookup(key: string): Destination | undefined {
    const e = this.byAor.get(key);
    if (!e) return undefined;
    if (e.expiresAt < Date.now()) {
      this.byAor.delete(key);
      return undefined;
    }
    return e.dest;
  }

  forgetConnection(connectionId: string): void {
    for (const [k, e] of this.byAor) if (e.dest.connectionId === connectionId) this.byAor.delete(k);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.byAor) if (e.expiresAt < now) this.byAor.delete(k);
  }
}

export function aorKey(user: string | undefined, host: string): string {
  return `${user ?? ''}@${host.toLowerCase()}`;
}
