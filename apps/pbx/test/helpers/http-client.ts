/**
 * A small client for the PBX's HTTP API in tests: JSON requests with the session cookie or
 * token, and a WebSocket event collector whose waits are event-driven with a bounded timeout.
 */
import WebSocket from 'ws';

/** JSON as tests read it: shape checked by the assertions themselves. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  token: string | undefined;
  constructor(readonly base: string) {}

  async request<T = Json>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async login(user: string, password: string): Promise<ApiAnswer<Json>> {
    const r = await this.request('POST', '/api/login', { user, password });
    if (r.status === 200) this.token = (r.body as { token: string }).token;
    return r;
  }
}

/** A WebSocket on /api/events that keeps every event it got. */
/** A client of the API at `base`, logged in as `user` (a station number or `admin`). */
export async function loggedIn(base: string, user: string, password: string): Promise<ApiClient> {
  const client = new ApiClient(base);
  const r = await client.login(user, password);
  if (r.status !== 200)
    throw new Error(`login as ${user}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return client;
}

export class EventClient {
  readonly events: Json[] = [];
  private readonly waiters = new Set<() => void>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.events.push(JSON.parse(data.toString('utf8')));
      for (const w of [...this.waiters]) w();
    });
  }

  static open(base: string, token: string, topics: string): Promise<EventClient> {
    const url = `${base.replace(/^http/, 'ws')}/api/events?topics=${topics}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const client = new EventClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      // The first message confirms the subscription.
      void client
        .waitFor((e) => Array.isArray(e.subscribed), 10_000)
        .then(() => resolve(client), reject);
    });
  }

  /** Resolves with the first event (already received or coming) matching `pred`. */
  waitFor(pred: (e: Json) => boolean, withinMs = 15_000, what = 'event'): Promise<Json> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.find(pred);
        if (hit === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(onEvent);
        resolve(hit);
        return true;
      };
      const onEvent = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(onEvent);
        reject(
          new Error(
            `${what} not received within ${withinMs} ms; got ${JSON.stringify(this.events.slice(-10))}`,
          ),
        );
      }, withinMs);
      if (check()) return;
      this.waiters.add(onEvent);
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
