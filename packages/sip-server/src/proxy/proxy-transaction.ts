/**
 * Runner of the proxy reducer (proxy-state.ts): owns the upstream server transaction, one client
 * transaction per branch, the timers, and the messages the effects refer to.
 */
import type { SipHeader, SipRequest, SipResponse } from '../message/types';
import { callId, makeResponse, randomBranch, randomTag, toTag } from '../message';
import type { Destination, HostPort, ReceiveInfo } from '../transport/types';
import { responseDestination } from '../transport/response-destination';
import type { ClientTransaction, ServerTransaction } from '../transaction';
import { systemClock, type Clock, type ClockTimer } from '../transaction/clock';
import type { Logger } from '../logger';
import type { SipCore } from '../core/sip-core';
import { hostPortText, isSelf, localAddressFor, resolveUri } from '../core/addressing';
import {
  buildBranchRequest,
  buildCancel,
  isChallenge,
  nextHopUri,
  ourRouteValue,
  parseTarget,
  prepareForward,
  redirectTargets,
  withoutTopVia,
} from './forward';
import {
  nextProxy,
  startProxy,
  type BranchState,
  type ProxyEffect,
  type ProxyEvent,
  type ProxyState,
  type ProxyTimer,
} from './proxy-state';

/** How the proxy tells its client what happened (wire spec §4.8 replies). */
export interface ProxyReporter {
  /** A final response from a branch (received, or made up for a timeout). */
  final(res: SipResponse, from: HostPort): void;
  done(): void;
  fail(reason: string): void;
}

export interface ProxyOptions {
  targets: string[];
  serial: boolean;
  followRedirects: boolean;
  provisionalTimeoutMs?: number;
  finalTimeoutMs?: number;
  /** Record-Route (REGISTER: Path) so the dialog's later requests come through us. */
  recordRoute: boolean;
  /** The Request-URI named us: each branch gets its target as Request-URI. */
  replaceUri: boolean;
  headers: readonly SipHeader[];
  reporter?: ProxyReporter;
  /** Emit proxy CDRs (wire spec §2.4) for this INVITE. */
  cdrs: boolean;
  clock?: Clock;
}

export interface Upstream {
  txn: ServerTransaction;
  req: SipRequest;
  info: ReceiveInfo;
}

/** The response being handled, for effects that forward "the response just received". */
interface Current {
  branch: number;
  res: SipResponse;
}

interface BranchRuntime {
  req?: SipRequest;
  dest?: Destination;
  ct?: ClientTransaction;
  /** The final as it arrived (reported to the client) and as it goes upstream. */
  received?: SipResponse;
  final?: SipResponse;
  /** True once `final` came from the network rather than from `synthesize`. */
  real: boolean;
  from?: HostPort;
  cancelSent: boolean;
  timers: Map<ProxyTimer, ClockTimer>;
}

export class ProxyTransaction {
  private state: ProxyState | undefined;
  private readonly prepared: SipRequest;
  private readonly runtime = new Map<number, BranchRuntime>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly invite: boolean;
  private current: Current | undefined;
  private pendingEvents: Array<{ e: ProxyEvent; current?: Current }> = [];
  private dispatching = false;

  constructor(
    private readonly core: SipCore,
    private readonly upstream: Upstream,
    private readonly opts: ProxyOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.invite = upstream.req.method === 'INVITE';
    this.prepared = prepareForward(upstream.req, core.listen());
    this.log = core.log.child({ proxy: upstream.req.method, callId: callId(upstream.req) });
  }

  /** Starts the branches and takes over CANCELs of the upstream INVITE. */
  start(): void {
    if (this.invite) {
      this.core.proxied.set(this.upstream.txn, {
        cancel: (cancel, _info, txn) => this.onUpstreamCancel(cancel, txn),
      });
      this.upstream.txn.once('terminated', () => this.core.proxied.delete(this.upstream.txn));
    }
    const [s, effects] = startProxy(
      {
        serial: this.opts.serial,
        invite: this.invite,
        followRedirects: this.opts.followRedirects,
        provisionalTimeoutMs: this.opts.provisionalTimeoutMs,
        finalTimeoutMs: this.opts.finalTimeoutMs,
        cancelGuardMs: 64 * this.core.opts.t1,
      },
      this.opts.targets,
    );
    this.state = s;
    this.run(effects);
  }

  /** The reducer state, for tests and logs. */
  get snapshot(): ProxyState | undefined {
    return this.state;
  }

