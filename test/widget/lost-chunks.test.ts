import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { clearRequests, control, fillValid, form, nextEvent, requests, settle, submit, type, until } from './helpers.js';

// Lost chunk downloads, in the strictest browser: a URL that failed once fails for good, query and
// all (lost-chunks.mjs), so only a retry from a new URL can succeed. Each test loses a chunk this
// page has not loaded yet.

interface Lost {
  asked: string[];
  failed: string[];
}
const lose = (match: string) => fetch(`/lost-chunks?match=${encodeURIComponent(match)}`, { method: 'POST' });
const networkBack = () => fetch('/lost-chunks?online=1', { method: 'POST' });
const lost = async (): Promise<Lost> => (await fetch('/lost-chunks')).json();

/** Waits until a download was lost (a request the form makes on its own, after it rendered). */
async function firstLost(): Promise<void> {
  const start = performance.now();
  while ((await lost()).failed.length === 0) {
    if (performance.now() - start > 3000) throw new Error('timed out waiting for a lost download');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every attempt had a URL of its own, and the one that got through was a retry's. */
async function expectRetriedFromNewUrls(): Promise<void> {
  const { asked, failed } = await lost();
  expect(failed.length, 'downloads lost').to.be.greaterThan(0);
  expect(new Set(asked).size, `one URL per attempt: ${asked.join(' ')}`).to.equal(asked.length);
  const served = asked.filter((url) => !failed.includes(url));
  expect(served).to.have.length(1);
  expect(served[0]).to.match(/\?attempt=\d+$/);
}

const status = (el: ResmanLeadForm) => el.shadowRoot!.querySelector('[part=status]')!.textContent!;
const label = (el: ResmanLeadForm, name: string) =>
  control(el, name)
    .labels![0]!.textContent!.replace(/\s*\*\s*$/, '')
    .trim();
const options = (el: ResmanLeadForm, name: string) =>
  [...(control(el, name) as unknown as HTMLSelectElement).options].filter((o) => o.value).map((o) => o.text);

describe('<resman-lead-form> optional chunks', () => {
  afterEach(() => fetch('/lost-chunks', { method: 'POST' }));

  it('asks for the floor-plan chunk only where the floor-plan field is shown, on a site with floor plans', async () => {
    await lose('/controllers/floor-plans.ts'); // to note every download of it
    const without = await form('plans', { fields: 'first_name last_name email_1 desired_num_bedrooms' });
    expect(without.shadowRoot!.querySelector('[name=floor_plan_id]')).to.equal(null);
    // A second form that shows the field: its download is noted after any the first one made.
    await form('plans', { fields: 'first_name last_name email_1 floor_plan_id' });
    await firstLost();
    const { asked } = await lost();
    expect(asked, "one download, the second form's first").to.have.length(1);
    expect(asked[0]).to.not.contain('attempt');
  });
});

describe('<resman-lead-form> when a chunk download is lost', () => {
  beforeEach(clearRequests);
  afterEach(() => fetch('/lost-chunks', { method: 'POST' }));

  it('says so, keeps the answers, and sends on "Try again" with the send chunk from a new URL', async () => {
    await lose('/lead-form/send-lead.ts');
    const el = await form('accept');
    await fillValid(el); // each focus asks for the chunk ahead, and loses it
    const failed = nextEvent(el, 'resman-lead-error');
    await submit(el);
    expect((await failed).code).to.equal('network_error');
    await settle(el, 'error');
    expect(status(el)).to.contain('could not reach the leasing office');
    expect(control(el, 'email_1').value).to.equal('ana.garcia@gmail.com');
    expect(await requests()).to.have.length(0);

    await networkBack();
    const sent = nextEvent(el, 'resman-lead-success');
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[part=retry]')!.click();
    await sent;
    expect((await requests()).map((r) => r.body.email_1)).to.deep.equal(['ana.garcia@gmail.com']);
    await expectRetriedFromNewUrls();
  });

  it('names the floor plans at once, and describes them once their chunk gets through on a later update', async () => {
    await lose('/controllers/floor-plans.ts');
    const el = await form('plans');
    expect(options(el, 'floor_plan_id')).to.deep.equal(['Magnolia', 'Live Oak', 'Pecan Studio with Garden Patio and Private Entrance']);
    await firstLost();
    await networkBack();
    // Anything the form shows anew asks again: here an error, judged when a field is left.
    await type(el, 'email_1', 'ana@');
    await sendKeys({ press: 'Tab' });
    await until(() => options(el, 'floor_plan_id')[0]!.includes('·'), 'plans described');
    expect(options(el, 'floor_plan_id')[1]).to.equal('$1,895 · Live Oak · 2 bd · 2 ba');
    await expectRetriedFromNewUrls();
  });

  it('shows a form without its consent box when the box is lost: a lead still goes, saying nothing of consent', async () => {
    await lose('/lead-form/consent.ts');
    const el = await form('consent');
    await firstLost();
    expect(el.shadowRoot!.querySelector('[name=consent]')).to.equal(null);
    await fillValid(el);
    await submit(el);
    await settle(el, 'success');
    expect((await requests())[0]!.body.meta).to.deep.equal({ form_token: 'tok-consent' });
  });

  it('shows a Spanish form in English when Spanish is lost, and Spanish from a new URL when asked again', async () => {
    await lose('/i18n/es.ts');
    const el = await form('accept', { lang: 'es' });
    expect(label(el, 'first_name')).to.equal('First name');
    await networkBack();
    el.lang = 'en';
    await el.updateComplete;
    el.lang = 'es';
    await until(() => label(el, 'first_name') === 'Nombre', 'Spanish');
    await expectRetriedFromNewUrls();
  });
});
