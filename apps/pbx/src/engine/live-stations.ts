/**
 * The live stations as call control sees them: the persistence layer's `SqliteStationStore`
 * (station reducer in memory, settings loaded from and written to the `stations` table), plus what
 * routing needs synchronously: the routing view of a station, its calling name, and the
 * registered flags, kept in step with the registrar through {@link RegistrationLookup}.
 */
import type { Logger } from 'pino';
import type { Store } from '@pbx/store';
import type { PbxConfig } from '@pbx/config';
import { SqliteStationStore } from '../persistence';
import { routingView, type RoutingView } from '../state/station-state';
import type { RegistrationLookup } from './registration-lookup';

export class LiveStations extends SqliteStationStore {
  constructor(
    store: Store,
    config: () => PbxConfig,
    private readonly registrations: RegistrationLookup,
    log: Logger,
  ) {
    super(store, {
      defaultNoAnswerSeconds: () => config().features.forwardNoAnswerTimer,
      realm: () => config().sip.domain,
      logger: log,
    });
    registrations.onChange((tel) => this.syncRegistration(tel));
  }

  /** Reads every station, then sets the registered flags of new ones. */
  override async load(): Promise<void> {
    await super.load();
    for (const s of await this.list()) this.syncRegistration(s.number);
  }

  /** Sets the station's `registered` flag from the registrar. */
  private syncRegistration(tel: string): void {
    const s = this.peek(tel);
    if (!s) return;
    const registered = this.registrations.isRegistered(tel);
    if (s.registered !== registered) this.apply(tel, { type: 'registration', registered });
  }

  /** The calling name shown for the station (its configured name). */
  displayName(tel: string): string | undefined {
    const name = this.row(tel)?.name;
    return name ? name : undefined;
  }

  /**
   * The routing view of a station, for routeCall. Whether it is registered is asked of the
   * registrar at this moment (the state's flag, for presence, follows its events).
   */
  lookup = (tel: string): RoutingView | undefined => {
    const s = this.peek(tel);
    return s ? { ...routingView(s), registered: this.registrations.isRegistered(tel) } : undefined;
  };
}
