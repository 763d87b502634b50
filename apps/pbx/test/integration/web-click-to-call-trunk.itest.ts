/**
 * Click to call of an external number through a trunk, in a real headless Chromium (Debian's
 * `chromium` driven by playwright-core): the administrator sets the trunk up through the API,
 * the user clicks Call on a shared external contact, the PBX rings the user's own phone (a sipp
 * phone) showing the contact, then, once answered, calls the number through the trunk (Kamailio
 * as the provider's proxy, a sipp gateway whose far end rings 5 s before answering). Asserts
 * what the user sees step by step (recorded by a MutationObserver in the page, so no state is
 * missed between two polls), what the provider receives on the wire (Request-URI, From with the
 * trunk's caller ID, the user's SDP), and the call record. Then, with the media server on, that
 * the user's phone (baresip) hears the PBX's ringback (440 + 480 Hz, decoded from the RTP it
 * received) while the far end rings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchConsoleBrowser, openConsole } from '../helpers/console-browser';
import { goertzel } from '../../../../packages/media-server/test/helpers/audio';
import { startBaresipPhone } from '../helpers/baresip-phone';
import { heardFrom, startRtpCapture } from '../helpers/rtp-capture';
import { toneWav } from '../helpers/tone-wav';
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  received,
  waitFor,
} from '../helpers/calls-harness';
import { loggedIn } from '../helpers/http-client';
import { freePort } from '../helpers/sipp';
import {
  KAM_IP,
  NUMBER,
  USER,
  mainTrunk,
  mainTrunkFields,
  records,
  world,
} from '../helpers/trunk-world';

jest.setTimeout(120_000);

/** Generous: phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;

describe('click to call through a trunk, in the browser', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('rings the user, then the provider; the page follows the call live; the provider gets the trunk caller ID', async () => {
    await using w = await world('uas-gateway-ring-answer.xml');
    const { h } = w;
    const base = h.pbx.http.url;
    await h.station('201', { name: 'Alice' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.changeApplied('stations');

    // The administrator: the trunk and a shared contact, through the API.
    const admin = await loggedIn(base, 'admin', 'admin-pw-1');
    const trunk = await admin.request('POST', '/api/trunks', {
      ...mainTrunkFields(w),
      callerId: '0399990007',
    });
    expect(trunk.status).toBe(201);
    await waitFor(
      'trunk main registered',
      async () =>
        (await admin.request('GET', '/api/trunks/main')).body.status?.state === 'registered',
      WAIT,
    );
    const contact = await admin.request('POST', '/api/external-contacts', {
      name: 'Acme Plumbing',
      number: `9${NUMBER}`,
    });
    expect(contact.status).toBe(201);

    browser = await launchConsoleBrowser();
    const page = await openConsole(browser, base, '201', 'alice-cti', { timeoutMs: WAIT });
    await page.click('#tab-contacts');
    const card = page.locator('.card.external:has-text("Acme Plumbing")');
    await card.waitFor();
    // Every state the status line passes through, in order (attribute changes, none skipped).
    // (Browser code as text: this file is type-checked without the DOM library.)
    await page.evaluate(`(() => {
      const box = document.getElementById('call-status');
      const seen = (window.seen = []);
      new MutationObserver(() => {
        const state = box.dataset.state ?? '';
        const last = seen[seen.length - 1];
        if (!last || last.state !== state) seen.push({ state, text: box.textContent ?? '' });
      }).observe(box, { attributes: true, childList: true, subtree: true, characterData: true });
    })()`);

    const userPort = await freePort('udp', '127.0.0.1');
    const user = await h.phone('201', 'uas-answer-expect-reinvite-mport.xml', {
      pauseMs: 500,
      keys: { mport: String(userPort) },
    });
    await card.locator('button:has-text("Call")').click();
    await page.waitForSelector('#call-status[data-state="connected"]');
    expect(await page.textContent('#call-status')).toContain(
      `Connected to Acme Plumbing (9${NUMBER}).`,
    );
    await page.click('#call-hangup');
    await page.waitForSelector('#call-status[data-state="ended"]');
    const seen = (await page.evaluate('window.seen')) as Array<{ state: string; text: string }>;
    expect(seen.map((s) => s.state)).toEqual([
      'placing',
      'ringing-me',
      'ringing-them',
      'connected',
      'ended',
    ]);
    expect(seen[1]?.text).toContain(
      `Your phone is ringing: answer it to be connected to Acme Plumbing (9${NUMBER}).`,
    );
    expect(seen[2]?.text).toContain(`Calling Acme Plumbing (9${NUMBER})…`);

    const userDone = await user.done;
    expectPhoneOk(userDone, "the user's phone");
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway');
    // The user's phone rang first, showing the contact.
    expect(headerOf(findReceived(userDone, /^INVITE /), 'From')).toMatch(
      new RegExp(`^"Acme Plumbing" <sip:9${NUMBER}@`),
    );
    // The provider: the number without the access code, the trunk's caller ID, the user's media.
    const invite = findReceived(gw, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@${KAM_IP.replace(/\./g, '\\.')}`),
    );
    expect(headerOf(invite, 'From')).toMatch(/<sip:0399990007@127\.0\.0\.10>/);
    expect(bodyOf(invite)).toMatch(new RegExp(`^m=audio ${userPort} `, 'm'));
    // Through Kamailio with the trunk's credentials (407, then the INVITE with digest).
    expect(
      w.kam
        .requests()
        .filter((l) => l.startsWith('REQ INVITE'))
        .at(-1),
    ).toContain(`au=${USER}`);
    // The user was re-INVITEd with the provider's media once it answered.
    expect(received(userDone).filter((m) => m.startsWith('INVITE '))).toHaveLength(2);

    const rec = (await records(h)).at(-1);
    expect(rec).toMatchObject({
      callerTel: '201',
      calleeTel: NUMBER,
      dialled: `9${NUMBER}`,
      disposition: 'answered',
      trunk: 'main',
      account: '201',
    });
    // The user's history in the page shows it.
    await page.click('#tab-history');
    await page.waitForSelector(`#history-table >> text=9${NUMBER}`);
    await page.context().close();
  });

  it("the user's phone hears ringback (440 + 480 Hz) from the media server while the far end rings", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'c2c-ringback-'));
    await using w = await world('uas-gateway-ring-answer.xml', undefined, undefined, {
      musicOnHold: true,
    });
    const { h } = w;
    try {
      await h.station('201', { name: 'Alice' });
      await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
      await h.pbx.media.waitUntilAvailable(WAIT);
      await mainTrunk(w);
      // The phone's microphone: a 1000 Hz tone, so its own sound is not taken for ringback.
      const wav = path.join(dir, 'mic.wav');
      toneWav(wav, 1000, 60);
      const phone = await startBaresipPhone({
        dir,
        tel: '201',
        toneWav: wav,
        pbx: h.pbx.target,
        beforeStart: (sipPort) => h.register('201', sipPort),
      });
      try {
        const media: [number, number] = [
          h.pbx.ctx.config.media.rtpPortMin,
          h.pbx.ctx.config.media.rtpPortMax,
        ];
        const capture = await startRtpCapture({
          file: path.join(dir, 'user.pcap'),
          ranges: [phone.rtpPorts],
          maxMs: 100_000,
        });
        const alice = await loggedIn(h.pbx.http.url, '201', 'alice-cti');
        const placed = await alice.request('POST', '/api/me/calls', {
          to: `9${NUMBER}`,
          name: 'Acme Plumbing',
        });
        expect(placed.status).toBe(202);
        const ref = placed.body.ref as string;
        const call = () => h.cc.env.registry.all().find((c) => c.ref === ref);
        await waitFor('the far end answered', () => call()?.record.answeredAt != null, WAIT);
        const answeredAt = Date.now();
        expect((await alice.request('DELETE', `/api/calls/${ref}`)).status).toBe(200);
        await phone.waitForEvent((e) => e.type === 'CALL_CLOSED', WAIT);
        const packets = await capture.stop();
        // What the phone got from the media server: only the ringback (no other waiting media).
        const heard = heardFrom(packets, phone.rtpPorts, media, 0, answeredAt);
        expect(heard.length).toBeGreaterThanOrEqual(8000 * 0.5);
        const noise = goertzel(heard, 1000) + goertzel(heard, 700);
        expect(goertzel(heard, 440)).toBeGreaterThan(10 * noise);
        expect(goertzel(heard, 480)).toBeGreaterThan(10 * noise);
        expectPhoneOk(await w.gwA.done, 'gateway');
        const rec = (await records(h)).find((r) => r.callRef === ref);
        expect(rec).toMatchObject({ callerTel: '201', trunk: 'main', disposition: 'answered' });
      } finally {
        await phone.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
