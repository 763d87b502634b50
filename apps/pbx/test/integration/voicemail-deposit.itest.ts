/**
 * Voice mail deposits with sipp callers (they send no audio, which is what a silent caller is):
 * which unreached calls the mailbox takes (unregistered, DND; not when voice mail is off or the
 * condition is not chosen), a silent recording discarded at the length limit, the refusal of a
 * full mailbox, and the start-up clean-up of what a kill during a recording leaves behind
 * (a temporary file whose header was never completed, a renamed file without its row, a row
 * whose file is gone), with the lamp counts following; and the access menu driven by SIP INFO
 * alone (PIN, delete, goodbye).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashPin } from '@pbx/store';
import { wavFile } from '../../src/media/hold-tune';
import type { DepositOutcome } from '../../src/voicemail';
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { startTestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(90_000);

describe('voice mail deposits (sipp callers)', () => {
  let h: CallsPbx;
  const outcomes: Array<[string, DepositOutcome]> = [];

  beforeAll(async () => {
    h = await startCallsPbx({
      voicemail: true,
      overrides: (c) => {
        c.voicemail.maxMessageSeconds = 5;
        c.voicemail.maxMessages = 1;
      },
    });
    await h.pbx.media.waitUntilAvailable(10_000);
    for (const tel of ['201', '203', '204', '205']) await h.station(tel);
    await h.pbx.changeApplied('stations', 10_000);
    h.pbx.voicemail.onDeposit((tel, o) => outcomes.push([tel, o]));
  });

  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  test('an unregistered station: the mailbox answers; silence until the limit is discarded', async () => {
    const r = await h.call('201', '203', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 40_000,
    });
    expectPhoneOk(r, 'caller 201');
    await waitFor('the deposit outcome', () => outcomes.some(([t]) => t === '203'), 10_000);
    expect(outcomes.find(([t]) => t === '203')?.[1]).toEqual({
      kind: 'discarded',
      reason: 'silence',
    });
    expect(await h.pbx.ctx.store.voicemail.messages('203')).toEqual([]);
    const box = path.join(h.pbx.voicemail.files.root, 'boxes', '203');
    expect(fs.existsSync(box) ? fs.readdirSync(box) : []).toEqual([]);
    expect(h.pbx.presence.mailboxes.counts('203')).toEqual({ newMessages: 0, oldMessages: 0 });
  });

  test('DND goes to voice mail; with voice mail off or without the condition the caller gets 486/480', async () => {
    const store = h.pbx.ctx.store;
    await store.stations.update('204', { dnd: true }, { realm: h.pbx.ctx.config.sip.domain });
    await store.voicemail.setBox('204', { onDnd: false });
    await h.pbx.changeApplied('voicemail', 10_000);
    await h.cc.stations.load();
    expectPhoneOk(await h.call('201', '204', 'uac-invite-expect-486.xml'), 'DND, not chosen');
    await store.voicemail.setBox('204', { onDnd: true });
    await h.pbx.changeApplied('voicemail', 10_000);
    const r = await h.call('201', '204', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 40_000,
    });
    expectPhoneOk(r, 'DND to voice mail');
    await store.voicemail.setBox('205', { enabled: false });
    await h.pbx.changeApplied('voicemail', 10_000);
    expectPhoneOk(await h.call('201', '205', 'uac-invite-expect-480.xml'), 'voice mail off');
  });

  test('a full mailbox plays the refusal and hangs up; nothing is recorded', async () => {
    const store = h.pbx.ctx.store;
    const dir = path.join(h.pbx.voicemail.files.root, 'boxes', '203');
    fs.mkdirSync(dir, { recursive: true });
    const rel = path.join('boxes', '203', 'msg-planted.wav');
    fs.writeFileSync(path.join(h.pbx.voicemail.files.root, rel), wavFile(new Int16Array(800)));
    await store.voicemail.addMessage({
      tel: '203',
      callerTel: '205',
      callerName: '',
      receivedAt: Date.now(),
      durationMs: 100,
      file: rel,
    });
    const before = outcomes.length;
    const r = await h.call('201', '203', 'uac-invite-expect-200-recv-bye.xml', {
      timeoutMs: 30_000,
    });
    expectPhoneOk(r, 'caller to a full mailbox');
    await waitFor('the refusal', () => outcomes.length > before, 10_000);
    expect(outcomes.at(-1)).toEqual(['203', { kind: 'refused', reason: 'mailbox-full' }]);
    expect(fs.readdirSync(dir)).toEqual(['msg-planted.wav']);
  });

  test('SIP INFO alone drives the menu: PIN, delete (3), goodbye (#); the lamp goes off', async () => {
    const store = h.pbx.ctx.store;
    await store.voicemail.setBox('201', { pinHash: hashPin('4713') });
    await h.pbx.changeApplied('voicemail', 10_000);
    const dir = path.join(h.pbx.voicemail.files.root, 'boxes', '201');
    fs.mkdirSync(dir, { recursive: true });
    const rel = path.join('boxes', '201', 'msg-info-menu.wav');
    fs.writeFileSync(path.join(h.pbx.voicemail.files.root, rel), wavFile(new Int16Array(8000)));
    await store.voicemail.addMessage({
      tel: '201',
      callerTel: '204',
      callerName: '',
      receivedAt: Date.now(),
      durationMs: 1000,
      file: rel,
    });
    await h.pbx.presence.mailboxes.set('201', { newMessages: 1, oldMessages: 0 });
    const r = await h.call('201', '88', 'uac-vm-info-pin-delete-expect-bye.xml', {
      timeoutMs: 60_000,
      keys: { p1: '4', p2: '7', p3: '1', p4: '3' },
    });
    expectPhoneOk(r, 'phone 201 driving the menu with INFO');
    expect(await store.voicemail.messages('201')).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(h.pbx.presence.mailboxes.counts('201')).toEqual({ newMessages: 0, oldMessages: 0 });
  });
});

describe('voice mail after a kill during a recording', () => {
  test('start-up removes temporary and row-less files and rows without audio; the lamp follows', async () => {
    // Our own folder: a PBX given one leaves it in place when disposed (a restart).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vm-restart-'));
    const first = await startTestPbx({ dataDir });
    const root = first.voicemail.files.root;
    const store = first.ctx.store;
    await store.stations.create(
      { tel: '201', password: 'secret201', useWhitelist: false },
      { realm: first.ctx.config.sip.domain },
    );
    const box = path.join(root, 'boxes', '201');
    fs.mkdirSync(box, { recursive: true });
    // A kept message, one whose file vanished, a renamed file whose row was never written, and
    // a recording cut by the kill (header still says 0 bytes).
    const kept = path.join('boxes', '201', 'msg-kept.wav');
    fs.writeFileSync(path.join(root, kept), wavFile(new Int16Array(8000)));
    for (const file of [kept, path.join('boxes', '201', 'msg-vanished.wav')])
      await store.voicemail.addMessage({
        tel: '201',
        callerTel: '202',
        callerName: '',
        receivedAt: Date.now(),
        durationMs: 1000,
        file,
      });
    fs.writeFileSync(path.join(box, 'msg-norow.wav'), wavFile(new Int16Array(800)));
    const cut = wavFile(new Int16Array(4000));
    cut.writeUInt32LE(0, 40);
    fs.writeFileSync(path.join(box, 'tmp-cut.wav'), cut);
    await first[Symbol.asyncDispose]();

    const second = await startTestPbx({ dataDir });
    try {
      expect(fs.readdirSync(box)).toEqual(['msg-kept.wav']);
      const messages = await second.ctx.store.voicemail.messages('201');
      expect(messages.map((m) => m.file)).toEqual([kept]);
      expect(second.presence.mailboxes.counts('201')).toEqual({ newMessages: 1, oldMessages: 0 });
    } finally {
      await second[Symbol.asyncDispose]();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
