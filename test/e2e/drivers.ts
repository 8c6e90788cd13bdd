/**
 * One page of the demo, in any of the three engines: what the shared journey (journey.ts) needs of a
 * browser, over playwright-core (Chromium), puppeteer-core (Firefox, WebDriver BiDi) and webdriverio
 * (WebKitGTK, WebDriver classic). Selectors name a control inside the form's shadow root.
 */
import { readFile } from 'node:fs/promises';
import type { Browser as PlaywrightBrowser } from 'playwright-core';
import type { Browser as PuppeteerBrowser, Page as PuppeteerPage } from 'puppeteer-core';
import { launchChromium, launchFirefox, launchWebKit, watchedPage } from '../support/browser.js';

export interface DemoPage {
  goto(url: string): Promise<void>;
  /** Runs `fn` in the page (self-contained: it is sent as source) and returns its JSON result. */
  evaluate<A, T>(fn: (arg: A) => T, arg: A): Promise<T>;
  /** Focuses the control and types `text` into it, key by key, as a person does. */
  type(selector: string, text: string): Promise<void>;
  /** Clicks the control with the pointer. */
  click(selector: string): Promise<void>;
  /**
   * Console errors, uncaught errors and CSP violations. Under WebDriver classic (WebKitGTK) nothing runs
   * before the page's own scripts: there they are collected from the moment goto() returns.
   */
  problems(): Promise<string[]>;
  /** Clicks a download link and resolves with the file's text (playwright only: the others cannot see downloads). */
  download?(selector: string): Promise<{ name: string; text: string }>;
  close(): Promise<void>;
}

export async function playwrightPage(browser: PlaywrightBrowser): Promise<DemoPage> {
  const seen: string[] = [];
  const page = await watchedPage(browser, seen);
  const control = (selector: string) => page.locator('resman-lead-form').locator(selector); // locators pierce shadow roots
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    type: (selector, text) => control(selector).pressSequentially(text),
    click: (selector) => control(selector).click(),
    problems: async () => seen,
    download: async (selector) => {
      const [file] = await Promise.all([page.waitForEvent('download'), control(selector).click()]);
      return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') };
    },
    close: () => page.close(),
  };
}

export async function puppeteerPage(browser: PuppeteerBrowser): Promise<DemoPage> {
  const seen: string[] = [];
  const page: PuppeteerPage = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && seen.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  await page.evaluateOnNewDocument(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  const control = (selector: string) => page.locator(`resman-lead-form >>> ${selector}`); // >>> pierces the shadow root
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    type: (selector, text) => control(selector).fill(text),
    click: (selector) => control(selector).click(),
    problems: async () => seen,
    close: () => page.close(),
  };
}

/** The one window of a WebDriver session: WebDriver classic has no pages of its own. */
export function webdriverPage(browser: WebdriverIO.Browser): DemoPage {
  const control = async (selector: string) => {
    const found = await browser.$('resman-lead-form').shadow$(selector);
    await found.waitForExist();
    return found;
  };
  return {
    goto: async (url) => {
      await browser.url(url);
      await browser.execute(() => {
        const seen: string[] = [];
        (window as unknown as { problems: string[] }).problems = seen;
        const error = console.error.bind(console);
        console.error = (...args: unknown[]) => {
          seen.push(`console: ${args.join(' ')}`);
          error(...args);
        };
        addEventListener('error', (e) => seen.push(`pageerror: ${e.message}`));
        addEventListener('unhandledrejection', (e) => seen.push(`pageerror: ${e.reason}`));
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      });
    },
    evaluate: (fn, arg) => browser.execute(fn as never, arg) as never,
    type: async (selector, text) => (await control(selector)).addValue(text),
    click: async (selector) => (await control(selector)).click(),
    problems: () => browser.execute(() => (window as unknown as { problems: string[] }).problems),
    close: () => browser.url('about:blank').then(() => undefined),
  };
}

/** One page in a browser of its own, and how to end both: a journey's session in each engine. */
export interface EngineSession {
  page: DemoPage;
  close: () => Promise<void>;
}

export async function chromiumSession(): Promise<EngineSession> {
  const browser = await launchChromium();
  return { page: await playwrightPage(browser), close: () => browser.close() };
}

export async function firefoxSession(): Promise<EngineSession> {
  const browser = await launchFirefox();
  return { page: await puppeteerPage(browser), close: () => browser.close() };
}

export async function webkitSession(): Promise<EngineSession> {
  const { browser, close } = await launchWebKit();
  return { page: webdriverPage(browser), close };
}
