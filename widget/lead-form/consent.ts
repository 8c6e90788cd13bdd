/**
 * The consent box, a lazy chunk of its own: only a site that asks for consent loads it, with its
 * settings, before the form shows (so nothing moves), and with it the box's styles. The box is
 * unticked, and optional unless the site requires it; `with_phone`, it waits for a phone number (its
 * text is about "the number I gave"). The send chunk reads the box as rendered: shown, ticked,
 * required. It imports nothing of the entry but lit (lazy.ts).
 */
import { css, html, nothing, type ReactiveElement, type TemplateResult } from 'lit';
import type { FieldErrorCode } from '../../contract/errors.js';
import type { FormAnswer } from '../../contract/form.js';
import type { ResmanLeadErrorEvent } from './events.js';
import type { Messages } from './i18n/types.js';

/** What the box reads of the form's settings (SettingsController): the site's consent, and where to ask for it anew. */
export interface ConsentSource {
  readonly value: FormAnswer | null;
  url(path: string): string;
}

// Adopted beside the element's own styles (styles.ts), which every visitor downloads.
const styles = css`
  .consent {
    display: flex;
    gap: 0.75rem;
    align-items: start;
    font-weight: 400;
  }
  [type='checkbox'] {
    flex: none;
    width: 1.5rem;
    min-height: 1.5rem;
    margin: 0;
    padding: 0;
    accent-color: var(--_accent);
  }
  @media (pointer: coarse) {
    .consent {
      min-height: 2.75rem;
    }
  }
`;

/** The forms the box has been set up in. */
const set = new WeakSet<ReactiveElement>();

/**
 * The box for the site's consent, or nothing while it waits for a phone number. Under it, what is
 * wrong (`error`): not ticked where the site requires it, or ticked for a wording the site has since
 * changed (the relay's `invalid_choice`), in the form's words `t` (there once the form has judged).
 */
export function consentBox(
  settings: ConsentSource,
  host: ReactiveElement,
  error: FieldErrorCode | undefined,
  t: Partial<Messages>,
): TemplateResult | typeof nothing {
  const consent = settings.value!.consent!;
  const root = host.renderRoot as ShadowRoot;
  if (!set.has(host)) {
    set.add(host);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, styles.styleSheet!];
    // A box asked with a phone number comes and goes with it: rendered again as it is typed, and once
    // after this render, which a reload's kept number is put back after (SubmitController).
    root.addEventListener('input', (e) => (e.target as HTMLInputElement).name === 'phone_1' && host.requestUpdate());
    void host.updateComplete.then(() => host.requestUpdate());
    host.addEventListener('resman-lead-error', (e) => {
      if ((e as ResmanLeadErrorEvent).fields.some((f) => f.field === 'consent' && f.code === 'invalid_choice')) void renew(settings, host);
    });
  }
  if (consent.ask === 'with_phone' && !root.querySelector<HTMLInputElement>('#phone_1')?.value.trim()) return nothing;
  return html`<div class="field wide" part="field">
    <label part="label" class="consent"><input part="consent" type="checkbox" name="consent" ?required=${consent.required} aria-invalid=${error ? 'true' : 'false'} aria-describedby="consent-error" /><span>${consent.text}${consent.required ? html` <span class="mark" aria-hidden="true">*</span>` : nothing}</span></label>
    <p class="error" part="error" id="consent-error">${error && (error === 'required' ? t.consentRequired : t.consentChanged)}</p>
  </div>`;
}

/**
 * The relay refused a consent given to a wording the site has since changed (the page was open
 * meanwhile): the box again, unticked, with the site's wording now. The fill keeps its form token:
 * a new one would make a quick second send look like a bot's.
 */
async function renew(settings: ConsentSource, host: ReactiveElement): Promise<void> {
  const box = host.renderRoot.querySelector<HTMLInputElement>('[name=consent]');
  if (box) box.checked = false;
  const fresh = await fetch(settings.url('form'), { credentials: 'omit' })
    .then((res) => (res.ok ? (res.json() as Promise<FormAnswer>) : undefined))
    .catch(() => undefined);
  if (fresh && settings.value) settings.value.consent = fresh.consent;
  host.requestUpdate();
}
