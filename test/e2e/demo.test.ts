import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { isoDateAhead, longDateEn } from '../support/dates.js';
import { checkedSink } from '../support/hygiene.js';
import { type EngineSession, firefoxSession, playwrightPage, webkitSession } from './drivers.js';
import { expectDelivered, type Prospect, sendThroughDemo } from './journey.js';
import { bookThroughDemo, expectBooked } from './tour-journey.js';
import { demoSiteConfig, formReady, noteLines, waitOutMinimumFill } from './pace.js';

const config = demoSiteConfig('oak-grove');
const JORDAN: Prospect = { first_name: 'Jordan', last_name: 'Rivera', email_1: 'jordan.rivera@gmail.com', phone: '(512) 555-0199' };

// The whole path as a prospect meets it: the demo page in Chromium, the widget from the relay,
// the relay in front of the embedded sandbox, all on loopback. The widget must already be built.
// Each test opens a page of its own, so any one runs alone. The prospect's journey (journey.ts) and
// booking a tour (tour-journey.ts: issue 15's end to end) run in Firefox and WebKitGTK too, at the
// end of this file.
describe('demo page, end to end', () => {
  let demo: RunningDemo;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    demo = await startDemo({ PORT: String(await freePort()) }, { build: false, quiet: checkedSink() });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  /**
   * A fresh page on the demo at `path`, once the form shows the site's settings. `before` runs on the
   * page before it loads (to route its requests). Returns the page, what it logged as a problem, the
   * form, the navigation's response and when the form was ready (its form token's age starts there).
   */
  async function openDemo(path = '/', before?: (page: Page) => Promise<unknown>) {
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    pages.push(page);
    await before?.(page);
    const response = await page.goto(new URL(path, demo.url).href);
    const form = page.locator('resman-lead-form');
    const shownAt = await formReady(form);
    return { page, problems, form, response: response!, shownAt };
  }

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
  });

  const leadsOf = (firstName: string) => demo.sandbox!.leads().filter((l) => l.body.first_name === firstName);

  it('serves the page under a strict CSP and the form renders', async () => {
    const settingsRequests: string[] = [];
    const { page, form, response, problems } = await openDemo('/', async (p) =>
      p.on('request', (r) => new URL(r.url()).pathname === '/v1/sites/oak-grove/form' && settingsRequests.push(r.url())),
    );
    const csp = response.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    await form.locator('input[name=first_name]').waitFor();
    // The site's form from the relay: its floor plans, which came with the form token.
    expect(await form.locator('select[name=floor_plan_id] option').count()).toBe(6);
    expect(await page.locator('resman-lead-form').evaluate((el) => el.matches(':state(ready)'))).toBe(true);
    // The page's preload asked for them; the widget took that answer rather than asking again.
    expect(settingsRequests).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it("offers Oak Grove's tours, without the hours the office already booked in ResMan", async () => {
    const origin = new URL(demo.url).origin;
    const answer = (await (await fetch(`${origin}/v1/sites/oak-grove/tours`, { headers: { origin } })).json()) as {
      address: string;
      days: { date: string; slots: { start: string; label: string }[] }[];
    };
    expect(answer.address).toBe('7400 Oak Grove Parkway, Austin, TX 78748');
    expect(answer.days).toHaveLength(14);
    // The sandbox's tours tomorrow at 10:00 and 14:00 (Austin time) are not offered; 14:30, open every day, is.
    const labels = answer.days[1]!.slots.map((s) => s.label);
    expect(labels).toContain('2:30 PM');
    expect(labels).not.toContain('10:00 AM');
    expect(labels).not.toContain('2:00 PM');
  });

  it('sends what a person types, and the sandbox receives exactly the Propexo body', async () => {
    const page = await playwrightPage(browser);
    try {
      await sendThroughDemo(page, demo, JORDAN);
      await expectDelivered(demo, JORDAN);
      expect(await page.problems()).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('books a tour on /tour: the lead, then one appointment on it; the .ics, downloaded under the CSP, starts at the time chosen', async () => {
    const page = await playwrightPage(browser);
    try {
      const start = await bookThroughDemo(page, demo, 'Emerson');
      await expectBooked(page, demo, 'Emerson', start);
    } finally {
      await page.close();
    }
  });

  it('after sending, the card fits the thank-you: it sums up what was asked, and says how the office will reply', async () => {
    const { page, form, shownAt } = await openDemo();
    await form.locator('input[name=first_name]').pressSequentially('Casey');
    await form.locator('input[name=last_name]').pressSequentially('Nguyen');
    await form.locator('input[name=email_1]').pressSequentially('casey.nguyen@gmail.com');
    await form.locator('select[name=floor_plan_id]').selectOption('fp_oakgrove_b1');
    await form.locator('select[name=unit_id] option[value=unit_oakgrove_106]').waitFor({ state: 'attached' });
    await form.locator('select[name=unit_id]').selectOption('unit_oakgrove_106');
    const moveIn = isoDateAhead(130);
    await form.locator('input[name=target_move_in_date]').fill(moveIn);
    // An email alone: the consent box, about "the number I gave", is not asked.
    expect(await form.getByRole('checkbox').count()).toBe(0);
    await waitOutMinimumFill(page, shownAt);
    await form.getByRole('button', { name: 'Send' }).click();
    const thanks = form.getByRole('status');
    await thanks.getByText('Thank you, Casey!').waitFor();
    expect(await thanks.getByRole('listitem').allInnerTexts()).toEqual([
      'Floor plan: $1,795–$1,925 · The Magnolia · 2 bd · 2 ba',
      expect.stringMatching(/^Apartment: Apartment 106 · \$[\d,]+ · 1,045 sq ft$/),
      `Move-in date: ${longDateEn(moveIn)}`,
      'Bedrooms: 2 bedrooms',
    ]);
    expect(await thanks.innerText()).toContain('The leasing office has your request and will reply by email.');
    for (const personal of ['Nguyen', 'casey.nguyen']) expect(await thanks.innerText()).not.toContain(personal);
    // Nothing is recorded about a consent that was not asked.
    await expect.poll(() => leadsOf('Casey').length).toBe(1);
    expect(noteLines(leadsOf('Casey')[0]!.body.notes)).toEqual(['[Website form] Source: landed on /']);
    // The page reserved the form's height only until it was shown: the card now ends with the thank-you.
    const gap = await form.evaluate((el) => {
      const status = el.shadowRoot!.querySelector('[part=status]')!.getBoundingClientRect();
      return el.getBoundingClientRect().bottom - status.bottom - Number.parseFloat(getComputedStyle(el).paddingBottom);
    });
    expect(gap).toBeLessThan(1);
  });

  it('survives a lost send-chunk download, in a browser that never refetches a failed URL: a retry from a new URL sends the lead', async () => {
    // The strictest browser (Chromium 150 keeps a failed dynamic import in its module map for good):
    // a chunk URL that failed once fails forever, query and all. Until the network comes back every
    // download fails (the prefetches on focus, then the submit's own); then only new URLs get through.
    const failed = new Set<string>();
    const asked: string[] = [];
    let online = false;
    const sendChunk = /\/widget\/send-lead-[\w-]+\.js(\?.*)?$/;
    // A campaign visit: the site maps utm_source=zillow to its Zillow lead source.
    const { page, form, problems, shownAt } = await openDemo('/?utm_source=zillow', (p) =>
      p.route(sendChunk, (route) => {
        const url = route.request().url();
        asked.push(url);
        if (online && !failed.has(url)) return route.continue();
        failed.add(url);
        return route.abort('connectionreset');
      }),
    );
    await form.locator('input[name=first_name]').pressSequentially('Sam');
    await form.locator('input[name=last_name]').pressSequentially('Okafor');
    await form.locator('input[name=phone_1]').pressSequentially('737-555-0123');
    await form.getByRole('checkbox').check();
    await waitOutMinimumFill(page, shownAt);
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByText('could not reach the leasing office').waitFor();
    expect(await page.locator('resman-lead-form').evaluate((el) => el.matches(':state(error)'))).toBe(true);
    expect(failed.size).toBeGreaterThan(0);
    online = true;
    await form.getByRole('button', { name: 'Try again' }).click();
    // A browser that asked for the same URL again would be stuck here, in the error state.
    await form.getByText('Thank you, Sam!').waitFor({ timeout: 8000 });
    // The chunk came from a URL never asked before: every attempt had its own.
    const served = asked.filter((url) => !failed.has(url));
    expect(served).toHaveLength(1);
    expect(served[0]).toMatch(/\?attempt=\d+$/);
    expect(new Set(asked).size).toBe(asked.length);
    await expect.poll(() => leadsOf('Sam').length).toBe(1);
    const sam = leadsOf('Sam');
    expect(sam.map((l) => l.body.phone_1)).toEqual(['7375550123']);
    expect(sam.map((l) => l.body.lead_source_id)).toEqual([config.lead_source_map.zillow]);
    expect(noteLines(sam[0]!.body.notes).at(-1)).toBe('[Website form] Source: zillow; landed on /?utm_source=zillow');
    // The aborted downloads are the only errors the page may log.
    expect(problems.filter((p) => !p.includes('ERR_CONNECTION_RESET'))).toEqual([]);
  });
});

// The same journeys (the contact form's, and booking a tour) in the other engines most prospects'
// phones run: Safari's (WebKitGTK here) and Firefox's.
describe.each([
  ['Firefox (WebDriver BiDi)', firefoxSession, { ...JORDAN, first_name: 'Avery', email_1: 'avery.rivera@gmail.com' }, 'Morgan'],
  ['WebKitGTK (WebDriver)', webkitSession, { ...JORDAN, first_name: 'Riley', email_1: 'riley.rivera@gmail.com' }, 'Quinn'],
] as const)('demo page, end to end, in %s', (_engine, start, who, touring) => {
  let demo: RunningDemo;
  let session: EngineSession | undefined;

  beforeAll(async () => {
    [demo, session] = await Promise.all([startDemo({ PORT: String(await freePort()) }, { build: false, quiet: checkedSink() }), start()]);
  });

  afterAll(async () => {
    await session?.close();
    await demo?.close();
  });

  it('sends what a person types, and the sandbox receives it once, with the plan and unit chosen', async () => {
    await sendThroughDemo(session!.page, demo, who);
    await expectDelivered(demo, who);
    expect(await session!.page.problems()).toEqual([]);
  });

  it('books a tour on /tour: the lead, then one appointment on it; the .ics starts at the time chosen', async () => {
    const chosen = await bookThroughDemo(session!.page, demo, touring);
    await expectBooked(session!.page, demo, touring, chosen);
  });
});
