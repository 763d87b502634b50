/**
 * Voice mail with real phones and real audio, against the whole PBX and its embedded media
 * server. A baresip caller sending an 1850 Hz tone calls 202, which rings at a sipp phone that
 * never answers; after 202's no-answer time the mailbox answers, and the caller is recorded until
 * it hangs up. The stored WAV is decoded: it holds the caller's tone. 202's lamp is watched by a
 * sipp subscriber (message-summary NOTIFYs: on when the message is left, off when it is heard,
 * then deleted). The owner, a baresip phone, dials the access code 88, keys a wrong PIN and then
 * the right one with RFC 4733 DTMF, hears the message (what it receives is taken off the wire with
 * tcpdump and decoded: the caller's tone is there, no prompt is above 1500 Hz), deletes it (3) and
 * leaves (#). A wrong PIN three times ends the call, with RFC 4733 (baresip) and with SIP INFO
 * (sipp).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashPin } from '@pbx/store';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { expectPhoneOk, startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { notifies } from '../helpers/event-watchers';
import { heardOn, startRtpCapture } from '../helpers/rtp-capture';
import type { DepositOutcome } from '../../src/voicemail';
import { readPcm16 } from '../../src/voicemail/wav-audit';
import { toneWav } from '../helpers/tone-wav';
import { recordingUnderWay } from '../helpers/voicemail-recording';

jest.setTimeout(150_000);

const CALLER_TONE = 1850;
const OWNER_TONE = 600;
const PIN = '2580';

/** 100 ms blocks of `samples` in which `freq` is clearly present. */
function blocksWith(samples: Int16Array, freq: number): number {
  let n = 0;
  for (let at = 0; at + 800 <= samples.length; at += 800) {
    const block = samples.subarray(at, at + 800);
    if (goertzel(block, freq) > 1e-3) n += 1;
  }
  return n;
}

function summary(body: string): string {
  const m = /^voice-message:\s*(\S+)/im.exec(body);
  const w = /^messages-waiting:\s*(\S+)/im.exec(body);
  return `${w?.[1] ?? '?'} ${m?.[1] ?? '?'}`;
}

