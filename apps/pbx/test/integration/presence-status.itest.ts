/**
 * The administrator's status text (`pbx ext set <tel> --status "..."`): it reaches presence
 * watchers at once as the PIDF note, goes with `--status-clear`, and gives way to a note the
 * client PUBLISHes while that publication lives (sipp watchers, PIDF parsed with fast-xml-parser).
 */
import { run as runCli } from '../../../cli/src/main';
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { notifies, parsePidf as pidf } from '../helpers/event-watchers';

jest.setTimeout(60_000);

describe('presence: the administrator status text', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202', '203']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const code = await runCli(['--db', h.pbx.dbPath, ...argv], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
    });
    return { code, stderr };
  }

  const version = (resource: string): number | undefined =>
    h.pbx.presence.notifier.list().find((s) => s.event === 'presence' && s.resource === resource)
      ?.version;

  test('`pbx ext set --status` reaches a watcher at once, `--status-clear` takes it away', async () => {
    await h.register('202', 5997);
    const w = await h.startCall('201', '202', 'uac-subscribe-presence.xml');
    await waitFor('first NOTIFY', () => version('202') === 1);
    expect(await cli('ext', 'set', '202', '--status', 'At the dentist <until 3> & back')).toEqual({
      code: 0,
      stderr: '',
    });
    await waitFor('status NOTIFY', () => version('202') === 2);
    expect(await cli('ext', 'set', '202', '--status-clear')).toEqual({ code: 0, stderr: '' });
    const r = await w.done;
    expectPhoneOk(r, 'watcher 201');
    expect(notifies(r).map((n) => [pidf(n.body).basic, pidf(n.body).note])).toEqual([
      ['open', 'Available'],
      ['open', 'At the dentist <until 3> & back'],
      ['open', 'Available'],
      ['open', 'Available'],
    ]);
  });

  test("a client's published note wins while it lives, then the administrator's text is back", async () => {
    expect(await cli('ext', 'set', '203', '--status', 'Working from home')).toEqual({
      code: 0,
      stderr: '',
    });
    await h.pbx.changeApplied('stations');
    await h.register('203', 5996);
    const w = await h.startCall('201', '203', 'uac-subscribe-presence.xml');
    await waitFor('first NOTIFY', () => version('203') === 1);
    const p = await h.call('203', '203', 'uac-publish-presence.xml', {
      keys: { note: 'In a meeting until 3' },
    });
    expectPhoneOk(p, 'publisher 203');
    const r = await w.done;
    expectPhoneOk(r, 'watcher 201');
    expect(notifies(r).map((n) => pidf(n.body).note)).toEqual([
      'Working from home',
      'In a meeting until 3',
      'Working from home',
      'Working from home',
    ]);
  });
});
