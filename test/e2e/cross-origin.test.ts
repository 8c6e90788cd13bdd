import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createLogger } from '../../relay/lib/log.js';
import { PINNED } from '../../widget/build/report-sizes.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { waitOutMinimumFill } from './pace.js';

// The embed as it really runs: a marketing site on one origin, the relay on another. The page names
// only the script; the widget must find the relay from its own URL, pass CORS, and fit the site's CSP.
describe('cross-origin embed', () => {
  let sandbox: RunningSandbox;
  let relay: RunningRelay;
  let site: Server;
  let sitePort: number;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    const token = 'e2e-cross-origin-token';
    sandbox = await startSandbox({ token, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
    sitePort = await freePort();
    const relayPort = await freePort();
    const relayOrigin = `http://127.0.0.1:${relayPort}`;
    relay = await startRelay(
      {
        PROPEXO_API_TOKEN: token,
        PROPEXO_BASE_URL: sandbox.url,
        PORT: String(relayPort),
        HOST: '127.0.0.1',
        DATA_DIR: (dataDir = await mkdtemp(join(tmpdir(), 'relay-cross-origin-'))),
        SITES_JSON: JSON.stringify({
          'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [`http://127.0.0.1:${sitePort}`] },
        }),
      },
      { logger: createLogger({ sink: checkedSink() }) },
    );
    // The site pins the content-hashed copy, which must find its chunks and its relay by itself.
    const pinned = readdirSync(join(import.meta.dirname, '../../dist/widget'), { recursive: true, encoding: 'utf8' }).find((f) =>
      PINNED.test(f),
    )!;
    site = createServer((_, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader(
        'Content-Security-Policy',
        `default-src 'self'; script-src 'self' ${relayOrigin}; connect-src ${relayOrigin}; style-src 'self'`,
      );
      res.end(`<!doctype html><html lang="en"><head><title>Pecan Flats</title>
        <script type="module" src="${relayOrigin}/${pinned}"></script></head>
        <body><h1>Pecan Flats</h1><resman-lead-form site="oak-grove"></resman-lead-form></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(sitePort, '127.0.0.1', resolve));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await relay?.close();
    await sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** `humanPace`: take the relay's minimum fill time from the form's answer (its token), as a person would. */
  async function fillAndSend(
    origin: string,
    problems: string[],
    humanPace: boolean,
    person: { first: string; last: string; email: string },
  ) {
    const page = await watchedPage(browser, problems);
    const formAnswer = humanPace ? page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/sites/oak-grove/form') : undefined;
    await page.goto(`${origin}/`);
    const form = page.locator('resman-lead-form');
    await formAnswer;
    const shownAt = Date.now();
    await form.locator('input[name=first_name]').pressSequentially(person.first);
    await form.locator('input[name=last_name]').pressSequentially(person.last);
    await form.locator('input[name=email_1]').pressSequentially(person.email);
    if (humanPace) await waitOutMinimumFill(page, shownAt);
    await form.getByRole('button', { name: 'Send' }).click();
    return page;
  }

  it('an allowed site sends through the relay the script came from', async () => {
    const problems: string[] = [];
    const page = await fillAndSend(`http://127.0.0.1:${sitePort}`, problems, true, {
      first: 'Lena',
      last: 'Park',
      email: 'lena.park@gmail.com',
    });
    await page.locator('resman-lead-form').getByText('Thank you, Lena!').waitFor();
    // The 202 means stored; the deliverer sends it to Propexo right behind.
    const lenas = () => sandbox.leads().filter((l) => l.body.first_name === 'Lena');
    await expect.poll(() => lenas().map((l) => [l.body.first_name, l.body.property_id])).toEqual([['Lena', SANDBOX_IDS.property_id]]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the same page on an origin the site does not allow gets nothing through', async () => {
    const problems: string[] = [];
    const page = await fillAndSend(`http://localhost:${sitePort}`, problems, false, {
      first: 'Milo',
      last: 'Vance',
      email: 'milo.vance@gmail.com',
    });
    await page.locator('resman-lead-form').getByText('could not reach the leasing office').waitFor();
    expect(problems.join('\n')).toContain('CORS'); // the browser itself refused to show the answer
    // The widget has its answer: the relay stored nothing of it, so there is nothing to deliver.
    expect((await relay.store.list({ limit: 1000 })).filter((l) => l.submission.first_name === 'Milo')).toEqual([]);
    expect(sandbox.leads().filter((l) => l.body.first_name === 'Milo')).toEqual([]);
    await page.close();
  });

  // Last in the file: it spends the visitor's leads for the next ten minutes.
  it("tells a visitor past the relay's limit how long to wait, from the Retry-After its CORS lets the page read", async () => {
    // Five leads per ten minutes from one visitor (the default): Lena's was the first. Leads sent at a
    // bot's pace are held, and count all the same.
    const problems: string[] = [];
    for (const n of [2, 3, 4, 5]) {
      const page = await fillAndSend(`http://127.0.0.1:${sitePort}`, problems, false, {
        first: 'Rae',
        last: 'Quinn',
        email: `rae${n}@gmail.com`,
      });
      await page.locator('resman-lead-form').getByText('Thank you, Rae!').waitFor();
      await page.close();
    }
    const page = await watchedPage(browser, problems);
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 429);
    await page.goto(`http://127.0.0.1:${sitePort}/`);
    const form = page.locator('resman-lead-form');
    await form.locator('input[name=first_name]').pressSequentially('Rae');
    await form.locator('input[name=last_name]').pressSequentially('Quinn');
    await form.locator('input[name=email_1]').pressSequentially('rae6@gmail.com');
    await form.getByRole('button', { name: 'Send' }).click();
    const seconds = Number(await (await refused).headerValue('retry-after'));
    expect(seconds).toBeGreaterThan(120); // what the widget says could not come from its one-minute default
    await form.getByText(`Too many messages were sent from here just now. Try again in ${Math.ceil(seconds / 60)} minutes.`).waitFor();
    await page.close();
  });
});
