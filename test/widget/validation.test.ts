import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { choose, clearRequests, control, errorText, fillValid, form, requests, submit, type, until } from './helpers.js';

const invalidFields = (el: HTMLElement) => [...el.shadowRoot!.querySelectorAll('[aria-invalid="true"]')].map((c) => c.getAttribute('name'));

const announcement = (el: HTMLElement) => el.shadowRoot!.querySelector('[role=alert]')!.textContent!.trim();

describe('<resman-lead-form> validation', () => {
  beforeEach(clearRequests);

  it('marks nothing invalid before interaction', async () => {
    const el = await form();
    expect(invalidFields(el)).to.deep.equal([]);
    for (const c of el.shadowRoot!.querySelectorAll('[part=input]')) {
      expect(c.getAttribute('aria-invalid')).to.equal('false');
    }
  });

  it('on an empty submit: inline errors tied by aria-describedby, focus on the first, one announcement, nothing sent', async () => {
    const el = await form();
    await submit(el);
    await until(() => announcement(el) !== '', 'announced');
    // "Email or phone" is said once, under the first of the two.
    expect(invalidFields(el)).to.deep.equal(['first_name', 'last_name', 'email_1']);
    expect(errorText(el, 'first_name')).to.contain('Enter your first name.');
    expect(errorText(el, 'email_1')).to.contain('Enter an email address or a phone number.');
    expect(errorText(el, 'phone_1')).to.equal('');
    const first = control(el, 'first_name');
    expect(first.getAttribute('aria-describedby')!.split(' ')).to.include('first_name-error');
    expect(el.shadowRoot!.activeElement).to.equal(first);
    expect(announcement(el)).to.equal('3 fields need your attention.');
    await expect(el).to.be.accessible();
    expect(await requests()).to.have.length(0);
  });

  it('announces a repeated error again: the alert empties before it is refilled', async () => {
    const el = await form();
    await submit(el);
    await until(() => announcement(el) !== '', 'first announcement');
    const seen: string[] = [];
    const alert = el.shadowRoot!.querySelector('[role=alert]')!;
    const observer = new MutationObserver(() => seen.push(alert.textContent!.trim()));
    observer.observe(alert, { childList: true, characterData: true, subtree: true });
    await submit(el);
    await until(() => seen.at(-1) === '3 fields need your attention.', 'second announcement');
    observer.disconnect();
    expect(seen[0]).to.equal('');
  });

  it('judges a field when it is left, and clears the error as soon as it is fixed', async () => {
    const el = await form();
    await type(el, 'email_1', 'ana@');
    await sendKeys({ press: 'Tab' });
    await until(() => errorText(el, 'email_1') !== '', 'email error after blur');
    expect(errorText(el, 'email_1')).to.contain('Enter an email address like');
    expect(invalidFields(el)).to.deep.equal(['email_1']); // untouched fields are not judged yet
    await type(el, 'email_1', 'gmail.com');
    await until(() => errorText(el, 'email_1') === '', 'email error cleared while typing');
  });

  const rules: [field: string, input: string, message: string][] = [
    ['email_1', 'none@none.com', 'Enter your real contact details.'],
    ['email_1', 'ana at gmail', 'Enter an email address like'],
    ['phone_1', '000-000-0000', 'Enter your real contact details.'],
    ['phone_1', '512-555', 'Enter a 10-digit US phone number.'],
    ['phone_1', '(123) 555-0142', 'Enter a 10-digit US phone number.'],
    ['first_name', 'visit https://spam.example', 'Remove links'],
    ['desired_max_rent_in_cents', 'about 2k', 'Enter an amount in dollars'],
    ['state', 'XX', 'two-letter US state'],
    ['zip', '7870', '5-digit ZIP'],
  ];
  for (const [field, input, message] of rules) {
    it(`refuses ${field} = ${JSON.stringify(input)}`, async () => {
      const el = await form('accept', { fields: `first_name last_name email_1 phone_1 ${field}` });
      await fillValid(el);
      control(el, field).value = '';
      await type(el, field, input);
      await submit(el);
      await until(() => errorText(el, field) !== '', `${field} error`);
      expect(errorText(el, field)).to.contain(message);
      expect(invalidFields(el)).to.deep.equal([field]);
      expect(el.shadowRoot!.activeElement).to.equal(control(el, field));
      expect(await requests()).to.have.length(0);
    });
  }

  it('accepts a phone alone, and an email alone', async () => {
    for (const [field, value] of [
      ['phone_1', '+1 512 555 0142'],
      ['email_1', 'ana@gmail.com'],
    ] as const) {
      const el = await form();
      await type(el, 'first_name', 'Ana');
      await type(el, 'last_name', 'García');
      await type(el, field, value);
      await submit(el);
      await until(() => el.matches(':state(success)'), `sent with ${field} only`);
    }
    const sent = await requests();
    expect(sent.map((r) => r.body.phone_1 ?? r.body.email_1)).to.deep.equal(['5125550142', 'ana@gmail.com']);
  });

  it("shows the relay's own field errors inline", async () => {
    const el = await form('refuse');
    await fillValid(el);
    await submit(el);
    await until(() => errorText(el, 'email_1') !== '', 'server error shown');
    expect(errorText(el, 'email_1')).to.equal('Enter your real contact details.');
    expect(el.shadowRoot!.activeElement).to.equal(control(el, 'email_1'));
    await choose(el, 'desired_num_bedrooms', '2');
    await expect(el).to.be.accessible();
  });
});
