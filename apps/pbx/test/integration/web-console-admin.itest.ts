/**
 * The administrator's console pages for the number plan, trunks and billing, in a real headless
 * Chromium against a running PBX with sipp phones: a ring group created through the form rings
 * its members (INVITEs on the wire, the first to answer wins); a feature code changed through
 * the form is what a phone dials next (OfficeServ 480 and the DND state), the old code is
 * unknown; a clash shows the API's message inline; a trunk added and edited through the form
 * exists with its DID and stored (never shown) password; a rate CSV with a bad line shows that
 * line's error beside the form; accounts, statements and auth codes; a station user sees none of
 * these pages and the API refuses them (403). Pages are checked at 390×844 for sideways overflow.
 */
import type { Browser, Page } from 'playwright-core';
import { launchConsoleBrowser, openConsole, saveShot } from '../helpers/console-browser';
import {
  expectPhoneOk,
  findReceived,
  startCallsPbx,
  type CallsPbx,
} from '../helpers/calls-harness';
import { loggedIn } from '../helpers/http-client';

jest.setTimeout(120_000);

/** Generous: phone-level events under a loaded machine (COMMON.md). */
const WAIT = 20_000;
const PHONE = { width: 390, height: 844 };

describe('web console: administrator pages for codes, ring groups, trunks and billing', () => {
  let h: CallsPbx;
  let browser: Browser;

  beforeAll(async () => {
    h = await startCallsPbx();
    await h.station('201', { name: 'Alice' });
    await h.station('202', { name: 'Bob' });
    await h.station('203', { name: 'Carol' });
    await h.pbx.ctx.store.webAuth.setAdminPassword('admin-pw-1');
    await h.pbx.ctx.store.webAuth.setCtiPassword('201', 'alice-cti');
    await h.pbx.changeApplied('stations');
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.[Symbol.asyncDispose]();
  });

  /**
   * A logged-in page once its first view is drawn (the phone status board, or a station user's
   * contacts): a tab clicked earlier could be overdrawn by that first view arriving late.
   */
  const open = async (
    user: string,
    password: string,
    viewport?: { width: number; height: number },
  ) => {
    const page = await openConsole(browser, h.pbx.http.url, user, password, {
      ...(viewport ? { viewport } : {}),
      timeoutMs: WAIT,
    });
    await page.waitForSelector(user === 'admin' ? '#status-table' : '#contact-cards');
    return page;
  };
  /** True when the page is wider than its window (a phone would scroll sideways). */
  const overflows = (page: Page): Promise<boolean> =>
    page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1');

  test('ring group: created through the form, a sipp call to its number rings the members; edited, deleted with confirmation', async () => {
    const admin = await open('admin', 'admin-pw-1');
    await admin.click('#tab-plan');
    await admin.waitForSelector('#no-groups');

    // Required field: the browser refuses the submit, nothing reaches the API.
    await admin.click('#group-save');
    expect(
      await admin.evaluate("document.getElementById('group-number').validity.valueMissing"),
    ).toBe(true);
    expect(await h.pbx.ctx.store.ringGroups.list()).toEqual([]);

    // The API's 400, inline.
    await admin.fill('#group-number', '500');
    await admin.fill('#group-members', '202, x1');
    await admin.click('#group-save');
    await admin.waitForSelector(
      '#group-form-error:has-text("members: \\"x1\\" is not a station number")',
    );
    // A clash with a station's number (409), inline too.
    await admin.fill('#group-number', '202');
    await admin.fill('#group-members', '203');
    await admin.click('#group-save');
    await admin.waitForSelector('#group-form-error:has-text("202")');
    expect(await h.pbx.ctx.store.ringGroups.list()).toEqual([]);

    await admin.fill('#group-number', '500');
    await admin.fill('#group-name', 'Sales');
    await admin.fill('#group-members', '202, 203');
    await admin.fill('#group-voicemail', '203');
    await admin.fill('#group-voicemail-after', '20');
    await admin.click('#group-save');
    const row = admin.locator('#ring-groups-table tr[data-number="500"]');
    await row.waitFor();
    await admin.waitForSelector(
      '#ring-groups-table tr[data-number="500"] td:has-text("mailbox 203 after 20 s")',
    );
    expect(await row.textContent()).toContain('202, 203');
    expect(h.cc.plan.group('500')).toMatchObject({
      members: ['202', '203'],
      voicemail: { station: '203', afterSeconds: 20 },
    });
    await saveShot(admin, 'admin-ring-groups');

    // Both members get the INVITE; 203 answers, 202 is cancelled.
    const bob = await h.phone('202', 'uas-ring-expect-cancel.xml');
    const carol = await h.phone('203', 'uas-answer.xml');
    expectPhoneOk(
      await h.call('201', '500', 'uac-invite-expect-200.xml', { pauseMs: 200 }),
      'caller 201',
    );
    const bobGot = await bob.done;
    const carolGot = await carol.done;
    expectPhoneOk(bobGot, 'member 202');
    expectPhoneOk(carolGot, 'member 203');
    expect(findReceived(bobGot, /^INVITE /)).toMatch(/^From: "Alice" <sip:201@/m);
    expect(findReceived(carolGot, /^INVITE /)).toMatch(/^From: "Alice" <sip:201@/m);
    expect(findReceived(bobGot, /^CANCEL /)).toBeDefined();

    // Edit: members in a new order, the voice-mail overflow (the API's rule shown inline).
    await admin.click('#group-edit-500');
    await admin.waitForSelector('#group-form h3:has-text("Edit ring group 500")');
    await admin.fill('#group-members', '203, 202');
    await admin.fill('#group-voicemail-after', '700');
    await admin.fill('#group-voicemail', '203');
    // (The browser's own max check is what a phone user sees first; remove it to reach the API.)
    await admin.evaluate("document.getElementById('group-voicemail-after').removeAttribute('max')");
    await admin.click('#group-save');
    await admin.waitForSelector('#group-form-error:has-text("voicemailAfter")');
    await admin.fill('#group-voicemail-after', '15');
    await admin.click('#group-save');
    await admin.waitForSelector(
      '#ring-groups-table tr[data-number="500"] td:has-text("mailbox 203 after 15 s")',
    );
    expect(h.cc.plan.group('500')).toMatchObject({
      members: ['203', '202'],
      voicemail: { station: '203', afterSeconds: 15 },
    });

    // A group created with an overflow the API refuses: created, and its edit form says why.
    await admin.fill('#group-number', '501');
    await admin.fill('#group-members', '202');
    await admin.fill('#group-voicemail', 'abc');
    await admin.click('#group-save');
    await admin.waitForSelector('#group-form h3:has-text("Edit ring group 501")');
    await admin.waitForSelector(
      '#group-form-error:has-text("was created, but its voice-mail overflow was not set: voicemail: \\"abc\\" is not a station number")',
    );
    expect(await h.pbx.ctx.store.ringGroups.get('501')).toMatchObject({
      members: ['202'],
      voicemail: null,
    });
    await admin.click('#group-cancel');
    await admin.waitForSelector('#group-form h3:has-text("New ring group")');
    await admin.click('#group-delete-501');
    await admin.click('#group-delete-501-confirm');
    await admin.waitForSelector('#ring-groups-table tr[data-number="500"]:only-child');

    // Delete asks first; Cancel keeps the group.
    await admin.click('#group-delete-500');
    await admin.waitForSelector('#group-delete-500-confirm');
    await admin.click('#ring-groups-table button:has-text("Cancel")');
    await admin.waitForSelector('#group-delete-500');
    expect(h.cc.plan.group('500')).toBeDefined();
    await admin.click('#group-delete-500');
    await admin.click('#group-delete-500-confirm');
    await admin.waitForSelector('#no-groups');
    expect(h.cc.plan.group('500')).toBeUndefined();
    await admin.context().close();
  });

  test('feature code changed through the form: the phone dials the new code (480, DND set), the old code is unknown; a clash is shown inline', async () => {
    const admin = await open('admin', 'admin-pw-1');
    await admin.click('#tab-plan');
    await admin.waitForSelector('#codes-table tr[data-feature="dnd"]');
    expect(await admin.inputValue('#code-dnd')).toBe('40');

    // A station's number: the API's 409 message next to the code.
    await admin.fill('#code-dnd', '201');
    await admin.click('#code-save-dnd');
    await admin.waitForSelector('#code-error-dnd:has-text("201")');
    expect(h.cc.plan.plan().codes.dnd).toBe('40');

    await admin.fill('#code-dnd', '47');
    await admin.click('#code-save-dnd');
    await admin.waitForSelector('#codes-table tr[data-feature="dnd"].changed');
    expect(await admin.inputValue('#code-dnd')).toBe('47');
    expect(h.cc.plan.plan().codes.dnd).toBe('47');
    await saveShot(admin, 'admin-feature-codes');

    expectPhoneOk(await h.call('202', '471', 'uac-invite-expect-480.xml'), '202 dialling 471');
    await h.settle();
    expect((await h.pbx.ctx.store.stations.get('202'))?.dnd).toBe(true);
    // The old "DND off" code no longer turns it off: an unknown number.
    expectPhoneOk(await h.call('202', '400', 'uac-invite-expect-404.xml'), '202 dialling 400');
    await h.settle();
    expect((await h.pbx.ctx.store.stations.get('202'))?.dnd).toBe(true);
    expectPhoneOk(await h.call('202', '470', 'uac-invite-expect-480.xml'), '202 dialling 470');
    await h.settle();
    expect((await h.pbx.ctx.store.stations.get('202'))?.dnd).toBe(false);

    // Clear, then reset to the default.
    await admin.click('#code-clear-dnd');
    await admin.waitForSelector('#code-dnd[value=""]');
    expect(h.cc.plan.plan().codes.dnd).toBeNull();
    await admin.click('#code-reset-dnd');
    await admin.waitForSelector('#codes-table tr[data-feature="dnd"]:not(.changed)');
    expect(await admin.inputValue('#code-dnd')).toBe('40');
    expect(h.cc.plan.plan().codes.dnd).toBe('40');
    const audit = await h.pbx.ctx.store.audit.list({ action: 'numplan set' });
    expect(audit[0]).toMatchObject({ actor: 'web:admin', details: { feature: 'dnd', code: '47' } });
    await admin.context().close();
  });

  test('trunk added and edited through the form: stored with its DID and route, the password never shown back', async () => {
    const admin = await open('admin', 'admin-pw-1');
    await admin.click('#tab-trunks');
    await admin.waitForSelector('#no-trunks');
    // The API's message for a bad field, inline (a name the browser accepts, a bad port).
    await admin.fill('#trunk-name', 'office');
    await admin.fill('#trunk-host', '127.0.0.1');
    await admin.fill('#trunk-port', '70000');
    await admin.evaluate("document.getElementById('trunk-port').removeAttribute('max')");
    await admin.click('#trunk-save');
    await admin.waitForSelector('#trunk-form-error li[data-path="port"]');
    expect(await h.pbx.ctx.store.trunks.list()).toEqual([]);

    await admin.fill('#trunk-port', '5999');
    await admin.selectOption('#trunk-transport', 'tcp');
    await admin.fill('#trunk-username', 'office1');
    await admin.fill('#trunk-password', 'trunk-secret-9');
    await admin.fill('#trunk-callerId', '0311112222');
    await admin.uncheck('#trunk-register');
    await admin.fill('#trunk-dids', '0312345=203');
    await admin.click('#trunk-save');
    const row = admin.locator('#trunks-table tr[data-name="office"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('0312345 → 203');
    const stored = await h.pbx.ctx.store.trunks.get('office');
    expect(stored).toMatchObject({
      host: '127.0.0.1',
      port: 5999,
      transport: 'tcp',
      username: 'office1',
      callerId: '0311112222',
      register: false,
      hasPassword: true,
    });
    expect(await h.pbx.ctx.store.trunks.password('office')).toBe('trunk-secret-9');
    expect(await h.pbx.ctx.store.trunks.dids('office')).toEqual([
      { did: '0312345', trunk: 'office', target: '203' },
    ]);

    // Edit: the password field is empty (write-only); saving without typing one keeps it.
    await admin.click('#trunk-edit-office');
    await admin.waitForSelector('#trunk-form h3:has-text("Edit trunk office")');
    expect(await admin.inputValue('#trunk-password')).toBe('');
    expect(await admin.content()).not.toContain('trunk-secret-9');
    await admin.fill('#trunk-callerId', '0399998888');
    await admin.click('#trunk-save');
    await admin.waitForSelector('#trunks-table tr[data-name="office"] td:has-text("0399998888")');
    expect(await h.pbx.ctx.store.trunks.get('office')).toMatchObject({
      callerId: '0399998888',
      hasPassword: true,
    });
    expect(await h.pbx.ctx.store.trunks.password('office')).toBe('trunk-secret-9');

    // An LCR route and a second DID from the edit page.
    await admin.click('#trunk-edit-office');
    await admin.fill('#route-prefix', '0');
    await admin.fill('#route-priority', '5');
    await admin.fill('#route-strip', '1');
    await admin.click('#route-add');
    await admin.waitForSelector('#routes-table tr[data-prefix="0"]');
    await admin.fill('#did-number', '0312346');
    await admin.click('#did-add');
    await admin.waitForSelector('#dids-table tr[data-did="0312346"]');
    const api = await loggedIn(h.pbx.http.url, 'admin', 'admin-pw-1');
    const shown = (await api.request('GET', '/api/trunks/office')).body;
    expect(shown.routes).toEqual([
      { prefix: '0', trunk: 'office', priority: 5, strip: 1, addPrefix: '' },
    ]);
    expect(shown.dids).toHaveLength(2);
    expect(JSON.stringify(shown)).not.toContain('trunk-secret-9');
    const audit = await h.pbx.ctx.store.audit.list({ limit: 20 });
    expect(JSON.stringify(audit)).not.toContain('trunk-secret-9');
    expect(await admin.textContent('#view')).not.toMatch(/null|undefined/);
    await saveShot(admin, 'admin-trunks');
    await admin.click('#route-remove-0');
    await admin.click('#route-remove-0-confirm');
    await admin.waitForSelector('#routes-table tbody:empty', { state: 'attached' });
    expect(await h.pbx.ctx.store.trunks.routes()).toEqual([]);

    // Remove with confirmation.
    await admin.goto(`${h.pbx.http.url}/#trunks`);
    await admin.waitForSelector('#trunk-form h3:has-text("New trunk")');
    await admin.click('#trunk-remove-office');
    await admin.click('#trunk-remove-office-confirm');
    await admin.waitForSelector('#no-trunks');
    expect(await h.pbx.ctx.store.trunks.get('office')).toBeUndefined();
    await admin.context().close();
  });

  test('billing on a phone screen: a rate CSV with a bad line shows that line beside the form; accounts, statement, auth codes', async () => {
    const admin = await open('admin', 'admin-pw-1', PHONE);
    await admin.click('#tab-billing');
    await admin.waitForSelector('#no-rates');

    await admin.setInputFiles('#rates-file', {
      name: 'rates.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'prefix,per_minute,minimum,increment,setup_fee\n03,0.05,60,60,0\n04,abc,60,60,0\n',
      ),
    });
    // (A function, not text: the console's CSP refuses eval.)
    await admin.waitForFunction(() =>
      (
        globalThis as { document?: { getElementById(id: string): { value: string } | null } }
      ).document
        ?.getElementById('rates-csv')
        ?.value.includes('04,abc'),
    );
    await admin.click('#rates-import');
    const bad = admin.locator('#rates-form-error li[data-path="line 3 per_minute"]');
    await bad.waitFor();
    expect(await bad.textContent()).toContain('line 3 per_minute');
    expect(await h.pbx.ctx.store.billing.rates()).toEqual([]);
    await saveShot(admin, 'admin-rates-error-mobile');
    expect(await overflows(admin)).toBe(false);

    await admin.fill('#rates-csv', '03,0.05,60,60,0\n0,0.2,30,6,0.1\n');
    await admin.click('#rates-import');
    await admin.waitForSelector('#rates-table tr[data-prefix="03"] td:has-text("0.05")');
    expect(await h.pbx.ctx.store.billing.rates()).toHaveLength(2);

    // Accounts: the kind rule inline; then a flat account, its charges and statement.
    await admin.fill('#account-id', 'a b');
    await admin.evaluate("document.getElementById('account-id').removeAttribute('pattern')");
    await admin.click('#account-add');
    await admin.waitForSelector('#account-form-error:has-text("must be 1 to 32 of letters")');
    await admin.fill('#account-id', 'acme');
    await admin.fill('#account-name', 'Acme');
    await admin.selectOption('#account-kind', 'flat');
    await admin.fill('#account-fee', '12.50');
    await admin.click('#account-add');
    await admin.waitForSelector('#accounts-table tr[data-id="acme"] td:has-text("12.50")');
    expect(await h.pbx.ctx.store.billing.account('acme')).toMatchObject({
      kind: 'flat',
      flatFee: 12_500_000,
    });
    await admin.click('#account-open-acme');
    await admin.waitForSelector('#account-detail');
    await admin.fill('#topup-amount', '5');
    await admin.click('#topup-add');
    await admin.waitForSelector('#ledger-table td:has-text("top-up")');
    await admin.click('#statement-show');
    await admin.waitForSelector('#statement');
    // The statement lists the charged calls (none yet) and their total, as the CLI's CSV.
    expect(await admin.textContent('#statement')).toMatch(
      /^start,caller,number,trunk,duration_s,charge\r?\n,,,,total,0\.00\r?\n$/,
    );
    expect(await admin.getAttribute('#statement-download', 'href')).toMatch(
      /^\/api\/accounts\/acme\/statement\?since=\d+&until=\d+$/,
    );

    await admin.fill('#authcode-code', '4');
    await admin.evaluate("document.getElementById('authcode-code').removeAttribute('pattern')");
    await admin.fill('#authcode-account', 'acme');
    await admin.click('#authcode-add');
    await admin.waitForSelector('#authcode-form-error:has-text("must be 2 to 12 digits")');
    expect(await h.pbx.ctx.store.billing.authCodes()).toEqual([]);
    await admin.fill('#authcode-code', '4711');
    await admin.click('#authcode-add');
    await admin.waitForSelector('#authcodes-table tr[data-code="4711"]');
    expect(await h.pbx.ctx.store.billing.authCodes()).toEqual([
      { code: '4711', account: 'acme', note: '' },
    ]);
    expect(await admin.textContent('#view')).not.toMatch(/null|undefined/);
    await saveShot(admin, 'admin-billing-mobile');
    expect(await overflows(admin)).toBe(false);

    for (const tab of ['plan', 'trunks']) {
      await admin.click(`#tab-${tab}`);
      await admin.waitForSelector(tab === 'plan' ? '#codes-table' : '#trunk-form');
      expect([tab, await overflows(admin)]).toEqual([tab, false]);
      await saveShot(admin, `admin-${tab}-mobile`);
    }
    await admin.context().close();
  });

  test('a station user has none of these tabs, a direct link shows the refusal, and the API answers 403', async () => {
    const codes = h.cc.plan.plan().codes;
    const alice = await open('201', 'alice-cti');
    for (const tab of ['plan', 'trunks', 'billing'])
      expect([tab, await alice.isVisible(`#tab-${tab}`)]).toEqual([tab, false]);
    await alice.evaluate("location.hash = '#trunks'");
    await alice.waitForSelector('#view > p.error:has-text("administrators only")');
    expect(await alice.isVisible('#trunk-form')).toBe(false);
    const user = await loggedIn(h.pbx.http.url, '201', 'alice-cti');
    for (const [method, p, body] of [
      ['PUT', '/api/numplan/dnd', { code: '47' }],
      ['POST', '/api/groups', { number: '500' }],
      ['POST', '/api/trunks', { name: 'x', host: '127.0.0.1' }],
      ['PUT', '/api/rates', { csv: '0,1,1,1,0' }],
      ['GET', '/api/accounts', undefined],
    ] as const) {
      const r = await user.request(method, p, body);
      expect([p, r.status]).toEqual([p, 403]);
    }
    expect(h.cc.plan.plan().codes).toEqual(codes);
    expect(await h.pbx.ctx.store.trunks.get('x')).toBeUndefined();
    await alice.context().close();
  });
});
