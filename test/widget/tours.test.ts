// Tour mode (`mode="tour"`): the slots in the property's zone, the radio group, a missing time, the
// booking as sent, a slot taken meanwhile (409), the confirmation and its calendar file, the contact
// form where a site has no tours, and axe in each state. The stub relay's tours are in stub-relay.mjs.
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { clearRequests, control, fillValid, form, lookups, requests, settle, submit, until } from './helpers.js';

const $ = <T extends Element = HTMLElement>(el: ResmanLeadForm, selector: string) => el.shadowRoot!.querySelector<T>(selector)!;
const $$ = <T extends Element = HTMLElement>(el: ResmanLeadForm, selector: string) => [...el.shadowRoot!.querySelectorAll<T>(selector)];
/** Text as read, whatever space Intl puts before AM/PM (U+202F in recent ICU). */
const text = (node: Element) => node.textContent!.replace(/[\s\u202f\u00a0]+/g, ' ').trim();
const radios = (el: ResmanLeadForm) => $$<HTMLInputElement>(el, 'input[type=radio]');
const times = (el: ResmanLeadForm) => radios(el).map((r) => text(r.closest('label')!));
const tourForm = (site = 'tours', lang = 'en') => form(site, { mode: 'tour', lang });

/** The element that really has focus, through open shadow roots. */
function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

const TWO_THIRTY = '2027-03-15T14:30:00-05:00';

async function chooseTime(el: ResmanLeadForm, start: string): Promise<void> {
  const radio = radios(el).find((r) => r.value === start)!;
  radio.focus();
  await sendKeys({ type: ' ' }); // Space, as typed: Firefox's WebDriver BiDi knows no key named Space
  expect(radio.checked, `${start} checked`).to.equal(true);
}

