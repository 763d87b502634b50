/**
 * A SIP scanner on one loopback address, for the flood tests: REGISTERs answered with a wrong
 * password (401 → digest → refused), INVITEs and OPTIONS from an address where no station is,
 * garbage datagrams, and half-open TCP connections (a start line and never the rest). Everything
 * goes out from one UDP socket and a few TCP sockets bound to `ip`; what comes back is counted.
 */
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

export interface FloodOptions {
  /** The flooder's own address (127.0.0.x). */
  ip: string;
  target: { host: string; port: number };
  domain: string;
  /** Station number the wrong-password REGISTERs name. */
  victim: string;
  /** Messages sent per second, all kinds together. */
  ratePerSec: number;
  /** Half-open TCP connections opened at the start. */
  halfOpen: number;
}

export interface FloodStats {
  sent: number;
  /** Responses received, by status (each request's answer once: retransmissions not counted). */
  answers: Record<number, number>;
  /** Retransmitted responses (INVITE answers the scanner never ACKs are resent for 32 s). */
  retransmitted: number;
  /** Half-open connections the server has closed so far. */
  halfOpenClosed: number;
}

export interface Flooder {
  readonly stats: FloodStats;
  /** Opens one more TCP connection; resolves with whether the server closed it at once. */
  tryConnection(withinMs: number): Promise<'closed' | 'open'>;
  stop(): Promise<FloodStats>;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const token = (): string => randomBytes(6).toString('hex');

export async function startFlood(o: FloodOptions): Promise<Flooder> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, o.ip, () => resolve());
  });
  sock.on('error', () => undefined);
  const localPort = sock.address().port;
  const stats: FloodStats = { sent: 0, answers: {}, retransmitted: 0, halfOpenClosed: 0 };
  const seen = new Set<string>();
  const uri = `sip:${o.domain}`;
  const via = (): string => `SIP/2.0/UDP ${o.ip}:${localPort};branch=z9hG4bK${token()};rport`;
  const send = (text: string | Buffer): void => {
    stats.sent++;
    sock.send(typeof text === 'string' ? Buffer.from(text) : text, o.target.port, o.target.host);
  };

  const register = (callId: string, cseq: number, auth?: string): string =>
    [
      `REGISTER ${uri} SIP/2.0`,
      `Via: ${via()}`,
      'Max-Forwards: 70',
      `From: <sip:${o.victim}@${o.domain}>;tag=${token()}`,
      `To: <sip:${o.victim}@${o.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${o.victim}@${o.ip}:${localPort}>`,
      'Expires: 600',
      ...(auth ? [`Authorization: ${auth}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  const outOfDialog = (method: 'INVITE' | 'OPTIONS'): string => {
    const body =
      method === 'INVITE'
        ? [
            'v=0',
            `o=scan 1 1 IN IP4 ${o.ip}`,
            's=-',
            `c=IN IP4 ${o.ip}`,
            't=0 0',
            'm=audio 4000 RTP/AVP 0',
            '',
          ].join('\r\n')
        : '';
    return [
      `${method} sip:${o.victim}@${o.domain} SIP/2.0`,
      `Via: ${via()}`,
      'Max-Forwards: 70',
      `From: <sip:9${token().slice(0, 4)}@${o.ip}>;tag=${token()}`,
      `To: <sip:${o.victim}@${o.domain}>`,
      `Call-ID: ${token()}@${o.ip}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:scan@${o.ip}:${localPort}>`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  };

  sock.on('message', (buf) => {
    const text = buf.toString('utf8');
    const m = /^SIP\/2\.0 (\d{3})/.exec(text);
    if (!m) return;
    const status = Number(m[1]);
    const callId = /^Call-ID:\s*(.+)$/im.exec(text)?.[1]?.trim();
    const key = `${callId ?? ''} ${/^CSeq:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? ''} ${status}`;
    if (seen.has(key)) {
      stats.retransmitted++;
      return;
    }
    seen.add(key);
    stats.answers[status] = (stats.answers[status] ?? 0) + 1;
    const challenge = /^WWW-Authenticate:\s*Digest (.+)$/im.exec(text)?.[1];
    if (status !== 401 || !challenge || !callId) return;
    // Answer the challenge with a wrong password: one counted failure each time.
    const param = (name: string): string | undefined =>
      new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1];
    const realm = param('realm') ?? o.domain;
    const nonce = param('nonce') ?? '';
    const qop = param('qop') ? 'auth' : undefined;
    const ha1 = md5(`${o.victim}:${realm}:wrong-${token()}`);
    const ha2 = md5(`REGISTER:${uri}`);
    const cnonce = token();
    const response = qop
      ? md5(`${ha1}:${nonce}:00000001:${cnonce}:${qop}:${ha2}`)
      : md5(`${ha1}:${nonce}:${ha2}`);
    const auth =
      `Digest username="${o.victim}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
      `response="${response}", algorithm=MD5` +
      (qop ? `, qop=${qop}, nc=00000001, cnonce="${cnonce}"` : '');
    send(register(callId, 2, auth));
  });

  const halfOpen: net.Socket[] = [];
  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: o.target.host, port: o.target.port, localAddress: o.ip });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  for (let i = 0; i < o.halfOpen; i++) {
    const s = await connect();
    s.on('error', () => undefined);
    s.once('close', () => stats.halfOpenClosed++);
    s.write(`REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/TCP ${o.ip}`);
    halfOpen.push(s);
  }

  // Each tick sends its share of the rate, cycling through the kinds.
  const kinds = ['register', 'invite', 'options', 'garbage'] as const;
  let turn = 0;
  const perTick = Math.max(1, Math.round(o.ratePerSec / 50));
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const kind = kinds[turn++ % kinds.length]!;
      if (kind === 'register') send(register(`${token()}@${o.ip}`, 1));
      else if (kind === 'invite') send(outOfDialog('INVITE'));
      else if (kind === 'options') send(outOfDialog('OPTIONS'));
      else send(randomBytes(1 + Math.floor(Math.random() * 1200)));
    }
  }, 20);

  return {
    stats,
    async tryConnection(withinMs) {
      const s = await connect().catch(() => undefined);
      if (!s) return 'closed';
      s.on('error', () => undefined);
      const outcome = await new Promise<'closed' | 'open'>((resolve) => {
        const t = setTimeout(() => resolve('open'), withinMs);
        s.once('close', () => {
          clearTimeout(t);
          resolve('closed');
        });
      });
      s.destroy();
      return outcome;
    },
    async stop() {
      clearInterval(timer);
      for (const s of halfOpen) s.destroy();
      await new Promise<void>((resolve) => sock.close(() => resolve()));
      return stats;
    },
  };
}
