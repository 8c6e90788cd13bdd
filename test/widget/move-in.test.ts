import { expect } from '@open-wc/testing';
import { clearRequests, control, errorText, fillValid, form, inDays, requests, settle, submit, until } from './helpers.js';

const twoYearsOn = (date: string) => `${Number(date.slice(0, 4)) + 2}${date.slice(4)}`;

/** Puts a date in the move-in input as the picker does: the value, then an input event. */
function pick(el: HTMLElement, date: string): void {
  const input = el.shadowRoot!.querySelector<HTMLInputElement>('[name=target_move_in_date]')!;
  input.value = date;
  input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
}

describe('<resman-lead-form> move-in date', () => {
  beforeEach(clearRequests);

  it("offers dates from the property's today (from the relay) to two years on, and refuses an earlier one before sending", async () => {
    // The property's today is the browser's tomorrow: the property is a time zone ahead, past midnight.
    const el = await form('ahead');
    const tomorrow = inDays(1);
    const date = control(el, 'target_move_in_date');
    expect([date.min, date.max]).to.deep.equal([tomorrow, twoYearsOn(tomorrow)]);
    await fillValid(el);
    pick(el, inDays(0));
    await submit(el);
    await until(() => errorText(el, 'target_move_in_date') !== '', 'move-in error');
    expect(errorText(el, 'target_move_in_date')).to.equal('Choose a date from today to two years ahead.');
    expect(date.getAttribute('aria-invalid')).to.equal('true');
    expect(await requests()).to.have.length(0);

    pick(el, tomorrow);
    await submit(el);
    await settle(el, 'success');
    expect((await requests())[0]!.body.target_move_in_date).to.equal(tomorrow);
  });

  it('refuses the day after two years ahead, and says so in Spanish too; takes the last day', async () => {
    const el = await form('accept', { lang: 'es' });
    const last = twoYearsOn(inDays(0));
    await fillValid(el);
    pick(el, inDays(1, new Date(`${last}T12:00`)));
    await submit(el);
    await until(() => errorText(el, 'target_move_in_date') !== '', 'move-in error');
    expect(errorText(el, 'target_move_in_date')).to.equal('Elija una fecha entre hoy y dentro de dos años.');
    expect(await requests()).to.have.length(0);

    pick(el, last);
    await submit(el);
    await settle(el, 'success');
    expect((await requests())[0]!.body.target_move_in_date).to.equal(last);
  });

  it("without the site's settings, counts from the browser's date", async () => {
    const el = await form('noform');
    const date = control(el, 'target_move_in_date');
    expect([date.min, date.max]).to.deep.equal([inDays(0), twoYearsOn(inDays(0))]);
    await fillValid(el);
    pick(el, inDays(-1));
    await submit(el);
    await until(() => errorText(el, 'target_move_in_date') !== '', 'move-in error');
    expect(await requests()).to.have.length(0);
  });
});