describe('<resman-lead-form mode="tour">', () => {
  beforeEach(clearRequests);

  // First in the file: nothing else on this page has loaded the tour chunk yet.
  it('is not loaded by the contact form', async () => {
    const el = await form('tours');
    expect(control(el, 'target_move_in_date'), 'the contact form').to.exist;
    await new Promise((r) => setTimeout(r, 200));
    const loaded = performance.getEntriesByType('resource').map((e) => e.name);
    expect(loaded.filter((name) => name.includes('/lead-form/tours/'))).to.deep.equal([]);
    expect((await lookups()).map((l) => l.path.split('/').pop())).to.not.include('tours');
  });

  it('shows the days and times in the property zone, named, in English', async () => {
    const el = await tourForm();
    const select = $<HTMLSelectElement>(el, '#tour-day');
    expect([...select.options].map((o) => [text(o), o.disabled])).to.deep.equal([
      ['Monday, March 15', false],
      ['Tuesday, March 16 (no times)', true],
      ['Wednesday, March 17', false],
    ]);
    expect(text($(el, 'label[for=tour-day]'))).to.equal('Tour day');
    expect(text($(el, '#tour-zone'))).to.equal('Times are in Central Time.');
    expect(times(el)).to.deep.equal(['9:00 AM', '2:30 PM', '4:00 PM']);
    // Only the tour's fields: the move-in date and bedrooms of the contact form are not asked.
    expect($$<HTMLInputElement>(el, '[part=input][name]').map((c) => c.name)).to.deep.equal([
      'first_name',
      'last_name',
      'email_1',
      'phone_1',
    ]);
  });

  it('shows them in Spanish, in the same zone', async () => {
    const el = await tourForm('tours', 'es');
    await until(() => text($(el, 'label[for=tour-day]')) === 'Día de la visita', 'Spanish words');
    expect(text($<HTMLSelectElement>(el, '#tour-day').options[0]!)).to.equal('lunes, 15 de marzo');
    expect(text($(el, '#tour-zone'))).to.equal('Los horarios están en hora central.');
    // es-US writes a 12-hour clock, as the page's region does; ICU versions differ in the spaces.
    expect(times(el)[1]!.replace(/\s/g, '')).to.equal('2:30p.m.');
    expect(text($(el, 'legend'))).to.equal('Hora el lunes, 15 de marzo *');
  });

  it('is a labelled radio group, one name, required, each time its own label', async () => {
    const el = await tourForm();
    const fieldset = $(el, 'fieldset');
    expect(text(fieldset.querySelector('legend')!)).to.equal('Time on Monday, March 15 *');
    expect(fieldset.querySelector('legend .mark')!.getAttribute('aria-hidden')).to.equal('true');
    for (const radio of radios(el)) {
      expect(radio.name).to.equal('tour.start');
      expect(radio.required).to.equal(true);
      expect(radio.closest('fieldset')).to.equal(fieldset);
      expect(radio.labels![0]!.contains(radio)).to.equal(true);
    }
    expect(radios(el).map((r) => r.value)).to.deep.equal(['2027-03-15T09:00:00-05:00', TWO_THIRTY, '2027-03-15T16:00:00-05:00']);
  });

  it('chooses a time with the arrow keys, and a day with the day picker', async () => {
    const el = await tourForm();
    await chooseTime(el, '2027-03-15T09:00:00-05:00');
    await sendKeys({ press: 'ArrowRight' });
    expect(radios(el).find((r) => r.checked)?.value).to.equal(TWO_THIRTY);
    expect(focused()).to.equal(radios(el)[1]);
    const select = $<HTMLSelectElement>(el, '#tour-day');
    select.value = '2027-03-17';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await el.updateComplete;
    expect(times(el)).to.deep.equal(['10:00 AM']);
    expect(radios(el)[0]!.checked, 'another day: no time chosen').to.equal(false);
    expect(text($(el, 'legend'))).to.equal('Time on Wednesday, March 17 *');
  });

  it('asks for a time when none is chosen, in English and in Spanish', async () => {
    for (const [lang, words] of [
      ['en', 'Choose a time for your tour.'],
      ['es', 'Elija una hora para su visita.'],
    ] as const) {
      const el = await tourForm('tours', lang);
      await fillValid(el);
      await submit(el);
      await until(() => text($(el, '#tour-error')).includes(words), `${lang}: the time's error`);
      for (const radio of radios(el)) expect(radio.getAttribute('aria-invalid')).to.equal('true');
      // Each time is read with its zone and, once there is one, its error.
      expect(radios(el)[0]!.getAttribute('aria-describedby')).to.equal('tour-zone tour-error');
      expect(focused(), 'focus on the first time').to.equal(radios(el)[0]);
    }
    expect(await requests()).to.have.length(0);
  });

  it('sends the chosen start as tour.start, beside the fields, and confirms it with a calendar file', async () => {
    const el = await tourForm();
    await fillValid(el);
    await chooseTime(el, TWO_THIRTY);
    await submit(el);
    await settle(el, 'success');
    const [sent] = await requests();
    expect(sent!.body.tour).to.deep.equal({ start: TWO_THIRTY });
    expect(sent!.body.first_name).to.equal('Ana');
    expect(sent!.body).to.not.have.property('target_move_in_date');

    const status = $(el, '.status');
    expect(text(status)).to.contain('Your tour: Monday, March 15 at 2:30 PM (Central Time)');
    expect(text(status)).to.contain('4100 Oak Grove Blvd, Austin, TX 78745');
    expect(text(status)).to.contain('To change or cancel, call or write to the office.');
    const link = $<HTMLAnchorElement>(el, 'a[download]');
    expect(link.getAttribute('download')).to.equal('tour.ics');
    expect(text(link)).to.equal('Add to calendar');
    const ics = await (await fetch(link.href)).text();
    expect(ics).to.contain('\r\nDTSTART:20270315T193000Z\r\n');
    expect(ics).to.contain('\r\nDTEND:20270315T200000Z\r\n');
    expect(ics).to.contain(`\r\nUID:ld_stub_1@${location.host}\r\n`);
    expect(ics).to.contain('\r\nLOCATION:4100 Oak Grove Blvd\\, Austin\\, TX 78745\r\n');
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).to.equal(true);
  });

  it('offers the slots open now when the time was just taken, with a new key for the next send', async () => {
    const el = await tourForm('tours-taken');
    await fillValid(el);
    await chooseTime(el, TWO_THIRTY);
    await submit(el);
    await until(() => text($(el, '#tour-error')) === 'That time was just taken. Pick another.', 'the taken message');
    expect(times(el)).to.deep.equal(['9:00 AM', '4:00 PM']);
    expect(
      radios(el).some((r) => r.checked),
      'no time chosen',
    ).to.equal(false);
    await until(() => focused() === radios(el)[0], 'focus on the times');
    expect(control(el, 'first_name').value, 'the other answers kept').to.equal('Ana');
    expect(control(el, 'email_1').value).to.equal('ana.garcia@gmail.com');
    await expect(el).to.be.accessible();

    await chooseTime(el, '2027-03-15T16:00:00-05:00');
    await until(() => text($(el, '#tour-error')) === '', 'the error cleared once a time is chosen');
    await submit(el);
    await settle(el, 'success');
    const [first, second] = await requests();
    expect(first!.body.tour).to.deep.equal({ start: TWO_THIRTY });
    expect(second!.body.tour).to.deep.equal({ start: '2027-03-15T16:00:00-05:00' });
    expect(second!.key, 'a new Idempotency-Key').to.not.equal(first!.key);
    expect(text($(el, '.status'))).to.contain('4:00 PM');
  });

  it('falls back to the contact form where the site has no tours, and says so once', async () => {
    const warn = console.warn;
    const said: unknown[][] = [];
    console.warn = (...args: unknown[]) => said.push(args);
    try {
      const el = await tourForm('tours-off');
      expect(control(el, 'target_move_in_date'), 'the contact form').to.exist;
      expect(el.shadowRoot!.querySelector('fieldset')).to.equal(null);
      expect(el.mode).to.equal('');
      await fillValid(el);
      await submit(el);
      await settle(el, 'success');
      expect((await requests())[0]!.body).to.not.have.property('tour');
    } finally {
      console.warn = warn;
    }
    expect(said.filter((args) => String(args[0]).includes('offers no tours'))).to.have.length(1);
  });

  it('says when no time is open, and takes a message instead', async () => {
    const el = await tourForm('tours-none');
    expect(text($(el, '.note.wide'))).to.equal('No tour times are open right now. Call or write to the office.');
    expect(control(el, 'target_move_in_date'), 'the contact form').to.exist;
  });

  it('says when the slots could not be loaded, and loads them again on "Try again"', async () => {
    const el = await tourForm('tours-flaky');
    expect(text($(el, '[role=alert]'))).to.equal('We could not load the tour times.');
    await expect(el).to.be.accessible();
    // Sent meanwhile: the time is missing, and focus goes where it is fixed, described by why.
    await fillValid(el);
    await submit(el);
    await until(() => focused() === $(el, 'button[part=retry]'), 'focus on "Try again"');
    expect($(el, 'button[part=retry]').getAttribute('aria-invalid')).to.equal('true');
    expect($(el, 'button[part=retry]').getAttribute('aria-describedby')).to.equal('tour-error');
    await expect(el).to.be.accessible();
    $<HTMLButtonElement>(el, 'button[part=retry]').click();
    await until(() => radios(el).length === 3, 'the times');
  });

  describe('is axe-clean', () => {
    const states: [string, () => Promise<ResmanLeadForm>][] = [
      ['with the times', () => tourForm()],
      ['in Spanish', () => tourForm('tours', 'es')],
      [
        'after a send without a time',
        async () => {
          const el = await tourForm();
          await submit(el);
          await until(() => text($(el, '#tour-error')) !== '', 'the error');
          return el;
        },
      ],
      [
        'confirmed',
        async () => {
          const el = await tourForm();
          await fillValid(el);
          await chooseTime(el, TWO_THIRTY);
          await submit(el);
          await settle(el, 'success');
          return el;
        },
      ],
    ];
    for (const [state, reach] of states) {
      it(state, async () => {
        const el = await reach();
        await expect(el).to.be.accessible();
      });
    }
  });
});
