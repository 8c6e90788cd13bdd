// WCAG 2.2 AA evidence for <resman-lead-form>: axe in every state the prospect can meet, names and
// descriptions as the browser exposes them, the required-field convention, keyboard-only use,
// target sizes, reduced motion and forced colours.
import { expect, fixture, html } from '@open-wc/testing';
import { a11ySnapshot, emulateMedia, executeServerCommand, sendKeys } from '@web/test-runner-commands';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { onlyIn } from './engine.js';
import {
  STUB,
  choose,
  clearRequests,
  control,
  fillValid,
  form,
  release,
  rendered,
  requests,
  setViewport,
  settle,
  shiftTab,
  submit,
  until,
} from './helpers.js';

// Chromium's DevTools protocol, which web-test-runner's a11ySnapshot and emulateMedia (and
// forced-colors-plugin.mjs) use: Firefox is driven over WebDriver BiDi, WebKitGTK over WebDriver.
const cdp = onlyIn(['chromium'], 'needs the DevTools protocol');

const $ = <T extends Element = HTMLElement>(el: ResmanLeadForm, selector: string) => el.shadowRoot!.querySelector<T>(selector)!;
const $$ = <T extends Element = HTMLElement>(el: ResmanLeadForm, selector: string) => [...el.shadowRoot!.querySelectorAll<T>(selector)];
const visible = (c: Element) => !c.closest('[hidden], [aria-hidden=true]');
const invalid = (el: ResmanLeadForm) => until(() => $$(el, '[aria-invalid=true]').length > 0, 'an invalid field');
const announced = (el: ResmanLeadForm) => until(() => $(el, '[role=alert]').textContent!.trim() !== '', 'the error summary');

/** The element that really has focus, through open shadow roots. */
function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

