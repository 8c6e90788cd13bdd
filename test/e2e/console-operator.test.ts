/**
 * The operator's day in the console (issue 14's end-to-end test), in Chromium against the demo relay
 * on Node, the Propexo sandbox behind a door on loopback, and a chat webhook receiver:
 * - a site maps a campaign to a lead source ResMan refuses (the sandbox lists it, but a write naming
 *   it fails, "Transaction Source could not be found"): its lead waits with the reason, the site shows
 *   misconfigured and one alert tells of it; the mapping fixed in the sites file and "Check sites now"
 *   pressed, the lead goes with the fixed id and the sandbox confirms it, created once;
 * - a lead Propexo refuses (a 400 about the prospect's phone) is a dead letter with the reason and one
 *   alert whose link opens it; "Retry" sends it once the cause is gone, and the sandbox confirms it;
 * - a held lead released arrives; the CSV export holds exactly the filtered leads, masked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { startPropexoDoor, startWebhookReceiver, type PropexoDoor, type WebhookReceiver } from '../support/alert-doubles.js';
import { axeViolations } from '../support/axe.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';

const ADMIN_TOKEN = 'console_operator_admin_token_0123456789';
const PROPEXO_TOKEN = 'console_operator_propexo_token_0123456789';
registerSecret(ADMIN_TOKEN);
registerSecret(PROPEXO_TOKEN);
/** Listed by the sandbox (Propexo's list has no is_active for lead sources), refused by "ResMan" on a write. */
const REFUSED_SOURCE = 'lsrc_oakgrove_craigslist';
const FIXED_SOURCE = 'lsrc_oakgrove_website';
/** The door answers a create with this last name 400, about the phone: Propexo's rule, not the site's ids. */
const REFUSED_LAST_NAME = 'Unreachable';