  private onUpstreamCancel(cancel: SipRequest, txn: ServerTransaction): void {
    respondSafely(
      txn,
      makeResponse(cancel, 200, undefined, { toTag: toTag(cancel) ? undefined : randomTag() }),
      this.log,
    );
    if (this.state?.kind === 'searching' && this.opts.cdrs)
      this.core.cdr('stop', 'network', 'call-canceled', cancel);
    this.dispatch({ type: 'upstream.cancel' });
  }

  /** Feeds one event to the reducer; events raised while effects run are queued, not nested. */
  private dispatch(e: ProxyEvent, current?: Current): void {
    if (this.dispatching) {
      this.pendingEvents.push({ e, current });
      return;
    }
    this.dispatching = true;
    try {
      this.step(e, current);
      for (
        let next = this.pendingEvents.shift();
        next !== undefined;
        next = this.pendingEvents.shift()
      )
        this.step(next.e, next.current);
    } finally {
      this.dispatching = false;
    }
  }

  private step(e: ProxyEvent, current?: Current): void {
    if (!this.state) return;
    const before = this.state.kind;
    const [s, effects] = nextProxy(this.state, e);
    this.state = s;
    if (s.kind !== before)
      this.log.debug({ from: before, to: s.kind, event: e.type }, 'proxy transition');
    this.current = current;
    try {
      this.run(effects);
    } finally {
      this.current = undefined;
    }
  }

  private run(effects: ProxyEffect[]): void {
    for (const f of effects) {
      try {
        this.apply(f);
      } catch (err) {
        this.log.error({ err, effect: f.type }, 'proxy effect failed');
      }
    }
  }

  private apply(f: ProxyEffect): void {
    switch (f.type) {
      case 'startBranch':
        this.startBranch(f.branch, f.target).catch((err: unknown) => {
          this.log.warn({ err: String(err), target: f.target }, 'branch not sent');
          this.dispatch({ type: 'branch.unsent', branch: f.branch });
        });
        return;
      case 'cancelBranch':
        this.cancelBranch(f.branch);
        return;
      case 'forwardProvisional':
        if (this.current?.branch === f.branch)
          this.respondUpstream(withoutTopVia(this.current.res));
        return;
      case 'forwardFinal': {
        const rt = this.runtime.get(f.branch);
        if (!rt?.final) return;
        this.respondUpstream(rt.final);
        if (this.opts.cdrs && rt.final.status >= 200 && rt.final.status < 300) {
          if (rt.received) this.core.cdr('start', 'network', 'proxy-uac', rt.received);
          this.core.cdr('start', 'application', 'proxy-uas', rt.final);
        } else if (this.opts.cdrs && rt.final.status >= 300) {
          this.core.cdr('stop', 'application', 'call-rejected', rt.final);
        }
        return;
      }
      case 'forwardLate2xx':
        if (this.current?.branch === f.branch) {
          const res = withoutTopVia(this.current.res);
          this.core.transactions
            .sendStateless(res, responseDestination(res, this.upstream.info))
            .catch(() => undefined);
        }
        return;
      case 'respondUpstream': {
        const res = makeResponse(this.upstream.req, f.status, undefined, {
          toTag: toTag(this.upstream.req) ? undefined : randomTag(),
        });
        this.respondUpstream(res);
        if (this.opts.cdrs && f.status >= 300 && f.status !== 487)
          this.core.cdr('stop', 'application', 'call-rejected', res);
        return;
      }
      case 'synthesize': {
        const rt = this.branch(f.branch);
        const res = makeResponse(this.upstream.req, f.status, undefined, {
          toTag: toTag(this.upstream.req) ? undefined : randomTag(),
        });
        rt.final = res;
        rt.received = res;
        rt.real = false;
        rt.from ??= rt.dest ? hostPortOf(rt.dest) : { ...this.upstream.info.source };
        return;
      }
      case 'report': {
        const rt = this.runtime.get(f.branch);
        const res = rt?.received ?? rt?.final;
        if (rt && res && rt.from) this.opts.reporter?.final(res, rt.from);
        return;
      }
      case 'startTimer': {
        const rt = this.branch(f.branch);
        const old = rt.timers.get(f.timer);
        if (old !== undefined) this.clock.clearTimeout(old);
        rt.timers.set(
          f.timer,
          this.clock.setTimeout(() => {
            rt.timers.delete(f.timer);
            this.dispatch({ type: `timer.${f.timer}`, branch: f.branch });
          }, f.ms),
        );
        return;
      }
      case 'cancelTimer': {
        const rt = this.runtime.get(f.branch);
        const t = rt?.timers.get(f.timer);
        if (rt && t !== undefined) {
          this.clock.clearTimeout(t);
          rt.timers.delete(f.timer);
        }
        return;
      }
      case 'done':
        this.opts.reporter?.done();
        return;
      case 'fail':
        this.opts.reporter?.fail(f.reason);
        return;
      default:
        assertNever(f);
    }
  }

