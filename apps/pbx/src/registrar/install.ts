/**
 * The registrar module: builds the registrar from the AppContext, restores the registrations
 * stored by an earlier run, and connects it to drachtio-srf:
 *
 * - a middleware in front of every other handler turns away requests from addresses Comm
 *   Exclusive blocked (403, or no answer at all in `no-response` mode);
 * - `srf.register` answers REGISTER through {@link Registrar};
 * - `srf.options` answers OPTIONS to the PBX with 200.
 *
 * CLI changes arrive through `onChange(area)`: stations and config drop the station cache,
 * the white list and the blocks are reloaded.
 */
import type { SipProtocol } from '@pbx/store';
import type { AppContext, PbxModule } from '../context';
import { WhitelistCache } from './access-checks';
import { BindingTable } from './bindings';
import { CommExclusive, type Admission } from './comm-exclusive';
import { ExpirySweeper } from './expiry-sweeper';
import { NonceService, type NonceOptions } from './nonce';
import { Registrar, type RegisterOutcome, type RegisterRequest, type RegistrarSettings } from './registrar';
import { routingOf, type SrfIncomingRequest, type SrfServerResponse } from './srf-shapes';
import { StationDirectory } from './station-directory';

export interface RegistrarOptions {
  nonce?: NonceOptions;
  /** Period of the expiry sweep (ms). */
  sweepIntervalMs?: number;
  maxTrackedIps?: number;
}

/** The installed module, with handles for tests and other modules. */
export interface RegistrarModule extends PbxModule {
  registrar: Registrar;
  bindings: BindingTable;
  comm: CommExclusive;
  /** What to do with any request from `ip` now (the hook the SIP server can call first). */
  admission(ip: string): Admission;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, MESSAGE, NOTIFY, REFER, SUBSCRIBE, UPDATE, PRACK';
const PROTOCOLS = new Set<SipProtocol>(['udp', 'tcp', 'tls', 'ws', 'wss']);

function protocolOf(text: string): SipProtocol {
  const p = text.toLowerCase() as SipProtocol;
  return PROTOCOLS.has(p) ? p : 'udp';
}

/** The parts of an srf request the registrar reads. */
export function toRegisterRequest(req: SrfIncomingRequest): RegisterRequest {
  const cseq = Number.parseInt(req.get('CSeq') ?? '', 10);
  return {
    requestUri: req.uri,
    to: req.get('To'),
    callId: req.get('Call-ID') ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: req.get('Contact'),
    expires: req.get('Expires'),
    authorization: req.get('Authorization'),
    via: req.get('Via'),
    userAgent: req.get('User-Agent'),
    source: { ip: req.source_address, port: Number(req.source_port), protocol: protocolOf(req.protocol) },
  };
}

function send(res: SrfServerResponse, outcome: RegisterOutcome): void {
  if (outcome.kind === 'drop') return;
  res.send(outcome.status, outcome.phrase ?? '', { headers: outcome.headers });
}

export async function installRegistrar(ctx: AppContext, options: RegistrarOptions = {}): Promise<RegistrarModule> {
  const log = ctx.log.child({ module: 'registrar' });
  const now = (): number => ctx.now();
  const { store } = ctx;
  const settings = (): RegistrarSettings => ({
    realm: ctx.config.sip.domain,
    expireTime: ctx.config.sip.expireTime,
    natRegExpireTime: ctx.config.sip.natRegExpireTime,
    maxStations: ctx.config.license.maxStations,
    commExclusive: ctx.config.security.commExclusive,
  });
  const comm = new CommExclusive({
    blocks: store.blocks,
    accessLog: store.accessLog,
    settings: () => ({
      mode: ctx.config.security.commExclusive,
      retryLimit: ctx.config.security.registerRetryLimit,
      blockMs: Math.round(ctx.config.security.registerBlockTimer * 1000),
    }),
    log,
    maxTrackedIps: options.maxTrackedIps,
  });
  const bindings = new BindingTable();
  const whitelist = new WhitelistCache(store.whitelist);
  const directory = new StationDirectory(store.stations, () => ctx.config.sip.domain);
  const registrar = new Registrar({
    registrations: store.registrations,
    accessLog: store.accessLog,
    directory,
    whitelist,
    comm,
    nonces: new NonceService(options.nonce),
    bindings,
    settings,
    log,
    now,
  });

  // Restore what an earlier run registered; rows that expired while we were down go.
  const start = now();
  await store.registrations.purgeExpired(start);
  bindings.load(await store.registrations.list({ activeAt: start }), start);
  await directory.load();
  await whitelist.load();
  await comm.reload(start);
  log.info({ restored: bindings.size.bindings, stations: bindings.size.stations }, 'registrar ready');

  const sweeper = new ExpirySweeper({
    bindings,
    registrations: store.registrations,
    accessLog: store.accessLog,
    comm,
    accessLogLimit: () => ctx.config.security.accessLogLimit,
    log,
    now,
    onExpired: (r) => registrar.emit('unbound', r, 'expired'),
    intervalMs: options.sweepIntervalMs,
  });
  sweeper.start();

  const srf = routingOf(ctx.srf);
  srf.use((req, res, next) => {
    // REGISTER makes the same check inside the registrar.
    if (req.method === 'REGISTER') return next();
    const verdict = comm.admission(req.source_address, now());
    if (verdict === 'ok') return next();
    if (verdict === 'refuse') res.send(403, 'Forbidden', { headers: {} });
    // 'drop': no answer at all.
  });
  srf.register((req, res) => {
    registrar
      .handle(toRegisterRequest(req))
      .then((outcome) => send(res, outcome))
      .catch((err: unknown) => {
        log.error({ err }, 'REGISTER handling failed');
        if (!res.finalResponseSent) res.send(500, 'Server Internal Error', { headers: {} });
      });
  });
  srf.options((_req, res) => {
    res.send(200, 'OK', { headers: { Allow: ALLOW, Accept: 'application/sdp' } });
  });

  /**
   * Reloads the stations and drops the bindings of stations the CLI removed (their rows went
   * with the station).
   */
  const reloadStations = async (): Promise<void> => {
    const tels = new Set((await directory.load()).map((s) => s.tel));
    for (const tel of bindings.tels()) {
      if (tels.has(tel)) continue;
      for (const r of bindings.removeAll(tel)) {
        await store.registrations.remove(r.tel, r.contact);
        registrar.emit('unbound', r, 'station-removed');
      }
      log.info({ tel }, 'station removed, registrations dropped');
    }
  };

  return {
    name: 'registrar',
    registrar,
    bindings,
    comm,
    admission: (ip) => comm.admission(ip, now()),
    async onChange(area) {
      switch (area) {
        case 'stations':
          await reloadStations();
          break;
        case 'config':
          // The realm may have changed: credentials are fetched again.
          await directory.load();
          break;
        case 'whitelist':
          await whitelist.load();
          break;
        case 'blocks':
          await comm.reload(now());
          break;
        default:
          break;
      }
    },
    async stop() {
      await sweeper.stop();
    },
  };
}
