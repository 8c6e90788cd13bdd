import { expect } from '@open-wc/testing';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';
import { clearRequests, requests, until } from './helpers.js';

// A visitor's navigation, in a same-origin iframe: it shares this tab's sessionStorage as the
// pages of one site do, and it can load, navigate and reload like a real page.
const PAGE = '/test/widget/pages/embed.html';

async function open(frame: HTMLIFrameElement, url: string): Promise<ResmanLeadForm> {
  const loaded = new Promise((r) => frame.addEventListener('load', r, { once: true }));
  frame.src = url;
  await loaded;
  return ready(frame);
}

async function ready(frame: HTMLIFrameElement): Promise<ResmanLeadForm> {
  let el: ResmanLeadForm | null = null;
  await until(
    () => {
      el = frame.contentDocument?.querySelector('resman-lead-form') ?? null;
      return !!el?.matches(':state(ready)');
    },
    'the embedded form',
    8000,
  );
  return el!;
}

/** Types a value the way autofill does: no key presses, one input event. */
function fill(el: ResmanLeadForm, name: string, value: string): void {
  const control = el.shadowRoot!.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  control.value = value;
  control.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
}

const value = (el: ResmanLeadForm, name: string) => el.shadowRoot!.querySelector<HTMLInputElement>(`[name="${name}"]`)!.value;

describe('<resman-lead-form> across a visit', () => {
  let frame: HTMLIFrameElement;
  beforeEach(async () => {
    await clearRequests();
    frame = document.createElement('iframe');
    frame.style.width = '800px';
    frame.style.height = '900px';
    document.body.append(frame);
  });
  afterEach(() => frame.remove());

  it('keeps the first touch (campaign, landing page) across pages and sends it with the lead', async () => {
    await open(frame, `${PAGE}?utm_source=google&utm_medium=cpc&utm_campaign=spring%20move-in%3Cb%3E&gclid=abc`);
    // Three pages later, on a page without a campaign:
    await open(frame, `${PAGE}?page=2`);
    const el = await open(frame, `${PAGE}?page=3&utm_source=facebook`);
    fill(el, 'first_name', 'Ana');
    fill(el, 'last_name', 'García');
    fill(el, 'email_1', 'ana.garcia@gmail.com');
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await until(() => el.matches(':state(success)'), 'sent');
    const [lead] = await requests();
    expect(lead!.body.meta!.attribution).to.deep.equal({
      landing_page: `${location.origin}${PAGE}?utm_source=google&utm_medium=cpc&utm_campaign=spring%20move-in%3Cb%3E&gclid=abc`,
      utm_source: 'google',
      utm_medium: 'cpc',
      // Markup characters are dropped, so odd tracking values never cost the prospect a refusal.
      utm_campaign: 'spring move-inb',
    });
  });

  it('shows the form even when the stored draft is not JSON (another script wrote the key)', async () => {
    sessionStorage.setItem('resman-lead-form:draft:accept', '{not json');
    const el = await open(frame, PAGE);
    expect(value(el, 'first_name')).to.equal('');
  });

  it('restores a draft after a reload, autofilled or typed, and forgets it once sent', async () => {
    let el = await open(frame, PAGE);
    fill(el, 'first_name', 'Ana');
    fill(el, 'last_name', 'García');
    fill(el, 'notes', 'Do you allow cats?');
    const website = el.shadowRoot!.querySelector<HTMLInputElement>('[name=website]')!;
    website.value = 'bot';
    website.dispatchEvent(new Event('input', { bubbles: true, composed: true }));

    const reloaded = new Promise((r) => frame.addEventListener('load', r, { once: true }));
    frame.contentWindow!.location.reload();
    await reloaded;
    el = await ready(frame);
    await until(() => value(el, 'first_name') === 'Ana', 'draft restored');
    expect(value(el, 'last_name')).to.equal('García');
    expect(value(el, 'notes')).to.equal('Do you allow cats?');
    expect(value(el, 'website')).to.equal('');

    fill(el, 'email_1', 'ana.garcia@gmail.com');
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await until(() => el.matches(':state(success)'), 'sent');
    expect(sessionStorage.getItem('resman-lead-form:draft:accept')).to.equal(null);

    el = await open(frame, `${PAGE}?again`);
    expect(value(el, 'first_name')).to.equal('');
  });
});
