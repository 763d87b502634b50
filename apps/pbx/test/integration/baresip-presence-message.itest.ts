/**
 * Two baresip soft clients through the PBX (issue 9): instant messages both ways (baresip's
 * contact module `/message` to its current contact; the receiver's menu prints it on its `cons`
 * console), and presence (baresip's presence module SUBSCRIBEs to its `;presence=p2p` contact
 * through the PBX and prints every status change) as the other station goes DND with `pbx ext
 * set --dnd`, comes back, and goes offline.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run as runCli } from '../../../cli/src/main';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { silenceWav } from '../helpers/tone-wav';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { freePort } from '../helpers/sipp';

jest.setTimeout(60_000);

// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

interface SoftClient {
  phone: BaresipPhone;
  /** What baresip's console (`cons` module, over TCP) printed: received messages. */
  console(): string;
}

describe('baresip: presence and MESSAGE between two soft clients', () => {
  let h: CallsPbx;
  let dir: string;
  const phones: BaresipPhone[] = [];
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-presence-'));
    silenceWav(path.join(dir, 'silence.wav'), 60);
    h = await startCallsPbx();
    for (const tel of ['201', '202']) await h.station(tel, { name: `Soft ${tel}` });
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const p of phones) await p.stop();
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]): Promise<void> {
    let stderr = '';
    const code = await runCli(['--db', h.pbx.dbPath, ...argv], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }

  /** A baresip client for `tel`, registered, whose one contact is `contact` (presence=p2p). */
  async function client(tel: string, contact: string): Promise<SoftClient> {
    const home = path.join(dir, `phone-${tel}`);
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(
      path.join(home, 'contacts'),
      `"Soft ${contact}" <sip:${contact}@${h.pbx.target}>;presence=p2p\n`,
    );
    const consPort = await freePort('both');
    const phone = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, 'silence.wav'),
      pbx: h.pbx.target,
      extraConfig: [
        'module cons.so',
        `cons_listen 127.0.0.1:${consPort}`,
        'module_app contact.so',
        'module_app presence.so',
      ],
      // Registered before it starts: its first SUBSCRIBE must pass the source check.
      beforeStart: (port) => h.register(tel, port),
    });
    phones.push(phone);
    let text = '';
    const sock = net.connect(consPort, '127.0.0.1');
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (text += d));
    sock.on('error', () => undefined);
    sockets.push(sock);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    return { phone, console: () => text };
  }

  /** Resolves when `watcher` printed that its contact `tel` changed to `status`. */
  const statusChange = (watcher: SoftClient, tel: string, from: string, to: string) =>
    waitFor(
      `${watcher.phone.tel} seeing ${tel} ${from} → ${to}`,
      () =>
        plain(watcher.phone.output()).includes(
          `<sip:${tel}@${h.pbx.target}> changed status from ${from} to ${to}`,
        ),
      10_000,
    );

  test('messages both ways, and presence from online to DND, back, and offline', async () => {
    const a = await client('201', '202');
    const b = await client('202', '201');

    // Both watch each other through the PBX.
    await waitFor(
      'both presence subscriptions',
      () =>
        h.pbx.presence.notifier
          .list()
          .filter(
            (s) =>
              s.event === 'presence' &&
              ((s.subscriber === '201' && s.resource === '202') ||
                (s.subscriber === '202' && s.resource === '201')),
          ).length === 2,
      10_000,
    );
    await waitFor(
      '201 listing 202 online',
      async () => /Online\s+Soft 202/.test(plain(await a.phone.command('contacts'))),
      10_000,
    );

    // MESSAGE 201 → 202 and back, each shown by the receiver.
    await a.phone.command('contact_next');
    await a.phone.command('message', 'Hello from 201, lunch at 12?');
    await waitFor(
      '202 showing the message',
      () => b.console().includes('sip:201@pbx.local: "Hello from 201, lunch at 12?"'),
      10_000,
    );
    await b.phone.command('contact_next');
    await b.phone.command('message', 'Yes, see you');
    await waitFor(
      '201 showing the reply',
      () => a.console().includes('sip:202@pbx.local: "Yes, see you"'),
      10_000,
    );
    // The relay writes the history row once the receiver's 200 is back, which can be just after
    // the receiver printed the message: wait for the row, then check the whole history.
    const history = async () =>
      (await h.pbx.ctx.store.messages.list({ ext: '201', peer: '202' }))
        .map((m) => [m.fromTel, m.toTel, m.body, m.deliveredAt !== null])
        .sort();
    await waitFor(
      'both messages in the history',
      async () => (await history()).length === 2,
      10_000,
    );
    expect(await history()).toEqual([
      ['201', '202', 'Hello from 201, lunch at 12?', true],
      ['202', '201', 'Yes, see you', true],
    ]);

    // Presence: 202 goes DND with `pbx`, comes back, then goes offline.
    await cli('ext', 'set', '202', '--dnd', 'on');
    await statusChange(a, '202', 'Online', 'Busy');
    await cli('ext', 'set', '202', '--dnd', 'off');
    await statusChange(a, '202', 'Busy', 'Online');
    await b.phone.stop();
    await h.unregister('202');
    await statusChange(a, '202', 'Online', 'Offline');
  });
});
