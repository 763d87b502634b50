/**
 * Headless Chromium for the web console tests: Debian's `/usr/bin/chromium` (or CHROMIUM_PATH)
 * driven by playwright-core, nothing downloaded; the screenshot folder; a logged-in page.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the tests leave screenshots of the main pages (the README's come from here). */
export const SHOTS =
  process.env.PBX_SCREENSHOT_DIR ?? path.join(tmpdir(), 'pbx-console-screenshots');

/** Starts the browser; a clear error when Chromium is not installed. */
export async function launchConsoleBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/**
 * A new browser context at `viewport`, logged in to the console at `url` as `user`, once the
 * page shows the session and its live event stream is connected.
 */
export async function openConsole(
  browser: Browser,
  url: string,
  user: string,
  password: string,
  opts: { viewport?: { width: number; height: number }; timeoutMs: number },
): Promise<Page> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1100, height: 760 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs);
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#logout:not([hidden])');
  await page.waitForSelector('#live-state.on');
  return page;
}

/** Saves a full-page screenshot named `name`.png in {@link SHOTS}. */
export function saveShot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
