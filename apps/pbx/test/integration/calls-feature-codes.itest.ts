/**
 * Feature codes on the wire: every INVITE to a code gets 480, whether the action worked or not;
 * the effect shows in the station settings (what `pbx ext show` prints) and in a call record
 * with disposition `feature`; a bad argument changes nothing.
 */
import { run as runCli } from '../../../cli/src/main';
import { expectPhoneOk, startCallsPbx, type CallsPbx } from '../helpers/calls-harness';

jest.setTimeout(60_000);

describe('feature codes', () => {
  let h: CallsPbx;

  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202', '203']) await h.station(tel);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const dial = async (tel: string, digits: string, expect = 480): Promise<void> => {
    const r = await h.call(tel, digits, `uac-invite-expect-${expect}.xml`);
    expectPhoneOk(r, `${tel} dialling ${digits}`);
    await h.settle();
  };
  const row = async (tel: string) => (await h.pbx.ctx.store.stations.get(tel))!;
  /** What `pbx ext show <tel>` prints. */
  const extShow = async (tel: string): Promise<string> => {
    let out = '';
    const code = await runCli(['--db', h.pbx.dbPath, 'ext', 'show', tel], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => undefined },
      env: {},
    });
    expect(code).toBe(0);
    return out;
  };
  const features = async (tel: string) =>
    (await h.pbx.ctx.store.cdrs.list({ ext: tel, disposition: 'feature' })).sort(
      (a, b) => a.id - b.id,
    );

  test('601 + station sets forward all: 480, stored, and a feature call record', async () => {
    await dial('201', '601202');
    expect(await row('201')).toMatchObject({
      forwardAll: '202',
      forwardBusy: null,
      forwardNoAnswer: null,
    });
    expect(await extShow('201')).toMatch(/Forward All\s+│?\s*202/);
    const [cdr] = (await features('201')).slice(-1);
    expect(cdr).toMatchObject({
      callerTel: '201',
      dialled: '601202',
      disposition: 'feature',
      feature: 'forward.all',
      sipStatus: 480,
    });
    expect(cdr?.note).toContain('forward-set');
  });

  test('602-604 replace the forward (one at a time) and 600 clears it', async () => {
    await dial('201', '602203');
    expect(await row('201')).toMatchObject({ forwardAll: null, forwardBusy: '203' });
    await dial('201', '603202');
    expect(await row('201')).toMatchObject({ forwardBusy: null, forwardNoAnswer: '202' });
    await dial('201', '604203');
    expect(await row('201')).toMatchObject({ forwardNoAnswer: null, forwardBusyNoAnswer: '203' });
    await dial('201', '600');
    expect(await row('201')).toMatchObject({
      forwardAll: null,
      forwardBusy: null,
      forwardNoAnswer: null,
      forwardBusyNoAnswer: null,
    });
  });

  test('401 turns DND on and 400 off, each answered 480', async () => {
    await dial('202', '401');
    expect((await row('202')).dnd).toBe(true);
    expect(await extShow('202')).toMatch(/DND\s+│?\s*on/);
    expect(h.cc.stations.peek('202')?.settings.dnd).toBe(true);
    await dial('202', '400');
    expect((await row('202')).dnd).toBe(false);
  });

  test('a bad argument changes nothing, still gets 480, and the record says why', async () => {
    await dial('203', '601203'); // forward to itself
    // No such station (9... would be the trunk access code and an outside number).
    await dial('203', '601777');
    await dial('203', '601'); // missing digits
    await dial('203', '409'); // DND takes 1 or 0
    expect(await row('203')).toMatchObject({ forwardAll: null, dnd: false });
    const notes = (await features('203')).map((c) => c.note);
    expect(notes).toHaveLength(4);
    expect(notes[0]).toMatch(/none: forward-to-self/);
    expect(notes[1]).toMatch(/none: unknown-station/);
    expect(notes[2]).toMatch(/none: missing-argument/);
    expect(notes[3]).toMatch(/none: bad-argument/);
  });

  test('pickup and retrieve with nothing to take answer 480 too', async () => {
    await dial('203', '13202');
    await dial('203', '141');
    await dial('203', '12202');
    await dial('203', '11202'); // park with no held call
    const notes = (await features('203')).slice(-4).map((c) => c.note);
    expect(notes).toEqual([
      expect.stringMatching(/nothing-ringing/),
      expect.stringMatching(/nothing-ringing/),
      expect.stringMatching(/slot-empty/),
      expect.stringMatching(/no-held-call/),
    ]);
  });

  test('an unknown number gets 404 and a call from an unregistered address 403', async () => {
    await dial('201', '777', 404);
    const r = await h.call('201', '601202', 'uac-invite-expect-403.xml', {
      unregistered: true,
      ip: '127.0.0.2',
    });
    expectPhoneOk(r, 'unregistered caller');
    await h.settle();
    expect((await row('201')).forwardAll).toBeNull();
  });
});
