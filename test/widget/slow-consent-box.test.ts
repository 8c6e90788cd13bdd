import { expect, fixture, html } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { STUB, settle, until } from './helpers.js';

// A consent box shown from the start, on a slow network (lost-chunks.mjs holds its chunk): the form
// waits for it, so the button does not move down under the visitor's thumb once it arrives.

const asked = async (): Promise<string[]> => ((await (await fetch('/lost-chunks')).json()) as { asked: string[] }).asked;

describe('<resman-lead-form> whose consent box shows from the start, on a slow network', () => {
  afterEach(() => fetch('/lost-chunks', { method: 'POST' }));

  it('is shown once its box is in, not before', async () => {
    await fetch(`/lost-chunks?match=${encodeURIComponent('/lead-form/consent.ts')}&hold=1`, { method: 'POST' });
    const el = await fixture<ResmanLeadForm>(html`<resman-lead-form site="consent" relay=${STUB} lang="en"></resman-lead-form>`);
    await until(async () => (await asked()).length > 0, 'the consent chunk asked for');
    await new Promise((r) => setTimeout(r, 300));
    expect(el.matches(':state(ready)'), 'shown before its consent box').to.equal(false);
    await fetch('/lost-chunks?release=1', { method: 'POST' });
    await settle(el, 'ready');
    expect(el.shadowRoot!.querySelector('[name=consent]')).to.not.equal(null);
  });
});
