/**
 * A mailbox greeting set from a WAV file, against the whole PBX and its embedded media server:
 * the station's user uploads a 2300 Hz tone through the console's voice-mail page (headless
 * Chromium), a baresip caller reaching the mailbox hears that tone (what it receives is taken off
 * the wire with tcpdump and decoded); reset in the page, the next caller hears the default
 * greeting and no 2300 Hz. The API refuses bad files with 400 and a clear message, a wrong body
 * with 415, another station's user with 403; the administrator sets any mailbox's greeting.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { startBaresipPhone, type BaresipPhone } from '../helpers/baresip-phone';
import { startCallsPbx, waitFor, type CallsPbx } from '../helpers/calls-harness';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import { type ApiClient, loggedIn } from '../helpers/http-client';
import { heardOn, startRtpCapture } from '../helpers/rtp-capture';
import { silenceWav, toneWav } from '../helpers/tone-wav';
import { recordingUnderWay } from '../helpers/voicemail-recording';
import type { DepositOutcome } from '../../src/voicemail';

jest.setTimeout(180_000);

const WAIT = 20_000;
const GREETING_TONE = 2300;

/** 100 ms blocks of `samples` in which `freq` is clearly present. */
function blocksWith(samples: Int16Array, freq: number): number {
  let n = 0;
  for (let at = 0; at + 800 <= samples.length; at += 800)
    if (goertzel(samples.subarray(at, at + 800), freq) > 1e-3) n += 1;
  return n;
}

