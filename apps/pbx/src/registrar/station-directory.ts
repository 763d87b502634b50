/**
 * Stations and their digest credentials as the registrar needs them, cached in memory after the
 * first look-up. The cache is dropped whenever the CLI changes stations or the configuration
 * (the realm may have changed). Unknown tel numbers are not cached, so probing numbers cannot
 * fill memory; such probes are failures that Comm Exclusive counts.
 */
import type { Station, StationCredentials, StationRepo } from '@pbx/store';

export interface DirectoryEntry {
  station: Station;
  credentials: StationCredentials;
}

export class StationDirectory {
  private readonly cache = new Map<string, DirectoryEntry>();
  private generation = 0;

  constructor(
    private readonly stations: Pick<StationRepo, 'get' | 'getCredentials'>,
    private readonly realm: () => string,
  ) {}

  /** The station with tel number `tel` and its credentials for the current realm. */
  async lookup(tel: string): Promise<DirectoryEntry | undefined> {
    const realm = this.realm();
    const hit = this.cache.get(tel);
    if (hit && hit.credentials.realm === realm) return hit;
    const gen = this.generation;
    const [station, credentials] = await Promise.all([this.stations.get(tel), this.stations.getCredentials(tel, realm)]);
    if (!station || !credentials) return undefined;
    const entry = { station, credentials };
    if (gen === this.generation) this.cache.set(tel, entry);
    return entry;
  }

  /** Forgets everything (stations or the realm changed). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }
}
