import { chromium, type Browser, type Page } from 'playwright-core';
import * as puppeteer from 'puppeteer-core';
import { remote } from 'webdriverio';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';
import { FIREFOX_PATH } from './firefox.mjs';
import { startWebKitDriver, WEBKIT_CAPABILITIES } from './webkit.mjs';

/** Debian's Chromium, headless, with nothing that reaches beyond loopback. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Debian's Firefox ESR, headless, driven over WebDriver BiDi. */
export function launchFirefox(): Promise<puppeteer.Browser> {
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true });
}

/** WebKitGTK's MiniBrowser through a WebKitWebDriver of its own; close() ends the browser, the driver and its display. */
export async function launchWebKit(): Promise<{ browser: WebdriverIO.Browser; close: () => Promise<void> }> {
  const driver = await startWebKitDriver();
  try {
    const browser = await remote({ hostname: driver.hostname, port: driver.port, capabilities: WEBKIT_CAPABILITIES, logLevel: 'error' });
    return {
      browser,
      close: async () => {
        await browser.deleteSession().catch(() => undefined);
        await driver.stop();
      },
    };
  } catch (err) {
    await driver.stop();
    throw err;
  }
}

/** A page whose console errors, uncaught errors and CSP violations are collected into `problems`. */
export async function watchedPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  return page;
}
