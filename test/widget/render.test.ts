import { expect, fixture, html } from '@open-wc/testing';
import { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { control, form, until } from './helpers.js';

describe('<resman-lead-form> rendering', () => {
  it('shows the default fields, each with a label, name, type and autocomplete token', async () => {
    const el = await form();
    const names = [...el.shadowRoot!.querySelectorAll('[part=input]')].map((c) => c.getAttribute('name'));
    expect(names).to.deep.equal(['first_name', 'last_name', 'email_1', 'phone_1', 'target_move_in_date', 'desired_num_bedrooms', 'notes']);
    const expected: Record<string, [string, string, string]> = {
      first_name: ['text', 'given-name', 'First name'],
      last_name: ['text', 'family-name', 'Last name'],
      email_1: ['email', 'email', 'Email'],
      phone_1: ['tel', 'tel', 'Phone'],
      target_move_in_date: ['date', 'off', 'Move-in date'],
    };
    for (const [name, [type, autocomplete, label]] of Object.entries(expected)) {
      const input = control(el, name);
      expect(input.type, name).to.equal(type);
      expect(input.getAttribute('autocomplete'), name).to.equal(autocomplete);
      expect(input.labels![0]!.textContent!.trim().replace(/\s*\*$/, ''), name).to.equal(label);
    }
    expect(control(el, 'first_name').required).to.equal(true);
    expect(control(el, 'email_1').required).to.equal(false);
  });

  it('can show every prospect field of the contract, in the order asked', async () => {
    const all =
      'notes unit_id floor_plan_id desired_lease_term_in_months desired_max_rent_in_cents desired_num_bathrooms ' +
      'desired_num_bedrooms target_move_in_date zip state city address_2 address_1 phone_2_type phone_2 ' +
      'phone_1_type phone_1 email_1 last_name first_name';
    const el = await form('accept', { fields: all });
    el.choices = { floor_plan_id: [{ value: 'fp_a1', label: 'The Aspen' }], unit_id: [{ value: 'u_101', label: '101' }] };
    await el.updateComplete;
    const names = [...el.shadowRoot!.querySelectorAll('[part=input]')].map((c) => c.getAttribute('name'));
    expect(names).to.deep.equal(all.split(' '));
    const autofill: Record<string, string> = {
      first_name: 'given-name',
      last_name: 'family-name',
      email_1: 'email',
      phone_1: 'tel',
      phone_2: 'section-second tel',
      address_1: 'address-line1',
      address_2: 'address-line2',
      city: 'address-level2',
      state: 'address-level1',
      zip: 'postal-code',
    };
    for (const c of el.shadowRoot!.querySelectorAll<HTMLInputElement>('[part=input]')) {
      expect(c.labels!.length, c.name).to.equal(1);
      expect(c.getAttribute('autocomplete'), c.name).to.equal(autofill[c.name] ?? 'off');
    }
    await expect(el).to.be.accessible();
  });

  it('always shows the fields the contract needs, and a floor-plan select only with options', async () => {
    const el = await form('accept', { fields: 'notes, floor_plan_id' });
    const names = [...el.shadowRoot!.querySelectorAll('[part=input]')]
      .filter((c) => c.checkVisibility())
      .map((c) => c.getAttribute('name'));
    expect(names).to.deep.equal(['first_name', 'last_name', 'email_1', 'notes']);
  });

  it('is accessible when empty, and explains the required mark in text', async () => {
    const el = await form();
    await expect(el).to.be.accessible();
    expect(el.shadowRoot!.querySelector('.note')!.textContent).to.contain('marked with * are required');
  });

  it('uses only constructable stylesheets: no <style>, no style attributes (strict CSP)', async () => {
    const el = await form();
    expect(el.shadowRoot!.adoptedStyleSheets.length).to.be.greaterThan(0);
    expect(el.shadowRoot!.querySelectorAll('style, [style], script, iframe').length).to.equal(0);
  });

  it('renders in Spanish from the lang attribute, and from the page language', async () => {
    const es = await form('accept', { lang: 'es' });
    await waitForText(es, 'Nombre');
    expect(control(es, 'first_name').labels![0]!.textContent).to.contain('Nombre');
    expect(es.shadowRoot!.querySelector('button')!.textContent!.trim()).to.equal('Enviar');
    await expect(es).to.be.accessible();

    document.documentElement.lang = 'es-MX';
    try {
      const fromPage = await fixture<ResmanLeadForm>(html`<resman-lead-form site="accept"></resman-lead-form>`);
      await waitForText(fromPage, 'Apellido');
    } finally {
      document.documentElement.lang = 'en';
    }
  });

  it('tolerates a second registration', () => {
    expect(() => ResmanLeadForm.define()).not.to.throw();
    expect(customElements.get('resman-lead-form')).to.equal(ResmanLeadForm);
  });
});

const waitForText = (el: ResmanLeadForm, text: string) => until(() => el.shadowRoot!.textContent!.includes(text), text);
