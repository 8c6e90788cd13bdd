// Theming <resman-lead-form> from the host page: custom properties, the inherited font, ::part(),
// :state(), and the shadow root's isolation in both directions.
import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { STUB, clearRequests, control, fillValid, form, release, rendered, settle, submit, until } from './helpers.js';

const $ = <T extends Element = HTMLElement>(el: ResmanLeadForm, selector: string) => el.shadowRoot!.querySelector<T>(selector)!;
const style = (e: Element) => getComputedStyle(e);
const field = (el: ResmanLeadForm, name: string) => control(el, name).closest('.field')!.getBoundingClientRect();

/** Adds page CSS for the length of one test. */
let pageStyles: HTMLStyleElement[] = [];
function pageCss(text: string): void {
  const sheet = document.createElement('style');
  sheet.textContent = text;
  document.head.append(sheet);
  pageStyles.push(sheet);
}

/** Lets the fields' border transition (prefers-reduced-motion: no-preference) reach its end. */
async function transitions(el: ResmanLeadForm): Promise<void> {
  getComputedStyle(control(el, 'first_name')).borderColor; // a style recalc starts any transition
  await Promise.all(el.shadowRoot!.getAnimations().map((a) => a.finished));
}

/** Every computed property of `e`, so that any change at all shows. */
const everything = (e: Element) => {
  const cs = getComputedStyle(e);
  return Object.fromEntries([...cs].map((p) => [p, cs.getPropertyValue(p)]));
};

/** A form inside a wrapper that sets `css` (width, font…), once its settings have arrived. */
async function wrapped(css: string, site = 'accept'): Promise<ResmanLeadForm> {
  const wrapper = await fixture<HTMLElement>(
    html`<div style=${css}><resman-lead-form site=${site} relay=${STUB} lang="en"></resman-lead-form></div>`,
  );
  const el = wrapper.querySelector('resman-lead-form')!;
  await rendered(el);
  return el;
}

