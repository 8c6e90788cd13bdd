import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import {
  choose,
  clearRequests,
  control,
  errorText,
  fillValid,
  form,
  lookups,
  rendered,
  requests,
  settle,
  submit,
  type,
  until,
} from './helpers.js';

const names = (el: ResmanLeadForm) =>
  [...el.shadowRoot!.querySelectorAll('[part=input]')].filter((c) => !c.closest('[hidden]')).map((c) => c.getAttribute('name'));
const options = (el: ResmanLeadForm, name: string) =>
  [...(control(el, name) as unknown as HTMLSelectElement).options].filter((o) => o.value).map((o) => [o.value, o.text]);
const lastLead = async () => {
  const all = await requests();
  return all[all.length - 1]!;
};

describe('<resman-lead-form> site settings from the relay', () => {
  beforeEach(clearRequests);

  it("asks GET /v1/sites/:site/form once, and shows the site's fields with its required set", async () => {
    const el = await form('strict');
    expect((await lookups()).map((l) => l.path)).to.deep.equal(['/stub-relay/v1/sites/strict/form']);
    expect(names(el)).to.deep.equal(['first_name', 'last_name', 'email_1', 'phone_1']);
    expect(control(el, 'phone_1').required).to.equal(true);
    expect(control(el, 'phone_1').labels![0]!.querySelector('.mark')).to.not.equal(null);
    await type(el, 'first_name', 'Ana');
    await type(el, 'last_name', 'García');
    await type(el, 'email_1', 'ana.garcia@gmail.com');
    await submit(el);
    await until(() => errorText(el, 'phone_1') !== '', 'phone required');
    expect(errorText(el, 'phone_1')).to.equal('This field is required.');
    expect(el.shadowRoot!.activeElement).to.equal(control(el, 'phone_1'));
    expect(await requests()).to.have.length(0);
  });

  it('where the phone is required, says so in the note and under the phone alone, never "email or phone"', async () => {
    const note = (el: ResmanLeadForm) => el.shadowRoot!.querySelector('.note')!.textContent!;
    const open = await form('accept');
    expect(note(open)).to.contain('an email or a phone number');
    const el = await form('strict');
    expect(note(el)).to.contain('Fields marked with * are required.');
    expect(note(el)).to.not.contain('email');
    await submit(el);
    await until(() => errorText(el, 'phone_1') !== '', 'phone required');
    expect(errorText(el, 'phone_1')).to.equal('This field is required.');
    expect(control(el, 'phone_1').getAttribute('aria-describedby'), 'the hint stays, the error is added').to.equal(
      'phone_1-hint phone_1-error',
    );
    expect(errorText(el, 'email_1')).to.equal('');
    expect(control(el, 'email_1').getAttribute('aria-invalid')).to.equal('false');
    const es = await form('strict', { lang: 'es' });
    expect(note(es)).to.not.contain('correo');
  });

  it('lets the fields attribute override the site list', async () => {
    const el = await form('strict', { fields: 'first_name last_name email_1 notes' });
    expect(names(el)).to.deep.equal(['first_name', 'last_name', 'email_1', 'notes']);
  });

  it('works with defaults when the settings cannot be fetched, asking once more for a form token as the fill starts', async () => {
    const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="noform" relay="/stub-relay" lang="en"></resman-lead-form>`);
    await rendered(el);
    expect((await lookups()).map((l) => l.path)).to.deep.equal(['/stub-relay/v1/sites/noform/form']);
    expect(names(el)).to.include('target_move_in_date');
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    // Still down: the lead goes without a token (the relay holds it for an operator) rather than not at all.
    expect((await lookups()).map((l) => l.path)).to.deep.equal(['/stub-relay/v1/sites/noform/form', '/stub-relay/v1/sites/noform/form']);
    expect((await lastLead()).body.meta).to.deep.equal({});
  });

  it('sends the token of its second ask when the relay was down as the page loaded', async () => {
    const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="lateform" relay="/stub-relay" lang="en"></resman-lead-form>`);
    await rendered(el);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    expect((await lookups()).map((l) => l.path)).to.deep.equal([
      '/stub-relay/v1/sites/lateform/form',
      '/stub-relay/v1/sites/lateform/form',
    ]);
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-lateform' });
  });

  it('sends the form token and the hidden field as meta; a bot-filled hidden field still looks like success', async () => {
    const el = await form('accept');
    await fillValid(el);
    const trap = el.shadowRoot!.querySelector<HTMLInputElement>('input[name=website]')!;
    expect(trap.tabIndex).to.equal(-1);
    expect(trap.closest('[aria-hidden=true]')).to.not.equal(null);
    trap.value = 'http://spam.example';
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-accept', trap: 'http://spam.example' });
  });
});

