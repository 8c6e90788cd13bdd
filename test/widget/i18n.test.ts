import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { control, errorText, form, submit, until } from './helpers.js';

const label = (el: ResmanLeadForm, name: string) =>
  control(el, name)
    .labels![0]!.textContent!.replace(/\s*\*\s*$/, '')
    .trim();
const button = (el: ResmanLeadForm) => el.shadowRoot!.querySelector('button')!.textContent!.trim();
const text = (el: ResmanLeadForm, what: string) => until(() => el.shadowRoot!.textContent!.includes(what), what);

/** Runs `body` with the page's <html lang> set to `lang` (or removed), then puts it back. */
async function withPageLang(lang: string | null, body: () => Promise<void>): Promise<void> {
  const before = document.documentElement.lang;
  if (lang === null) document.documentElement.removeAttribute('lang');
  else document.documentElement.lang = lang;
  try {
    await body();
  } finally {
    document.documentElement.lang = before;
  }
}

describe('<resman-lead-form> languages and site wording', () => {
  it('speaks Spanish throughout: labels, hints, choices, the note, errors and the summary', async () => {
    const el = await form('accept', { lang: 'es', fields: 'first_name last_name email_1 phone_1 desired_num_bedrooms' });
    await text(el, 'Nombre');
    expect(label(el, 'last_name')).to.equal('Apellido');
    expect(el.shadowRoot!.querySelector('.note')!.textContent).to.contain('obligatorios');
    expect(el.shadowRoot!.getElementById('phone_1-hint')!.textContent).to.contain('10 dígitos');
    const bedrooms = [...(control(el, 'desired_num_bedrooms') as unknown as HTMLSelectElement).options].map((o) => o.text);
    expect(bedrooms).to.include('Estudio');
    expect(button(el)).to.equal('Enviar');
    await submit(el);
    await until(() => errorText(el, 'first_name') !== '', 'Spanish error');
    expect(errorText(el, 'first_name')).to.equal('Escriba su nombre.');
    expect(errorText(el, 'email_1')).to.equal('Escriba un correo electrónico o un teléfono.');
    await until(() => el.shadowRoot!.querySelector('[role=alert]')!.textContent!.includes('campos necesitan'), 'Spanish summary');
    await expect(el).to.be.accessible();
  });

  it('switches language when the lang attribute changes, keeping what was typed', async () => {
    const el = await form('accept');
    control(el, 'first_name').value = 'Ana';
    el.lang = 'es';
    await text(el, 'Apellido');
    expect(control(el, 'first_name').value).to.equal('Ana');
    el.lang = 'en';
    await text(el, 'Last name');
    expect(button(el)).to.equal('Send');
  });

  it('takes the page language when the element has none, then the site language', async () => {
    await withPageLang('es-MX', async () => {
      const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="accept" relay="/stub-relay"></resman-lead-form>`);
      await text(el, 'Apellido');
    });
    await withPageLang(null, async () => {
      const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="spanish" relay="/stub-relay"></resman-lead-form>`);
      await text(el, 'Apellido');
      expect(button(el)).to.equal('Pedir una visita');
    });
  });

  it("applies the site's wording over the dictionary; a language-scoped key wins for its language", async () => {
    const en = await form('spanish', { lang: 'en' });
    await until(() => button(en) === 'Request a tour', 'English override of submit');
    expect(label(en, 'notes')).to.equal('Anything else?');
    expect(label(en, 'first_name')).to.equal('First name');

    const es = await form('spanish', { lang: 'es' });
    await until(() => button(es) === 'Pedir una visita', 'Spanish override of submit');
    expect(label(es, 'first_name')).to.equal('Nombre');
  });
});
