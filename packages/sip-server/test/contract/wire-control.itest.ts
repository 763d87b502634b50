/**
 * Wire-level contract of the control port (drachtio-wire-protocol.md §1–2, §4 NOK paths, §9.4),
 * spoken by a raw TCP client instead of drachtio-srf.
 */
import { randomUUID } from 'node:crypto';

import { startHarness, type Harness } from './harness';
import { frame, WireClient } from './wire-client';

jest.setTimeout(60_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('control port wire protocol', () => {
  let harness: Harness;
  const clients: WireClient[] = [];

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness[Symbol.asyncDispose]();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c[Symbol.asyncDispose]()));
  });

  async function client(): Promise<WireClient> {
    const c = await WireClient.connect(harness.server.control.port, harness.server.control.host);
    clients.push(c);
    return c;
  }

  async function authenticated(): Promise<WireClient> {
    const c = await client();
    const answer = await c.authenticate(harness.secret);
    expect(answer.tokens[3]).toBe('OK');
    return c;
  }

  describe('authenticate', () => {
    it('answers OK with hostports, a v-prefixed version and local hostports', async () => {
      const c = await client();
      const msgId = randomUUID();
      c.send(`${msgId}|authenticate|${harness.secret}|pbx,test`);
      const answer = await c.next();
      expect(answer.sip).toBeUndefined();
      expect(answer.tokens).toHaveLength(7);
      const [id, type, echoed, status, hostports, version, local] = answer.tokens;
      expect(id).toMatch(UUID);
      expect(id).not.toBe(msgId);
      expect(type).toBe('response');
      expect(echoed).toBe(msgId);
      expect(status).toBe('OK');
      const udp = `udp/127.0.0.1:${harness.sipPort('udp')}`;
      const tcp = `tcp/127.0.0.1:${harness.sipPort('tcp')}`;
      expect(hostports?.split(',')).toEqual(expect.arrayContaining([udp, tcp]));
      expect(local?.split(',')).toEqual(expect.arrayContaining([udp, tcp]));
      for (const hp of hostports?.split(',') ?? [])
        expect(hp).toMatch(/^(udp|tcp|tls|ws|wss)\/[^,|]+:\d+$/);
      // srf pings only when this parses as vX.Y.Z >= v0.8.2.
      const semver = /^v(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
      expect(semver).not.toBeNull();
      const [major, minor, patch] = (semver as RegExpExecArray).slice(1).map(Number) as [
        number,
        number,
        number,
      ];
      expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(8_002);
    });

    it('answers NO to a wrong secret and closes the connection', async () => {
      const c = await client();
      const answer = await c.authenticate('not-the-secret');
      expect(answer.tokens[3]).toBe('NO');
      expect(answer.tokens[4]).toBeTruthy();
      expect(await c.closesWithin(2_000)).toBe(true);
    });

    it('rejects a command sent before authenticate and closes the connection', async () => {
      const c = await client();
      const msgId = c.command('route|invite');
      const closed = await c.closesWithin(2_000);
      expect(closed).toBe(true);
      // If the server answered before closing, the answer must have been a refusal.
      const answered = await c.next(100).catch(() => undefined);
      if (answered) {
        expect(answered.tokens[2]).toBe(msgId);
        expect(answered.tokens[3]).toBe('NO');
      }
    });

    it('answers ping before authenticate', async () => {
      const c = await client();
      const msgId = c.command('ping');
      const answer = await c.responseTo(msgId);
      expect(answer.tokens.slice(1)).toEqual(['response', msgId, 'OK', 'pong']);
    });
  });

  describe('session messages', () => {
    it('answers route, a repeated route, remove_route and ping', async () => {
      const c = await authenticated();
      for (const rest of [
        'route|invite',
        'route|invite',
        'route|cdr:start',
        'remove_route|invite',
      ]) {
        const msgId = c.command(rest);
        const answer = await c.responseTo(msgId);
        expect(answer.tokens.slice(1, 4)).toEqual(['response', msgId, 'OK']);
      }
      const ping = c.command('ping');
      expect((await c.responseTo(ping)).tokens.slice(1)).toEqual(['response', ping, 'OK', 'pong']);
    });

    it('answers an unknown message type with NO and closes', async () => {
      const c = await authenticated();
      const msgId = c.command('frobnicate|x');
      const answer = await c.responseTo(msgId);
      expect(answer.tokens[3]).toBe('NO');
      expect(await c.closesWithin(2_000)).toBe(true);
    });
  });

  describe('framing', () => {
    it('accepts an authenticate frame split at every byte offset', async () => {
      const payload = `${randomUUID()}|authenticate|${harness.secret}|`;
      const bytes = frame(payload);
      for (let offset = 1; offset < bytes.length; offset++) {
        const c = await client();
        c.sendRaw(bytes.subarray(0, offset));
        await new Promise((r) => setTimeout(r, 2));
        c.sendRaw(bytes.subarray(offset));
        const answer = await c.next();
        expect({ offset, status: answer.tokens[3] }).toEqual({ offset, status: 'OK' });
        c.close();
      }
    });

    it('reassembles ping frames split at every offset, and one fed byte by byte', async () => {
      const c = await authenticated();
      const msgId = randomUUID();
      const bytes = frame(`${msgId}|ping`);
      for (let offset = 1; offset < bytes.length; offset++) {
        c.sendRaw(bytes.subarray(0, offset));
        await new Promise((r) => setImmediate(r));
        c.sendRaw(bytes.subarray(offset));
        const answer = await c.next();
        expect({ offset, tokens: answer.tokens.slice(2) }).toEqual({
          offset,
          tokens: [msgId, 'OK', 'pong'],
        });
      }
      const routeId = randomUUID();
      for (const byte of frame(`${routeId}|route|options`)) {
        c.sendRaw(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      expect((await c.responseTo(routeId)).tokens[3]).toBe('OK');
    });

    it('answers several frames written in one chunk, in order', async () => {
      const c = await authenticated();
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      c.sendRaw(
        Buffer.concat([
          frame(`${ids[0]}|ping`),
          frame(`${ids[1]}|route|message`),
          frame(`${ids[2]}|ping`),
        ]),
      );
      const answers = [await c.next(), await c.next(), await c.next()];
      expect(answers.map((a) => a.tokens[2])).toEqual(ids);
      expect(answers.map((a) => a.tokens[3])).toEqual(['OK', 'OK', 'OK']);
    });

    it('counts the length in UTF-8 bytes, not characters', async () => {
      const c = await authenticated();
      const verbId = randomUUID();
      const pingId = randomUUID();
      // Multi-byte characters in one frame, then a second frame in the same chunk: a server that
      // counted characters would cut the first frame short and lose the ping.
      c.sendRaw(Buffer.concat([frame(`${verbId}|route|café-☎-€`), frame(`${pingId}|ping`)]));
      expect((await c.responseTo(verbId)).tokens[3]).toBe('OK');
      expect((await c.responseTo(pingId)).tokens[4]).toBe('pong');
    });

    it('accepts a frame of more than 99 999 bytes', async () => {
      const c = await authenticated();
      const msgId = randomUUID();
      c.send(`${msgId}|route|${'x'.repeat(120_000)}`);
      expect((await c.responseTo(msgId, 5_000)).tokens[3]).toBe('OK');
    });

    it.each([
      ['a letter in the length', '1a#ping'],
      ['a sign before the length', '+5#hello'],
      ['no digits before #', '#ping'],
      ['spaces in the length', ' 41#x'],
    ])('closes the connection on %s', async (_name, raw) => {
      const c = await authenticated();
      c.sendRaw(raw);
      expect(await c.closesWithin(2_000)).toBe(true);
    });
  });

  describe('sip commands that fail (NOK, connection stays open)', () => {
    async function expectNok(c: WireClient, rest: string, reason?: RegExp): Promise<void> {
      const msgId = c.command(rest);
      const answer = await c.responseTo(msgId);
      expect(answer.tokens[3]).toBe('NOK');
      if (reason) expect(answer.tokens[4]).toMatch(reason);
      const ping = c.command('ping');
      expect((await c.responseTo(ping)).tokens[4]).toBe('pong');
    }

    it('refuses a request inside an unknown dialog', async () => {
      const c = await authenticated();
      await expectNok(
        c,
        'sip||no-such-call@127.0.0.1;from-tag=nothing\r\nBYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n',
        /dialog/i,
      );
    });

    it('refuses a response for an unknown transaction', async () => {
      const c = await authenticated();
      await expectNok(
        c,
        `sip|${randomUUID()}|\r\nSIP/2.0 200 OK\r\nCall-ID: nobody@127.0.0.1\r\ncseq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
        /transaction/i,
      );
    });

    it('refuses to cancel an unknown transaction', async () => {
      const c = await authenticated();
      const target = harness.sipTarget('udp').replace(/:\d+$/, ':9');
      await expectNok(
        c,
        `sip|${randomUUID()}|\r\nCANCEL sip:nobody@${target} SIP/2.0\r\nContent-Length: 0\r\n\r\n`,
        /cancel|transaction/i,
      );
    });

    it('refuses to send a request to itself', async () => {
      const c = await authenticated();
      await expectNok(
        c,
        `sip||\r\nOPTIONS sip:loop@${harness.sipTarget('udp')} SIP/2.0\r\nContent-Length: 0\r\n\r\n`,
        /myself/i,
      );
    });

    it('refuses a body without Content-Type that is not SDP', async () => {
      const c = await authenticated();
      await expectNok(
        c,
        'sip||\r\nMESSAGE sip:someone@127.0.0.1:9 SIP/2.0\r\nContent-Length: 5\r\n\r\nhello',
        /content-type/i,
      );
    });
  });
});
