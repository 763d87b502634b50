/**
 * The administrator's trunk and billing pages against a real provider: Kamailio with digest
 * authentication and a sipp PSTN gateway behind it (helpers/trunk-world.ts), driven from
 * headless Chromium. A trunk added through the form registers (the page's state column turns
 * "registered" by itself), `pbx trunk list` shows it, an LCR route, a station account and a rate
 * added through the forms make the next call leave through the trunk with the form's caller ID,
 * and the account's statement in the page shows the call's charge.
 */
import type { Browser } from 'playwright-core';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import { expectPhoneOk, findReceived, headerOf } from '../helpers/calls-harness';
import {
  KAM_IP,
  NUMBER,
  PASSWORD,
  USER,
  pbxCli,
  records,
  world,
  type World,
} from '../helpers/trunk-world';

jest.setTimeout(120_000);

/** Generous: registration and phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;

describe('web console: a trunk to Kamailio added through the form', () => {
  let w: World;
  let browser: Browser;

  beforeAll(async () => {
    w = await world();
    await w.h.station('201', { name: 'Alice' });
    await w.h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await w.h.pbx.changeApplied('stations');
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.[Symbol.asyncDispose]();
  });

  test('registers, routes a call with the caller ID from the form, and the call is on the statement', async () => {
    const { h } = w;
    const admin = await openConsole(browser, h.pbx.http.url, 'admin', 'admin-pw-1', {
      timeoutMs: WAIT,
    });
    // The first view drawn before another tab is asked for (it could overdraw it otherwise).
    await admin.waitForSelector('#status-table');
    await admin.click('#tab-trunks');
    await admin.waitForSelector('#no-trunks');
    await admin.fill('#trunk-name', 'main');
    await admin.fill('#trunk-host', KAM_IP);
    await admin.fill('#trunk-port', String(w.kam.port));
    await admin.selectOption('#trunk-transport', 'tcp');
    await admin.fill('#trunk-username', USER);
    await admin.fill('#trunk-password', PASSWORD);
    await admin.fill('#trunk-realm', 'itsp.test');
    await admin.fill('#trunk-callerId', '0399990001');
    await admin.click('#trunk-save');
    await admin.waitForSelector('#trunks-table tr[data-name="main"]');
    // Nothing reloads the page: the state column follows the registration.
    await admin
      .waitForSelector('#trunks-table tr[data-name="main"] [data-state="registered"]')
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\nkamailio:\n${w.kam.log().slice(-3000)}`);
      });
    expect(await admin.content()).not.toContain(PASSWORD);
    const listed = await pbxCli(h, 'trunk', 'list');
    expect(listed).toMatch(/main/);
    expect(listed).toMatch(/registered/);
    await saveShot(admin, 'admin-trunk-registered');

    // An LCR route for every number, from the trunk's edit page.
    await admin.click('#trunk-edit-main');
    await admin.fill('#route-prefix', 'any');
    await admin.fill('#route-priority', '5');
    await admin.click('#route-add');
    await admin.waitForSelector('#routes-table tr[data-prefix="any"]');

    // Billing: station 201's account and a rate for 03…, through the billing forms.
    await admin.click('#tab-billing');
    await admin.fill('#account-id', '201');
    await admin.selectOption('#account-kind', 'postpaid');
    await admin.click('#account-add');
    await admin.waitForSelector('#accounts-table tr[data-id="201"]');
    await admin.fill('#rates-csv', '03,0.10,60,60,0\n');
    await admin.click('#rates-import');
    await admin.waitForSelector('#rates-table tr[data-prefix="03"]');

    const call = await h.call('201', `9${NUMBER}`, 'uac-invite-expect-200.xml', { pauseMs: 300 });
    expectPhoneOk(call, 'station 201');
    const gw = await w.gwA.done;
    expectPhoneOk(gw, 'gateway A');
    const invite = findReceived(gw, /^INVITE /);
    expect(invite?.split('\r\n')[0]).toMatch(
      new RegExp(`^INVITE sip:${NUMBER}@${KAM_IP.replace(/\./g, '\\.')}`),
    );
    expect(headerOf(invite, 'From')).toMatch(/<sip:0399990001@127\.0\.0\.10>/);
    expect((await records(h)).at(-1)).toMatchObject({
      callerTel: '201',
      trunk: 'main',
      account: '201',
      charge: 100_000,
    });

    await admin.click('#account-open-201');
    await admin.waitForSelector('#account-detail');
    // The call's charge among the account's recent postings.
    await admin.waitForSelector(`#ledger-table td:has-text("call to ${NUMBER} on main")`);
    expect(await admin.textContent('#ledger-table tbody')).toContain('-0.10');
    await admin.click('#statement-show');
    await admin.waitForSelector('#statement');
    const lines = (await admin.textContent('#statement'))!.trim().split(/\r?\n/);
    expect(lines[1]).toMatch(new RegExp(`,201,${NUMBER},main,[\\d.]+,0\\.10$`));
    expect(lines[2]).toBe(',,,,total,0.10');
    await saveShot(admin, 'admin-account-statement');
    await admin.context().close();
  });
});
