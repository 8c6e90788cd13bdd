/**
 * Issue 15's Done-when, written once and run in Chromium, Firefox ESR and WebKitGTK (demo.test.ts):
 * on the demo's tour page a prospect picks a day and a time, gives their name and contact, and
 * sends; the sandbox receives the lead, then one appointment on that lead with the date and time in
 * UTC (Oak Grove's appointment clock) and the local time in its notes; the confirmation offers the
 * calendar file, whose DTSTART is the instant chosen. No console error and no CSP violation under
 * the demo's strict policy.
 */
import { expect } from 'vitest';
import type { RunningDemo } from '../../demo/start.js';
import type { SandboxTourBooking } from '../../sandbox/index.js';
import type { DemoPage } from './drivers.js';
import { until } from './journey.js';
import { HUMAN_FILL_MS } from './pace.js';

/** Picks the second day that has times, as a person does with the day list; returns its date. */
const pickSecondDay = (page: DemoPage) =>
  page.evaluate(() => {
    const root = document.querySelector('resman-lead-form')!.shadowRoot!;
    const select = root.querySelector<HTMLSelectElement>('#tour-day')!;
    const day = [...select.options].filter((o) => !o.disabled)[1]!;
    select.value = day.value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    return day.value;
  }, null);

const chosenStart = (page: DemoPage) =>
  page.evaluate(
    () =>
      document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLInputElement>('input[name="tour.start"]:checked')?.value ??
      null,
    null,
  );

/** The confirmation's calendar file, read from its link's data: URL. */
const calendarFile = (page: DemoPage) =>
  page.evaluate(() => {
    const link = document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLAnchorElement>('a[part=calendar]')!;
    return { download: link.download, text: decodeURIComponent(link.href.slice(link.href.indexOf(',') + 1)) };
  }, null);

const utcStamp = (iso: string) =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** Opens the demo's tour page as `first`, picks the second day with times and its third time, sends; resolves with the start chosen. */
export async function bookThroughDemo(page: DemoPage, demo: RunningDemo, first: string): Promise<string> {
  await page.goto(new URL('/tour', demo.url).href);
  await until(
    page,
    'the tour times',
    () => (document.querySelector('resman-lead-form')?.shadowRoot?.querySelectorAll('input[name="tour.start"]').length ?? 0) > 0,
    null,
  );
  const shownAt = Date.now();
  const date = await pickSecondDay(page);
  await until(
    page,
    'that day’s times',
    (date) =>
      [...document.querySelector('resman-lead-form')!.shadowRoot!.querySelectorAll<HTMLInputElement>('input[name="tour.start"]')].every(
        (r) => r.value.startsWith(date),
      ),
    date,
  );
  await page.click('.slot:nth-child(3) input');
  const start = (await chosenStart(page))!;
  expect(start.startsWith(date)).toBe(true);
  await page.type('input[name=first_name]', first);
  await page.type('input[name=last_name]', 'Tourist');
  await page.type('input[name=email_1]', `${first.toLowerCase()}.tourist@gmail.com`);
  await page.type('input[name=phone_1]', '(512) 555-0177');
  const left = shownAt + HUMAN_FILL_MS - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  await page.click('button[type=submit]');
  await until(
    page,
    'the confirmation',
    () => !!document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLElement>('a[part=calendar]')?.checkVisibility(),
    null,
  );
  return start;
}

/** What `first` booked, seen from both ends: the calendar file and the page, then the sandbox's lead and its one appointment. */
export async function expectBooked(page: DemoPage, demo: RunningDemo, first: string, start: string): Promise<void> {
  // The calendar file: RFC 5545, its DTSTART the instant chosen, in UTC.
  const file = await calendarFile(page);
  expect(file.download).toBe('tour.ics');
  expect(file.text).toMatch(/^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\n/);
  expect(file.text.split('\r\n')).toContain(`DTSTART:${utcStamp(start)}`);
  // Where the driver sees downloads (Chromium), the link really downloads that file under the demo's CSP.
  if (page.download) expect(await page.download('a[part=calendar]')).toEqual({ name: 'tour.ics', text: file.text });
  const status = await page.evaluate(
    () => document.querySelector('resman-lead-form')!.shadowRoot!.querySelector<HTMLElement>('[part=status]')?.textContent ?? '',
    null,
  );
  expect(status).toContain('7400 Oak Grove Parkway');

  // The lead once, then one appointment on it: UTC date and time, the local time in its notes.
  const sandbox = demo.sandbox!;
  const leads = () => sandbox.leads().filter((l) => l.body.first_name === first);
  await expect.poll(() => leads().filter((l) => l.created_record_id !== null).length, { timeout: 20_000 }).toBe(1);
  const card = leads()[0]!.created_record_id!;
  const onCard = () =>
    sandbox
      .appointments()
      .filter((a): a is SandboxTourBooking => a.action === 'create' && a.lead_id === card && a.write_status === 'SUCCESS');
  await expect.poll(() => onCard().length, { timeout: 20_000 }).toBe(1);
  const utc = new Date(start).toISOString();
  const [appointment] = onCard();
  expect(appointment!.body).toMatchObject({ appointment_date: utc.slice(0, 10), appointment_time: utc.slice(11, 19) });
  expect(appointment!.body.notes).toMatch(/^Tour: .* (CDT|CST) \(America\/Chicago\), 30 min/);
  expect(sandbox.appointments().filter((a) => a.lead_id === card)).toHaveLength(1);
  expect(await page.problems()).toEqual([]);
}
