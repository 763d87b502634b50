/**
 * The administrator's chat groups page in a real headless Chromium against a running PBX: every
 * group with members and message count, create, rename, add and remove members, a group's
 * history with each member's delivery, delete; counts and members follow changes made elsewhere
 * (a station user's post, `pbx chat`) without a reload. And the API's rule the page relies on: a
 * station user sees only their groups (403 on another's, 404 on none), the administrator all.
 */
import type { Browser, Page } from 'playwright-core';
import { cliOk } from '../helpers/cli-in-process';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import { startCallsPbx, type CallsPbx } from '../helpers/calls-harness';
import { type ApiClient, type Json, loggedIn } from '../helpers/http-client';

jest.setTimeout(120_000);

const WAIT = 20_000;

describe('chat groups page of the administrator (Chromium)', () => {
  let h: CallsPbx;
  let browser: Browser;
  let page: Page;
  const api: Record<string, ApiClient> = {};

  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202', '203', '204']) {
      await h.station(tel);
      await h.pbx.ctx.store.webAuth.setCtiPassword(tel, `cti-${tel}`);
      api[tel] = await loggedIn(h.pbx.http.url, tel, `cti-${tel}`);
    }
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    api.admin = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');
    browser = await launchConsoleBrowser();
    page = await openConsole(browser, h.pbx.http.url, 'admin', 'admin-pw-1', { timeoutMs: WAIT });
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await h?.[Symbol.asyncDispose]();
  });

  const cli = async (...argv: string[]): Promise<void> => {
    await cliOk(h.pbx.dbPath, ...argv);
  };

  test('list, create, post count, members, rename, history, delete, all live', async () => {
    // A group a station user made is on the page too (the administrator sees every group).
    const theirs = await api['203']!.request('POST', '/api/chat/groups', {
      name: 'Carol’s',
      number: '730',
      members: ['204'],
    });
    expect(theirs.status).toBe(201);
    await page.click('#tab-groups');
    const carolRow = page.locator('#groups-row-730');
    await carolRow.locator('.members:has-text("203")').waitFor();
    expect(await carolRow.locator('.count').textContent()).toBe('0');

    await page.fill('#groups-new-name', 'Ops');
    await page.fill('#groups-new-number', '740');
    await page.fill('#groups-new-members', '201, 202');
    await page.click('#groups-create');
    const row = page.locator('#groups-row-740');
    await row.locator('.name:has-text("Ops")').waitFor();
    expect(await row.locator('.member').evaluateAll((n) => n.map((x) => x.dataset.tel))).toEqual([
      '201',
      '202',
    ]);

    // A member writes from their console: the count follows live.
    const [ops] = ((await api.admin!.request('GET', '/api/chat/groups')).body as Json[]).filter(
      (g) => g.number === '740',
    );
    expect(ops).toMatchObject({ createdBy: 'admin', messageCount: 0 });
    expect(
      (await api['201']!.request('POST', `/api/chat/groups/${ops.id}/messages`, { body: 'hello' }))
        .status,
    ).toBe(202);
    await row.locator('.count:text-is("1")').waitFor();

    await page.fill('#groups-add-740', '203');
    await row.locator('button:has-text("Add")').click();
    await row.locator('.member[data-tel="203"]').waitFor();
    await row.locator('.member[data-tel="202"] button.remove').click();
    await row.locator('.member[data-tel="202"]').waitFor({ state: 'detached' });
    page.once('dialog', (d) => void d.accept('Operations'));
    await row.locator('button.rename').click();
    await row.locator('.name:text-is("Operations")').waitFor();
    // `pbx chat` changes show too.
    await cli('chat', 'set', '740', '--add', '204');
    await row.locator('.member[data-tel="204"]').waitFor();
    await saveShot(page, 'admin-chat-groups');

    // The history: the message, its copies (nobody's phone is registered: waiting).
    await row.locator('a.history').click();
    await page.waitForSelector('#groups-history-title:has-text("Operations · 740")');
    const msg = page.locator('#groups-history tr', { hasText: 'hello' });
    await msg.locator('.dlv[data-tel="202"][data-state="waiting"]').waitFor();
    await page.click('a[href="#groups"]');

    page.once('dialog', (d) => void d.accept());
    await row.locator('button.delete').click();
    await row.waitFor({ state: 'detached' });
    expect((await api.admin!.request('GET', `/api/chat/groups/${ops.id}`)).status).toBe(404);
    await carolRow.waitFor();
  });

  test('a station user gets 403 on another’s group and 404 on none; the admin sees all', async () => {
    const created = await api['201']!.request('POST', '/api/chat/groups', {
      name: 'Private',
      number: '750',
      members: ['202'],
    });
    expect(created.status).toBe(201);
    const path = `/api/chat/groups/${(created.body as Json).id}`;
    const outsider = api['204']!;
    for (const [method, sub, body] of [
      ['GET', '', undefined],
      ['GET', '/messages', undefined],
      ['POST', '/messages', { body: 'hi' }],
      ['PATCH', '', { name: 'Mine' }],
      ['POST', '/members', { members: ['204'] }],
      ['DELETE', '/members/202', undefined],
      ['POST', '/leave', undefined],
      ['DELETE', '', undefined],
    ] as const) {
      const r = await outsider.request(method, `${path}${sub}`, body);
      expect({ method, sub, status: r.status, error: r.body.error }).toEqual({
        method,
        sub,
        status: 403,
        error: 'forbidden',
      });
    }
    expect((await outsider.request('GET', '/api/chat/groups/999999')).status).toBe(404);
    // A member who did not create it reads but does not manage it.
    expect((await api['202']!.request('GET', path)).status).toBe(200);
    expect((await api['202']!.request('PATCH', path, { name: 'X' })).status).toBe(403);
    expect((await api['202']!.request('DELETE', path)).status).toBe(403);
    const seen = (await outsider.request('GET', '/api/chat/groups')).body as Json[];
    expect(seen.map((g) => g.number)).not.toContain('750');
    const all = (await api.admin!.request('GET', '/api/chat/groups')).body as Json[];
    expect(all.map((g) => g.number)).toContain('750');
    // Still there, unchanged, after everything the outsider tried.
    expect((await api.admin!.request('GET', path)).body).toMatchObject({
      name: 'Private',
      members: ['201', '202'],
    });
  });
});
