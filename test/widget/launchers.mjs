// The three engines the widget tests run in, all Debian's (never a downloaded browser): Chromium and
// Firefox ESR through puppeteer-core (DevTools protocol and WebDriver BiDi), WebKitGTK through
// WebKitWebDriver (WebDriver classic), which the launcher starts and stops itself.
import { chromeLauncher } from '@web/test-runner-chrome';
import { WebdriverLauncher } from '@web/test-runner-webdriver';
import * as puppeteer from 'puppeteer-core';
import { Key } from 'webdriverio';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.mjs';
import { FIREFOX_PATH } from '../support/firefox.mjs';
import { startWebKitDriver, WEBKIT_CAPABILITIES } from '../support/webkit.mjs';
import { setWebDriverViewport } from './engine-commands.mjs';

export function chromium() {
  return chromeLauncher({
    launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS },
  });
}

export function firefox() {
  return chromeLauncher({
    puppeteer,
    launchOptions: { browser: 'firefox', executablePath: FIREFOX_PATH, headless: true },
  });
}

/** WebKitGTK's MiniBrowser on a virtual display, through a WebKitWebDriver of its own. */
class WebKitLauncher extends WebdriverLauncher {
  constructor() {
    super({ capabilities: WEBKIT_CAPABILITIES, logLevel: 'error' });
  }

  async initialize(config, testFiles) {
    this.driverProcess = await startWebKitDriver();
    this.options.hostname = this.driverProcess.hostname;
    this.options.port = this.driverProcess.port;
    await super.initialize(config, testFiles);
    this.name = 'WebKitGTK';
  }

  // Each test file starts in an 800 × 600 viewport, as puppeteer's pages do.
  async startSession(id, url) {
    await this.ensureManagerInitialized();
    await setWebDriverViewport(this.driver, { width: 800, height: 600 });
    return super.startSession(id, url);
  }

  async stop() {
    await super.stop(); // ends the session: the driver closes its browser
    await this.driverProcess?.stop();
  }

  // Each key down then up before the next: webdriverio's keys() holds them all down first, and
  // WebKit drops a key pressed while it is still down (so "555" typed "5").
  sendKeys(_sessionId, keys) {
    const values = keys.map((key) => Key[key] ?? key);
    return this.driver.performActions([
      {
        type: 'key',
        id: 'keyboard',
        actions: values.flatMap((value) => [
          { type: 'keyDown', value },
          { type: 'keyUp', value },
        ]),
      },
    ]);
  }
}

export function webkit() {
  return new WebKitLauncher();
}
