/**
 * Chat groups live in the web console (headless Chromium) against a running PBX with sipp phones:
 * changes made with `pbx chat` (which writes SQLite directly) reach an open member's page without
 * a reload, each exactly once even when the API made it, and never reach a non-member's event
 * stream; a group message's per-member delivery (delivered / waiting / failed) updates live in
 * the writer's page as the phones answer 200, refuse with 486, or register later, and the API's
 * history says the same.
 */
import type { Browser, Page } from 'playwright-core';
import { cliOk } from '../helpers/cli-in-process';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import {
  bodyOf,
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { EventClient, type ApiClient, type Json, loggedIn } from '../helpers/http-client';
import { freePort, scenario, startSippUas } from '../helpers/sipp';

jest.setTimeout(150_000);

/** Generous: phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;

describe('chat groups live in the web console', () => {
  let h: CallsPbx;
  let browser: Browser;
  let page: Page;
  let admin: ApiClient;
  const api: Record<string, ApiClient> = {};

  beforeAll(async () => {
    h = await startCallsPbx();
    for (const [tel, name] of [
      ['201', 'Alice'],
      ['202', 'Bob'],
      ['203', 'Carol'],
      ['204', 'Dan'],
    ] as const) {
      await h.station(tel, { name });
      await h.pbx.ctx.store.webAuth.setCtiPassword(tel, `cti-${tel}`);
      api[tel] = await loggedIn(h.pbx.http.url, tel, `cti-${tel}`);
    }
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    admin = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');
    browser = await launchConsoleBrowser();
    page = await openConsole(browser, h.pbx.http.url, '201', 'cti-201', { timeoutMs: WAIT });
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await h?.[Symbol.asyncDispose]();
  });

  const cli = async (...argv: string[]): Promise<void> => {
    await cliOk(h.pbx.dbPath, ...argv);
  };

  const groupEvents = (c: EventClient, number: string): Json[] =>
    c.events.filter((e) => e.type === 'group' && e.data.number === number);

  test('pbx chat changes reach a member’s open page live, once each, and no non-member', async () => {
    const bob = await EventClient.open(h.pbx.http.url, api['202']!.token!, 'messages');
    const dan = await EventClient.open(h.pbx.http.url, api['204']!.token!, 'messages');
    try {
      await page.click('#tab-chat');
      await cli('chat', 'add', 'Sales', '--members', '201,202', '--number', '710');
      const link = page.locator('a[href^="#chat/g"]:has-text("Sales (710)")');
      await link.waitFor();
      await link.click();
      await page.waitForSelector('#group-title:has-text("Sales · 710")');

      await cli('chat', 'set', '710', '--name', 'Team');
      await page.waitForSelector('#group-title:has-text("Team · 710")');
      await cli('chat', 'set', '710', '--add', '203');
      await page.waitForSelector('#group-members:has-text("203")');
      await saveShot(page, 'chat-group-cli-live');

      // A change through the API is told once, though the change watcher sees it too.
      const [g] = (await admin.request('GET', '/api/chat/groups')).body as Json[];
      const renamed = await admin.request('PATCH', `/api/chat/groups/${g.id}`, { name: 'Desk' });
      expect(renamed.status).toBe(200);
      await page.waitForSelector('#group-title:has-text("Desk · 710")');
      // Removing Bob tells Bob (he leaves the page's list of members and his own list).
      await cli('chat', 'set', '710', '--remove', '202');
      await bob.waitFor(
        (e) => e.type === 'group' && e.data.number === '710' && !e.data.members.includes('202'),
        WAIT,
        'Bob told he was removed',
      );
      await page.waitForSelector('#group-members:not(:has-text("202"))');
      const told = groupEvents(bob, '710').map((e) => `${e.data.name}:${e.data.members.join(',')}`);
      expect(told).toEqual([
        'Sales:201,202',
        'Team:201,202',
        'Team:201,202,203',
        'Desk:201,202,203',
        'Desk:201,203',
      ]);

      // Dan is no member: nothing until he is added, then that change alone (one socket keeps
      // the hub's order, so anything published before it would have come first).
      await cli('chat', 'set', '710', '--add', '204');
      await dan.waitFor(
        (e) => e.type === 'group' && e.data.members.includes('204'),
        WAIT,
        'Dan told he was added',
      );
      expect(groupEvents(dan, '710').map((e) => e.data.members)).toEqual([['201', '203', '204']]);

      // Deleted with the CLI: the page goes back to the list, the group's link is gone.
      await cli('chat', 'remove', '710');
      await dan.waitFor((e) => e.type === 'group' && e.data.deleted === true, WAIT, 'delete');
      await page.waitForSelector('a[href^="#chat/g"]:has-text("(710)")', { state: 'detached' });
      expect(groupEvents(bob, '710')).toHaveLength(5);
    } finally {
      await bob.close();
      await dan.close();
    }
  });

  test('per-member delivery of a group message updates live: delivered, failed, waiting→delivered', async () => {
    const created = await api['201']!.request('POST', '/api/chat/groups', {
      name: 'Ops',
      number: '720',
      members: ['202', '203', '204'],
    });
    expect(created.status).toBe(201);
    const id = (created.body as Json).id as number;
    // Bob's phone takes it; Dan's refuses it (486, every time: the relay may try again while
    // he stays registered, e.g. when another message is stored); Carol's is off.
    const bobPhone = await h.phone('202', 'uas-message-200.xml', { timeoutMs: WAIT * 2 });
    const danPort = await freePort('udp', '127.0.0.1');
    const danPhone = await startSippUas({
      scenario: scenario('uas-message-486.xml'),
      localPort: danPort,
      localIp: '127.0.0.1',
      calls: 'unlimited',
      timeoutMs: WAIT * 3,
      traceMessages: true,
      keys: { tel: '204' },
    });
    await h.register('204', danPort);
    await page.goto(`${h.pbx.http.url}/#chat/g${id}`);
    await page.waitForSelector('#group-title:has-text("Ops · 720")');
    await page.waitForSelector('#live-state.on');

    await page.fill('#group-input', 'Status?');
    await page.click('#group-send');
    const msg = page.locator('.msg.mine', { hasText: 'Status?' });
    await msg.locator('.dlv[data-tel="202"][data-state="delivered"]').waitFor();
    await msg.locator('.dlv[data-tel="204"][data-state="failed"]:has-text("486")').waitFor();
    expect(await msg.locator('.dlv[data-tel="203"]').getAttribute('data-state')).toBe('waiting');
    expectPhoneOk(await bobPhone.done, 'Bob’s phone taking the group message');
    await h.unregister('204');
    const refused = await danPhone.stop();
    expect(bodyOf(findReceived(refused, /^MESSAGE /))).toBe('Alice (201): Status?');
    await saveShot(page, 'chat-group-deliveries');

    // Carol's phone registers: her copy goes out and the page turns her entry to delivered.
    const carolPhone = await h.phone('203', 'uas-message-200.xml', { timeoutMs: WAIT * 2 });
    await msg.locator('.dlv[data-tel="203"][data-state="delivered"]').waitFor();
    expectPhoneOk(await carolPhone.done, 'Carol’s phone taking the queued message');
    await h.unregister('203');
    await h.unregister('202');

    const history = await api['201']!.request('GET', `/api/chat/groups/${id}/messages`);
    expect(history.status).toBe(200);
    const [entry] = (history.body as Json).messages as Json[];
    expect(entry.body).toBe('Status?');
    expect(entry.deliveries).toEqual([
      { tel: '202', state: 'delivered', status: 200, at: expect.any(Number) },
      { tel: '203', state: 'delivered', status: 200, at: expect.any(Number) },
      { tel: '204', state: 'failed', status: 486, at: expect.any(Number) },
    ]);
    expect(entry.waitingFor).toEqual(['204']);
    // After a reload the page shows the same from the history.
    await page.reload();
    await page.waitForSelector('.msg.mine .dlv[data-tel="204"][data-state="failed"]');
    await page.waitForSelector('.msg.mine .dlv[data-tel="203"][data-state="delivered"]');
  });
});
