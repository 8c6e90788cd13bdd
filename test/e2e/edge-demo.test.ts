import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startEdgeDemo, type RunningEdgeDemo } from '../../demo/edge.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { checkText, checkedSink } from '../support/hygiene.js';
import { formReady, waitOutMinimumFill } from './pace.js';

// `npm run dev:edge` as a person uses it: wrangler dev runs the Worker in workerd on 127.0.0.1, which
// serves the demo page, the widget and the relay; the lead goes through its Durable Objects to the
// sandbox. The widget must already be built (npm test builds first).
describe('the demo on the Worker (wrangler dev --local)', () => {
  let demo: RunningEdgeDemo;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startEdgeDemo({ port: await freePort(), quiet: true, build: false, log: checkedSink() });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    if (demo) checkText(demo.output());
  });

  it('serves the page under its CSP, and a lead typed into it reaches the sandbox with the site ids', async () => {
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    const response = await page.goto(demo.url);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    const form = page.locator('resman-lead-form');
    const shownAt = await formReady(form);
    await form.locator('input[name=first_name]').pressSequentially('Wren');
    await form.locator('input[name=last_name]').pressSequentially('Castillo');
    await form.locator('input[name=email_1]').pressSequentially('wren.castillo@gmail.com');
    // An email alone: the consent box, about "the number I gave", is not asked, and nothing is recorded.
    expect(await form.getByRole('checkbox').count()).toBe(0);
    await waitOutMinimumFill(page, shownAt);
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByText('Thank you, Wren!').waitFor();
    // Delivered by the outbox object's alarm, and its write succeeded.
    const wrens = () => demo.sandbox.leads().filter((l) => l.body.first_name === 'Wren');
    await expect.poll(() => wrens().map((l) => l.write_status), { timeout: 15_000 }).toEqual(['SUCCESS']);
    expect(wrens()[0]!.body).toMatchObject({ ...SANDBOX_IDS, first_name: 'Wren', email_1: 'wren.castillo@gmail.com' });
    expect(wrens()[0]!.body.notes ?? '').not.toContain('Consent');
    expect(problems).toEqual([]);
  });

  it('serves the second community, Vista del Sol, in Spanish with its floor plans', async () => {
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    const response = await page.goto(`${demo.url}vista/`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain("style-src 'self'");
    const form = page.locator('resman-lead-form');
    await formReady(form);
    await form.getByRole('button', { name: 'Solicitar una visita' }).waitFor();
    expect(await form.locator('select[name=floor_plan_id] option').count()).toBeGreaterThan(1);
    expect(problems).toEqual([]);
  });
});