describe("the operator's console, end to end", () => {
  let sandbox: RunningSandbox;
  let door: PropexoDoor;
  let receiver: WebhookReceiver;
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'console-operator-'));
  const sitesFile = join(scratch, 'sites.json');
  const sites = JSON.parse(readFileSync(new URL('../../demo/sites.json', import.meta.url), 'utf8'));
  delete sites.$schema;
  // Posted as the site's own server would: no form token.
  sites['oak-grove'].form_token = 'optional';
  sites['oak-grove'].lead_source_map.craigslist = REFUSED_SOURCE;
  const writeSites = () => writeFileSync(sitesFile, JSON.stringify(sites));
  writeSites();

  beforeAll(async () => {
    sandbox = await startSandbox({ token: PROPEXO_TOKEN, writeDelayMs: 200, log: checkedSink() });
    door = await startPropexoDoor(sandbox.url);
    door.refuseCreatesOf(REFUSED_LAST_NAME);
    receiver = await startWebhookReceiver();
    const port = await freePort();
    demo = await startDemo(
      {
        PORT: String(port),
        ADMIN_TOKEN,
        SITES_FILE: sitesFile,
        PROPEXO_API_TOKEN: PROPEXO_TOKEN,
        PROPEXO_BASE_URL: door.url,
        DATA_DIR: join(scratch, 'data'),
        ALERT_WEBHOOK_URL: receiver.url,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      { build: false, quiet: checkedSink() },
    );
    browser = await launchChromium();
    page = await watchedPage(browser, problems);
    await page.setViewportSize({ width: 390, height: 844 });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await door?.close();
    await receiver?.close();
    await sandbox?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const origin = () => new URL(demo.url).origin;
  async function postLead(email: string, extra: object = {}): Promise<string> {
    const res = await fetch(`${origin()}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: origin(), 'content-type': 'application/json' },
      body: JSON.stringify({ first_name: 'Casey', last_name: 'Nguyen', email_1: email, ...extra }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }
  const dt = (name: string) => page.locator('rlf-lead dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]');
  const sandboxLeadsOf = (email: string) => sandbox.leads().filter((l) => l.body.email_1 === email);
  const jobOf = (id: string | undefined) => sandbox.jobs().find((j) => j.job_id === id);

  it('signs in', async () => {
    await page.goto(new URL('/admin/', demo.url).href);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('a lead whose mapped lead source ResMan refuses waits with the reason; the site shows misconfigured; one alert', async () => {
    const email = 'jordan.refused@gmail.com';
    const id = await postLead(email, { meta: { attribution: { utm_source: 'craigslist' } } });
    // Sent once with the mapped source; its write fails in "ResMan".
    await expect.poll(() => jobOf(sandboxLeadsOf(email)[0]?.job_id)?.write_status, { timeout: 15_000 }).toBe('FAILURE');

    await page.goto(new URL(`/admin/#/leads/${id}`, demo.url).href);
    await expect.poll(() => dt('Why').innerText(), { timeout: 20_000 }).toContain(`lead_source_map.craigslist ${REFUSED_SOURCE}: refused`);
    expect(await dt('Status').innerText()).toMatch(/^queued site_misconfigured/);
    await page.getByRole('link', { name: 'Fix the site, then check the sites now.' }).waitFor();

    // One alert for it, naming the field and the id, with no token in it.
    await expect.poll(() => receiver.of('site.misconfigured', 'oak-grove').length, { timeout: 10_000 }).toBe(1);
    const [alert] = receiver.of('site.misconfigured', 'oak-grove');
    expect(alert!.body.text).toContain(REFUSED_SOURCE);
    expect(alert!.raw).not.toContain(PROPEXO_TOKEN);

    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const oakGrove = page.getByRole('region', { name: 'Oak Grove Apartments' });
    await expect.poll(() => oakGrove.innerText()).toContain('misconfigured');
    expect(await oakGrove.innerText()).toContain(`lead_source_map.craigslist ${REFUSED_SOURCE}: refused`);

    // The operator fixes the mapping in the sites file and asks for a check: the lead goes, with the fixed id.
    sites['oak-grove'].lead_source_map.craigslist = FIXED_SOURCE;
    writeSites();
    await page.getByRole('button', { name: 'Check sites now' }).click();
    await page.getByText('Checked 2 site(s): none misconfigured.').waitFor({ timeout: 15_000 });
    await expect.poll(() => oakGrove.innerText()).toMatch(/Check against Propexo\s+ok/);

    await page.goto(new URL(`/admin/#/leads/${id}`, demo.url).href);
    await expect.poll(() => dt('Status').innerText(), { timeout: 30_000 }).toBe('confirmed');
    const sent = sandboxLeadsOf(email);
    expect(sent.map((l) => l.body.lead_source_id)).toEqual([REFUSED_SOURCE, FIXED_SOURCE]);
    expect(sent.filter((l) => l.created_record_id !== null)).toHaveLength(1);
    expect(await dt('ResMan record').innerText()).toBe(sent[1]!.created_record_id);
    // The site fixed: its notice, once.
    await expect.poll(() => receiver.of('site.fixed', 'oak-grove').length, { timeout: 10_000 }).toBe(1);
  });

  it("a lead Propexo refuses is a dead letter with the reason; its alert's link opens it; Retry sends it", async () => {
    const email = 'riley.unreachable@gmail.com';
    const id = await postLead(email, { last_name: REFUSED_LAST_NAME });
    await expect.poll(() => receiver.of('lead.dead_letter').length, { timeout: 20_000 }).toBe(1);
    const [alert] = receiver.of('lead.dead_letter');
    expect(alert!.raw).not.toContain(email);
    const link = /https?:\/\/\S+\/admin\/#\/leads\/[\w-]+/.exec(alert!.body.text)?.[0];
    expect(link).toBe(`${origin()}/admin/#/leads/${id}`);

    await page.goto(link!);
    await expect.poll(() => dt('Status').innerText()).toBe('failed propexo_rejected');
    expect(await dt('Why').innerText()).toContain('phone_1');
    expect(await dt('Email').innerText()).toBe('r***@gmail.com');

    // The cause is gone (the prospect's number is fine now): retry from the console.
    door.admitCreatesOf(REFUSED_LAST_NAME);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Done: the lead is queued.').waitFor();
    await expect.poll(() => dt('Status').innerText(), { timeout: 30_000 }).toBe('confirmed');
    expect(sandboxLeadsOf(email).filter((l) => l.created_record_id !== null)).toHaveLength(1);
    await expect.poll(() => page.locator('rlf-lead ol').innerText()).toMatch(/retried by: session[\s\S]*confirmed/);
    // Still one alert: the retry raised none.
    expect(receiver.of('lead.dead_letter')).toHaveLength(1);
  });

  it('a held lead released arrives; the CSV holds exactly the filtered leads, masked', async () => {
    const email = 'held.prospect@gmail.com';
    // The honeypot filled: held, not sent.
    const id = await postLead(email, { meta: { trap: 'x' } });
    await page.goto(new URL(`/admin/#/leads/${id}`, demo.url).href);
    await page.getByRole('button', { name: 'Release' }).click();
    await page.getByText('Done: the lead is queued.').waitFor();
    await expect.poll(() => dt('Status').innerText(), { timeout: 30_000 }).toBe('confirmed');
    expect(sandboxLeadsOf(email)).toHaveLength(1);

    // Oak Grove's confirmed leads: the three above, and no other.
    await page.goto(new URL('/admin/#/leads?site=oak-grove&status=confirmed', demo.url).href);
    await page.getByRole('region', { name: 'The leads' }).waitFor();
    expect(await page.locator('rlf-leads tbody tr').count()).toBe(3);
    // On the phone's width each lead is a card: nothing to scroll sideways, and still a table to axe.
    const list = page.getByRole('region', { name: 'The leads' });
    expect(await list.evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
    expect(await page.getByRole('cell', { name: 'j***@gmail.com', exact: true }).count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export as CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    const column = (name: string) => header!.split(',').indexOf(name);
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.split(',')[column('status')]))).toEqual(new Set(['confirmed']));
    expect(rows.map((r) => r.split(',')[column('email')]).sort()).toEqual(['h***@gmail.com', 'j***@gmail.com', 'r***@gmail.com']);
    for (const full of ['held.prospect@gmail.com', 'jordan.refused@gmail.com', 'riley.unreachable@gmail.com'])
      expect(csv).not.toContain(full);
    // The one error the browser logs: the console's probe of its session before sign-in (401).
    expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
  });
});
