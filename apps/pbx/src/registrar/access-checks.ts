/**
 * The two checks a correctly authenticated phone must still pass: the Phone IP White List (when
 * the station uses it) and the SIP station licence (a further station cannot register once
 * `license.maxStations` stations are registered; registered ones may always refresh).
 */
import type { AddressMatcher, WhitelistRepo } from '@pbx/store';

/** The white list, loaded once and reloaded when the CLI changes it. */
export class WhitelistCache {
  private matcher: AddressMatcher | undefined;
  private generation = 0;

  constructor(private readonly repo: Pick<WhitelistRepo, 'matcher'>) {}

  async load(): Promise<void> {
    const gen = ++this.generation;
    const m = await this.repo.matcher();
    if (gen === this.generation) this.matcher = m;
  }

  /** Whether `ip` is on the list (false before the first load). */
  has(ip: string): boolean {
    return this.matcher?.has(ip) ?? false;
  }
}

/** Whether a station that uses the white list may register from `ip`. */
export function whitelistAllows(
  station: { useWhitelist: boolean },
  ip: string,
  list: Pick<WhitelistCache, 'has'>,
): boolean {
  return !station.useWhitelist || list.has(ip);
}

/**
 * Whether the licence lets `alreadyRegistered` (this station has a live binding) register when
 * `registeredStations` stations are registered and `maxStations` are allowed.
 */
export function licenceAllows(
  alreadyRegistered: boolean,
  registeredStations: number,
  maxStations: number,
): boolean {
  return alreadyRegistered || registeredStations < maxStations;
}
