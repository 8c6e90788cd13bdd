// Layout of <resman-lead-form>: one or two columns by its own width (container queries), no
// horizontal overflow at 320 CSS px (WCAG 1.4.10 Reflow), and no layout shift: none once the form is
// shown, and (skipped, a known bug) none when the site's settings arrive after the first render.
import { expect, fixture, html } from '@open-wc/testing';
import { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { ENGINE, ENGINE_NAME } from './engine.js';
import { STUB, choose, control, rendered, setViewport, submit, until } from './helpers.js';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

const box = (el: ResmanLeadForm, name: string) => control(el, name).closest('.field')!.getBoundingClientRect();
const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/** A form in a container `width` wide (or in the page's own flow), once its settings have arrived. */
async function inContainer(width: string, site = 'accept', attrs: { fields?: string; lang?: string } = {}): Promise<ResmanLeadForm> {
  const wrapper = await fixture<HTMLElement>(
    html`<div style="width: ${width}"><resman-lead-form site=${site} relay=${STUB} lang=${attrs.lang ?? 'en'} fields=${attrs.fields ?? ''}></resman-lead-form></div>`,
  );
  const el = wrapper.querySelector('resman-lead-form')!;
  await rendered(el);
  return el;
}

function expectOneColumn(el: ResmanLeadForm): void {
  const first = box(el, 'first_name');
  const last = box(el, 'last_name');
  expect(last.left, 'same left edge').to.be.closeTo(first.left, 0.5);
  expect(last.width, 'same width').to.be.closeTo(first.width, 0.5);
  expect(last.top, 'last name below first name').to.be.greaterThan(first.bottom);
}

function expectTwoColumns(el: ResmanLeadForm): void {
  const first = box(el, 'first_name');
  const last = box(el, 'last_name');
  expect(last.top, 'same row').to.be.closeTo(first.top, 0.5);
  expect(last.left, 'last name right of first name').to.be.greaterThan(first.right);
}

describe('<resman-lead-form> layout', () => {
  afterEach(() => setViewport({ width: 800, height: 600 }));

  describe('container queries', () => {
    it('lays fields in one column in a 320 px container, even on a desktop screen', async () => {
      await setViewport(DESKTOP);
      const el = await inContainer('320px');
      expectOneColumn(el);
      const grid = el.shadowRoot!.querySelector('.grid')!.getBoundingClientRect();
      for (const name of ['email_1', 'notes']) expect(box(el, name).width, name).to.be.closeTo(grid.width, 0.5);
    });

    it('lays fields in two columns in a 900 px container, wide fields across both', async () => {
      await setViewport(DESKTOP);
      const el = await inContainer('900px');
      expectTwoColumns(el);
      const grid = el.shadowRoot!.querySelector('.grid')!.getBoundingClientRect();
      const notes = box(el, 'notes');
      expect(notes.left).to.be.closeTo(grid.left, 0.5);
      expect(notes.width).to.be.closeTo(grid.width, 0.5);
      expect(box(el, 'email_1').width, 'an ordinary field takes one column').to.be.lessThan(grid.width / 2);
    });

    it('follows its own width on a phone and on a desktop screen', async () => {
      await setViewport(PHONE);
      expectOneColumn(await inContainer('auto'));
      await setViewport(DESKTOP);
      expectTwoColumns(await inContainer('auto'));
    });
  });

  describe('reflow at 320 CSS px', () => {
    const cases: [string, string, { fields?: string; lang?: string }, ((el: ResmanLeadForm) => Promise<void>)?][] = [
      ['the default fields', 'accept', {}],
      [
        'every field, after an empty submit',
        'accept',
        {
          fields:
            'first_name last_name email_1 phone_1 phone_1_type phone_2 phone_2_type address_1 address_2 city state zip ' +
            'target_move_in_date desired_num_bedrooms desired_num_bathrooms desired_max_rent_in_cents desired_lease_term_in_months notes',
        },
        async (el) => {
          await submit(el);
          await until(() => el.shadowRoot!.querySelector('[aria-invalid=true]') !== null, 'errors shown');
        },
      ],
      ['Spanish', 'accept', { lang: 'es' }, (el) => until(() => el.shadowRoot!.textContent!.includes('Nombre'), 'Spanish')],
      ['the consent box', 'consent', {}],
      [
        'floor plans and units',
        'plans',
        {},
        async (el) => {
          await until(() => !control(el, 'floor_plan_id').closest('[hidden]'), 'floor plans');
          await choose(el, 'floor_plan_id', 'fp_live_oak');
          await until(() => !control(el, 'unit_id').closest('[hidden]'), 'units');
        },
      ],
    ];
    for (const [what, site, attrs, then] of cases) {
      it(`does not scroll sideways with ${what}`, async () => {
        await setViewport(PHONE);
        const el = await inContainer('320px', site, attrs);
        await then?.(el);
        await el.updateComplete;
        const formEl = el.shadowRoot!.querySelector('form')!;
        expect(formEl.scrollWidth, 'form').to.be.at.most(formEl.clientWidth);
        expect(el.scrollWidth, 'host').to.be.at.most(el.clientWidth);
        const right = el.getBoundingClientRect().right;
        for (const c of el.shadowRoot!.querySelectorAll('input, select, textarea, button, label, p')) {
          if (c.closest('.sr-only, [hidden]')) continue;
          expect(c.getBoundingClientRect().right, (c as HTMLInputElement).name || c.localName).to.be.at.most(right + 0.5);
        }
      });
    }
  });

  describe('floor plans on a phone', () => {
    /** How wide `text` is in the select's own font, in CSS px. */
    function textWidth(select: HTMLSelectElement, text: string): number {
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = getComputedStyle(select).font;
      return context.measureText(text).width;
    }

    // A closed select shows the chosen option's label on one line and cuts what does not fit: the
    // price must come before anything that may be cut.
    for (const lang of ['en', 'es']) {
      it(`shows every plan's and apartment's price in a 320 px form (${lang})`, async () => {
        await setViewport(PHONE);
        const el = await inContainer('320px', 'plans', { lang });
        await until(() => control(el, 'floor_plan_id').textContent!.includes('$'), 'plans described');
        await choose(el, 'floor_plan_id', 'fp_live_oak');
        await until(() => !control(el, 'unit_id').closest('[hidden]'), 'units');
        for (const name of ['floor_plan_id', 'unit_id']) {
          const select = control(el, name) as unknown as HTMLSelectElement;
          const style = getComputedStyle(select);
          // The label's room: the content box less the drop-down arrow's (at most 24 px).
          const room = select.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight) - 24;
          for (const option of select.options) {
            const price = /^.*\$[\d,]+(–\$[\d,]+)?/.exec(option.text)?.[0];
            if (price) expect(textWidth(select, price), option.text).to.be.at.most(room);
          }
        }
      });
    }
  });

  // Chromium alone reports layout shifts (the Layout Instability API): there the tests also read the
  // layout-shift entries; elsewhere they compare the geometry only, as the suite's title says.
  const shiftsReported = ENGINE === 'chromium';
  describe(`layout stability${shiftsReported ? '' : ` (geometry only: ${ENGINE_NAME} has no layout-shift entries)`}`, () => {
    /** Holds back GET /form until released: any real network is slower than the first paint. */
    function holdSettings() {
      const real = window.fetch;
      let release!: () => void;
      let asked!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      /** Resolves once a form has asked for its settings: it is upgraded and waiting. */
      const held = new Promise<void>((r) => (asked = r));
      window.fetch = async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.endsWith('/form')) {
          asked();
          await gate;
        }
        return real(input, init);
      };
      return { release, held, restore: () => (window.fetch = real) };
    }

    /** The form, once rendered hidden to hold its place (after 100 ms without its settings). */
    const holdingItsPlace = (el: ResmanLeadForm) => until(() => !!el.shadowRoot!.querySelector('form'), 'rendered hidden after 100 ms');

    /** Layout-shift entries from now on (buffered: false): nothing that happened before counts. */
    function watchShifts() {
      if (!shiftsReported) return { values: () => [], stop: () => {} };
      const seen: number[] = [];
      const record = (entries: PerformanceEntryList) => {
        for (const e of entries) seen.push((e as PerformanceEntry & { value: number }).value);
      };
      const observer = new PerformanceObserver((list) => record(list.getEntries()));
      observer.observe({ type: 'layout-shift', buffered: false });
      return {
        values: () => {
          record(observer.takeRecords());
          return seen;
        },
        stop: () => observer.disconnect(),
      };
    }

    /** A form with explicit fields in a 600 px container, followed by a paragraph, both in view. */
    async function formThenParagraph(site: string) {
      await setViewport(DESKTOP);
      const page = await fixture<HTMLElement>(html`<div style="width: 600px">
        <resman-lead-form site=${site} relay=${STUB} lang="en" fields="first_name last_name email_1 phone_1 notes"></resman-lead-form>
        <p id="after">The paragraph after the form.</p>
      </div>`);
      return { el: page.querySelector('resman-lead-form')!, after: page.querySelector<HTMLElement>('#after')! };
    }

    const painted = async () => {
      await frame();
      await frame();
    };

    /** The observer does see a real shift: push the paragraph down by 40 px. */
    async function expectObserverWorks(after: HTMLElement, shifts: ReturnType<typeof watchShifts>) {
      if (!shiftsReported) return;
      const spacer = document.createElement('div');
      spacer.style.height = '40px';
      after.before(spacer);
      await until(() => shifts.values().length > 0, 'a deliberate layout shift to be observed');
    }

    // A relay slower than 100 ms gets the form rendered hidden meanwhile, holding its place: its
    // settings then arrive without moving anything.
    it('does not move the page when the settings arrive after it rendered hidden', async () => {
      const held = holdSettings();
      let shifts: ReturnType<typeof watchShifts> | undefined;
      try {
        const { el, after } = await formThenParagraph('accept');
        expect(el.shadowRoot!.querySelector('form'), 'nothing rendered at first').to.equal(null);
        await holdingItsPlace(el);
        await el.updateComplete;
        await painted();
        shifts = watchShifts();
        expect(el.matches(':state(ready)'), 'measured before the settings arrived').to.equal(false);
        const pending = el.shadowRoot!.querySelector('form')!;
        pending.querySelector<HTMLInputElement>('[name=first_name]')!.focus();
        expect(el.shadowRoot!.activeElement, 'not usable before its settings').to.equal(null);
        expect(pending.checkVisibility({ visibilityProperty: true }), 'not seen before its settings').to.equal(false);
        const first = { height: el.getBoundingClientRect().height, top: after.getBoundingClientRect().top };
        expect(first.height).to.be.greaterThan(200);

        held.release();
        await rendered(el);
        await painted();
        expect(el.getBoundingClientRect().height, `host height (${first.height} px before the settings)`).to.equal(first.height);
        expect(after.getBoundingClientRect().top, 'top of the paragraph after the form').to.equal(first.top);
        expect(shifts.values(), 'layout-shift entries').to.deep.equal([]);
        await expectObserverWorks(after, shifts);
      } finally {
        held.restore();
        shifts?.stop();
      }
    });

    it('does not move the page when the element is defined, before its form shows', async () => {
      const held = holdSettings();
      const box = document.createElement('div');
      try {
        // A tag of its own, so the element is defined only once it is on the page, as on a real one.
        const tag = `resman-lead-form-${Math.random().toString(36).slice(2, 8)}`;
        box.innerHTML = `<p>Before the form.</p><${tag} site="accept" relay="${STUB}" lang="en"></${tag}><p id="late-after">After the form.</p>`;
        document.body.prepend(box);
        const after = box.querySelector<HTMLElement>('#late-after')!;
        const top = after.getBoundingClientRect().top;
        customElements.define(tag, class extends ResmanLeadForm {});
        await held.held; // upgraded and asking for its settings; nothing shown before 100 ms
        const el = box.querySelector<ResmanLeadForm>(tag)!;
        expect(el.shadowRoot!.childElementCount, 'nothing rendered').to.equal(0);
        expect(el.matches(':state(ready)')).to.equal(false);
        // An empty host must let the paragraphs' margins collapse through it, as the unknown element did.
        expect(after.getBoundingClientRect().top).to.equal(top);
      } finally {
        held.restore();
        box.remove();
      }
    });

    it("does not move the page at all when the page reserves the form's height until :state(ready), as README says", async () => {
      // The form's height in this container, measured once, is what a marketer would reserve.
      const probe = await formThenParagraph('accept');
      await rendered(probe.el);
      const height = probe.el.getBoundingClientRect().height;
      probe.el.parentElement!.remove(); // the measured form must not push the real one out of view
      const style = document.createElement('style');
      style.textContent = `resman-lead-form:not(:state(ready)) { display: block; min-height: ${height}px; }`;
      document.head.append(style);
      // Whatever the probe's removal moved is reported by the next frame: before the watch starts.
      await painted();
      const held = holdSettings();
      const shifts = watchShifts();
      try {
        const { el, after } = await formThenParagraph('accept');
        await painted();
        const top = after.getBoundingClientRect().top;
        expect(el.matches(':state(ready)'), 'not ready while its settings are held').to.equal(false);
        await holdingItsPlace(el);
        held.release();
        await rendered(el);
        await painted();
        expect(el.matches(':state(ready)')).to.equal(true);
        expect(after.getBoundingClientRect().top).to.equal(top);
        expect(shifts.values(), 'layout-shift entries').to.deep.equal([]);
        await expectObserverWorks(after, shifts);
      } finally {
        held.restore();
        shifts.stop();
        style.remove();
      }
    });

    for (const site of ['accept', 'strict', 'spanish']) {
      it(`does not move once shown, while its language and messages load (${site})`, async () => {
        const { el, after } = await formThenParagraph(site);
        await rendered(el);
        await painted();
        // From here on: the form's own appearance is the skipped case above.
        const shifts = watchShifts();
        try {
          const first = { height: el.getBoundingClientRect().height, top: after.getBoundingClientRect().top };
          expect(first.height).to.be.greaterThan(200);
          // The first focus fetches the send chunk, whose English messages re-render the form. The
          // test imports the same module: it resolves when the form's does, and the form takes the
          // messages in before the next frame.
          control(el, 'first_name').focus();
          await import('../../widget/lead-form/send-lead.js');
          await el.updateComplete;
          await painted();
          expect(el.getBoundingClientRect().height).to.equal(first.height);
          expect(after.getBoundingClientRect().top).to.equal(first.top);
          expect(shifts.values(), 'layout-shift entries').to.deep.equal([]);
          await expectObserverWorks(after, shifts);
        } finally {
          shifts.stop();
        }
      });
    }
  });
});
