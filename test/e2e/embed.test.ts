/**
 * The embed README.md documents, verbatim but for the relay's address, on a marketing site of its own
 * origin under a strict CSP, against the relay on Node and in workerd: the page's preload asks for the
 * site's settings while the script is still on its way, the widget takes that answer (form token
 * included) instead of asking again, and a lead typed at a person's pace is delivered. The one-script
 * embed older sites have keeps working beside it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { nodeTarget, relayVars, workerdTarget, type RelayTarget } from '../runtimes/targets.js';
import { demoSiteConfig, formReady, waitOutMinimumFill } from './pace.js';

const TOKEN = 'ptx_e2e_embed_token_5150';
/** What the README's snippets call the relay. */
const DOCS_RELAY = 'https://leads.example-relay.com';

/** README.md's embed: the first html block of its "Embed" section. */
function readmeEmbed(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const embed = readme.split(/^## /m).find((section) => /^Embed\b/.test(section)) ?? '';
  return /```html\n([\s\S]*?)```/.exec(embed)![1]!;
}

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('the documented embed, relay on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;
  let site: Server;
  let siteOrigin: string;
  let browser: Browser;

  beforeAll(async () => {
    const sitePort = await freePort();
    siteOrigin = `http://127.0.0.1:${sitePort}`;
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
    const { form } = demoSiteConfig('oak-grove');
    relay = await start(
      relayVars(sandbox.url, TOKEN, { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [siteOrigin], form } }),
    );
    const pages: Record<string, string> = {
      '/': readmeEmbed().replaceAll(DOCS_RELAY, relay.url),
      '/script-only': `<script type="module" src="${relay.url}/widget.js"></script><resman-lead-form site="oak-grove"></resman-lead-form>`,
    };
    site = createServer((req, res) => {
      const embed = pages[req.url ?? ''];
      if (!embed) return res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader(
        'Content-Security-Policy',
        `default-src 'self'; script-src 'self' ${relay.url}; connect-src ${relay.url}; style-src 'self'`,
      );
      res.end(`<!doctype html><html lang="en"><head><title>Oak Grove</title></head><body><h1>Oak Grove</h1>${embed}</body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(sitePort, '127.0.0.1', resolve));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await relay?.close();
    await sandbox?.close();
  });

  /** Opens `path` and returns the page, what it logged as a problem and every settings request it made. */
  async function open(path: string) {
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    // Chromium's word for a preload nobody used: the widget asked for something else.
    page.on('console', (m) => m.type() === 'warning' && /preload/i.test(m.text()) && problems.push(m.text()));
    const settingsRequests: string[] = [];
    page.on('request', (r) => new URL(r.url()).pathname === '/v1/sites/oak-grove/form' && settingsRequests.push(r.url()));
    await page.goto(`${siteOrigin}${path}`);
    return { page, problems, settingsRequests, form: page.locator('resman-lead-form') };
  }

  /** Fills the form as a person does, from `shownAt` (its settings, and its form token, arrived) and sends it. */
  async function send(page: Page, shownAt: number, first: string) {
    const form = page.locator('resman-lead-form');
    await form.locator('input[name=first_name]').pressSequentially(first);
    await form.locator('input[name=last_name]').pressSequentially('Nakamura');
    await form.locator('input[name=email_1]').pressSequentially(`${first.toLowerCase()}.nakamura@gmail.com`);
    // An email alone: the demo's consent box, about "the number I gave", is not asked.
    await waitOutMinimumFill(page, shownAt);
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByText(`Thank you, ${first}!`).waitFor();
    // Delivered, so not held: the form token the preload brought was good, and used once.
    await expect.poll(() => sandbox.leads().filter((l) => l.body.first_name === first).length, { timeout: 15_000 }).toBe(1);
  }

  it('asks for the settings once, while the script is on its way, and the widget uses that answer', async () => {
    const { page, problems, settingsRequests, form } = await open('/');
    const shownAt = await formReady(form);
    expect(await form.locator('select[name=floor_plan_id] option').count()).toBeGreaterThan(1);
    const [settings, script] = await page.evaluate(() =>
      ['/v1/sites/oak-grove/form', '/widget.js'].map((path) => {
        const entry = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === path) as PerformanceResourceTiming;
        return { startTime: entry.startTime, responseEnd: entry.responseEnd };
      }),
    );
    // Asked before the script had arrived: the widget itself could only ask once it had run.
    expect(settings!.startTime).toBeLessThan(script!.responseEnd);
    await send(page, shownAt, 'Aiko');
    expect(settingsRequests).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the one-script embed of older sites still shows the site and sends', async () => {
    const { page, problems, settingsRequests, form } = await open('/script-only');
    const shownAt = await formReady(form);
    await send(page, shownAt, 'Kenji');
    expect(settingsRequests).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });
});