/** A WAV header and `samples` as given (for files sox would not make). */
function wavOf(opts: { channels: number; rate: number; bits: number; dataBytes: number }): Buffer {
  const b = Buffer.alloc(44 + opts.dataBytes);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + opts.dataBytes, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(opts.channels, 22);
  b.writeUInt32LE(opts.rate, 24);
  b.writeUInt32LE((opts.rate * opts.channels * opts.bits) / 8, 28);
  b.writeUInt16LE((opts.channels * opts.bits) / 8, 32);
  b.writeUInt16LE(opts.bits, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(opts.dataBytes, 40);
  return b;
}

describe('voice-mail greeting from a WAV file', () => {
  let h: CallsPbx;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let caller: BaresipPhone;
  const api: Record<string, ApiClient> = {};
  const outcomes: DepositOutcome[] = [];
  const greetingPath = '/api/stations/202/voicemail/greeting';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vm-greeting-'));
    toneWav(path.join(dir, 'greeting.wav'), GREETING_TONE, 3);
    silenceWav(path.join(dir, 'silence.wav'), 30);
    h = await startCallsPbx({ voicemail: true });
    await h.pbx.media.waitUntilAvailable(10_000);
    await h.station('201');
    await h.station('202');
    await h.pbx.changeApplied('stations', 10_000);
    h.pbx.voicemail.onDeposit((tel, o) => {
      if (tel === '202') outcomes.push(o);
    });
    for (const tel of ['201', '202']) {
      await h.pbx.ctx.store.webAuth.setCtiPassword(tel, `cti-${tel}`);
      api[tel] = await loggedIn(h.pbx.http.url, tel, `cti-${tel}`);
    }
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    api.admin = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');
    caller = await startBaresipPhone({
      dir,
      tel: '201',
      toneWav: path.join(dir, 'silence.wav'),
      pbx: h.pbx.target,
    });
    await h.register('201', caller.sipPort);
    browser = await launchConsoleBrowser();
    page = await openConsole(browser, h.pbx.http.url, '202', 'cti-202', { timeoutMs: WAIT });
  });

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await caller?.stop();
    await h?.[Symbol.asyncDispose]();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** PUTs `body` as 202's greeting as `who`. */
  async function put(who: string, body: Buffer, type = 'audio/wav') {
    const res = await fetch(`${h.pbx.http.url}${greetingPath}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api[who]!.token}`, 'content-type': type },
      body,
    });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
  }

  /** 201 calls the unregistered 202 (the mailbox answers) and returns what 201 heard. */
  async function callMailbox(): Promise<Int16Array> {
    const before = outcomes.length;
    const capture = await startRtpCapture({
      file: path.join(dir, `call-${before}.pcap`),
      ranges: [caller.rtpPorts],
      maxMs: 60_000,
    });
    let packets;
    try {
      const since = caller.events.length;
      await caller.dial('202');
      await caller.waitForEvent(
        (e) => e.type === 'CALL_ESTABLISHED' && e.peeruri === caller.uri('202'),
        WAIT,
        since,
      );
      // The recording starts after the greeting and the beep: all of the greeting was sent.
      await recordingUnderWay(path.join(h.pbx.voicemail.files.root, 'boxes', '202'), 1, 30_000);
    } finally {
      packets = await capture.stop();
    }
    const closed = caller.events.length;
    await caller.command('hangup');
    await caller.waitForEvent((e) => e.type === 'CALL_CLOSED', WAIT, closed);
    await waitFor('the deposit outcome', () => outcomes.length > before, WAIT);
    return heardOn(packets, caller.rtpPorts);
  }

  test('bad files get 400 with what is wrong; wrong body 415; another station 403', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('just some text, no audio'), /not a WAV file.*sox/],
      [
        wavOf({ channels: 2, rate: 8000, bits: 16, dataBytes: 32_000 }),
        /2 channels; it must be mono/,
      ],
      [
        wavOf({ channels: 1, rate: 44_100, bits: 16, dataBytes: 88_200 }),
        /44100 Hz; it must be 8000/,
      ],
      [wavOf({ channels: 1, rate: 8000, bits: 8, dataBytes: 8000 }), /not 16-bit PCM/],
      [wavOf({ channels: 1, rate: 8000, bits: 16, dataBytes: 1600 }), /too short/],
      [wavOf({ channels: 1, rate: 8000, bits: 16, dataBytes: 16_000 * 61 }), /61\.0 s is too long/],
      [
        wavOf({ channels: 1, rate: 8000, bits: 16, dataBytes: 16_000 }).subarray(0, 8000),
        /cut short/,
      ],
    ];
    for (const [body, message] of cases) {
      const r = await put('202', body);
      expect({ status: r.status, error: r.body.error }).toEqual({
        status: 400,
        error: 'invalid_input',
      });
      expect(r.body.message).toMatch(message);
    }
    const json = await put('202', Buffer.from('{"file":"x"}'), 'application/json');
    expect(json.status).toBe(415);
    const wav = fs.readFileSync(path.join(dir, 'greeting.wav'));
    expect((await put('201', wav)).status).toBe(403);
    expect((await api['201']!.request('DELETE', greetingPath)).status).toBe(403);
    expect((await api['201']!.request('GET', greetingPath)).status).toBe(403);
    // Nothing of that reached the mailbox.
    expect((await h.pbx.ctx.store.voicemail.box('202')).greeting).toBe('');
    // The administrator may set anyone's; 202 then resets it.
    const byAdmin = await put('admin', wav);
    expect(byAdmin).toMatchObject({ status: 200, body: { greeting: 'own', seconds: 3 } });
    expect((await api['202']!.request('DELETE', greetingPath)).body).toEqual({
      tel: '202',
      greeting: 'default',
    });
    // GET gives what callers hear: now the default greeting.
    const standard = await fetch(`${h.pbx.http.url}${greetingPath}`, {
      headers: { authorization: `Bearer ${api['202']!.token}` },
    });
    expect(standard.headers.get('x-greeting')).toBe('default');
    expect(Buffer.from(await standard.arrayBuffer()).toString('latin1', 0, 4)).toBe('RIFF');
  });

  test('uploaded in the page, callers hear it; reset in the page, they hear the default', async () => {
    await page.click('#tab-voicemail');
    await page.waitForSelector('#vm-greeting-state[data-greeting="default"]');
    // A bad file first: the page says why.
    fs.writeFileSync(path.join(dir, 'bad.wav'), 'not audio');
    await page.setInputFiles('#vm-greeting-file', path.join(dir, 'bad.wav'));
    await page.click('#vm-greeting-upload');
    await page.waitForSelector('#vm-greeting-error:has-text("not a WAV file")');
    await page.setInputFiles('#vm-greeting-file', path.join(dir, 'greeting.wav'));
    await page.click('#vm-greeting-upload');
    await page.waitForSelector('#vm-greeting-state[data-greeting="own"]');
    await saveShot(page, 'voicemail-greeting');
    // The page's player gets the file back as uploaded.
    const back = await fetch(`${h.pbx.http.url}${greetingPath}`, {
      headers: { authorization: `Bearer ${api['202']!.token}` },
    });
    expect(back.headers.get('x-greeting')).toBe('own');
    expect(Buffer.from(await back.arrayBuffer())).toEqual(
      fs.readFileSync(path.join(dir, 'greeting.wav')),
    );

    const own = await callMailbox();
    // Most of the 3 s greeting (30 blocks) came through as the tone.
    expect(blocksWith(own, GREETING_TONE)).toBeGreaterThanOrEqual(20);

    await page.click('#vm-greeting-reset');
    await page.waitForSelector('#vm-greeting-state[data-greeting="default"]');
    expect(
      fs.existsSync(path.join(h.pbx.voicemail.files.root, 'boxes', '202', 'greeting.wav')),
    ).toBe(false);
    const standard = await callMailbox();
    expect(blocksWith(standard, GREETING_TONE)).toBeLessThanOrEqual(1);
    // Not silence: the default greeting was played.
    const loud = standard.reduce((n, s) => n + (Math.abs(s) > 1000 ? 1 : 0), 0);
    expect(loud).toBeGreaterThan(8000);
  });
});
