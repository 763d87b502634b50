/**
 * The live stations as call control sees them: the persistence layer's `SqliteStationStore`
 * (station reducer in memory, settings loaded from and written to the `stations` table), plus what
 * routing needs synchronously: the routing view of a station, its calling name, and the
 * registered flags from a registration snapshot.
 */
import type { Logger } from 'pino';
import type { Store } from '@pbx/store';
import type { PbxConfig } from '@pbx/config';
import { SqliteStationStore } from '../persistence';
import { routingView, type RoutingView } from '../state/station-state';
import type { RegistrationSnapshot } from './locate';

export class StationDirectory extends SqliteStationStore {
  constructor(store: Store, config: () => PbxConfig, log: Logger) {
    super(store, {
      defaultNoAnswerSeconds: () => config().features.forwardNoAnswerTimer,
      realm: () => config().sip.domain,
      logger: log,
    });
  }

  /** Sets each station's `registered` flag from a registration snapshot. */
  async applyRegistrations(snapshot: RegistrationSnapshot): Promise<void> {
    for (const s of await this.list()) {
      const registered = snapshot.isRegistered(s.number);
      if (s.registered !== registered) this.apply(s.number, { type: 'registration', registered });
    }
  }

  /** The calling name shown for the station (its configured name). */
  displayName(tel: string): string | undefined {
    const name = this.row(tel)?.name;
    return name ? name : undefined;
  }

  /** The routing view of a station, for routeCall. */
  lookup = (tel: string): RoutingView | undefined => {
    const s = this.peek(tel);
    return s ? routingView(s) : undefined;
  };
}