  private branch(id: number): BranchRuntime {
    let rt = this.runtime.get(id);
    if (!rt) {
      rt = { real: false, cancelSent: false, timers: new Map() };
      this.runtime.set(id, rt);
    }
    return rt;
  }

  private branchState(id: number): BranchState | undefined {
    return this.state?.branches.find((b) => b.id === id);
  }

  private async startBranch(id: number, target: string): Promise<void> {
    const rt = this.branch(id);
    const uri = parseTarget(target);
    if (!uri) throw new Error(`invalid target ${target}`);
    const hop = nextHopUri(this.prepared, uri);
    if (hop.scheme === 'tel') throw new Error(`no route to ${target}`);
    const dest = await resolveUri(hop);
    // The branch may have been given up while the name was resolving.
    if (this.branchState(id)?.kind !== 'calling') return;
    const listen = this.core.listen();
    if (isSelf(dest, listen)) throw new Error(`${target} is ourselves`);
    const local = localAddressFor(listen, dest.protocol, dest.address);
    if (!local) throw new Error(`no ${dest.protocol} transport`);
    const hostport = hostPortText(local.address, local.port);
    const req = buildBranchRequest(this.prepared, {
      target: uri,
      replaceUri: this.opts.replaceUri,
      via: `SIP/2.0/${dest.protocol.toUpperCase()} ${hostport};rport;branch=${randomBranch()}`,
      ...(this.opts.recordRoute
        ? { recordRoute: ourRouteValue(local.address, local.port, dest.protocol) }
        : {}),
      headers: this.opts.headers,
    });
    rt.req = req;
    rt.dest = dest;
    rt.from = hostPortOf(dest);
    rt.ct = this.core.transactions.sendRequest(req, dest, {
      onResponse: (res, info) => this.onBranchResponse(id, res, info),
      onTimeout: () => this.dispatch({ type: 'branch.timeout', branch: id }),
      onTransportError: (err) => {
        this.log.warn({ err: err.message, dest }, 'branch transport error');
        this.dispatch({ type: 'branch.transportError', branch: id });
      },
    });
    if (this.opts.cdrs) this.core.cdr('attempt', 'application', undefined, req);
  }

  private onBranchResponse(id: number, res: SipResponse, info: ReceiveInfo): void {
    const rt = this.branch(id);
    if (res.status < 200) {
      this.dispatch(
        { type: 'branch.provisional', branch: id, status: res.status },
        { branch: id, res },
      );
      return;
    }
    // A branch given up earlier keeps its made-up final, unless it answers after all.
    const success = res.status < 300;
    if (!rt.real && (success || this.branchState(id)?.kind !== 'completed')) {
      rt.received = res;
      rt.final = withoutTopVia(res);
      rt.real = true;
      rt.from = { ...info.source };
    }
    const contacts = res.status >= 300 && res.status < 400 ? redirectTargets(res) : [];
    this.dispatch(
      {
        type: 'branch.final',
        branch: id,
        status: res.status,
        contacts,
        challenge: isChallenge(res),
      },
      { branch: id, res },
    );
  }

  private cancelBranch(id: number): void {
    const rt = this.runtime.get(id);
    if (!this.invite || !rt?.req || !rt.dest || rt.cancelSent) return;
    rt.cancelSent = true;
    try {
      this.core.transactions.sendRequest(buildCancel(rt.req), rt.dest, {
        onResponse: () => undefined,
        onTimeout: () => undefined,
        onTransportError: () => undefined,
      });
    } catch (err) {
      this.log.warn({ err: String(err) }, 'CANCEL not sent');
    }
  }

  private respondUpstream(res: SipResponse): void {
    respondSafely(this.upstream.txn, res, this.log);
  }
}

/** Responds through a server transaction; one that already has its final refuses, which is fine. */
function respondSafely(txn: ServerTransaction, res: SipResponse, log: Logger): void {
  try {
    txn.respond(res).catch(() => undefined);
  } catch (err) {
    log.debug({ err: String(err), status: res.status }, 'response not sent upstream');
  }
}

function hostPortOf(d: Destination): HostPort {
  return { protocol: d.protocol, address: d.address, port: d.port };
}

function assertNever(x: never): never {
  throw new Error(`unexpected effect ${JSON.stringify(x)}`);
}
