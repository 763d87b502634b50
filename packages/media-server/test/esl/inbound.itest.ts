/**
 * The inbound Event Socket on raw TCP: auth, one reply per command in order, error replies for
 * bad and unknown input, bgapi, HEARTBEAT on subscription, exit. The server must survive all of it.
 */
import { startMediaServer } from '../../src';
import type { MediaServerHandle } from '../../src';
import { RawEslClient } from './raw-client';

describe('inbound Event Socket', () => {
  let server: MediaServerHandle;
  const clients: RawEslClient[] = [];

  beforeAll(async () => {
    server = await startMediaServer({
      sip: { host: '127.0.0.1', port: 0 },
      esl: { host: '127.0.0.1', port: 0, password: 'pw' },
      rtp: { portMin: 36000, portMax: 36019 },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  async function authed(): Promise<RawEslClient> {
    const c = await RawEslClient.connect(server.esl.port);
    clients.push(c);
    expect((await c.next()).headers['Content-Type']).toBe('auth/request');
    c.send('auth pw\n\n');
    expect((await c.next()).headers['Reply-Text']).toBe('+OK accepted');
    return c;
  }

  it('rejects a wrong password with -ERR invalid and closes', async () => {
    const c = await RawEslClient.connect(server.esl.port);
    clients.push(c);
    await c.next();
    c.send('auth nope\n\n');
    expect((await c.next()).headers['Reply-Text']).toBe('-ERR invalid');
    expect((await c.next()).headers['Content-Type']).toBe('text/disconnect-notice');
    await c.waitClosed();
  });

  it('answers every command once and in order, with errors for bad ones', async () => {
    const c = await authed();
    c.send(
      'api sofia status\n\nnonsense here\n\napi no_such_cmd x\n\napi uuid_dump 1234\n\nsendmsg 1234\ncall-command: execute\nexecute-app-name: playback\n\nevent json NOPE\n\nfilter Unique-ID abc\n\napi conference none list count\n\n',
    );
    const sofia = await c.next();
    expect(sofia.headers['Content-Type']).toBe('api/response');
    expect(sofia.body).toMatch(
      new RegExp(`^\\s*drachtio_mrf\\s.*sip:mod_sofia@127\\.0\\.0\\.1:${server.sip.port}`, 'm'),
    );
    expect((await c.next()).headers['Reply-Text']).toBe('-ERR command not found');
    expect((await c.next()).body).toBe('-ERR no_such_cmd Command not found!\n');
    expect((await c.next()).body).toBe('-ERR No such channel!\n');
    expect((await c.next()).headers['Reply-Text']).toBe('-ERR invalid session id [1234]');
    expect((await c.next()).headers['Reply-Text']).toBe('-ERR no keywords supplied');
    expect((await c.next()).headers['Reply-Text']).toBe('+OK filter added. [Unique-ID]=[abc]');
    expect((await c.next()).body).toBe('-ERR Conference none not found\n');
  });

  it('sends a HEARTBEAT right after subscribing, and runs bgapi as BACKGROUND_JOB', async () => {
    const c = await authed();
    c.send('event json HEARTBEAT BACKGROUND_JOB\n\n');
    expect((await c.next()).headers['Reply-Text']).toBe('+OK event listener enabled json');
    const hb = JSON.parse((await c.next()).body) as Record<string, string>;
    expect(hb['Event-Name']).toBe('HEARTBEAT');
    expect(hb['Core-UUID']).toMatch(/[0-9a-f-]{36}/);
    expect(Number(hb['Max-Sessions'])).toBeGreaterThan(0);
    expect(hb['Session-Count']).toBe('0');
    c.send('bgapi status\nJob-UUID: job-1\n\n');
    const reply = await c.next();
    expect(reply.headers['Reply-Text']).toBe('+OK Job-UUID: job-1');
    const job = JSON.parse((await c.next()).body) as Record<string, string>;
    expect(job['Event-Name']).toBe('BACKGROUND_JOB');
    expect(job['Job-UUID']).toBe('job-1');
    expect(job._body).toMatch(/^UP /);
  });

  it('writes plain events with URL-encoded headers inside the body', async () => {
    const c = await authed();
    c.send('event plain HEARTBEAT\n\n');
    expect((await c.next()).headers['Reply-Text']).toBe('+OK event listener enabled plain');
    const f = await c.next();
    expect(f.headers['Content-Type']).toBe('text/event-plain');
    const inner = Object.fromEntries(
      f.body
        .split('\n')
        .filter((l) => l.includes(': '))
        .map((l) => [
          l.slice(0, l.indexOf(': ')),
          decodeURIComponent(l.slice(l.indexOf(': ') + 2)),
        ]),
    );
    expect(inner['Event-Name']).toBe('HEARTBEAT');
    expect(inner['Event-Info']).toBe('System Ready');
  });

  it('closes a connection that sends an oversized frame, and keeps serving others', async () => {
    const bad = await authed();
    bad.send('x'.repeat(300 * 1024));
    await bad.waitClosed();
    const good = await authed();
    good.send('api status\n\n');
    expect((await good.next()).body).toMatch(/^UP /);
  });

  it('says goodbye on exit', async () => {
    const c = await authed();
    c.send('exit\n\n');
    expect((await c.next()).headers['Reply-Text']).toBe('+OK bye');
    expect((await c.next()).headers['Content-Type']).toBe('text/disconnect-notice');
    await c.waitClosed();
  });
});