describe('<resman-lead-form> accessibility', () => {
  beforeEach(clearRequests);

  describe('is axe-clean in every state', () => {
    afterEach(release); // the submitting state's lead, held by the stub relay
    const states: [string, () => Promise<ResmanLeadForm>][] = [
      ['empty', () => form()],
      [
        'invalid, after an empty submit',
        async () => {
          const el = await form();
          await submit(el);
          await announced(el);
          return el;
        },
      ],
      [
        'submitting',
        async () => {
          const el = await form('slow');
          await fillValid(el);
          await submit(el);
          await settle(el, 'submitting');
          return el;
        },
      ],
      [
        'success',
        async () => {
          const el = await form('accept');
          await fillValid(el);
          await submit(el);
          await settle(el, 'success');
          return el;
        },
      ],
      [
        'error (relay down)',
        async () => {
          const el = await form('down');
          await fillValid(el);
          await submit(el);
          await settle(el, 'error');
          return el;
        },
      ],
      [
        'Spanish',
        async () => {
          const el = await form('accept', { lang: 'es' });
          await until(() => el.shadowRoot!.textContent!.includes('Nombre'), 'Spanish labels');
          return el;
        },
      ],
      [
        'Spanish, after an empty submit',
        async () => {
          const el = await form('accept', { lang: 'es' });
          await submit(el);
          await until(() => $(el, '[role=alert]').textContent!.includes('campos'), 'the Spanish summary');
          return el;
        },
      ],
      ['with the consent box', () => form('consent')],
      [
        'with a required consent box, after an empty submit',
        async () => {
          const el = await form('consent-required');
          await submit(el);
          await until(() => $(el, 'input[name=consent]').getAttribute('aria-invalid') === 'true', 'consent error');
          return el;
        },
      ],
      [
        'with floor plans and units',
        async () => {
          const el = await form('plans');
          await until(() => visible(control(el, 'floor_plan_id')), 'the floor-plan select');
          await choose(el, 'floor_plan_id', 'fp_live_oak');
          await until(() => visible(control(el, 'unit_id')), 'the unit select');
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

  describe('names and descriptions', () => {
    interface Exposed {
      role: string;
      name: string;
      description?: string;
      required?: boolean;
      invalid?: string;
    }

    /** What each control exposes, keyed by its name attribute, checked against the same expectations. */
    function expectExposed(byName: Record<string, Exposed>, state: 'fresh' | 'invalid') {
      const names: Record<string, string> = {
        first_name: 'First name',
        last_name: 'Last name',
        email_1: 'Email',
        phone_1: 'Phone',
        target_move_in_date: 'Move-in date',
        desired_num_bedrooms: 'Bedrooms',
        notes: 'Questions or comments',
      };
      for (const [field, name] of Object.entries(names)) {
        // The * is aria-hidden: the name is the label alone.
        expect(byName[field]?.name, field).to.equal(name);
      }
      expect(byName.first_name!.required, 'first_name required').to.equal(true);
      expect(byName.last_name!.required, 'last_name required').to.equal(true);
      expect(byName.email_1!.required ?? false, 'email_1 not required').to.equal(false);
      expect(byName.phone_1!.description).to.contain('US number, 10 digits.');
      if (state === 'fresh') {
        expect(byName.email_1!.description ?? '', 'no description without hint or error').to.equal('');
        for (const field of Object.keys(names)) expect(byName[field]!.invalid ?? 'false', `${field} not invalid`).to.equal('false');
      } else {
        expect(byName.first_name!.description).to.contain('Enter your first name.');
        // The warning sign before an error is decoration: its alternative text is empty.
        expect(byName.first_name!.description).to.not.contain('⚠');
        expect(byName.first_name!.invalid).to.equal('true');
        expect(byName.email_1!.description).to.contain('Enter an email address or a phone number.');
        expect(byName.email_1!.invalid).to.equal('true');
        // "Email or phone" is said once, under the email: the phone keeps its hint alone.
        expect(byName.phone_1!.description).to.equal('US number, 10 digits.');
        expect(byName.phone_1!.invalid ?? 'false').to.equal('false');
        expect(byName.notes!.invalid ?? 'false').to.equal('false');
      }
      expect(byName.submit!.role).to.equal('button');
      expect(byName.submit!.name).to.equal('Send');
    }

    interface AXNode extends Exposed {
      children?: AXNode[];
    }
    const flatten = (node: AXNode): AXNode[] => [node, ...(node.children ?? []).flatMap(flatten)];

    /** Chromium's accessibility tree, matched to the controls by role and accessible name. */
    async function fromBrowser(el: ResmanLeadForm): Promise<Record<string, Exposed> | null> {
      let tree: AXNode;
      try {
        tree = (await a11ySnapshot({})) as unknown as AXNode;
      } catch (err) {
        if (/Unknown command a11y-snapshot/.test(String(err))) return null;
        throw err;
      }
      const nodes = flatten(tree);
      const byName: Record<string, Exposed> = {};
      for (const c of $$(el, '[part=input], button[type=submit]')) {
        if (!visible(c)) continue;
        const label = (c.localName === 'button' ? c : (c as HTMLInputElement).labels![0]!).textContent!.replace(/\*\s*$/, '').trim();
        const matches = nodes.filter((n) => n.name === label && !['StaticText', 'LabelText', 'option'].includes(n.role));
        expect(matches, `one accessibility node named ${label}`).to.have.length(1);
        byName[(c as HTMLInputElement).name || 'submit'] = matches[0]!;
      }
      return byName;
    }

    /** axe-core's accessible-name computation, and the text of aria-describedby, for every control. */
    async function fromAxe(el: ResmanLeadForm): Promise<Record<string, Exposed>> {
      const axe = await loadAxe();
      axe.setup(document);
      try {
        const byName: Record<string, Exposed> = {};
        for (const c of $$<HTMLInputElement>(el, '[part=input], button[type=submit]')) {
          if (!visible(c)) continue;
          const describedBy = (c.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
          byName[c.name || 'submit'] = {
            role: axe.commons.aria.getRole(c),
            name: axe.commons.text.accessibleText(c),
            description: describedBy.map((id) => el.shadowRoot!.getElementById(id)!.textContent!.trim()).join(' '),
            required: c.required,
            invalid: c.getAttribute('aria-invalid') ?? 'false',
          };
        }
        return byName;
      } finally {
        axe.teardown();
      }
    }

    cdp.it("match Chromium's accessibility tree (a11ySnapshot), before and after an invalid submit", async () => {
      const el = await form();
      const fresh = await fromBrowser(el);
      // a11ySnapshot needs a11ySnapshotPlugin() in web-test-runner.config.mjs (not a default plugin).
      expect(fresh, 'a11ySnapshot command (a11ySnapshotPlugin registered)').to.not.equal(null);
      expectExposed(fresh!, 'fresh');
      await submit(el);
      await announced(el);
      await el.updateComplete;
      expectExposed((await fromBrowser(el))!, 'invalid');
    });

    it("match axe-core's accessible-name computation, before and after an invalid submit", async () => {
      const el = await form();
      expectExposed(await fromAxe(el), 'fresh');
      await submit(el);
      await announced(el);
      await el.updateComplete;
      expectExposed(await fromAxe(el), 'invalid');
    });

    it('names the consent box by its text, without the *, and ties its error to it', async () => {
      const el = await form('consent-required');
      const box = $<HTMLInputElement>(el, 'input[name=consent]');
      const axe = await loadAxe();
      axe.setup(document);
      try {
        expect(axe.commons.text.accessibleText(box)).to.equal('I agree that Oak Grove may call and text me about my inquiry.');
      } finally {
        axe.teardown();
      }
      expect(box.required).to.equal(true);
      await submit(el);
      await until(() => box.getAttribute('aria-invalid') === 'true', 'consent error');
      expect(el.shadowRoot!.getElementById(box.getAttribute('aria-describedby')!)!.textContent).to.contain('Tick the box');
    });
  });

  describe('required fields', () => {
    for (const [site, lang, note] of [
      ['strict', 'en', 'Fields marked with * are required'],
      ['consent', 'en', 'Fields marked with * are required'],
      ['consent-required', 'en', 'Fields marked with * are required'],
      ['accept', 'es', 'Los campos marcados con * son obligatorios'],
    ] as const) {
      it(`explain the * in text, hide the * from screen readers, and mark the controls required (${site}, ${lang})`, async () => {
        const el = await form(site, { lang });
        await until(() => $(el, '.note').textContent!.includes(note), 'the required note');
        const marks = $$(el, '.mark');
        expect(marks.length).to.be.greaterThan(1);
        for (const mark of marks) {
          expect(mark.textContent).to.equal('*');
          expect(mark.getAttribute('aria-hidden')).to.equal('true');
        }
        const controls = $$<HTMLInputElement>(el, '[part=input], [part=consent]').filter(visible);
        const marked = controls.filter((c) => c.labels![0]!.querySelector('.mark')).map((c) => c.name);
        const required = controls.filter((c) => c.required).map((c) => c.name);
        expect(marked).to.deep.equal(required);
        expect(required).to.include.members(['first_name', 'last_name']);
        if (site === 'strict') expect(required).to.include('phone_1');
        // The consent box is optional unless the site requires it.
        expect(required.includes('consent')).to.equal(site === 'consent-required');
      });
    }
  });

  describe('keyboard only', () => {
    it('Tabs through every field in order with a visible focus, skips the hidden field, fills by typing and sends with Enter', async () => {
      const page = await fixture<HTMLElement>(html`<div>
        <button id="before">Before</button>
        <resman-lead-form site="accept" relay=${STUB} lang="en"></resman-lead-form>
        <button id="after">After</button>
      </div>`);
      const el = page.querySelector('resman-lead-form')!;
      await rendered(el);
      const typed: Record<string, string> = {
        first_name: 'Ana',
        last_name: 'García',
        email_1: 'ana.garcia@gmail.com',
        phone_1: '5125550142',
        desired_num_bedrooms: '2', // a closed select picks the option starting with "2"
        notes: 'Do you allow cats?',
      };
      const key = (e: Element | null) => (e as HTMLInputElement | null)?.name || e?.id || e?.getAttribute('part') || String(e?.localName);

      /** Presses `press` until `stop` has focus, recording each element focus enters. */
      async function walk(press: 'Tab' | 'Shift+Tab', stop: string, fill = false): Promise<string[]> {
        const seen: string[] = [];
        for (let i = 0; i < 40 && key(focused()) !== stop; i++) {
          if (press === 'Shift+Tab') await shiftTab();
          else await sendKeys({ press });
          const now = key(focused());
          if (now === seen.at(-1)) continue; // the month, day and year of a date input are one field
          seen.push(now);
          const outline = getComputedStyle(focused()!);
          if (el.shadowRoot!.contains(focused())) {
            expect(outline.outlineStyle, `focus visible on ${now}`).to.equal('solid');
            expect(parseFloat(outline.outlineWidth), `focus outline of ${now}`).to.be.at.least(2);
          }
          if (fill && typed[now]) await sendKeys({ type: typed[now]! });
        }
        return seen;
      }

      const order = ['first_name', 'last_name', 'email_1', 'phone_1', 'target_move_in_date', 'desired_num_bedrooms', 'notes', 'submit'];
      page.querySelector<HTMLButtonElement>('#before')!.focus();
      expect(await walk('Tab', 'submit', true)).to.deep.equal(order);
      expect(await walk('Tab', 'after')).to.deep.equal(['after']);
      expect(await walk('Shift+Tab', 'before')).to.deep.equal([...order].reverse().concat('before'));
      expect(await walk('Tab', 'submit')).to.deep.equal(order);

      await sendKeys({ press: 'Enter' });
      await settle(el, 'success');
      expect(focused()).to.equal($(el, '.status'));
      const [sent] = await requests();
      expect(sent!.body).to.include({
        first_name: 'Ana',
        last_name: 'García',
        email_1: 'ana.garcia@gmail.com',
        phone_1: '5125550142',
        desired_num_bedrooms: 2,
        notes: 'Do you allow cats?',
      });
      expect(sent!.body.meta).to.not.have.property('trap');
    });
  });

  describe('target sizes', () => {
    afterEach(() => setViewport({ width: 800, height: 600 }));

    for (const [device, viewport] of [
      ['phone', { width: 375, height: 740 }],
      ['desktop', { width: 1280, height: 800 }],
    ] as const) {
      it(`gives every control at least 24×24 px, inputs and buttons 44 px of height (${device})`, async () => {
        await setViewport(viewport);
        const el = await form('consent', {
          fields: 'first_name last_name email_1 phone_1 phone_1_type target_move_in_date desired_num_bedrooms notes',
        });
        const controls = $$(el, 'input, select, textarea, button').filter((c) => visible(c) && (c as HTMLInputElement).name !== 'website');
        expect(controls.length).to.equal(10); // 8 fields, the consent box, the button
        for (const c of controls) {
          const { width, height } = c.getBoundingClientRect();
          const what = (c as HTMLInputElement).name || c.localName;
          expect(width, `${what} width`).to.be.at.least(24);
          expect(height, `${what} height`).to.be.at.least(24);
          if ((c as HTMLInputElement).type !== 'checkbox') expect(height, `${what} height`).to.be.at.least(44);
        }
      });
    }
  });

  describe('non-text contrast (1.4.11) on a white page', () => {
    const channels = (c: string) =>
      c
        .match(/[\d.]+/g)!
        .slice(0, 3)
        .map(Number);
    const luminance = (c: string) => {
      const [r, g, b] = channels(c).map((v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (a: string, b: string) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    const WHITE = 'rgb(255, 255, 255)';

    it('gives field borders, invalid borders and the focus outline at least 3:1', async () => {
      const el = await form();
      const input = control(el, 'email_1');
      expect(getComputedStyle(input).backgroundColor).to.equal(WHITE);
      expect(contrast(getComputedStyle(input).borderTopColor, WHITE), 'field border').to.be.at.least(3);
      input.focus();
      expect(contrast(getComputedStyle(input).outlineColor, WHITE), 'focus outline').to.be.at.least(3);
      await submit(el);
      await invalid(el);
      await Promise.all(el.shadowRoot!.getAnimations().map((a) => a.finished));
      expect(contrast(getComputedStyle(input).borderTopColor, WHITE), 'invalid border').to.be.at.least(3);
      expect(parseFloat(getComputedStyle(input).borderTopWidth), 'invalid border is thicker, not only redder').to.equal(2);
    });
  });

  describe('motion and colour preferences', () => {
    cdp.it('animates field borders only without prefers-reduced-motion', async () => {
      const el = await form();
      const durations = () => $$(el, '[part=input]').map((c) => getComputedStyle(c).transitionDuration);
      try {
        await emulateMedia({ reducedMotion: 'no-preference' });
        expect(durations()).to.have.length.greaterThan(0);
        expect(durations().every((d) => d !== '0s')).to.equal(true);
        await emulateMedia({ reducedMotion: 'reduce' });
        expect(durations().every((d) => d === '0s')).to.equal(true);
      } finally {
        await emulateMedia({ reducedMotion: 'no-preference' });
      }
    });

    cdp.it('draws an invalid field in a system colour under forced colours', async () => {
      // Through the DevTools protocol (test/widget/forced-colors-plugin.mjs): emulateMedia cannot here.
      await executeServerCommand('emulate-forced-colors', { active: true });
      expect(matchMedia('(forced-colors: active)').matches, 'forced colours emulated').to.equal(true);
      try {
        const el = await form();
        await submit(el);
        await invalid(el);
        await Promise.all(el.shadowRoot!.getAnimations().map((a) => a.finished)); // the border transition
        const probe = document.createElement('span');
        probe.style.color = 'Mark';
        document.body.append(probe);
        const mark = getComputedStyle(probe).color;
        probe.remove();
        expect(getComputedStyle(control(el, 'first_name')).borderTopColor).to.equal(mark);
      } finally {
        await executeServerCommand('emulate-forced-colors', { active: false });
      }
    });

    it('declares a system colour for the invalid border under forced colours', async () => {
      const el = await form();
      await submit(el);
      await invalid(el);
      const field = control(el, 'first_name');
      const rules = el
        .shadowRoot!.adoptedStyleSheets.flatMap((sheet) => [...sheet.cssRules])
        .filter((r): r is CSSMediaRule => r instanceof CSSMediaRule && r.conditionText === '(forced-colors: active)')
        .flatMap((media) => [...media.cssRules] as CSSStyleRule[])
        .filter((r) => field.matches(r.selectorText));
      expect(rules.map((r) => r.style.borderColor.toLowerCase())).to.include('mark');
    });
  });
});

/** The axe-core that `to.be.accessible()` uses, loaded here if no check has run yet (it sets window.axe). */
async function loadAxe(): Promise<AxeInternals> {
  const w = window as unknown as { axe?: AxeInternals };
  if (!w.axe) await import('axe-core');
  return w.axe!;
}

/** The parts of axe-core's internals these tests use. */
interface AxeInternals {
  setup(root: Node): unknown;
  teardown(): void;
  commons: {
    aria: { getRole(el: Element): string };
    text: { accessibleText(el: Element): string };
  };
}
