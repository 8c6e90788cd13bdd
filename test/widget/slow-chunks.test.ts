import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { STUB, type, until } from './helpers.js';

// The consent chunk on a slow network (lost-chunks.mjs holds its download unanswered). A box that
// waits for a phone number costs no round trip before the form is interactive; one shown from the
// start is waited for, so nothing moves under the visitor (slow-consent-box.test.ts: a page of its
// own, as this one has the chunk once it arrived).

const hold = (match: string) => fetch(`/lost-chunks?match=${encodeURIComponent(match)}&hold=1`, { method: 'POST' });
const release = () => fetch('/lost-chunks?release=1', { method: 'POST' });
const asked = async (): Promise<string[]> => ((await (await fetch('/lost-chunks')).json()) as { asked: string[] }).asked;
const box = (el: ResmanLeadForm) => el.shadowRoot!.querySelector<HTMLInputElement>('[name=consent]');

async function place(site: string): Promise<ResmanLeadForm> {
  return fixture<ResmanLeadForm>(html`<resman-lead-form site=${site} relay=${STUB} lang="en"></resman-lead-form>`);
}

describe('<resman-lead-form> on a slow network', () => {
  afterEach(() => fetch('/lost-chunks', { method: 'POST' }));

  it('shows the form of a "with_phone" site while its consent box is still on its way, and the box once a phone is typed', async () => {
    await hold('/lead-form/consent.ts');
    const el = await place('consent-phone');
    // Shown with the chunk still held: before the 1.5 s after which the widget shows a form whatever
    // it still waits for (SETTINGS_WAIT_MS), which is when a form that waited for the box would show.
    await until(() => el.matches(':state(ready)'), 'the form shown while its consent chunk is held', 1400);
    expect(await asked(), 'the consent chunk asked for, and held').to.have.length(1);
    expect(box(el)).to.equal(null);
    await type(el, 'phone_1', '(512) 555-0142');
    await release();
    await until(() => box(el) !== null, 'the consent box, once its chunk arrived');
    expect(box(el)!.checked).to.equal(false);
  });
});