describe('<resman-lead-form> consent', () => {
  beforeEach(clearRequests);

  const box = (el: ResmanLeadForm) => el.shadowRoot!.querySelector<HTMLInputElement>('input[name=consent]');

  it("shows the site's consent box unticked and optional: a lead without the tick goes, saying consent was not given", async () => {
    const el = await form('consent');
    expect(box(el)!.type).to.equal('checkbox');
    expect(box(el)!.labels![0]!.textContent).to.contain('may call and text me');
    expect([box(el)!.checked, box(el)!.required]).to.deep.equal([false, false]);
    expect(box(el)!.labels![0]!.querySelector('.mark')).to.equal(null);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-consent', consent: { given: false, version: '2026-11' } });
  });

  it('sends the tick with the version of the text', async () => {
    const el = await form('consent');
    await fillValid(el);
    box(el)!.click();
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-consent', consent: { given: true, version: '2026-11' } });
  });

  it('asks "with_phone" only once a phone number is typed; a lead without one says nothing about consent', async () => {
    const el = await form('consent-phone');
    expect(box(el)).to.equal(null);
    await type(el, 'first_name', 'Ana');
    await type(el, 'last_name', 'García');
    await type(el, 'email_1', 'ana.garcia@gmail.com');
    expect(box(el)).to.equal(null);
    await type(el, 'phone_1', '5');
    await until(() => box(el) !== null, 'the consent box');
    // Emptied again, the phone takes the box with it.
    control(el, 'phone_1').select();
    await sendKeys({ press: 'Backspace' });
    await until(() => box(el) === null, 'the consent box gone');
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-consent-phone' });
  });

  it('asks "with_phone" again after a reload that kept the phone number', async () => {
    const first = await form('consent-phone');
    await type(first, 'phone_1', '(512) 555-0142');
    await until(() => box(first) !== null, 'the consent box');
    first.remove();
    const again = await form('consent-phone');
    await until(() => control(again, 'phone_1').value === '(512) 555-0142', 'the phone kept');
    await until(() => box(again) !== null, 'the consent box after the reload');
  });

  it('a wording changed while the page was open: the relay refuses the old version once, and the box shows the new wording, unticked', async () => {
    const el = await form('consent-changed');
    await fillValid(el);
    box(el)!.click();
    await submit(el);
    await until(() => errorText(el, 'consent') !== '', 'consent error');
    expect(errorText(el, 'consent')).to.equal('This wording has changed: read it again.');
    await until(() => box(el)!.labels![0]!.textContent!.includes('email me too'), 'the new wording');
    expect(box(el)!.checked).to.equal(false);
    expect(box(el)!.getAttribute('aria-invalid')).to.equal('true');

    box(el)!.click();
    await until(() => errorText(el, 'consent') === '', 'the error gone once the box is ticked again');
    await submit(el);
    await settle(el, 'success');
    const sent = await requests();
    expect(sent.map((r) => r.body.meta!.consent)).to.deep.equal([
      { given: true, version: '2026-11' },
      { given: true, version: '2026-12' },
    ]);
    // The same fill, the same form token: a new one would make the second send look like a bot's.
    expect(sent.map((r) => r.body.meta!.form_token)).to.deep.equal(['tok-consent-changed', 'tok-consent-changed']);
  });

  it('a site that requires the box: says why, and sends nothing until it is ticked', async () => {
    const el = await form('consent-required');
    expect(box(el)!.required).to.equal(true);
    expect(box(el)!.labels![0]!.querySelector('.mark')).to.not.equal(null);
    await fillValid(el);
    await submit(el);
    await until(() => errorText(el, 'consent') !== '', 'consent error');
    expect(errorText(el, 'consent')).to.contain('Tick the box');
    expect(box(el)!.getAttribute('aria-invalid')).to.equal('true');
    expect(el.shadowRoot!.activeElement).to.equal(box(el));
    expect(await requests()).to.have.length(0);
    await expect(el).to.be.accessible();

    box(el)!.click();
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({
      form_token: 'tok-consent-required',
      consent: { given: true, version: '2026-11' },
    });
  });
});

