/**
 * Stations and their digest credentials as the registrar needs them, from memory: the stations
 * (settings) are loaded in one query at start-up and again whenever the CLI changes stations or
 * the configuration; credentials are fetched per station on first use (one query) and kept.
 * Unknown tel numbers are not cached, so probing numbers cannot fill memory; such probes are
 * failures that Comm Exclusive counts.
 */
import type { Station, StationCredentials, StationRepo } from '@pbx/store';

export interface DirectoryEntry {
  station: Station;
  credentials: StationCredentials;
}

export class CredentialDirectory {
  private stations = new Map<string, Station>();
  private readonly credentials = new Map<string, StationCredentials>();
  private generation = 0;

  constructor(
    private readonly repo: Pick<StationRepo, 'get' | 'getCredentials' | 'list'> &
      Partial<Pick<StationRepo, 'listCredentials'>>,
    private readonly realm: () => string,
  ) {}

  /**
   * (Re)loads every station, and the credentials of those whose HA1 is for the current realm,
   * in one query each (a morning's first registrations then cost no query); others are fetched
   * lazily. Returns the stations.
   */
  async load(): Promise<Station[]> {
    const gen = ++this.generation;
    this.credentials.clear();
    const realm = this.realm();
    const [list, creds] = await Promise.all([
      this.repo.list(),
      this.repo.listCredentials ? this.repo.listCredentials(realm) : Promise.resolve([]),
    ]);
    if (gen === this.generation) {
      this.stations = new Map(list.map((s) => [s.tel, s]));
      for (const c of creds) this.credentials.set(c.tel, c);
    }
    return list;
  }

  /**
   * The station `tel` and its credentials for the current realm when both are in memory (every
   * station after the start-up load); undefined otherwise ({@link lookup} then asks the database).
   */
  cached(tel: string): DirectoryEntry | undefined {
    const station = this.stations.get(tel);
    if (station === undefined) return undefined;
    const credentials = this.credentials.get(tel);
    if (credentials === undefined || credentials.realm !== this.realm()) return undefined;
    return { station, credentials };
  }

  /** The station with tel number `tel` and its credentials for the current realm. */
  async lookup(tel: string): Promise<DirectoryEntry | undefined> {
    const realm = this.realm();
    // Not loaded yet, created since the last load, or unknown: ask the database.
    const station = this.stations.get(tel) ?? (await this.repo.get(tel));
    if (!station) return undefined;
    let credentials = this.credentials.get(tel);
    if (credentials?.realm !== realm) {
      const gen = this.generation;
      credentials = await this.repo.getCredentials(tel, realm);
      if (!credentials) return undefined;
      if (gen === this.generation) this.credentials.set(tel, credentials);
    }
    return { station, credentials };
  }

  /** Number of stations known and of credentials cached. */
  get size(): { stations: number; credentials: number } {
    return { stations: this.stations.size, credentials: this.credentials.size };
  }
}
