/** Fan-out of fired events to every open Event Socket connection (subscriptions are global). */
import type { EslConnection } from './connection';
import type { EslEvent } from './event';

export class EventBus {
  private readonly connections = new Set<EslConnection>();

  add(conn: EslConnection): void {
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
  }

  fire(event: EslEvent): void {
    for (const c of this.connections) c.deliver(event);
  }

  all(): EslConnection[] {
    return [...this.connections];
  }
}
