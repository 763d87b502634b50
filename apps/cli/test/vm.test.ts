import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyPin } from '@pbx/store';
import { CliFixture, expectFailure } from './helpers';

describe('pbx vm and the voice-mail options of pbx ext set', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    for (const tel of ['201', '202']) await f.ok('ext', 'add', tel, '--password', 'Secret#2020x');
  });
  afterEach(() => f.cleanup());

  /** Puts a message into 201's mailbox as the PBX would (file, then row). */
  async function leave(tel: string, bytes: string): Promise<number> {
    const rel = join('boxes', tel, `msg-${bytes}.wav`);
    mkdirSync(join(f.dir, 'voicemail', 'boxes', tel), { recursive: true });
    writeFileSync(join(f.dir, 'voicemail', rel), bytes);
    const store = await f.store();
    try {
      const m = await store.voicemail.addMessage({
        tel,
        callerTel: '202',
        callerName: 'Bob',
        receivedAt: Date.UTC(2026, 11, 4, 9, 30),
        durationMs: 4200,
        file: rel,
      });
      await store.voicemail.syncCounts(tel);
      return m.id;
    } finally {
      await store.close();
    }
  }

  it('sets voice mail on/off, the PIN (hashed, never printed or audited) and the conditions', async () => {
    expect(await f.ok('ext', 'set', '201', '--vm-pin', '4711093825', '--vm-when', 'busy,dnd')).toBe(
      'station 201: voice mail on, PIN set, for busy, dnd\n',
    );
    expect(await f.ok('ext', 'set', '201', '--voicemail', 'off')).toBe(
      'station 201: voice mail off, PIN set, for busy, dnd\n',
    );
    expect(await f.ok('ext', 'set', '201', '--name', 'Ann', '--vm-when', 'all')).toBe(
      'station 201 updated\nstation 201: voice mail off, PIN set, for no-answer, busy, dnd, unregistered\n',
    );
    const store = await f.store();
    try {
      const box = await store.voicemail.box('201');
      expect(box.pinHash).not.toContain('4711093825');
      expect(verifyPin('4711093825', box.pinHash)).toBe(true);
      const audit = JSON.stringify(await store.audit.list({}));
      expect(audit).not.toContain('4711093825');
    } finally {
      await store.close();
    }
    expect(await f.ok('ext', 'set', '201', '--vm-pin-clear', '--vm-when', 'none')).toBe(
      'station 201: voice mail off, PIN not set, for no calls\n',
    );
  });

  it('refuses bad voice-mail options (exit 2) and unknown stations (exit 1)', async () => {
    expectFailure(await f.pbx('ext', 'set', '201', '--vm-pin', '12'), 2, /4 to 10 digits/);
    expectFailure(await f.pbx('ext', 'set', '201', '--vm-pin', '12ab'), 2, /4 to 10 digits/);
    expectFailure(await f.pbx('ext', 'set', '201', '--voicemail', 'maybe'), 2, /on or off/);
    expectFailure(await f.pbx('ext', 'set', '201', '--vm-when', 'sometimes'), 2, /sometimes/);
    expectFailure(await f.pbx('ext', 'set', '201', '--vm-when', 'none,busy'), 2, /none alone/);
    expectFailure(
      await f.pbx('ext', 'set', '201', '--vm-pin', '1234', '--vm-pin-clear'),
      2,
      /not both/,
    );
    expectFailure(await f.pbx('ext', 'set', '299', '--voicemail', 'on'), 1, /299/);
  });

  it('lists, exports and deletes messages; the lamp counts follow', async () => {
    expect(await f.ok('vm', 'list')).toBe('no messages\n');
    const id = await leave('201', 'RIFFfake');
    const list = await f.json<
      Array<{ tel: string; id: number; callerTel: string; heard: boolean }>
    >('vm', 'list', '201');
    expect(list.map((m) => [m.tel, m.id, m.callerTel, m.heard])).toEqual([
      ['201', id, '202', false],
    ]);
    expect(await f.ok('vm', 'list')).toContain('2026-12-04');
    expect(await f.ok('vm', 'list', '202')).toBe('no messages for 202\n');
    const out = join(f.dir, 'out.wav');
    expect(await f.ok('vm', 'export', '201', String(id), out)).toBe(
      `message 201/${id} written to ${out}\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe('RIFFfake');
    expect(await f.ok('vm', 'delete', '201', String(id))).toBe(
      `message 201/${id} deleted (0 new, 0 old)\n`,
    );
    expect(existsSync(join(f.dir, 'voicemail', 'boxes', '201', 'msg-RIFFfake.wav'))).toBe(false);
    const store = await f.store();
    try {
      expect(await store.mailboxes.get('201')).toMatchObject({ newMessages: 0, oldMessages: 0 });
    } finally {
      await store.close();
    }
  });

  it('bad input: unknown station, unknown or malformed ids, unwritable target, missing audio', async () => {
    expectFailure(await f.pbx('vm', 'list', '299'), 1, /station 299 not found/);
    expectFailure(await f.pbx('vm', 'delete', '201', 'x1'), 2, /a message id is a number/);
    expectFailure(await f.pbx('vm', 'delete', '201', '77'), 1, /message 201\/77 not found/);
    expectFailure(await f.pbx('vm', 'export', '201', '77', '/tmp/x.wav'), 1, /not found/);
    const id = await leave('201', 'abc');
    expectFailure(
      await f.pbx('vm', 'export', '201', String(id), join(f.dir, 'no', 'such', 'dir', 'x.wav')),
      2,
      /cannot write/,
    );
    // Another station's message id is not this station's.
    expectFailure(await f.pbx('vm', 'delete', '202', String(id)), 1, /not found/);
    writeFileSync(join(f.dir, 'voicemail', 'boxes', '201', 'msg-abc.wav'), '');
    const { rmSync } = await import('node:fs');
    rmSync(join(f.dir, 'voicemail', 'boxes', '201', 'msg-abc.wav'));
    expectFailure(
      await f.pbx('vm', 'export', '201', String(id), join(f.dir, 'y.wav')),
      2,
      /audio file is missing/,
    );
  });

  it('forwards to the own mailbox with voicemail or the voice-mail code, shown as voicemail', async () => {
    await f.ok('ext', 'set', '201', '--forward-all', 'voicemail');
    let s = await f.json<Record<string, unknown>>('ext', 'show', '201');
    // Stored as a forward to the station itself.
    expect(s).toMatchObject({ forwardAll: '201', forwardNoAnswer: null });
    expect(await f.ok('ext', 'show', '201')).toMatch(/Forward All\s*│\s*voicemail\s/);
    await f.ok('numplan', 'set', 'voicemail', '77');
    await f.ok('ext', 'set', '201', '--forward-no-answer', '77');
    s = await f.json<Record<string, unknown>>('ext', 'show', '201');
    expect(s).toMatchObject({ forwardAll: null, forwardNoAnswer: '201' });
    // The old code is now an ordinary (unknown) destination: digits, kept as given.
    await f.ok('ext', 'set', '202', '--forward-busy', '88');
    expect(await f.json('ext', 'show', '202')).toMatchObject({ forwardBusy: '88' });
  });

  it('refuses a forward to voice mail while the mailbox is off (exit 1), and changes nothing', async () => {
    await f.ok('ext', 'set', '201', '--voicemail', 'off');
    expectFailure(
      await f.pbx('ext', 'set', '201', '--forward-all', 'voicemail'),
      1,
      /--forward-all: station 201 has its mailbox off/,
    );
    // The own number is the mailbox too (that is how it is stored).
    expectFailure(await f.pbx('ext', 'set', '201', '--forward-busy', '201'), 1, /mailbox off/);
    expectFailure(
      await f.pbx('ext', 'set', '202', '--forward-busy', 'voicemail', '--voicemail', 'off'),
      1,
      /mailbox off/,
    );
    expect(await f.json('ext', 'show', '201')).toMatchObject({ forwardAll: null });
    expect(await f.json('ext', 'show', '202')).toMatchObject({
      forwardBusy: null,
      voicemail: { enabled: true },
    });
    // Both in one go: the mailbox on and the forward to it.
    await f.ok('ext', 'set', '201', '--voicemail', 'on', '--forward-all', 'voicemail');
    expect(await f.json('ext', 'show', '201')).toMatchObject({ forwardAll: '201' });
    // Off again with the forward set: said, not refused.
    expect(await f.ok('ext', 'set', '201', '--voicemail', 'off')).toMatch(
      /forwards to voice mail; with the mailbox off those calls get 480\/486/,
    );
  });

  it('ext show gives the voice-mail options and counts, never the PIN', async () => {
    await f.ok('ext', 'set', '201', '--vm-pin', '4711093825', '--vm-when', 'busy,dnd');
    await leave('201', 'one');
    await leave('201', 'two');
    const text = await f.ok('ext', 'show', '201');
    expect(text).toMatch(/Voice Mail\s*│\s*on\s/);
    expect(text).toMatch(/Voice Mail When\s*│\s*busy, dnd\s/);
    expect(text).toMatch(/Voice Mail PIN\s*│\s*set\s/);
    expect(text).toMatch(/Voice Mail Messages\s*│\s*2 new, 0 old/);
    expect(text).not.toMatch(/4711093825|scrypt/);
    const json = await f.json<{ voicemail: Record<string, unknown> }>('ext', 'show', '201');
    expect(json.voicemail).toEqual({
      enabled: true,
      pin: 'set',
      onNoAnswer: false,
      onBusy: true,
      onDnd: true,
      onUnregistered: false,
      greeting: 'default',
      newMessages: 2,
      oldMessages: 0,
    });
    expect(JSON.stringify(json)).not.toMatch(/4711093825|scrypt/);
    expect(await f.ok('ext', 'show', '202')).toMatch(/Voice Mail PIN\s*│\s*not set/);
  });
});
