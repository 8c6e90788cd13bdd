import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../demo/start.js';
import { runOutboxCommand } from '../../relay/outbox/cli.js';
import { SANDBOX_IDS_VISTA } from '../../sandbox/index.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { isoDateAhead } from '../support/dates.js';
import { checkedSink } from '../support/hygiene.js';
import { consentLine, demoSiteConfig, formReady, noteLines, waitOutMinimumFill } from './pace.js';

const SITE = 'vista-del-sol';
const config = demoSiteConfig(SITE);
const CAMPAIGN = '?utm_source=facebook&utm_medium=paid-social&utm_campaign=verano';

/** `#b8441f` → `rgb(184, 68, 31)`, as getComputedStyle gives colours. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

// The second community of the demo: a Spanish page with its own theme at /vista/, a site whose form
// (fields, floor plans, consent, Spanish wording) comes from the relay, and the spam rule that a
// lead filled faster than a person can is held. Same loopback setup as demo.test.ts. The demo and
// the browser are shared; each test opens its own page and looks only at its own leads.
describe('Vista del Sol: the Spanish, themed page, end to end', () => {
  let demo: RunningDemo;
  let browser: Browser;
  const pages: Page[] = [];
  const vistaLeads = () => demo.sandbox!.leads().filter((l) => l.body.property_id === SANDBOX_IDS_VISTA.property_id);

  beforeAll(async () => {
    demo = await startDemo({ PORT: String(await freePort()) }, { build: false, quiet: checkedSink() });
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function openPage(problems: string[]): Promise<Page> {
    const page = await watchedPage(browser, problems);
    pages.push(page);
    return page;
  }

  it('serves the page in Spanish under the strict CSP, themed through the custom properties and parts', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    // A visitor from a Facebook ad: the campaign is kept for the visit and goes along with the lead.
    const response = await page.goto(`${demo.url}vista/${CAMPAIGN}`);
    expect(response!.status()).toBe(200);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    const form = page.locator('resman-lead-form');
    await formReady(form);

    // Spanish from the widget's dictionary, with the site's own wording over it.
    expect(await form.locator('label[for=first_name]').innerText()).toMatch(/^Nombre/);
    expect(await form.locator('label[for=floor_plan_id]').innerText()).toMatch(/^Plano que le interesa/);
    expect(await form.locator('label[for=notes]').innerText()).toMatch(/^¿Algo más que debamos saber\?/);
    const submit = form.getByRole('button', { name: 'Solicitar una visita' });
    await submit.waitFor();
    // The consent box waits for a phone number: its text is about "the number I gave". It comes with
    // the first digit, and goes when the number is emptied again.
    expect(await form.getByText(config.form.consent.text).count()).toBe(0);
    await form.locator('input[name=phone_1]').pressSequentially('2');
    await form.getByText(config.form.consent.text).waitFor();
    await form.locator('input[name=phone_1]').press('Backspace');
    await form.getByText(config.form.consent.text).waitFor({ state: 'detached' });

    // The phone is required here: the note does not say an email would do, and an empty send says
    // so under the phone alone.
    expect(await form.locator('.note').innerText()).toBe('Los campos marcados con * son obligatorios.');
    await submit.click();
    await form.locator('#phone_1-error').getByText('Este campo es obligatorio.').waitFor();
    expect(await form.locator('#email_1-error').innerText()).toBe('');

    // The page's accent reaches the button through --resman-color-accent; its ::part rules apply too.
    const accent = await form.evaluate((el) => getComputedStyle(el).getPropertyValue('--resman-color-accent').trim());
    expect(accent).toBe('#b8441f');
    const look = await form.evaluate((el) => {
      const style = (selector: string) => getComputedStyle(el.shadowRoot!.querySelector(selector)!);
      const button = style('[part~=submit]');
      return {
        background: button.backgroundColor,
        buttonRadius: button.borderTopLeftRadius,
        inputRadius: style('input[name=first_name]').borderTopLeftRadius,
        label: style('label[for=first_name]').color,
      };
    });
    expect(look).toEqual({ background: rgb(accent), buttonRadius: '999px', inputRadius: '16px', label: rgb('#155159') });

    // The two communities link to each other.
    await page.locator('footer a[href="/"]').waitFor();
    expect(problems).toEqual([]);
  });

  it('a bot filling the form instantly is answered like a person, but its lead is held and never sent', async () => {
    const botProblems: string[] = [];
    const bot = await openPage(botProblems);
    await bot.goto(`${demo.url}vista/`);
    const form = bot.locator('resman-lead-form');
    await formReady(form);
    // Everything set at once and sent in the same breath, well under the relay's minimum fill time.
    await form.evaluate((el) => {
      const root = el.shadowRoot!;
      const set = (name: string, value: string) => ((root.querySelector(`[name=${name}]`) as HTMLInputElement).value = value);
      set('first_name', 'Botty');
      set('last_name', 'McFill');
      set('phone_1', '2105550111');
      set('email_1', 'botty.mcfill@gmail.com');
      root.querySelector('form')!.requestSubmit();
    });
    await bot.getByRole('heading', { name: '¡Gracias! Recibimos su solicitud.' }).waitFor({ state: 'visible' });
    expect(await form.evaluate((el) => el.matches(':state(success)'))).toBe(true);

    // The outbox keeps it apart, with the reason, as the operator's `npm run outbox -- list` shows.
    await expect.poll(async () => (await demo.relay.store.list({ status: 'held', site: SITE })).length).toBe(1);
    const [held] = await demo.relay.store.list({ status: 'held', site: SITE });
    expect(held).toMatchObject({
      status: 'held',
      error: 'spam:form_token_too_fast',
      submission: { first_name: 'Botty', last_name: 'McFill' },
    });
    const listed: string[] = [];
    expect(await runOutboxCommand(demo.relay.store, ['list', '--status', 'held', '--site', SITE], (line) => listed.push(line))).toBe(0);
    expect(listed).toEqual([
      expect.stringMatching(new RegExp(`^${held!.id}  ${SITE}  held .*Botty M\\. .*spam:form_token_too_fast$`)),
      '1 lead(s)',
    ]);
    // Held is never delivered: never due, and a delivery pass over everything due sends nothing of it.
    expect((await demo.relay.store.due(Number.MAX_SAFE_INTEGER, 1_000)).map((l) => l.id)).not.toContain(held!.id);
    await demo.relay.deliverer.runOnce();
    expect(demo.sandbox!.leads().filter((l) => l.body.first_name === 'Botty')).toEqual([]);
    expect(await demo.relay.store.get(held!.id)).toMatchObject({ status: 'held' });
    expect(botProblems).toEqual([]);
  });

  it('a person chooses a floor plan and a unit, ticks consent, and the lead reaches the sandbox with them', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    // From the Facebook ad: its campaign goes along with the lead.
    await page.goto(`${demo.url}vista/${CAMPAIGN}`);
    const form = page.locator('resman-lead-form');
    const formShownAt = await formReady(form);
    const plans = demo.sandbox!.data.floorPlans.filter((p) => p.property_id === SANDBOX_IDS_VISTA.property_id);
    expect(plans.length).toBeGreaterThanOrEqual(3);

    // The floor plans offered are the sandbox's Vista del Sol plans, by their marketing names.
    const planSelect = form.locator('select[name=floor_plan_id]');
    const offered = await planSelect
      .locator('option')
      .evaluateAll((options) => options.map((o) => [(o as HTMLOptionElement).value, o.textContent ?? '']));
    expect(offered.map(([value]) => value)).toEqual(['', ...plans.map((p) => p.id)]);
    expect(offered[0]![1]).toBe('Elija…');
    // The rent first, as a US page in Spanish writes dollars ("$1,450"): a phone's narrow select cuts the name, not the price.
    plans.forEach((plan, i) => {
      expect(offered[i + 1]![1]).toMatch(new RegExp(`^\\$[\\d,]+(–\\$[\\d,]+)? · ${plan.marketing_name} · ${plan.bedrooms} hab\\.`));
    });

    await form.locator('input[name=first_name]').pressSequentially('Rosa');
    await form.locator('input[name=last_name]').pressSequentially('Villarreal');
    await form.locator('input[name=phone_1]').pressSequentially('(210) 555-0177');
    await form.locator('input[name=email_1]').pressSequentially('rosa.villarreal@gmail.com');

    const plan = plans.find((p) => p.marketing_name === 'El Mezquite')!;
    await planSelect.selectOption(plan.id);
    // The plan suggests its bedrooms, and offers its available units.
    await expect.poll(() => form.locator('select[name=desired_num_bedrooms]').inputValue()).toBe(String(plan.bedrooms));
    const available = demo.sandbox!.data.units.filter((u) => u.floor_plan_id === plan.id && u.is_available);
    const unitSelect = form.locator('select[name=unit_id]');
    await unitSelect.locator('option').nth(1).waitFor({ state: 'attached' });
    const units = await unitSelect.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(units).toEqual(['', ...available.map((u) => u.id)]);
    const unit = available[0]!;
    await unitSelect.selectOption(unit.id);
    expect(await unitSelect.locator('option:checked').innerText()).toMatch(new RegExp(`^Apartamento ${unit.number} · `));

    const moveIn = isoDateAhead(45);
    await form.locator('input[name=target_move_in_date]').fill(moveIn);
    await form.locator('textarea[name=notes]').pressSequentially('Tenemos un gato. ¿Aceptan mascotas?');
    await form.getByRole('checkbox').check();

    // At a person's pace: the relay holds anything sent sooner than its minimum fill time.
    await waitOutMinimumFill(page, formShownAt);
    await form.getByRole('button', { name: 'Solicitar una visita' }).click();
    await page.getByRole('heading', { name: '¡Gracias! Recibimos su solicitud.' }).waitFor({ state: 'visible' });

    const rosas = () => vistaLeads().filter((l) => l.body.first_name === 'Rosa');
    await expect.poll(() => rosas().length).toBe(1);
    const { notes, ...fields } = rosas()[0]!.body;
    expect(fields).toEqual({
      ...SANDBOX_IDS_VISTA,
      // utm_source=facebook is mapped to the site's Facebook lead source.
      lead_source_id: config.lead_source_map.facebook,
      first_name: 'Rosa',
      last_name: 'Villarreal',
      phone_1: '2105550177',
      email_1: 'rosa.villarreal@gmail.com',
      floor_plan_id: plan.id,
      unit_id: unit.id,
      desired_num_bedrooms: plan.bedrooms,
      target_move_in_date: moveIn,
    });
    expect(fields.lead_source_id).toBe('lsrc_vistadelsol_facebook');
    expect(noteLines(notes)).toEqual([
      'Tenemos un gato. ¿Aceptan mascotas?',
      expect.stringMatching(consentLine(config.form.consent)),
      `[Website form] Source: facebook / paid-social / verano; landed on /vista/${CAMPAIGN}`,
    ]);
    expect(config.form.consent.version).toBe('2026-11');
    // The person's lead went out: nothing of hers is held, and Propexo has nobody else from Vista del Sol.
    expect((await demo.relay.store.list({ status: 'held', site: SITE })).filter((l) => l.submission.first_name === 'Rosa')).toEqual([]);
    expect(vistaLeads().map((l) => l.body.first_name)).toEqual(['Rosa']);
    expect(problems).toEqual([]);
  });
});
