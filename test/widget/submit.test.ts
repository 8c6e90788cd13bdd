import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import {
  choose,
  clearRequests,
  control,
  fillValid,
  form,
  inDays,
  longDate,
  nextEvent,
  release,
  rendered,
  requests,
  settle,
  submit,
  type,
  until,
} from './helpers.js';

/** Four random 32-bit numbers: 128 bits, within the relay's Idempotency-Key alphabet. */
const KEY = /^\d{1,10}(-\d{1,10}){3}$/;
const status = (el: ResmanLeadForm) => el.shadowRoot!.querySelector('[part=status]')!;

describe('<resman-lead-form> sending', () => {
  beforeEach(clearRequests);

  it('sends the contract body (cents, YYYY-MM-DD, 10-digit phone) with an Idempotency-Key, then thanks', async () => {
    const el = await form('accept', {
      fields: 'first_name last_name email_1 phone_1 target_move_in_date desired_num_bedrooms desired_max_rent_in_cents notes',
    });
    await fillValid(el);
    const moveIn = inDays(90);
    control(el, 'target_move_in_date').value = moveIn;
    await choose(el, 'desired_num_bedrooms', '2');
    await type(el, 'desired_max_rent_in_cents', '$1,850.50');
    await type(el, 'notes', '  Do you allow cats?  ');
    const success = nextEvent(document, 'resman-lead-success');
    await submit(el);
    const event = await success;
    expect(event.leadId).to.equal('ld_stub_1');
    expect(event.site).to.equal('accept');

    const [sent, ...more] = await requests();
    expect(more).to.have.length(0);
    expect(sent!.path).to.equal('/stub-relay/v1/sites/accept/leads');
    expect(sent!.contentType).to.equal('application/json');
    expect(sent!.key).to.match(KEY);
    expect(sent!.body).to.deep.equal({
      first_name: 'Ana',
      last_name: 'García',
      email_1: 'ana.garcia@gmail.com',
      phone_1: '5125550142',
      target_move_in_date: moveIn,
      desired_num_bedrooms: 2,
      desired_max_rent_in_cents: 185050,
      notes: 'Do you allow cats?',
      meta: { form_token: 'tok-accept' },
    });

    await settle(el, 'success');
    expect(el.shadowRoot!.querySelector('form')).to.equal(null);
    expect(status(el).textContent).to.contain('Thank you, Ana!');
    expect(el.shadowRoot!.activeElement).to.equal(status(el));
    await expect(el).to.be.accessible();
  });

  it('thanks by first name, sums up what was asked and says how the office will reply, never repeating contact details', async () => {
    const el = await form('plans', {
      fields: 'first_name last_name email_1 phone_1 floor_plan_id unit_id target_move_in_date desired_max_rent_in_cents notes',
    });
    await until(() => !!control(el, 'floor_plan_id').textContent!.includes('$'), 'plans described');
    await choose(el, 'floor_plan_id', 'fp_live_oak');
    await until(() => !control(el, 'unit_id').closest('[hidden]'), 'units');
    await choose(el, 'unit_id', 'un_204');
    await type(el, 'first_name', 'Ana');
    await type(el, 'last_name', 'García');
    await type(el, 'email_1', 'ana.garcia@gmail.com');
    const moveIn = inDays(130);
    control(el, 'target_move_in_date').value = moveIn;
    await type(el, 'desired_max_rent_in_cents', '1900');
    await type(el, 'notes', 'Do you allow cats?');
    await submit(el);
    await settle(el, 'success');
    const said = status(el).textContent!.replace(/\s+/g, ' ');
    expect(status(el).querySelector('strong')!.textContent).to.equal('Thank you, Ana!');
    expect(said).to.contain('will reply by email.'); // no phone was given
    const items = [...status(el).querySelectorAll('li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    expect(items).to.deep.equal([
      'Floor plan: $1,895 · Live Oak · 2 bd · 2 ba',
      'Apartment: Apartment 204 · $1,910 · 1,040 sq ft',
      `Move-in date: ${longDate(moveIn, 'en')}`,
      'Maximum monthly rent: $1,900',
    ]);
    for (const personal of ['García', 'gmail', 'cats']) expect(said).to.not.contain(personal);
    await expect(el).to.be.accessible();

    const es = await form('accept', { lang: 'es', fields: 'first_name last_name email_1 phone_1 target_move_in_date' });
    await fillValid(es);
    control(es, 'target_move_in_date').value = moveIn;
    await submit(es);
    await settle(es, 'success');
    expect(status(es).querySelector('strong')!.textContent).to.equal('¡Gracias, Ana!');
    expect(status(es).textContent).to.contain('por correo o teléfono');
    expect(status(es).querySelector('li')!.textContent!.replace(/\s+/g, ' ').trim()).to.equal(
      `Fecha de mudanza: ${longDate(moveIn, 'es')}`,
    );
  });

  it('lets the site replace the thank-you through the success slot', async () => {
    const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="accept" relay="/stub-relay" lang="en">
      <p slot="success" id="custom">See you at Oak Grove!</p>
    </resman-lead-form>`);
    await rendered(el);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    const slot = el.shadowRoot!.querySelector<HTMLSlotElement>('slot[name=success]')!;
    expect(slot.assignedElements()[0]!.id).to.equal('custom');
  });

  it('shows :state(submitting) and a busy button while the relay answers', async () => {
    const el = await form('slow');
    await fillValid(el);
    await submit(el);
    await settle(el, 'submitting');
    const button = el.shadowRoot!.querySelector('button[type=submit]')!;
    expect(button.getAttribute('aria-disabled')).to.equal('true');
    expect(button.textContent!.trim()).to.equal('Sending…');
    expect(status(el).getAttribute('role')).to.equal('status');
    expect(status(el).textContent).to.equal('Sending…');
    await expect(el).to.be.accessible();
    await submit(el); // a second press while sending sends nothing more
    await release();
    await settle(el, 'success');
    expect(await requests()).to.have.length(1);
  });

  it('keeps every answer after a failure and retries with the same Idempotency-Key', async () => {
    const el = await form('flaky');
    await fillValid(el);
    const failed = nextEvent(el, 'resman-lead-error');
    await submit(el);
    expect((await failed).code).to.equal('unavailable');
    await settle(el, 'error');
    expect(status(el).textContent).to.contain('not reachable right now');
    expect(el.shadowRoot!.activeElement).to.equal(status(el));
    expect(control(el, 'email_1').value).to.equal('ana.garcia@gmail.com');
    await expect(el).to.be.accessible();

    el.shadowRoot!.querySelector<HTMLButtonElement>('button[part=retry]')!.click();
    await settle(el, 'success');
    const [first, second] = await requests();
    expect(first!.key).to.match(KEY);
    expect(second!.key).to.equal(first!.key);
    expect(second!.body).to.deep.equal(first!.body);
  });

  it('says how long the relay asks to wait (Retry-After), in English and in Spanish', async () => {
    const el = await form('limited');
    await fillValid(el);
    const failed = nextEvent(el, 'resman-lead-error');
    await submit(el);
    expect((await failed).code).to.equal('rate_limited');
    await settle(el, 'error');
    // 113 seconds, rounded up: the prospect who comes back then is let in.
    expect(status(el).textContent).to.equal('Too many messages were sent from here just now. Try again in 2 minutes.');

    // The same answers, sent again from the page in Spanish.
    el.lang = 'es';
    await until(() => el.shadowRoot!.querySelector('button')!.textContent === 'Intentar de nuevo', 'Spanish');
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[part=retry]')!.click();
    await until(() => status(el).textContent!.startsWith('Se enviaron'), 'the Spanish message');
    expect(status(el).textContent).to.equal('Se enviaron demasiados mensajes desde aquí. Intente de nuevo dentro de 2 minutos.');
  });

  it('starts a new Idempotency-Key for the next fill', async () => {
    const el = await form('accept');
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    const next = await form('accept');
    await fillValid(next);
    await submit(next);
    await settle(next, 'success');
    const [a, b] = await requests();
    expect(a!.key).not.to.equal(b!.key);
  });

  it('turns an unreadable answer or an unreachable relay into the error state', async () => {
    const garbage = await form('garbage');
    await fillValid(garbage);
    const error = nextEvent(garbage, 'resman-lead-error');
    await submit(garbage);
    expect((await error).code).to.equal('unavailable');

    const unreachable = await fixture<ResmanLeadForm>(
      html`<resman-lead-form site="accept" relay="http://127.0.0.1:9" lang="en"></resman-lead-form>`,
    );
    await rendered(unreachable);
    await fillValid(unreachable);
    const networkError = nextEvent(unreachable, 'resman-lead-error');
    await submit(unreachable);
    expect((await networkError).code).to.equal('network_error');
    await settle(unreachable, 'error');
    expect(status(unreachable).textContent).to.contain('could not reach');
  });

  it('fires typed events that bubble out of the shadow root, and a cancelled submit sends nothing', async () => {
    const el = await form('accept');
    await fillValid(el);
    const seen: string[] = [];
    const cancelled = new Promise<void>((resolve) =>
      document.addEventListener(
        'resman-lead-submit',
        (e) => {
          seen.push(`${e.type}:${e.composed}:${e.bubbles}`);
          e.preventDefault();
          resolve();
        },
        { once: true },
      ),
    );
    await submit(el);
    await cancelled;
    await el.updateComplete;
    expect(seen).to.deep.equal(['resman-lead-submit:true:true']);
    expect(el.matches(':state(submitting)')).to.equal(false);
    // The next press goes through: the one lead the relay ever receives is that one.
    const sent = nextEvent(el, 'resman-lead-success');
    await submit(el);
    expect((await sent).leadId).to.equal('ld_stub_1');
    expect(await requests()).to.have.length(1);
  });

  it('defaults the relay to the origin the script was loaded from', async () => {
    const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="from-origin" lang="en"></resman-lead-form>`);
    await rendered(el);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    const [sent] = await requests();
    expect(sent!.path).to.equal('/v1/sites/from-origin/leads');
  });
});
