/**
 * Chat groups in the web console, in a real headless Chromium (Debian's `chromium` through
 * playwright-core; nothing downloads a browser) on a phone-sized screen, against a running PBX
 * with sipp phones: a user creates a group in the chat pane, writes to it, a member's sipp phone
 * receives the MESSAGE from the group's number with the writer in the body, the phone's reply to
 * the group's number shows up live in the page, and a member added by someone else appears live.
 * Screenshots go to PBX_SCREENSHOT_DIR (default: a temporary folder).
 */
import type { Browser } from 'playwright-core';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  headerOf,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { loggedIn } from '../helpers/http-client';

jest.setTimeout(120_000);

/** Generous: phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;

describe('chat groups in the web console (Chromium)', () => {
  let h: CallsPbx;
  let browser: Browser;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol' });
    await h.station('204', { name: 'Dan' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.[Symbol.asyncDispose]();
  });

  test('create a group, write to it, a phone gets it and its reply shows live', async () => {
    const page = await openConsole(browser, h.pbx.http.url, '201', 'alice-cti', {
      viewport: { width: 390, height: 844 },
      timeoutMs: WAIT,
    });
    await page.click('#tab-chat');
    await page.click('#group-new');
    await page.fill('#group-name', 'Sales');
    await page.check('#pick-202');
    await page.check('#pick-203');
    await page.click('#group-create');
    await page.waitForSelector('#group-title:has-text("Sales · 700")');
    await page.waitForSelector('#group-members:has-text("Bob (202)")');

    // Bob's phone takes the message; Carol's phone is off (her copy waits).
    const bob = await h.phone('202', 'uas-message-200.xml', { timeoutMs: WAIT });
    await page.fill('#group-input', 'Meeting at 10?');
    await page.click('#group-send');
    const got = await bob.done;
    expectPhoneOk(got, 'phone 202 receiving the group message');
    const m = findReceived(got, /^MESSAGE /);
    expect(headerOf(m, 'From')).toMatch(/^"Sales" <sip:700@pbx\.local>/);
    expect(bodyOf(m)).toBe('Alice (201): Meeting at 10?');
    await page.waitForSelector('.msg.mine:has-text("Meeting at 10?")');

    // Bob answers from his phone to the group's number (what his phone's reply does).
    const reply = await h.call('202', '700', 'uac-message-expect-202.xml', {
      keys: { body: 'On my way' },
    });
    expectPhoneOk(reply, 'phone 202 replying to the group');
    await h.unregister('202');
    await page.waitForSelector('.msg[data-from="202"]:has-text("On my way")');
    await page.waitForSelector('.msg[data-from="202"] small:has-text("Bob (202)")');

    // Someone else (the administrator) adds Dan: the page shows it without a reload.
    const admin = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');
    const [group] = (await admin.request('GET', '/api/chat/groups')).body;
    expect(
      (await admin.request('POST', `/api/chat/groups/${group.id}/members`, { members: ['204'] }))
        .status,
    ).toBe(200);
    await page.waitForSelector('#group-members:has-text("Dan (204)")');
    await page.waitForSelector('.msg.mine:has-text("Meeting at 10?")');
    await saveShot(page, 'chat-group-mobile');

    // History in the page after a reload: both messages, Carol's copies still waiting.
    await page.reload();
    await page.waitForSelector('.msg.mine small:has-text("waiting for 203")');
    await page.waitForSelector('.msg[data-from="202"]:has-text("On my way")');
    await page.context().close();
  });
});
