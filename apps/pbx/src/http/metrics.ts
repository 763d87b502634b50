/**
 * Prometheus metrics (prom-client) on a registry of our own, so two PBXs in one process (tests)
 * never share counters. Gauges read live state when scraped; counters are fed by the engine's
 * events (call records, SIP traffic). Node's default metrics include the event-loop lag.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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

/** Label sets tallied apart ({@link PbxMetrics.sipMessage}); methods are wire input: bounded. */
const MAX_SIP_TALLIES = 512;

interface SipTally {
  /** Adds `n` to the prom-client counter of this label set. */
  add: (n: number) => void;
  count: number;
}

export class PbxMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'disposition'>;
  private readonly requests: Counter<'method' | 'direction'>;
  private readonly responses: Counter<'method' | 'status' | 'direction'>;
  private readonly events: Counter<'topic'>;
  private readonly logins: Counter<'outcome'>;
  /** SIP messages counted since the counters were last read, by label set ({@link sipMessage}). */
  private readonly sipTallies = new Map<string, SipTally>();

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
    this.requests = new Counter({
      name: 'pbx_sip_requests_total',
      help: 'SIP requests received (in) and sent (out) by the SIP server, by method',
      labelNames: ['method', 'direction'],
      registers,
      collect: () => this.flushSipTallies(),
    });
    this.responses = new Counter({
      name: 'pbx_sip_responses_total',
      help: 'SIP responses received (in) and sent (out) by the SIP server, by method and status',
      labelNames: ['method', 'status', 'direction'],
      registers,
      collect: () => this.flushSipTallies(),
    });
    this.events = new Counter({
      name: 'pbx_http_events_total',
      help: 'events published on the event stream, by topic',
      labelNames: ['topic'],
      registers,
      collect: () => this.flushSipTallies(),
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

  /**
   * Counts one SIP message. Called for every message, so it only adds to a plain tally per label
   * set; the tallies go into the prom-client counters when they are read (their `collect`), not
   * through prom-client's label hashing and validation at each message.
   */
  sipMessage(direction: 'in' | 'out', method: string, status?: number): void {
    const key = `${direction} ${method} ${status ?? ''}`;
    const tally = this.sipTallies.get(key);
    if (tally !== undefined) {
      tally.count += 1;
      return;
    }
    // Methods come from the wire: keep the label set bounded.
    const m = /^[A-Z]{2,12}$/.test(method) ? method : 'OTHER';
    if (this.sipTallies.size >= MAX_SIP_TALLIES) {
      if (status === undefined) this.requests.inc({ method: m, direction });
      else this.responses.inc({ method: m, status: String(status), direction });
      return;
    }
    const labels =
      status === undefined ? undefined : { method: m, status: String(status), direction };
    this.sipTallies.set(key, {
      add:
        labels === undefined
          ? (n) => this.requests.inc({ method: m, direction }, n)
          : (n) => this.responses.inc(labels, n),
      count: 1,
    });
  }

  /** Moves the tallies into their counters (before any of the counters is read). */
  private flushSipTallies(): void {
    for (const t of this.sipTallies.values()) {
      if (t.count === 0) continue;
      t.add(t.count);
      t.count = 0;
    }
  }

  /** Counts one event published (one per registration change: tallied like SIP messages). */
  event(topic: string): void {
    const key = `event ${topic}`;
    const tally = this.sipTallies.get(key);
    if (tally !== undefined) tally.count += 1;
    else if (this.sipTallies.size >= MAX_SIP_TALLIES) this.events.inc({ topic });
    else this.sipTallies.set(key, { add: (n) => this.events.inc({ topic }, n), count: 1 });
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
