/**
 * A prospect's journey on the Oak Grove demo page, written once and run in Chromium, Firefox and
 * WebKitGTK (drivers.ts): they type who they are, choose the Magnolia and one of its apartments, and
 * send; the sandbox receives the lead once, with the plan and unit they chose.
 */
import { expect } from 'vitest';
import type { RunningDemo } from '../../demo/start.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { isoDateAhead } from '../support/dates.js';
import type { DemoPage } from './drivers.js';
import { consentLine, demoSiteConfig, HUMAN_FILL_MS, noteLines } from './pace.js';

const config = demoSiteConfig('oak-grove');
/** Relative to today: the relay refuses a move-in date in the past or over two years ahead. */
const MOVE_IN = isoDateAhead(130);

export interface Prospect {
  first_name: string;
  last_name: string;
  email_1: string;
  /** As typed; the relay keeps its ten digits. */
  phone: string;
}

/** Runs `fn` in the page, with the form's shadow root, until it returns true (10 s at most). */
export async function until<A>(page: DemoPage, what: string, fn: (arg: A) => boolean, arg: A): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a person picks from a select: the option with this label or value (as playwright's selectOption does). */
function choose(page: DemoPage, name: string, option: string): Promise<boolean> {
  return page.evaluate(
    ([name, wanted]) => {
      const select = document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLSelectElement>(`select[name=${name}]`)!;
      const option = [...select.options].find((o) => o.text === wanted || o.value === wanted);
      if (!option) return false;
      select.value = option.value;
      select.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      select.dispatchEvent(new Event('change', { bubbles: true }));
      return true;
    },
    [name, option] as const,
  );
}

/** A date picked from the engine's own date picker, which no two engines draw alike. */
function pickDate(page: DemoPage, name: string, iso: string): Promise<void> {
  return page.evaluate(
    ([name, iso]) => {
      const input = document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
      input.value = iso;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [name, iso] as const,
  );
}

const value = (page: DemoPage, name: string) =>
  page.evaluate(
    (name) => document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLInputElement>(`[name=${name}]`)!.value,
    name,
  );

const hasConsentBox = (page: DemoPage) =>
  page.evaluate(() => !!document.querySelector('resman-lead-form')!.shadowRoot!.querySelector('input[name=consent]'), null);

const state = (page: DemoPage, name: string) =>
  page.evaluate((name) => document.querySelector('resman-lead-form')!.matches(`:state(${name})`), name);

/** The form's own thank-you, in its shadow root, visible only once the lead is accepted. */
const thanksVisible = (page: DemoPage, first = '') =>
  page.evaluate((first) => {
    const status = document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLElement>('[part=status]');
    return !!status?.textContent?.includes(`Thank you, ${first}`) && status.checkVisibility();
  }, first);

/** Opens the demo page, fills the form in as `who` and sends it; resolves once the thank-you shows. */
export async function sendThroughDemo(page: DemoPage, demo: RunningDemo, who: Prospect): Promise<void> {
  await page.goto(demo.url);
  // The site's form from the relay: its floor plans, which came with the form token.
  await until(
    page,
    'the floor plans',
    () => document.querySelector('resman-lead-form')?.shadowRoot?.querySelectorAll('select[name=floor_plan_id] option').length === 6,
    null,
  );
  const shownAt = Date.now(); // the form token's age starts here
  expect(await state(page, 'ready')).toBe(true);

  await page.type('input[name=first_name]', who.first_name);
  await page.type('input[name=last_name]', who.last_name);
  await page.type('input[name=email_1]', who.email_1);
  // The consent box is about "the number I gave": it waits for one.
  expect(await hasConsentBox(page)).toBe(false);
  await page.type('input[name=phone_1]', who.phone);
  await until(
    page,
    'the consent box',
    () => !!document.querySelector('resman-lead-form')!.shadowRoot!.querySelector('input[name=consent]'),
    null,
  );
  // The Magnolia: it suggests two bedrooms and offers its available apartments.
  expect(await choose(page, 'floor_plan_id', '$1,795–$1,925 · The Magnolia · 2 bd · 2 ba')).toBe(true);
  await expect.poll(() => value(page, 'desired_num_bedrooms')).toBe('2');
  await until(
    page,
    'the Magnolia’s unit 106',
    () => !!document.querySelector('resman-lead-form')!.shadowRoot!.querySelector('option[value=unit_oakgrove_106]'),
    null,
  );
  expect(await choose(page, 'unit_id', 'unit_oakgrove_106')).toBe(true);
  await page.type('input[name=desired_max_rent_in_cents]', '1,900');
  await pickDate(page, 'target_move_in_date', MOVE_IN);
  await page.type('textarea[name=notes]', 'Is the Magnolia available in April?');
  await page.click('input[name=consent]');
  expect(await value(page, 'phone_1')).toBe(who.phone);

  expect(await thanksVisible(page)).toBe(false);
  // At a person's pace: the relay holds a lead sent sooner than its minimum fill time.
  const left = shownAt + HUMAN_FILL_MS - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  await page.click('button[type=submit]');
  await until(
    page,
    'the thank-you',
    (first) => {
      const status = document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLElement>('[part=status]');
      return !!status?.textContent?.includes(`Thank you, ${first}!`) && status.checkVisibility();
    },
    who.first_name,
  );
  expect(await state(page, 'success')).toBe(true);
}

/** The lead `who` sent, as the sandbox received it: once, with the plan, the unit and the rest as typed. */
export async function expectDelivered(demo: RunningDemo, who: Prospect): Promise<void> {
  const leads = () => demo.sandbox!.leads().filter((l) => l.body.first_name === who.first_name);
  // The 202 means stored; the deliverer sends it to Propexo right behind.
  await expect.poll(() => leads().length).toBe(1);
  const { notes, ...fields } = leads()[0]!.body;
  expect(fields).toEqual({
    ...SANDBOX_IDS,
    first_name: who.first_name,
    last_name: who.last_name,
    email_1: who.email_1,
    phone_1: who.phone.replace(/\D/g, ''),
    floor_plan_id: 'fp_oakgrove_b1',
    unit_id: 'unit_oakgrove_106',
    target_move_in_date: MOVE_IN,
    desired_num_bedrooms: 2,
    desired_max_rent_in_cents: 190_000,
  });
  // The relay adds the consent the visitor gave (the box came with the phone number) and where they came from, for the leasing agent.
  expect(noteLines(notes)).toEqual([
    'Is the Magnolia available in April?',
    expect.stringMatching(consentLine(config.form.consent)),
    '[Website form] Source: landed on /',
  ]);
}
