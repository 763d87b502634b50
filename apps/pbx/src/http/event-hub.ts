/**
 * The live event stream: engine happenings, published by topic, delivered to subscribers
 * (WebSocket clients) whose topics and role allow them. A station user only gets the calls,
 * messages and records that involve their station; presence and registrations of every station
 * are theirs to see (the contact list shows colleagues' lamps).
 */
import type { Principal } from './sessions';

export const TOPICS = ['calls', 'registrations', 'presence', 'messages', 'records'] as const;
export type Topic = (typeof TOPICS)[number];

/** One event as sent to clients. */
export interface HubEvent {
  topic: Topic;
  /** What happened, e.g. `call`, `registration`, `contact`, `message`, `record`. */
  type: string;
  /** Epoch ms when the PBX saw it. */
  at: number;
  /** Stations involved; station users get only events naming their own station (see above). */
  stations?: readonly string[];
  data: unknown;
}

export interface Subscriber {
  readonly principal: Principal;
  topics: Set<Topic>;
  send(event: HubEvent): void;
}

/** Topics every station user may follow for every station. */
const OPEN_TOPICS: ReadonlySet<Topic> = new Set<Topic>(['presence', 'registrations']);

export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly listeners: Array<(topic: Topic) => void> = [];
  /** Events published, by topic (the bench and metrics read it). */
  readonly published = new Map<Topic, number>();

  constructor(private readonly now: () => number = Date.now) {}

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Observes the topic of every event published or counted (metrics); not filtered. */
  onPublished(listener: (topic: Topic) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Whether any client follows `topic` now. A publisher whose event costs something to build
   * (a call's view, a contact) asks first and, when nobody listens, only {@link count}s it.
   */
  wants(topic: Topic): boolean {
    for (const s of this.subscribers) if (s.topics.has(topic)) return true;
    return false;
  }

  /** An event of `topic` that no client follows: counted as published, built for nobody. */
  count(topic: Topic): void {
    this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
    for (const l of this.listeners) l(topic);
  }

  get clients(): number {
    return this.subscribers.size;
  }

  publish(topic: Topic, type: string, data: unknown, stations?: readonly string[]): void {
    const event: HubEvent = {
      topic,
      type,
      at: this.now(),
      ...(stations ? { stations } : {}),
      data,
    };
    this.count(topic);
    for (const s of this.subscribers) {
      if (!s.topics.has(topic) || !mayReceive(s.principal, event)) continue;
      s.send(event);
    }
  }
}

/** Whether `who` may see `event`. */
export function mayReceive(who: Principal, event: HubEvent): boolean {
  if (who.role === 'admin') return true;
  if (OPEN_TOPICS.has(event.topic)) return true;
  return event.stations?.includes(who.tel) ?? false;
}

/** Parses a comma-separated topic list; unknown names are returned separately. */
export function parseTopics(text: string): { topics: Topic[]; unknown: string[] } {
  const topics: Topic[] = [];
  const unknown: string[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    if ((TOPICS as readonly string[]).includes(t)) topics.push(t as Topic);
    else unknown.push(t);
  }
  return { topics, unknown };
}
