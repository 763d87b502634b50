/**
 * The trunks as call control reads them, in memory so routing stays synchronous: each trunk
 * with its password, the DIDs, the LCR table, the auth codes and the addresses each provider may
 * call from (its host, its outbound proxy and `inboundAddresses`, host names resolved at load).
 * Reloaded on the `trunks` change area.
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import {
  AddressMatcher,
  type AuthCode,
  type Store,
  type Trunk,
  type TrunkDid,
  type TrunkRoute,
} from '@pbx/store';

/** A trunk with what the PBX needs to use it. */
export interface LiveTrunk extends Trunk {
  /** The digest password in clear ('' when none or unreadable). */
  readonly password: string;
  readonly addresses: AddressMatcher;
}

async function resolveHost(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await dns.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

const asCidr = (a: string): string => (a.includes('/') ? a : `${a}/${isIP(a) === 6 ? 128 : 32}`);

export class TrunkDirectory {
  private trunks = new Map<string, LiveTrunk>();
  private didMap = new Map<string, TrunkDid>();
  private routeList: TrunkRoute[] = [];
  private codes = new Map<string, AuthCode>();
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Reads everything; loads run one at a time. */
  load(): Promise<void> {
    const next = this.loading.then(() => this.readAll());
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async readAll(): Promise<void> {
    const [trunks, dids, routes, codes] = await Promise.all([
      this.store.trunks.list(),
      this.store.trunks.dids(),
      this.store.trunks.routes(),
      this.store.billing.authCodes(),
    ]);
    const live = new Map<string, LiveTrunk>();
    for (const t of trunks) {
      // A disabled trunk is as good as absent: no registration, no calls either way.
      if (!t.enabled) continue;
      let password = '';
      try {
        password = await this.store.trunks.password(t.name);
      } catch (err) {
        this.log.error({ err, trunk: t.name }, 'trunk password unreadable (key file?)');
      }
      const hosts = [t.host, ...(t.outboundProxy ? [t.outboundProxy.replace(/:\d+$/, '')] : [])];
      const resolved = (await Promise.all(hosts.map(resolveHost))).flat();
      const addresses = new AddressMatcher([...resolved, ...t.inboundAddresses].map(asCidr));
      live.set(t.name, { ...t, password, addresses });
    }
    this.trunks = live;
    this.didMap = new Map(dids.map((d) => [d.did, d]));
    this.routeList = routes;
    this.codes = new Map(codes.map((c) => [c.code, c]));
    this.log.debug(
      { trunks: live.size, dids: dids.length, routes: routes.length },
      'trunks loaded',
    );
  }

  get(name: string): LiveTrunk | undefined {
    return this.trunks.get(name);
  }

  all(): LiveTrunk[] {
    return [...this.trunks.values()];
  }

  names(): string[] {
    return [...this.trunks.keys()];
  }

  routes(): readonly TrunkRoute[] {
    return this.routeList;
  }

  /** The trunk whose provider may send from `address`. */
  fromAddress(address: string): LiveTrunk | undefined {
    for (const t of this.trunks.values()) if (t.addresses.has(address)) return t;
    return undefined;
  }

  /** The DID entry for a called number (exact, then without a leading +). */
  did(number: string): TrunkDid | undefined {
    return this.didMap.get(number) ?? this.didMap.get(number.replace(/^\+/, ''));
  }

  isAuthCode = (code: string): boolean => this.codes.has(code);

  authAccount(code: string): string | undefined {
    return this.codes.get(code)?.account;
  }
}