describe('<resman-lead-form> floor plans and units', () => {
  beforeEach(clearRequests);

  it('offers floor plans with beds, baths and rent; a choice suggests bedrooms and offers its units', async () => {
    const el = await form('plans');
    await until(() => names(el).includes('floor_plan_id'), 'floor-plan select');
    await until(() => options(el, 'floor_plan_id')[0]![1]!.includes('·'), 'plans described');
    expect(names(el)).to.not.include('unit_id');
    expect(options(el, 'floor_plan_id')).to.deep.equal([
      ['fp_magnolia', '$1,450–$1,525 · Magnolia · 1 bd · 1 ba'],
      ['fp_live_oak', '$1,895 · Live Oak · 2 bd · 2 ba'],
      ['fp_studio', 'Pecan Studio with Garden Patio and Private Entrance · Studio · 1 ba'],
    ]);
    await choose(el, 'floor_plan_id', 'fp_live_oak');
    await until(() => (control(el, 'desired_num_bedrooms') as unknown as HTMLSelectElement).value === '2', 'bedrooms suggested');
    await until(() => names(el).includes('unit_id'), 'unit select');
    expect(options(el, 'unit_id')).to.deep.equal([
      ['un_204', 'Apartment 204 · $1,910 · 1,040 sq ft'],
      ['un_311', 'Apartment 311 · $1,950'],
    ]);
    expect((await lookups()).map((l) => l.query)).to.include('floor_plan_id=fp_live_oak');
    await choose(el, 'unit_id', 'un_204');
    await type(el, 'first_name', 'Ana');
    await type(el, 'last_name', 'García');
    await type(el, 'email_1', 'ana.garcia@gmail.com');
    await submit(el);
    await settle(el, 'success');
    const { body } = await lastLead();
    expect(body).to.include({ floor_plan_id: 'fp_live_oak', unit_id: 'un_204', desired_num_bedrooms: 2 });
  });

  it('restores a draft with a plan and an apartment: the units are listed again, the apartment chosen and sent', async () => {
    // The floor-plan chunk already in (a second form on the page, a page that navigates without reloading):
    // its controller comes before the form shows, and the plan put back from the draft fires no input event.
    await (await import('../../widget/lead-form/lazy.js')).plansChunk();
    sessionStorage.setItem(
      'resman-lead-form:draft:plans',
      JSON.stringify({ first_name: 'Ana', last_name: 'García', floor_plan_id: 'fp_live_oak', unit_id: 'un_204' }),
    );
    const el = await form('plans');
    await until(() => (control(el, 'unit_id') as unknown as HTMLSelectElement | null)?.value === 'un_204', 'the apartment chosen again');
    expect(names(el)).to.include('unit_id');
    expect((control(el, 'floor_plan_id') as unknown as HTMLSelectElement).value).to.equal('fp_live_oak');
    await type(el, 'email_1', 'ana.garcia@gmail.com');
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body).to.include({ floor_plan_id: 'fp_live_oak', unit_id: 'un_204' });
  });

  it("keeps the prospect's own bedrooms, and drops the units of a plan no longer chosen", async () => {
    const el = await form('plans');
    await until(() => names(el).includes('floor_plan_id'), 'floor-plan select');
    await choose(el, 'desired_num_bedrooms', '3');
    await choose(el, 'floor_plan_id', 'fp_live_oak');
    await until(() => names(el).includes('unit_id'), 'unit select');
    expect((control(el, 'desired_num_bedrooms') as unknown as HTMLSelectElement).value).to.equal('3');
    await choose(el, 'floor_plan_id', 'fp_magnolia');
    await until(() => !names(el).includes('unit_id'), 'no units for Magnolia');
  });

  it('says so under a plan with no apartment available, and nothing when the units cannot be listed', async () => {
    const hint = (el: ResmanLeadForm) => el.shadowRoot!.getElementById('floor_plan_id-hint')?.textContent ?? '';
    const el = await form('plans');
    await until(() => names(el).includes('floor_plan_id'), 'floor-plan select');
    await choose(el, 'floor_plan_id', 'fp_magnolia');
    await until(() => hint(el) !== '', 'a hint under the plan');
    expect(hint(el)).to.equal('No apartments available right now.');
    expect(control(el, 'floor_plan_id').getAttribute('aria-describedby')).to.equal('floor_plan_id-hint');
    expect(names(el)).to.not.include('unit_id');
    await choose(el, 'floor_plan_id', 'fp_live_oak');
    await until(() => names(el).includes('unit_id'), 'units of Live Oak');
    expect(hint(el)).to.equal('');
    // The stub cannot list Pecan Studio's units: nothing is said that is not known.
    const real = window.fetch;
    const failed = new Promise<void>((resolve) => {
      window.fetch = async (input, init) => {
        const res = await real(input, init);
        if (String(input).includes('fp_studio')) setTimeout(resolve); // once the widget has read the answer
        return res;
      };
    });
    try {
      await choose(el, 'floor_plan_id', 'fp_studio');
      await failed;
    } finally {
      window.fetch = real;
    }
    await el.updateComplete;
    expect(hint(el)).to.equal('');

    const es = await form('plans', { lang: 'es' });
    await until(() => names(es).includes('floor_plan_id'), 'floor-plan select');
    await choose(es, 'floor_plan_id', 'fp_magnolia');
    await until(() => hint(es) !== '', 'a Spanish hint under the plan');
    expect(hint(es)).to.equal('No hay apartamentos disponibles por ahora.');
  });

  it("describes plans in the site's language when neither the element nor the page names one", async () => {
    const before = document.documentElement.lang;
    document.documentElement.removeAttribute('lang');
    try {
      const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="planes" relay="/stub-relay"></resman-lead-form>`);
      await rendered(el);
      await until(() => options(el, 'floor_plan_id')[1]?.[1]?.includes('hab.') ?? false, 'Spanish plan labels');
      // Dollars as a US page in Spanish writes them ("$1,895"), not as Spain would ("1895 US$").
      expect(options(el, 'floor_plan_id')[1]![1]).to.equal('$1,895 · Live Oak · 2 hab. · 2 baños');
    } finally {
      document.documentElement.lang = before;
    }
  });

  it('labels plans in Spanish', async () => {
    const el = await form('plans', { lang: 'es' });
    await until(() => names(el).includes('floor_plan_id') && options(el, 'floor_plan_id')[0]![1]!.includes('hab.'), 'Spanish plans');
    expect(options(el, 'floor_plan_id')[2]![1]).to.contain('Estudio');
    el.lang = 'en';
    await until(
      () => options(el, 'floor_plan_id')[2]![1] === 'Pecan Studio with Garden Patio and Private Entrance · Studio · 1 ba',
      'plans follow the language',
    );
  });
});

describe('<resman-lead-form> Turnstile', () => {
  beforeEach(clearRequests);
  afterEach(() => {
    delete window.turnstile;
    for (const n of document.querySelectorAll('[slot=turnstile]')) n.remove();
  });

  it("renders the site's challenge in the light DOM and sends its token", async () => {
    const rendered: Record<string, unknown>[] = [];
    window.turnstile = {
      render(box, options) {
        rendered.push({ ...options, slot: box.slot });
        setTimeout(() => (options.callback as (t: string) => void)('turnstile-token-1'), 0);
        return 'widget-1';
      },
    };
    const el = await form('turnstile');
    await until(() => rendered.length === 1, 'turnstile.render');
    expect(rendered[0]).to.include({ sitekey: '1x00000000000000000000AA', slot: 'turnstile' });
    expect(el.querySelector('[slot=turnstile]')).to.not.equal(null);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    expect((await lastLead()).body.meta).to.deep.equal({ form_token: 'tok-turnstile', turnstile: 'turnstile-token-1' });
  });

  it('waits for a challenge still being solved when the visitor sends', async () => {
    let solve: ((token: string) => void) | undefined;
    window.turnstile = {
      render(_box, options) {
        solve = options.callback as (t: string) => void;
        return 'widget-2';
      },
    };
    const el = await form('turnstile');
    await until(() => !!solve, 'turnstile.render');
    await fillValid(el);
    await submit(el);
    await settle(el, 'submitting');
    solve!('turnstile-token-late');
    await settle(el, 'success');
    // One lead, sent after the challenge was solved: it carries the late answer.
    const sent = await requests();
    expect(sent).to.have.length(1);
    expect(sent[0]!.body.meta!.turnstile).to.equal('turnstile-token-late');
  });
});

describe('<resman-lead-form> analytics', () => {
  beforeEach(clearRequests);
  afterEach(() => delete (window as { dataLayer?: unknown }).dataLayer);

  it('fires view, start, submit and success, and pushes them to dataLayer without personal data when asked', async () => {
    const seen: string[] = [];
    const types = ['resman-lead-view', 'resman-lead-start', 'resman-lead-submit', 'resman-lead-success', 'resman-lead-error'];
    const record = (e: Event) => seen.push(e.type);
    for (const t of types) document.addEventListener(t, record);
    try {
      const el = await form('accept', { datalayer: true });
      await fillValid(el);
      await submit(el);
      await settle(el, 'success');
      expect(seen).to.deep.equal(['resman-lead-view', 'resman-lead-start', 'resman-lead-submit', 'resman-lead-success']);
      const layer = (window as { dataLayer?: Record<string, unknown>[] }).dataLayer!;
      expect(layer.map((e) => e.event)).to.deep.equal(seen);
      expect(layer.every((e) => e.resman_site === 'accept')).to.equal(true);
      const pushed = JSON.stringify(layer);
      for (const personal of ['Ana', 'Garc', 'gmail', '512', '555']) expect(pushed).to.not.contain(personal);
    } finally {
      for (const t of types) document.removeEventListener(t, record);
    }
  });

  it('pushes the error code of a failed send, and nothing at all without the datalayer attribute', async () => {
    const el = await form('down', { datalayer: true });
    await fillValid(el);
    await submit(el);
    await settle(el, 'error');
    const layer = (window as { dataLayer?: Record<string, unknown>[] }).dataLayer!;
    expect(layer[layer.length - 1]).to.deep.equal({ event: 'resman-lead-error', resman_site: 'down', resman_code: 'unavailable' });

    delete (window as { dataLayer?: unknown }).dataLayer;
    const quiet = await form('accept');
    await fillValid(quiet);
    await submit(quiet);
    await settle(quiet, 'success');
    expect((window as { dataLayer?: unknown }).dataLayer).to.equal(undefined);
  });
});
