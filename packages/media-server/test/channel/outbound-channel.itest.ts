/**
 * A channel end to end with real peers but no fsmrf: sipp plays drachtio's SIP part, a raw TCP
 * listener plays the app's outbound-ESL listener. Checks CHANNEL_DATA, the execute FIFO with
 * EXECUTE/COMPLETE pairs, uuid_break, unknown application → COMPLETE then hangup, and the
 * hangup order (CALLSTATE HANGUP, disconnect notice, close, BYE), and the 404 rule.
 */
import net from 'node:net';
import path from 'node:path';
import { runSipp, expectSippSuccess } from '../../../sip-server/test/helpers/sipp';
import { startMediaServer } from '../../src';
import type { MediaServerHandle } from '../../src';
import { RawEslClient } from '../esl/raw-client';
import { waitFor } from '../media/harness';
import type { Frame } from '../esl/raw-client';

const SCENARIOS = __dirname;

function json(f: Frame): Record<string, string> {
  return JSON.parse(f.body) as Record<string, string>;
}

describe('outbound channel connection', () => {
  let server: MediaServerHandle;
  let listener: net.Server;
  const accepted: Array<(c: RawEslClient) => void> = [];

  beforeAll(async () => {
    server = await startMediaServer({
      sip: { host: '127.0.0.1', port: 0 },
      esl: { host: '127.0.0.1', port: 0 },
      rtp: { portMin: 36100, portMax: 36119 },
    });
    listener = net.createServer((socket) => {
      const waiter = accepted.shift();
      if (waiter) waiter(RawEslClient.wrap(socket));
      else socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  const nextConnection = (): Promise<RawEslClient> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no outbound ESL connection')), 8000);
      accepted.push((c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
  const eslTarget = (): string => `127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
  const sipp = (scenario: string, keys: Record<string, string> = {}): ReturnType<typeof runSipp> =>
    runSipp({
      scenario: path.join(SCENARIOS, scenario),
      target: `127.0.0.1:${server.sip.port}`,
      keys,
      timeoutMs: 20_000,
    });

  async function nextEvent(c: RawEslClient, name: string): Promise<Record<string, string>> {
    for (;;) {
      const f = await c.next(5000);
      if (f.headers['Content-Type'] === 'text/event-json') {
        const e = json(f);
        if (e['Event-Name'] === name) return e;
      }
    }
  }

  it('runs executes in order, completes an unknown app with -ERR and hangs up', async () => {
    const conn = nextConnection();
    const call = sipp('uac-fsmrf.xml', { ua: 'drachtio-fsmrf:abc-123', esl: eslTarget() });
    const c = await conn;
    c.send('connect\n\n');
    const data = (await c.next()).headers;
    expect(data['Reply-Text']).toBe('+OK\n');
    expect(data['Unique-ID']).toBe(data['Channel-Unique-ID']);
    expect(data['variable_sip_user_agent']).toBe('drachtio-fsmrf:abc-123');
    expect(data['variable_local_media_ip']).toBe('127.0.0.1');
    expect(data['variable_rtp_local_sdp_str']).toMatch(/m=audio \d+ RTP\/AVP 8 101/);
    expect(data['variable_playback_terminators']).toBe('none');
    const uuid = data['Unique-ID']!;
    c.send(
      'event json CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_CALLSTATE CUSTOM conference::maintenance BACKGROUND_JOB\n\n',
    );
    expect((await c.next()).headers['Reply-Text']).toBe('+OK event listener enabled json');
    c.send(`filter Unique-ID ${uuid}\n\n`);
    expect((await c.next()).headers['Reply-Text']).toBe(`+OK filter added. [Unique-ID]=[${uuid}]`);
    const exec = (app: string, arg: string, id: string): string =>
      `sendmsg ${uuid}\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}\ncall-command: execute\nEvent-UUID: ${id}\n\n`;
    c.send(
      exec('endless_playback', 'silence_stream://-1', 'e1') +
        exec('set', 'foo=bar', 'e2') +
        exec('no_such_app', 'x', 'e3'),
    );
    const seen: string[] = [];
    let breakSent = false;
    for (;;) {
      const f = await c.next(5000);
      const type = f.headers['Content-Type'];
      if (type === 'command/reply') seen.push(`reply ${f.headers['Reply-Text']}`);
      else if (type === 'api/response') seen.push(`api ${f.body.trim()}`);
      else if (type === 'text/event-json') {
        const e = json(f);
        const what =
          e['Event-Name'] === 'CHANNEL_CALLSTATE'
            ? `CALLSTATE ${e['Channel-Call-State']} ${e['Hangup-Cause'] ?? ''}`
            : `${e['Event-Name']} ${e['Application-UUID']} ${e['Application-Response'] ?? ''}`;
        seen.push(what.trim());
        if (e['Event-Name'] === 'CHANNEL_EXECUTE' && e['Application-UUID'] === 'e1' && !breakSent) {
          breakSent = true;
          c.send(`api uuid_break ${uuid}\n\n`);
        }
        if (e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE' && e['Application-UUID'] === 'e2')
          expect(e['variable_foo']).toBe('bar');
      } else if (type === 'text/disconnect-notice') {
        seen.push('disconnect');
        expect(f.headers['Controlled-Session-UUID']).toBe(uuid);
        break;
      }
    }
    // Replies are in command order; events in fire order (the two streams may interleave).
    expect(seen.filter((x) => x.startsWith('reply'))).toEqual([
      'reply +OK',
      'reply +OK',
      'reply +OK',
    ]);
    expect(seen.filter((x) => !x.startsWith('reply'))).toEqual([
      'CHANNEL_EXECUTE e1',
      'api +OK',
      'CHANNEL_EXECUTE_COMPLETE e1 FILE PLAYED',
      'CHANNEL_EXECUTE e2',
      'CHANNEL_EXECUTE_COMPLETE e2 _none_',
      'CHANNEL_EXECUTE e3',
      'CHANNEL_EXECUTE_COMPLETE e3 -ERR unsupported',
      'CALLSTATE HANGUP DESTINATION_OUT_OF_ORDER',
      'disconnect',
    ]);
    await c.waitClosed();
    expectSippSuccess(await call, 'fsmrf-like call');
    // Ports are free once the media thread has closed both sockets (a message away).
    await waitFor(
      () => server.stats().channels === 0 && server.stats().portsInUse === 0,
      5000,
      'channel gone and its ports released',
    );
  });

  it('hangs up a call whose X-esl-outbound cannot be reached (BYE) and leaks nothing', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expectSippSuccess(
      await sipp('uac-fsmrf.xml', { ua: 'drachtio-fsmrf:x', esl: `127.0.0.1:${port}` }),
      'unreachable outbound',
    );
    // Ports are free once the media thread has closed both sockets (a message away).
    await waitFor(
      () => server.stats().channels === 0 && server.stats().portsInUse === 0,
      5000,
      'channel gone and its ports released',
    );
  });

  it('answers an INVITE that is not from fsmrf with 404', async () => {
    expectSippSuccess(await sipp('uac-not-fsmrf.xml'), '404 for other user agents');
  });

  it('answers fsmrf-style commands for the wrong uuid with -ERR on the channel socket', async () => {
    const conn = nextConnection();
    const call = sipp('uac-fsmrf.xml', { ua: 'drachtio-fsmrf:q', esl: eslTarget() });
    const c = await conn;
    c.send('connect\n\n');
    const uuid = (await c.next()).headers['Unique-ID']!;
    c.send(
      'sendmsg nope\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: a=b\n\napi uuid_kill nope\n\n',
    );
    expect((await c.next()).headers['Reply-Text']).toBe('-ERR invalid session id [nope]');
    expect((await c.next()).body).toBe('-ERR No such channel!\n');
    c.send('event json CHANNEL_CALLSTATE\n\n');
    await c.next();
    c.send(
      `sendmsg ${uuid}\ncall-command: execute\nexecute-app-name: hangup\nexecute-app-arg: \n\n`,
    );
    expect((await c.next()).headers['Reply-Text']).toBe('+OK');
    const hang = await nextEvent(c, 'CHANNEL_CALLSTATE');
    expect(hang['Hangup-Cause']).toBe('NORMAL_CLEARING');
    await c.waitClosed();
    expectSippSuccess(await call, 'hangup app');
  });
  it('completes the running and the queued executes when the channel is killed', async () => {
    const conn = nextConnection();
    const call = sipp('uac-fsmrf.xml', { ua: 'drachtio-fsmrf:k', esl: eslTarget() });
    const c = await conn;
    c.send('connect\n\n');
    const uuid = (await c.next()).headers['Unique-ID']!;
    c.send('event json CHANNEL_EXECUTE_COMPLETE CHANNEL_CALLSTATE\n\n');
    await c.next();
    const exec = (app: string, arg: string, id: string): string =>
      `sendmsg ${uuid}\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}\ncall-command: execute\nEvent-UUID: ${id}\n\n`;
    c.send(
      exec('sleep', '10000', 'k1') +
        exec('set', 'x=y', 'k2') +
        `api uuid_kill ${uuid} USER_BUSY\n\n`,
    );
    const seen: string[] = [];
    for (;;) {
      const f = await c.next(5000);
      if (f.headers['Content-Type'] === 'text/disconnect-notice') break;
      if (f.headers['Content-Type'] !== 'text/event-json') continue;
      const e = json(f);
      seen.push(
        e['Event-Name'] === 'CHANNEL_CALLSTATE'
          ? `CALLSTATE ${e['Channel-Call-State']} ${e['Hangup-Cause']}`
          : `COMPLETE ${e['Application-UUID']} ${e['Application-Response']}`,
      );
    }
    expect(seen).toEqual([
      'COMPLETE k1 _none_',
      'COMPLETE k2 -ERR channel hung up',
      'CALLSTATE HANGUP USER_BUSY',
    ]);
    expectSippSuccess(await call, 'uuid_kill');
  });
});
