import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import { axeViolations } from '../support/axe.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';

const ADMIN_TOKEN = 'console_e2e_admin_token_0123456789';
registerSecret(ADMIN_TOKEN);
// The operator's console on the demo relay (Node, the sandbox behind it): its page and script under
// the strict CSP, sign-in, the overview. The widget and the console must already be built.
describe('the console at /admin/', () => {
  let demo: RunningDemo;
  let browser: Browser;
  // The demo's sites, but Oak Grove takes a lead without a form token: a test posts one directly.
  const scratch = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const sitesFile = join(scratch, 'sites.json');
  const sites = JSON.parse(readFileSync(new URL('../../demo/sites.json', import.meta.url), 'utf8'));
  sites['oak-grove'].form_token = 'optional';
  delete sites.$schema;
  writeFileSync(sitesFile, JSON.stringify(sites));

  beforeAll(async () => {
    demo = await startDemo({ PORT: String(await freePort()), ADMIN_TOKEN, SITES_FILE: sitesFile }, { build: false, quiet: checkedSink() });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A lead posted as the site's own server would (no phone: no consent asked), its id. */
  async function postLead(email: string, extra: object = {}): Promise<string> {
    const origin = new URL(demo.url).origin;
    const res = await fetch(`${origin}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ first_name: 'Casey', last_name: 'Nguyen', email_1: email, ...extra }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  it('signs in with the token under a strict CSP, shows the overview, and is axe-clean', async () => {
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    const failed: string[] = [];
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
    try {
      // A phone's width: the console must be usable there.
      await page.setViewportSize({ width: 390, height: 844 });
      const response = await page.goto(new URL('/admin/', demo.url).href);
      const csp = response!.headers()['content-security-policy']!;
      expect(csp).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      const token = page.getByLabel('Admin token');
      await token.waitFor();
      expect(await axeViolations(page)).toEqual([]);

      await token.fill('not the token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('not the admin token');

      await token.fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByRole('heading', { name: 'Propexo' }).waitFor();
      await page.getByRole('link', { name: /Oak Grove/ }).waitFor();
      expect(await axeViolations(page)).toEqual([]);

      // The session is a cookie the page's script never sees.
      expect(await page.evaluate(() => document.cookie)).toBe('');
      await page.getByRole('link', { name: 'Leads', exact: true }).click();
      await page.getByRole('heading', { name: 'Leads', exact: true }).waitFor();
      await page
        .getByText(/No lead matches|Accepted/)
        .first()
        .waitFor();
      expect(await axeViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin token').waitFor();
      // The browser logs each of these as a console error: the probe before sign-in, the wrong token.
      expect(failed).toEqual(['401 GET /admin/api/changes', '401 POST /admin/session']);
      expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("opens a lead from an alert's link, reveals it onto its timeline, filters by site, and shows a new lead without a reload", async () => {
    const id = await postLead('casey.nguyen@gmail.com');
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    try {
      await page.goto(new URL(`/admin/#/leads/${id}`, demo.url).href);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Signed in, the console shows the lead the hash names.
      await page.getByText('c***@gmail.com').waitFor();
      await expect.poll(() => page.locator('rlf-lead ol').innerText()).toContain('accepted');
      await page.getByRole('button', { name: 'Reveal contact' }).click();
      await page.getByText('casey.nguyen@gmail.com').waitFor();
      await expect.poll(() => page.locator('rlf-lead ol').innerText()).toContain('revealed');
      expect(await axeViolations(page)).toEqual([]);

      // The list filtered by site, then a new lead shows by itself: the console polls /admin/api/changes.
      await page.getByRole('link', { name: '← All leads' }).click();
      await page.getByLabel('Site').selectOption('oak-grove');
      await page.getByRole('button', { name: 'Show' }).click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/leads?site=oak-grove');
      await page.getByText('c***@gmail.com').first().waitFor();
      expect(await page.getByText('m***@gmail.com').count()).toBe(0);
      await postLead('morgan.lee@gmail.com');
      await page.getByText('m***@gmail.com').waitFor({ timeout: 12_000 });
      expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('releases a held lead, and marks another as spam once the operator confirms', async () => {
    // The honeypot filled: the relay holds the lead rather than send it.
    const release = await postLead('held.release@gmail.com', { meta: { trap: 'x' } });
    const spam = await postLead('held.spam@gmail.com', { meta: { trap: 'y' } });
    const problems: string[] = [];
    const page = await watchedPage(browser, problems);
    try {
      await page.goto(new URL(`/admin/#/leads/${release}`, demo.url).href);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Release' }).click();
      await page.getByText('Done: the lead is queued.').waitFor();
      await expect.poll(() => page.locator('rlf-lead ol').innerText()).toContain('released');

      await page.evaluate((id) => (location.hash = `#/leads/${id}`), spam);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Mark as spam' }).click();
      await expect.poll(() => page.locator('rlf-lead ol').innerText()).toContain('marked_spam');
      // Marked as spam, it can be neither released nor marked again.
      expect(await page.getByRole('button', { name: 'Release' }).count()).toBe(0);

      // The overview's figures link to their leads: today's held at Oak Grove is the one marked as spam.
      await page.getByRole('link', { name: 'Overview' }).click();
      const oakGrove = page.getByRole('region', { name: 'Figures of oak-grove' });
      await oakGrove.getByRole('row', { name: /^Held/ }).getByRole('link').first().click();
      await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#\/leads\?site=oak-grove&status=held&from=\d{4}-\d{2}-\d{2}$/);
      await page.getByText('h***@gmail.com').first().waitFor();
      expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
