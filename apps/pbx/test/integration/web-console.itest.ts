/**
 * The web console in a real headless Chromium (Debian's `chromium`, driven by playwright-core
 * with its executable path: nothing downloads a browser) against a running PBX with sipp phones:
 * a station user sees a colleague's lamp flash while a call rings and stay lit once answered,
 * chats with a phone (the phone gets a SIP MESSAGE, and its answer shows in the page), sets DND
 * and the next call is refused; the administrator sees the live call, its SIP ladder, and hangs
 * it up; click to call from the contact book, external contacts, the voice-mail list. Screenshots
 * of the main pages go to PBX_SCREENSHOT_DIR (default: a temporary folder).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import {
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { toneWav } from '../helpers/tone-wav';

jest.setTimeout(120_000);

/** Generous: phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;

describe('web console in Chromium', () => {
  let h: CallsPbx;
  let browser: Browser;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol', statusText: 'Working from home' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.changeApplied('stations');
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.[Symbol.asyncDispose]();
  });

  const open = (user: string, password: string, viewport?: { width: number; height: number }) =>
    openConsole(browser, h.pbx.http.url, user, password, {
      ...(viewport ? { viewport } : {}),
      timeoutMs: WAIT,
    });
  const shot = (page: Page, name: string) => saveShot(page, name);

  test('a wrong password shows an error and no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(h.pbx.http.url);
    await page.fill('#login-user', '201');
    await page.fill('#login-password', 'secret201');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:has-text("wrong user or password")', {
      timeout: WAIT,
    });
    expect(await page.isVisible('#logout')).toBe(false);
    await context.close();
  });

  test("a colleague's lamp flashes while a sipp call rings and stays lit once answered; the admin sees the call and its ladder", async () => {
    const alice = await open('201', 'alice-cti');
    await alice.waitForSelector('#contact-202 .lamp[data-lamp="idle"]');
    await alice.waitForSelector('#contact-203 .status-text:has-text("Working from home")');
    const admin = await open('admin', 'admin-pw-1');
    await admin.click('#tab-calls');
    await admin.waitForSelector('#no-calls');

    // Every lamp state the page shows for 202, in order: under load the ringing and answered
    // events may be drawn in quick succession, too briefly for a selector poll to see.
    // (Written as page script text: the tests compile without the DOM library.)
    await alice.evaluate(`(() => {
      const seen = [];
      window.lamps202 = seen;
      new MutationObserver(() => {
        const lamp = document.querySelector('#contact-202 .lamp');
        const now = lamp && lamp.dataset.lamp;
        if (now && seen[seen.length - 1] !== now) seen.push(now);
      }).observe(document.getElementById('contact-cards'), { childList: true, subtree: true });
    })()`);
    const lamps = (): Promise<string[]> => alice.evaluate('window.lamps202');
    const callee = await h.phone('202', 'uas-ring-pause-answer.xml', { pauseMs: 1500 });
    const caller = await h.startCall('203', '202', 'uac-invite-expect-200-recv-bye.xml');
    // A function, not text: the console's CSP refuses eval, which text predicates need.
    await alice.waitForFunction(
      () => (globalThis as { lamps202?: string[] }).lamps202?.includes('ringing') ?? false,
    );
    await shot(alice, 'contacts-ringing');
    await alice.waitForSelector('#contact-202 .lamp[data-lamp="busy"]');
    await alice.waitForSelector('#contact-203 .lamp[data-lamp="busy"]');
    // (Redraws for Carol's lamp come first, showing 202 still idle.)
    const seen = await lamps();
    expect(seen.slice(seen.indexOf('ringing'))).toEqual(['ringing', 'busy']);
    await shot(alice, 'contacts');

    const row = admin.locator('#calls-table tr[data-state="connected"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('Carol');
    await shot(admin, 'admin-live-calls');
    await row.locator('a:has-text("SIP ladder")').click();
    await admin.waitForSelector('#ladder .ladder-label:has-text("INVITE")');
    await admin.waitForSelector('#ladder .ladder-label:has-text("180 Ringing")');
    await admin.waitForSelector('#ladder .ladder-label:has-text("200 OK")');
    await shot(admin, 'admin-ladder');

    await admin.click('#tab-calls');
    await admin
      .locator('#calls-table tr[data-state="connected"] button:has-text("Hang up")')
      .click();
    await admin.waitForSelector('#no-calls');
    expectPhoneOk(await caller.done, 'caller 203');
    expectPhoneOk(await callee.done, 'callee 202');
    await alice.waitForSelector('#contact-202 .lamp[data-lamp="idle"]');

    await admin.click('#tab-status');
    await admin.waitForSelector('#status-table tr[data-tel="202"]');
    await shot(admin, 'admin-phone-status');
    await admin.click('#tab-records');
    await admin.waitForSelector('#records-table td:has-text("answered")');
    await shot(admin, 'admin-call-records');
    await admin.click('#tab-system');
    await admin.waitForSelector('#numplan-table tr');
    await admin.fill('#whitelist-entry', '127.0.0.0/8');
    await admin.click('#whitelist-add');
    await admin.waitForSelector('#whitelist-table td:has-text("127.0.0.0/8")');
    expect((await h.pbx.ctx.store.whitelist.list()).map((w) => w.cidr)).toContain('127.0.0.0/8');
    await shot(admin, 'admin-system');
    await alice.context().close();
    await admin.context().close();
  });

  test('chat: the phone gets a SIP MESSAGE, and its answer shows in the page', async () => {
    const alice = await open('201', 'alice-cti');
    const phone = await h.phone('202', 'uas-message-200.xml');
    await alice.goto(`${h.pbx.http.url}/#chat/202`);
    await alice.waitForSelector('#chat-input');
    await alice.fill('#chat-input', 'Coffee in five?');
    await alice.click('#chat-send');
    const got = await phone.done;
    expectPhoneOk(got, 'phone 202 receiving MESSAGE');
    expect(findReceived(got, /^MESSAGE /)).toContain('Coffee in five?');
    await alice.waitForSelector('.msg.mine:has-text("Coffee in five?")');
    // The phone answers; Alice's own phone is not registered, so the PBX queues it (202), and the
    // browser shows it at once.
    const answer = await h.call('202', '201', 'uac-message-expect-202.xml', {
      keys: { body: 'Yes, see you there' },
    });
    expectPhoneOk(answer, 'phone 202 answering');
    await alice.waitForSelector('.msg[data-from="202"]:has-text("Yes, see you there")');
    await shot(alice, 'chat');
    await alice.context().close();
  });

  test('DND set in the page refuses the next call; history counts it as missed (phone-sized screen)', async () => {
    const alice = await open('201', 'alice-cti', { width: 390, height: 844 });
    await alice.click('#tab-me');
    await alice.waitForSelector('#me-dnd');
    await alice.check('#me-dnd');
    await alice.waitForSelector('#me-saved:has-text("Saved.")');
    expect(h.cc.stations.peek('201')?.settings.dnd).toBe(true);
    await shot(alice, 'my-status-mobile');
    const refused = await h.call('203', '201', 'uac-invite-expect-486.xml');
    expectPhoneOk(refused, 'call to 201 in DND');
    await h.settle();
    await alice.click('#tab-history');
    await alice.waitForSelector('#count-missed b');
    expect(Number(await alice.textContent('#count-missed b'))).toBeGreaterThanOrEqual(1);
    await shot(alice, 'history-mobile');
    await alice.context().close();
  });

  test('click to call from the contact book; external contacts added and searched; voice mail heard and deleted', async () => {
    // A station of its own: 201 has a MESSAGE queued by the chat test, which its phone would
    // get first on registering.
    await h.station('204', { name: 'Dan' });
    await h.pbx.ctx.store.webAuth.setCtiPassword('204', 'dan-cti');
    await h.pbx.changeApplied('stations');
    const dan = await open('204', 'dan-cti');
    // Click to call: Dan's phone rings first (showing Bob), then Bob's; both answer.
    const mine = await h.phone('204', 'uas-answer-expect-reinvite.xml', { pauseMs: 300 });
    const bobs = await h.phone('202', 'uas-answer.xml');
    await dan.click('#tab-contacts');
    await dan.click('#call-202');
    await dan.waitForSelector('#call-status[data-state="connected"]');
    expect(await dan.textContent('#call-status')).toContain('Connected to Bob (202)');
    await shot(dan, 'click-to-call');
    await dan.click('#call-hangup');
    await dan.waitForSelector('#call-status[data-state="ended"]');
    const user = await mine.done;
    expectPhoneOk(user, "Dan's phone");
    expectPhoneOk(await bobs.done, "Bob's phone");
    expect(findReceived(user, /^INVITE /)).toMatch(/^From: "Bob" <sip:202@/m);
    await h.settle();
    const records = await h.pbx.ctx.store.cdrs.list({ ext: '204', limit: 5 });
    expect(records).toEqual([
      expect.objectContaining({ callerTel: '204', calleeTel: '202', disposition: 'answered' }),
    ]);

    // A personal contact, found by its notes; Bob's card is filtered out.
    await dan.fill('#contact-name', 'Dr. Zed');
    await dan.fill('#contact-number', '9 031-111 2222');
    await dan.fill('#contact-notes', 'dentist, Tuesdays');
    await dan.click('#contact-add');
    const card = dan.locator('.card.external:has-text("Dr. Zed")');
    await card.waitFor();
    expect(await card.getAttribute('data-number')).toBe('90311112222');
    await dan.fill('#contact-search', 'dentist');
    await dan.waitForSelector('#contact-202', { state: 'detached' });
    expect(await card.isVisible()).toBe(true);
    expect(await card.locator('button:has-text("Call")').isVisible()).toBe(true);
    await shot(dan, 'contacts-external');
    const stored = await h.pbx.ctx.store.contacts.list({ viewer: '204' });
    expect(stored).toEqual([
      expect.objectContaining({ name: 'Dr. Zed', ownerTel: '204', notes: 'dentist, Tuesdays' }),
    ]);

    // Voice mail: a kept message is listed, its recording plays from the PBX, heard, deleted.
    const store = h.pbx.ctx.store;
    const files = h.pbx.voicemail.files;
    const rel = files.messageName('204');
    mkdirSync(path.dirname(files.abs(rel)), { recursive: true });
    toneWav(files.abs(rel), 700, 1);
    const msg = await store.voicemail.addMessage({
      tel: '204',
      callerTel: '203',
      callerName: 'Carol',
      receivedAt: Date.now(),
      durationMs: 1000,
      file: rel,
    });
    await h.pbx.presence.mailboxes.set('204', await store.voicemail.counts('204'));
    await dan.click('#tab-voicemail');
    await dan.waitForSelector(`#vm-table tr[data-id="${msg.id}"][data-heard="no"]`);
    expect(await dan.textContent('#vm-new b')).toBe('1');
    // The player's source, fetched by the page with its session cookie.
    const src = await dan.getAttribute(`#vm-table tr[data-id="${msg.id}"] audio`, 'src');
    expect(src).toBe(`/api/me/voicemail/${msg.id}/audio`);
    const played = await dan.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type') };
    }, src!);
    expect(played).toEqual({ status: 200, type: 'audio/wav' });
    await shot(dan, 'voicemail');
    await dan.click(`#vm-table tr[data-id="${msg.id}"] .vm-heard`);
    await dan.waitForSelector(`#vm-table tr[data-id="${msg.id}"][data-heard="yes"]`);
    expect(await store.mailboxes.get('204')).toMatchObject({ newMessages: 0, oldMessages: 1 });
    await dan.click(`#vm-table tr[data-id="${msg.id}"] .vm-delete`);
    await dan.waitForSelector('#vm-empty');
    expect(await store.voicemail.messages('204')).toEqual([]);
    expect(await store.mailboxes.get('204')).toMatchObject({ newMessages: 0, oldMessages: 0 });
    await dan.context().close();
  });
});