describe('<resman-lead-form> theming', () => {
  beforeEach(clearRequests);
  afterEach(() => {
    for (const s of pageStyles) s.remove();
    pageStyles = [];
  });

  describe('custom properties on the host', () => {
    it('restyle colours, corners, spacing and font inside the shadow root', async () => {
      const el = await wrapped('width: 320px');
      const props: Record<string, string> = {
        '--resman-color-accent': 'rgb(10, 20, 30)',
        '--resman-color-on-accent': 'rgb(250, 240, 230)',
        '--resman-color-text': 'rgb(40, 50, 60)',
        '--resman-color-muted': 'rgb(70, 80, 90)',
        '--resman-color-field': 'rgb(255, 250, 200)',
        '--resman-color-border': 'rgb(0, 128, 0)',
        '--resman-color-error': 'rgb(128, 0, 128)',
        '--resman-radius': '13px',
        '--resman-space': '27px',
        '--resman-font': 'italic 17px Georgia, serif',
      };
      const before = { button: style($(el, 'button')).backgroundColor, radius: style(control(el, 'first_name')).borderTopLeftRadius };
      for (const [name, value] of Object.entries(props)) el.style.setProperty(name, value);
      await transitions(el);

      const button = $(el, 'button[type=submit]');
      const input = control(el, 'first_name');
      expect(before.button).to.not.equal('rgb(10, 20, 30)');
      expect(style(button).backgroundColor).to.equal('rgb(10, 20, 30)');
      expect(style(button).color).to.equal('rgb(250, 240, 230)');
      expect(style(el).color).to.equal('rgb(40, 50, 60)');
      expect(style(input.labels![0]!).color).to.equal('rgb(40, 50, 60)');
      expect(style(input).color).to.equal('rgb(40, 50, 60)');
      expect(style($(el, '.hint')).color).to.equal('rgb(70, 80, 90)');
      expect(style(input).backgroundColor).to.equal('rgb(255, 250, 200)');
      expect(style(input).borderTopColor).to.equal('rgb(0, 128, 0)');
      expect(before.radius).to.not.equal('13px');
      expect(style(input).borderTopLeftRadius).to.equal('13px');
      expect(style(button).borderTopLeftRadius).to.equal('13px');
      expect(style(input).fontFamily).to.equal('Georgia, serif');
      expect(style(input).fontSize).to.equal('17px');
      expect(style(input).fontStyle).to.equal('italic');

      // One column at 320 px: the gap between two fields, measured, is --resman-space.
      const first = field(el, 'first_name');
      const last = field(el, 'last_name');
      expect(last.top - first.bottom).to.be.closeTo(27, 0.5);

      input.focus();
      expect(style(input).outlineColor).to.equal('rgb(10, 20, 30)');

      await submit(el);
      await until(() => input.getAttribute('aria-invalid') === 'true', 'an invalid field');
      await transitions(el);
      expect(style(input).borderTopColor).to.equal('rgb(128, 0, 128)');
      expect(style($(el, '#first_name-error')).color).to.equal('rgb(128, 0, 128)');
      expect(style($(el, '.mark')).color).to.equal('rgb(128, 0, 128)');
    });

    it("inherit the page's font by default", async () => {
      const el = await wrapped('font: 19px/1.2 "Courier New", monospace');
      const page = style(el.parentElement!);
      for (const c of [control(el, 'first_name'), control(el, 'desired_num_bedrooms'), control(el, 'notes'), $(el, 'button')]) {
        expect(style(c).fontFamily, c.localName).to.equal(page.fontFamily);
        expect(style(c).fontSize, c.localName).to.equal('19px');
      }
      expect(style(control(el, 'first_name').labels![0]!).fontFamily).to.equal(page.fontFamily);
    });
  });

  describe('::part() from the page', () => {
    it('styles form, field, label, input, hint, error, consent, submit and status', async () => {
      const el = await form('consent');
      const parts = ['form', 'field', 'label', 'input', 'hint', 'error', 'consent', 'submit', 'status'];
      pageCss(parts.map((p, i) => `resman-lead-form::part(${p}) { background-color: rgb(${i + 1}, 1, 1); }`).join('\n'));
      parts.forEach((p, i) => {
        const nodes = [...el.shadowRoot!.querySelectorAll(`[part~=${p}]`)];
        expect(nodes.length, `elements with part ${p}`).to.be.greaterThan(0);
        for (const n of nodes) expect(style(n).backgroundColor, `::part(${p})`).to.equal(`rgb(${i + 1}, 1, 1)`);
      });
    });

    it('styles the retry button after a failed send', async () => {
      const el = await form('down');
      pageCss('resman-lead-form::part(retry) { background-color: rgb(9, 9, 9); }');
      await fillValid(el);
      await submit(el);
      await settle(el, 'error');
      expect(style($(el, 'button[part=retry]')).backgroundColor).to.equal('rgb(9, 9, 9)');
    });
  });

  describe(':state() from the page', () => {
    const outlines = () =>
      pageCss(`
        resman-lead-form:state(submitting) { outline: 2px solid rgb(1, 0, 0); }
        resman-lead-form:state(success) { outline: 2px solid rgb(2, 0, 0); }
        resman-lead-form:state(error) { outline: 2px solid rgb(3, 0, 0); }
      `);
    const outline = (el: ResmanLeadForm) => (style(el).outlineStyle === 'none' ? 'none' : style(el).outlineColor);

    it('matches :state(submitting) then :state(success)', async () => {
      outlines();
      const el = await form('slow');
      expect(outline(el)).to.equal('none');
      await fillValid(el);
      await submit(el);
      await settle(el, 'submitting');
      expect(outline(el)).to.equal('rgb(1, 0, 0)');
      await release();
      await settle(el, 'success');
      expect(outline(el)).to.equal('rgb(2, 0, 0)');
      expect(el.matches(':state(submitting)')).to.equal(false);
    });

    it('matches :state(error)', async () => {
      outlines();
      const el = await form('down');
      await fillValid(el);
      await submit(el);
      await settle(el, 'error');
      expect(outline(el)).to.equal('rgb(3, 0, 0)');
    });
  });

  describe('isolation', () => {
    it("keeps the page's element and class rules out, even !important ones", async () => {
      const el = await form('consent');
      await submit(el);
      await until(() => control(el, 'first_name').getAttribute('aria-invalid') === 'true', 'an invalid field');
      await transitions(el);
      const inside = [...el.shadowRoot!.querySelectorAll('*')];
      const before = inside.map(everything);
      pageCss(`
        /* Not div: the fixture's container is one, and the host inherits from it as it should. */
        input, select, textarea, button, label, p, span, form {
          color: rgb(255, 0, 0) !important;
          background: rgb(255, 0, 0) !important;
          border: 9px dotted rgb(255, 0, 0) !important;
          font: 30px fantasy !important;
          min-height: 0 !important;
          transition: none !important;
        }
        .field, .grid, .note, .hint, .error, .mark, .status, .wide, .consent, .sr-only { display: none !important; }
        [aria-invalid='true'] { border-color: rgb(255, 0, 0) !important; }
        [part] { visibility: hidden !important; }
      `);
      const after = inside.map(everything);
      inside.forEach((e, i) => {
        expect(after[i], e.localName + (e.className ? `.${e.className}` : '')).to.deep.equal(before[i]);
      });
      expect(style(control(el, 'first_name')).color).to.not.equal('rgb(255, 0, 0)');
    });

    it("keeps the widget's rules in: page elements with the same tags and classes are untouched", async () => {
      const page = await fixture<HTMLElement>(html`<div style="width: 300px">
        <form class="grid"><div class="field wide"><label class="consent">Name <span class="mark">*</span></label>
          <input aria-invalid="true" class="error" /><select><option>a</option></select><textarea></textarea>
          <p class="hint note">Hint</p><p class="error">Error</p><div class="status">Status</div>
          <input type="checkbox" /><button aria-disabled="true">Go</button><p class="sr-only title">Hidden</p></div></form>
      </div>`);
      const outside = [...page.querySelectorAll('*')];
      const sheets = document.adoptedStyleSheets.length;
      const before = outside.map(everything);
      const el = await form('consent');
      await submit(el);
      await until(() => control(el, 'first_name').getAttribute('aria-invalid') === 'true', 'an invalid field');
      const after = outside.map(everything);
      outside.forEach((e, i) => {
        expect(after[i], e.localName + (e.className ? `.${e.className}` : '')).to.deep.equal(before[i]);
      });
      expect(document.adoptedStyleSheets.length).to.equal(sheets);
    });
  });
});
