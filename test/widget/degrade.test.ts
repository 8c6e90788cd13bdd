// What the widget does where a browser lacks a feature it uses. Chromium, Firefox ESR and WebKitGTK
// (launchers.mjs) have every one of them; phones do not all run such a recent engine, so each case
// here takes the feature away and runs in all three.
import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { STUB, clearRequests, control, fillValid, nextEvent, requests, submit, until } from './helpers.js';

describe('<resman-lead-form> where the browser lacks a feature', () => {
  beforeEach(clearRequests);

  // Custom states (ElementInternals.states, :state()) came with Safari 17.4 and Firefox 126, after
  // ElementInternals itself (Safari 16.4, Firefox 93). Without them the form works as ever: only the
  // page's :state() rules never apply, and its events say what those states would.
  describe('without custom states (Safari 16.4 to 17.3, Firefox 93 to 125)', () => {
    const states = Object.getOwnPropertyDescriptor(ElementInternals.prototype, 'states');
    beforeEach(() => Object.defineProperty(ElementInternals.prototype, 'states', { configurable: true, get: () => undefined }));
    afterEach(() => Object.defineProperty(ElementInternals.prototype, 'states', states!));

    it('shows the form, checks it, sends the lead and thanks; no :state() ever matches', async () => {
      expect(states, 'this engine has custom states to take away').to.not.equal(undefined);
      const el = document.createElement('resman-lead-form') as ResmanLeadForm;
      Object.assign(el, { site: 'accept', relay: STUB, lang: 'en' });
      const shown = nextEvent(el, 'resman-lead-view');
      await fixture(html`<div>${el}</div>`);
      await shown;
      expect(el.matches(':state(ready)')).to.equal(false);

      await submit(el); // empty: the form's own check, inline
      await until(() => control(el, 'first_name').getAttribute('aria-invalid') === 'true', 'the inline error');

      await fillValid(el);
      const sent = nextEvent(el, 'resman-lead-success');
      await submit(el);
      expect((await sent).leadId).to.equal('ld_stub_1');
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part=status]')!.textContent).to.contain('Thank you, Ana!');
      expect(el.matches(':state(success)')).to.equal(false);
      expect((await requests()).map((r) => r.body.email_1)).to.deep.equal(['ana.garcia@gmail.com']);
    });
  });
});