describe('voice mail with baresip phones, audio decoded', () => {
  let h: CallsPbx;
  let dir: string;
  const phones: BaresipPhone[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voicemail-audio-'));
    for (const [name, freq] of [
      ['caller', CALLER_TONE],
      ['owner', OWNER_TONE],
    ] as const) {
      toneWav(path.join(dir, `tone-${name}.wav`), freq, 150);
    }
    h = await startCallsPbx({
      voicemail: true,
      overrides: (c) => {
        c.voicemail.maxMessageSeconds = 30;
      },
    });
    await h.pbx.media.waitUntilAvailable(10_000);
    await h.station('201');
    await h.station('202', { forwardNoAnswerTimer: 2 });
    await h.pbx.changeApplied('stations', 10_000);
    await h.pbx.ctx.store.voicemail.setBox('202', { pinHash: hashPin(PIN) });
    await h.pbx.ctx.store.voicemail.setBox('201', { pinHash: hashPin(PIN) });
    await h.pbx.changeApplied('voicemail', 10_000);
  });

  afterAll(async () => {
    for (const p of phones) await p.stop();
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function phone(tel: string, tone: 'caller' | 'owner'): Promise<BaresipPhone> {
    const p = await startBaresipPhone({
      dir,
      tel,
      toneWav: path.join(dir, `tone-${tone}.wav`),
      pbx: h.pbx.target,
    });
    phones.push(p);
    await h.register(tel, p.sipPort);
    return p;
  }

  async function keys(p: BaresipPhone, digits: string): Promise<void> {
    for (const d of digits) await p.command('sndcode', d);
  }

  const mwiSub = () =>
    h.pbx.presence.notifier
      .list()
      .find((s) => s.event === 'message-summary' && s.resource === '202');

  test('no answer → message with the caller’s tone; lamp on; owner hears it, deletes it; lamp off', async () => {
    const store = h.pbx.ctx.store;
    const deposits: DepositOutcome[] = [];
    h.pbx.voicemail.onDeposit((station, o) => {
      if (station === '202') deposits.push(o);
    });
    // 202 rings at a phone that never answers; its lamp is watched from 202's address.
    const ringer = await h.phone('202', 'uas-ring-expect-cancel.xml', { timeoutMs: 60_000 });
    const watcher = await h.startCall('202', '202', 'uac-subscribe-mwi-vm.xml', {
      unregistered: true,
      timeoutMs: 120_000,
    });
    await waitFor('the lamp subscription', () => (mwiSub()?.version ?? 0) >= 1, 10_000);

    const caller = await phone('201', 'caller');
    const since = caller.events.length;
    await caller.dial('202');
    await caller.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === caller.uri('202'),
      20_000,
      since,
    );
    // The recording is under way once a temporary file holds 2 s of audio.
    const box = path.join(h.pbx.voicemail.files.root, 'boxes', '202');
    await recordingUnderWay(box);
    await caller.command('hangup');
    await waitFor('the deposit', () => deposits.length === 1, 20_000);
    expect(deposits[0]).toMatchObject({ kind: 'kept' });
    expectPhoneOk(await ringer.done, 'ringing 202');

    const [msg] = await store.voicemail.messages('202');
    expect(msg).toMatchObject({ callerTel: '201', heard: false });
    const file = h.pbx.voicemail.files.abs(msg!.file);
    const { samples } = await readPcm16(file);
    expect(samples.length).toBeGreaterThan(16_000);
    // The caller's tone, and not the prompts' (the caller's side only is recorded).
    // Most of it (a loaded machine may leave a gap the jitter buffer fills with silence).
    expect(blocksWith(samples, CALLER_TONE)).toBeGreaterThan((samples.length / 800) * 0.5);
    expect(goertzel(samples, CALLER_TONE)).toBeGreaterThan(100 * goertzel(samples, 1000));
    expect(fs.readdirSync(box).filter((f) => f.startsWith('tmp-'))).toEqual([]);
    await waitFor('lamp on', () => (mwiSub()?.version ?? 0) >= 2, 10_000);

    // The owner dials in from its own phone.
    await h.unregister('202');
    const owner = await phone('202', 'owner');
    const capFile = path.join(dir, 'owner.pcap');
    const capture = await startRtpCapture({
      file: capFile,
      ranges: [owner.rtpPorts],
      maxMs: 120_000,
    });
    let packets;
    try {
      const before = owner.events.length;
      await owner.dial('88');
      await owner.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === owner.uri('88'),
        20_000,
        before,
      );
      // A wrong PIN first (the menu asks again), then the right one.
      await keys(owner, `1111#${PIN}#`);
      await waitFor(
        'the message heard to its end',
        async () => (await store.voicemail.counts('202')).oldMessages === 1,
        60_000,
      );
      await waitFor('lamp off (heard)', () => (mwiSub()?.version ?? 0) >= 3, 10_000);
    } finally {
      packets = await capture.stop();
    }
    const heard = heardOn(packets, owner.rtpPorts);
    // At least one second of the caller's tone reached the owner.
    expect(blocksWith(heard, CALLER_TONE)).toBeGreaterThanOrEqual(10);

    await keys(owner, '3');
    // The row goes first, then the file.
    await waitFor(
      'the message and its file deleted',
      async () => (await store.voicemail.messages('202')).length === 0 && !fs.existsSync(file),
      15_000,
    );
    const closedAt = owner.events.length;
    await keys(owner, '#');
    await owner.waitForEvent(
      (e) => e.type === 'CALL_CLOSED' && e.peeruri === owner.uri('88'),
      20_000,
      closedAt,
    );

    const r = await watcher.done;
    expectPhoneOk(r, 'lamp watcher');
    expect(notifies(r).map((n) => summary(n.body))).toEqual([
      'no 0/0',
      'yes 1/0',
      'no 0/1',
      'no 0/0',
      'no 0/0',
    ]);
  });

  test('a wrong PIN three times ends the call (RFC 4733 from baresip)', async () => {
    const owner = phones.find((p) => p.tel === '202') ?? (await phone('202', 'owner'));
    const before = owner.events.length;
    await owner.dial('88');
    await owner.waitForEvent(
      (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === owner.uri('88'),
      20_000,
      before,
    );
    await keys(owner, '0000#0000#0000#');
    await owner.waitForEvent(
      (e) => e.type === 'CALL_CLOSED' && e.peeruri === owner.uri('88'),
      30_000,
      before,
    );
    await waitFor(
      'the call gone at the PBX',
      () => h.cc.env.registry.all().every((c) => c.record.kind !== 'voicemail'),
      10_000,
    );
  });

  test('a wrong PIN three times ends the call (SIP INFO from sipp)', async () => {
    const r = await h.call('201', '88', 'uac-vm-info-wrong-pin-expect-bye.xml', {
      timeoutMs: 60_000,
    });
    expectPhoneOk(r, 'phone 201 keying with INFO');
  });
});
