/**
 * Prometheus metrics (prom-client) on a registry of our own, so two PBXs in one process (tests)
 * never share counters. Gauges read live state when scraped; counters are fed by the engine's
 * events (call records, SIP traffic). Node's default metrics include the event-loop lag.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';

/** What the gauges read when scraped. */
export interface MetricSources {
  registeredStations(): number;
  registrations(): number;
  activeCalls(): number;
  blockedSources(): number;
  /** Live media-server channels, when the embedded media server runs. */
  mediaChannels(): number | undefined;
  wsClients(): number;
  sessions(): number;
}

/**
 * Counts for one counter by label set, kept in a plain map and handed to prom-client when it is
 * scraped. Several SIP messages and events per call each bumped a labelled prom-client counter,
 * which hashes and validates the label object on every increment; here an increment is one map
 * lookup by a key the caller builds from the values it already has.
 */
export class Tally<T extends string> {
  private readonly counts = new Map<string, { labels: LabelValues<T>; n: number; told: number }>();

  /** Adds one under `key`; `labels` (read only the first time a key is seen) are its labels. */
  add(key: string, labels: () => LabelValues<T>): void {
    const c = this.counts.get(key);
    if (c) c.n += 1;
    else this.counts.set(key, { labels: labels(), n: 1, told: 0 });
  }

  /** Moves what was counted since the last call into `counter` (its `collect`). */
  tell(counter: Counter<T>): void {
    for (const c of this.counts.values()) {
      if (c.n === c.told) continue;
      counter.inc(c.labels, c.n - c.told);
      c.told = c.n;
    }
  }
}

/** Methods counted under their own name; any other is counted as `OTHER`. */
const SIP_METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'REGISTER',
  'OPTIONS',
  'INFO',
  'UPDATE',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'PUBLISH',
]);

export class PbxMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'disposition'>;
  private readonly requests = new Tally<'method' | 'direction'>();
  private readonly responses = new Tally<'method' | 'status' | 'direction'>();
  private readonly events = new Tally<'topic'>();
  private readonly logins: Counter<'outcome'>;

  constructor(src: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'pbx_process_' });
    const gauge = (name: string, help: string, read: () => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    };
    gauge('pbx_registered_stations', 'stations with at least one live registration', () =>
      src.registeredStations(),
    );
    gauge('pbx_registrations', 'live registration bindings (contacts)', () => src.registrations());
    gauge('pbx_active_calls', 'calls in progress (ringing or connected)', () => src.activeCalls());
    gauge('pbx_blocked_sources', 'source addresses blocked now (Comm Exclusive, by hand)', () =>
      src.blockedSources(),
    );
    gauge('pbx_media_channels', 'live channels on the embedded media server', () =>
      src.mediaChannels(),
    );
    gauge('pbx_http_event_clients', 'WebSocket event-stream clients', () => src.wsClients());
    gauge('pbx_http_sessions', 'web console and API sessions', () => src.sessions());
    this.attempts = new Counter({
      name: 'pbx_call_attempts_total',
      help: 'finished call attempts by disposition (from the call records)',
      labelNames: ['disposition'],
      registers,
    });
    const requests = this.requests;
    new Counter({
      name: 'pbx_sip_requests_total',
      help: 'SIP requests received (in) and sent (out) by the SIP server, by method',
      labelNames: ['method', 'direction'],
      registers,
      collect() {
        requests.tell(this);
      },
    });
    const responses = this.responses;
    new Counter({
      name: 'pbx_sip_responses_total',
      help: 'SIP responses received (in) and sent (out) by the SIP server, by method and status',
      labelNames: ['method', 'status', 'direction'],
      registers,
      collect() {
        responses.tell(this);
      },
    });
    const events = this.events;
    new Counter({
      name: 'pbx_http_events_total',
      help: 'events published on the event stream, by topic',
      labelNames: ['topic'],
      registers,
      collect() {
        events.tell(this);
      },
    });
    this.logins = new Counter({
      name: 'pbx_http_logins_total',
      help: 'web logins by outcome (ok, failed, limited)',
      labelNames: ['outcome'],
      registers,
    });
  }

  callAttempt(disposition: string): void {
    this.attempts.inc({ disposition });
  }

  sipMessage(direction: 'in' | 'out', method: string, status?: number): void {
    // Methods come from the wire: the label sets (and the tallies) stay bounded.
    const m = SIP_METHODS.has(method) ? method : 'OTHER';
    if (status === undefined)
      this.requests.add(`${direction} ${m}`, () => ({ method: m, direction }));
    else
      this.responses.add(`${direction} ${m} ${status}`, () => ({
        method: m,
        status: String(status),
        direction,
      }));
  }

  event(topic: string): void {
    this.events.add(topic, () => ({ topic }));
  }

  login(outcome: 'ok' | 'failed' | 'limited'): void {
    this.logins.inc({ outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
