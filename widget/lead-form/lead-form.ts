import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { FieldErrorCode } from '../../contract/errors.js';
import { DEFAULT_FIELDS, FIELDS, REQUIRED_FIELDS, isFieldName, type Choice, type FieldName } from '../../contract/fields.js';
import type { FormAnswer } from '../../contract/form.js';
import { ResmanLeadErrorEvent, ResmanLeadStartEvent, ResmanLeadViewEvent } from './events.js';
import { en } from './i18n/en.js';
import { withTexts, type Dictionary, type Messages, type PlanStrings, type Strings } from './i18n/types.js';
import { captureAttribution, readSession, session } from './session.js';
import { styles } from './styles.js';
import { localIsoDate } from './today.js';

type State = 'idle' | 'submitting' | 'success' | 'error';

let interaction: Promise<typeof import('./validate.js')> | undefined;
/** Fetched once; a failed fetch (a flaky phone network) is forgotten so the next attempt tries again. */
const loadInteraction = () =>
  (interaction ??= import('./validate.js').catch((err: unknown) => {
    interaction = undefined;
    throw err;
  }));
const prefetch = () => void loadInteraction().catch(() => {});

const languages: Record<string, () => Promise<Dictionary>> = {
  es: () => import('./i18n/es.js').then((m) => m.es),
};
/** English errors and outcomes, which arrive with the interaction chunk. */
let enMessages: Messages | undefined;

/** The relay this script was served from: the embed needs no configuration beyond `site`. */
const scriptOrigin = new URL(import.meta.url).origin;

const WIDE: ReadonlySet<string> = new Set(['address_1', 'address_2', 'notes', 'floor_plan_id', 'unit_id', 'consent']);

/** How long the form waits for the site's settings before showing the defaults. */
const SETTINGS_WAIT_MS = 1500;
/** After this, a form still waiting for its settings is rendered hidden, to hold its place on the page. */
const PLACEHOLDER_MS = 100;

// For benchmarks and the curious: from here to `resman-lead-form:interactive` is the widget's own time.
performance.mark('resman-lead-form:start');

captureAttribution();

/**
 * A contact form that turns a visitor of an apartment community's website into a ResMan guest card.
 *
 * @summary ResMan guest-card form, sent through the resman-lead-form relay.
 *
 * @tag resman-lead-form
 *
 * @attr site - The site's slug in the relay's configuration (required).
 * @attr relay - The relay's base URL; defaults to the origin this script was loaded from.
 * @attr fields - Which fields to show, in order, separated by spaces or commas; overrides the site's
 *   list from the relay. First and last name are always shown; email is added when neither email_1
 *   nor phone_1 is listed.
 * @attr lang - `en` or `es`; defaults to the page's `<html lang>`, then the site's language.
 * @attr datalayer - Also push each event (no personal data) to `window.dataLayer` for Google Tag Manager.
 *
 * @slot success - Replaces the default thank-you shown after the lead is accepted.
 *
 * @csspart form - The form element.
 * @csspart field - The wrapper of one field's label, control, hint and error.
 * @csspart label - A field's label.
 * @csspart input - A field's input, select or textarea.
 * @csspart hint - A field's hint text.
 * @csspart error - A field's error message.
 * @csspart consent - The consent checkbox.
 * @csspart submit - The send button.
 * @csspart retry - The try-again button shown after a failed send.
 * @csspart status - The sending, error and thank-you messages.
 *
 * @cssproperty --resman-font - Font shorthand; inherits the page's font by default.
 * @cssproperty --resman-color-text - Text colour.
 * @cssproperty --resman-color-muted - Hint colour.
 * @cssproperty --resman-color-field - Background of inputs.
 * @cssproperty --resman-color-border - Border of inputs.
 * @cssproperty --resman-color-accent - Button and focus colour.
 * @cssproperty --resman-color-on-accent - Button text colour.
 * @cssproperty --resman-color-error - Error colour.
 * @cssproperty --resman-radius - Corner radius.
 * @cssproperty --resman-space - Gap between fields.
 *
 * @cssstate ready - The form is shown, with the site's settings; reserve its height until then.
 * @cssstate submitting - While a lead is being sent.
 * @cssstate success - After the relay accepted the lead.
 * @cssstate error - After a send failed; the form keeps every answer.
 *
 * @event resman-lead-view - The form has rendered.
 * @event resman-lead-start - The visitor's first input.
 * @event resman-lead-submit - Before a valid lead is sent; cancelable. No personal data.
 * @event resman-lead-success - The relay accepted the lead; `leadId` is its receipt.
 * @event resman-lead-error - A send failed (`code`), or the relay refused fields (`fields`).
 */
export class ResmanLeadForm extends LitElement {
  static override styles = styles;
  static override properties = {
    site: { type: String },
    relay: { type: String },
    fields: { type: String },
    lang: { type: String, reflect: true },
    datalayer: { type: Boolean },
    choices: { attribute: false },
    _state: { state: true },
    _errors: { state: true },
    _strings: { state: true },
    _status: { state: true },
    _announcement: { state: true },
    _settings: { state: true },
    _stage: { state: true },
  };

  /** Registers the element; a second call (two embeds on one page) is harmless. */
  static define(tag = 'resman-lead-form'): void {
    if (!customElements.get(tag)) customElements.define(tag, this);
  }

  declare site: string;
  declare relay: string | undefined;
  declare fields: string | undefined;
  declare datalayer: boolean;
  /** Options of data-driven selects (floor_plan_id, unit_id); a field without options is not shown. */
  declare choices: Partial<Record<FieldName, Choice[]>>;
  /** @internal */ declare _state: State;
  /** @internal */ declare _errors: ReadonlyMap<string, FieldErrorCode>;
  /** Errors and outcomes are there once the interaction chunk (or a whole language) has loaded. @internal */
  declare _strings: Strings & Partial<Messages & PlanStrings>;
  /** @internal */ declare _status: string;
  /** @internal */ declare _announcement: string;
  /** The site's form from the relay; null until it arrives (or when it cannot). @internal */
  declare _settings: FormAnswer | null;
  /**
   * 0: waiting for the settings, nothing rendered; 1: still waiting, rendered hidden to hold the form's
   * place; 2: settings and strings in (or the relay too slow): shown. @internal
   */
  declare _stage: 0 | 1 | 2;

  /** @internal */ readonly internals = this.attachInternals();
  /** One key per fill, kept across retries so the relay can recognise a repeat; made at the first send. @internal */
  key: string | undefined;
  /** @internal */ touched = new Set<string>();
  /** Errors the relay found that the form could not; kept until the prospect edits that field. @internal */
  relayErrors = new Map<string, FieldErrorCode>();
  /** @internal */ attempted = false;
  /** When the form token was handed out, by this page's clock. @internal */
  settingsAt = 0;
  /** Cloudflare Turnstile's answer, waited for when still coming; set when the site uses Turnstile. @internal */
  turnstileToken: (() => Promise<string | undefined>) | undefined;
  /** Draft answers still waiting for their control (a floor plan's options arrive later). */
  private draft: Record<string, string> = {};
  private started = false;

  constructor() {
    super();
    this.site = '';
    this.datalayer = false;
    this.choices = {};
    this._state = 'idle';
    this._errors = new Map();
    this._strings = en;
    this._status = '';
    this._announcement = '';
    this._settings = null;
    this._stage = 0;
  }

  /** The fields listed, in order, with what the contract needs always present. */
  private get listedFields(): FieldName[] {
    const asked = (this.fields ?? '').split(/[\s,]+/).filter(isFieldName);
    const list = asked.length > 0 ? asked : (this._settings?.fields ?? DEFAULT_FIELDS);
    const missing = REQUIRED_FIELDS.filter((f) => !list.includes(f));
    if (!list.includes('email_1') && !list.includes('phone_1')) missing.push('email_1');
    return [...new Set([...missing, ...list])];
  }

  /** A select without fixed choices (floor plans, units) is shown only once it has options. */
  private hasOptions(f: FieldName): boolean {
    return FIELDS[f].control !== 'select' || !!FIELDS[f].choices || (this.choices[f]?.length ?? 0) > 0;
  }

  /** The fields shown, in order: what is validated and sent. */
  get shownFields(): FieldName[] {
    return this.listedFields.filter((f) => this.hasOptions(f));
  }

  /** The contract's required fields and the site's. @internal */
  get requiredFields(): FieldName[] {
    return [...REQUIRED_FIELDS, ...(this._settings?.required ?? [])];
  }

  /** @internal */
  get base(): string {
    return (this.relay || scriptOrigin).replace(/\/+$/, '');
  }

  /** The form's language: the element's `lang`, else the page's, else the site's. @internal */
  get language(): string {
    return (this.lang || document.documentElement.lang || this._settings?.language || 'en').slice(0, 2).toLowerCase();
  }

  /** @internal */
  get draftKey(): string {
    return `resman-lead-form:draft:${this.site}`;
  }

  /** Dispatches an event and, when the page opted in, pushes it to GTM's dataLayer. @internal */
  emit(event: Event, extra?: object): boolean {
    const go = this.dispatchEvent(event);
    if (go && this.datalayer) ((window as { dataLayer?: object[] }).dataLayer ??= []).push({ event: event.type, resman_site: this.site, ...extra });
    return go;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('site')) void this.prepare();
    else if (changed.has('lang')) void this.loadStrings();
    if (changed.has('_state' as keyof ResmanLeadForm)) {
      for (const s of ['submitting', 'success', 'error']) {
        if (s === this._state) this.internals.states?.add(s);
        else this.internals.states?.delete(s);
      }
    }
    if (this._stage > 1) this.internals.states?.add('ready');
  }

  /**
   * The form is shown once, in its final shape: with the site's fields, language and wording, so
   * nothing changes language under the visitor. A fast relay gets one render; a slow one gets the
   * form rendered hidden after PLACEHOLDER_MS, holding its place on the page, and a relay slower
   * than SETTINGS_WAIT_MS gets the defaults.
   */
  private async prepare(): Promise<void> {
    const strings = this.loadStrings(); // a language the page names loads alongside the settings
    const hold = setTimeout(() => (this._stage ||= 1), PLACEHOLDER_MS);
    if (this.site) {
      this.draft = readSession<Record<string, string>>(this.draftKey) ?? {};
      await Promise.race([this.loadSettings(), new Promise((r) => setTimeout(r, SETTINGS_WAIT_MS))]);
    }
    await strings;
    clearTimeout(hold);
    this._stage = 2;
    await this.updateComplete;
    performance.mark('resman-lead-form:interactive');
    this.emit(new ResmanLeadViewEvent(this.site));
  }

  override updated(): void {
    // A reload mid-fill: put the answers back as their controls appear.
    for (const [name, value] of Object.entries(this.draft)) {
      const control = this.form?.elements.namedItem(name) as HTMLInputElement | null;
      if (!control) continue;
      if (!control.value) control.value = value;
      if (control.value === value) delete this.draft[name];
    }
  }

  private async loadSettings(): Promise<void> {
    try {
      const res = await fetch(`${this.base}/v1/sites/${encodeURIComponent(this.site)}/form`, { credentials: 'omit' });
      if (!res.ok) return;
      const settings = (this._settings = (await res.json()) as FormAnswer);
      this.settingsAt = Date.now();
      const plans = settings.floor_plans;
      // Named at once, so the select is there from the first frame; the floor-plan chunk adds the rest.
      if (plans.length > 0) this.choices = { ...this.choices, floor_plan_id: plans.map((p) => ({ value: p.id, label: p.name })) };
      await this.loadStrings();
      // Optional features, fetched only by the sites that use them, and never waited for.
      if (settings.turnstile_site_key) void import('./turnstile.js').then((m) => m.mountTurnstile(this, settings.turnstile_site_key!));
    } catch {
      // The form works without the site's settings: defaults, no token, no floor plans.
    }
  }

  private async loadStrings(): Promise<void> {
    const code = this.language;
    this._strings = withTexts((await languages[code]?.()) ?? { ...enMessages, ...en }, this._settings?.texts, code);
    // Floor plans are described in the form's language, so they follow it.
    const plans = this._settings?.floor_plans ?? [];
    if (plans.length > 0) void import('./floor-plans.js').then((m) => m.offerPlans(this, plans));
  }

  /** The errors and outcomes, for code that runs after the interaction chunk has loaded. @internal */
  get messages(): Dictionary {
    return this._strings as Dictionary;
  }

  override render(): TemplateResult | typeof nothing {
    const t = this._strings;
    if (!this._stage) return nothing;
    if (this._state === 'success') {
      return html`<div class="status success" part="status" role="status" tabindex="-1">
        <slot name="success"><p class="title">${t.successTitle}</p><p>${t.successBody}</p></slot>
      </div>`;
    }
    const busy = this._state === 'submitting';
    const consent = this._settings?.consent;
    const error = this._errors.get('consent');
    // Until the settings are in, the form takes its place on the page but is neither seen nor usable.
    return html`<form part="form" class=${this._stage > 1 ? '' : 'pending'} novalidate @submit=${this.onSubmit} @focusin=${prefetch} @focusout=${this.onFocusOut} @input=${this.onInput}>
      <p class="note">${t.requiredNote}</p>
      <div class="grid">
        ${this.listedFields.map((name) => this.renderField(name))}
        ${consent
          ? html`<div class="field wide" part="field">
              <label part="label" class="consent"><input part="consent" type="checkbox" name="consent" required aria-invalid=${error ? 'true' : 'false'} aria-describedby="consent-error" /><span>${consent.text} <span class="mark" aria-hidden="true">*</span></span></label>
              <p class="error" part="error" id="consent-error">${error ? t.consentRequired : ''}</p>
            </div>`
          : nothing}
      </div>
      <div class="sr-only" aria-hidden="true"><label>${t.trap} <input name="website" tabindex="-1" autocomplete="off" /></label></div>
      <slot name="turnstile"></slot>
      <p class="sr-only" role="alert">${this._announcement}</p>
      <div class="status ${this._state === 'error' ? 'failed' : ''}" part="status" role="status" tabindex="-1">${this._status}</div>
      <button part=${this._state === 'error' ? 'retry' : 'submit'} type="submit" aria-disabled=${busy ? 'true' : 'false'}>
        ${this._state === 'error' ? t.retry : busy ? t.submitting : t.submit}
      </button>
    </form>`;
  }

  private renderField(name: FieldName): TemplateResult {
    const t = this._strings;
    const spec = FIELDS[name];
    const required = this.requiredFields.includes(name);
    const error = this._errors.get(name);
    const hint = t.hints[name];
    const describedBy = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ') || nothing;
    const invalid = error ? 'true' : 'false';
    // The attributes every control shares are bound once per control type: Lit has no attribute spread.
    const control =
      spec.control === 'select'
        ? html`<select part="input" id=${name} name=${name} autocomplete=${spec.autocomplete ?? 'off'} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy}>
            <option value="">${t.chooseOne}</option>
            ${(spec.choices?.map((c) => ({ ...c, label: t.choices[c.label] ?? c.label })) ?? this.choices[name] ?? []).map(
              (c) => html`<option value=${c.value}>${c.label}</option>`,
            )}
          </select>`
        : spec.control === 'textarea'
          ? html`<textarea part="input" id=${name} name=${name} autocomplete=${spec.autocomplete ?? 'off'} maxlength=${spec.maxLength ?? nothing} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy}></textarea>`
          : html`<input part="input" id=${name} name=${name} type=${spec.type ?? 'text'} autocomplete=${spec.autocomplete ?? 'off'} inputmode=${spec.inputmode ?? nothing} maxlength=${spec.maxLength ?? nothing} min=${spec.type === 'date' ? localIsoDate() : nothing} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy} />`;
    // Rendered even while hidden, so no field takes over another's place (and value) when options arrive.
    return html`<div class="field ${WIDE.has(name) ? 'wide' : ''}" part="field" ?hidden=${!this.hasOptions(name)}>
      <label part="label" for=${name}>${t.labels[name]}${required ? html` <span class="mark" aria-hidden="true">*</span>` : nothing}</label>
      ${control} ${hint ? html`<p class="hint" part="hint" id="${name}-hint">${hint}</p>` : nothing}
      <p class="error" part="error" id="${name}-error">${error ? (t.fieldErrors?.[name]?.[error] ?? t.errors?.[error]) : ''}</p>
    </div>`;
  }

  /** @internal */
  get form(): HTMLFormElement | null {
    return this.renderRoot.querySelector('form');
  }

  /** "Reward early, punish late": a field is judged once left, and cleared as soon as it is fixed. */
  private onFocusOut = (e: FocusEvent): void => {
    const target = e.target as HTMLInputElement;
    if (target.name && target.value !== '') this.touched.add(target.name);
    void this.interact((m) => m.revalidate(this));
  };

  private onInput = (e: Event): void => {
    const { name, value } = e.target as HTMLInputElement;
    if (!this.started) {
      this.started = true;
      this.emit(new ResmanLeadStartEvent(this.site));
    }
    if (name === 'website') return;
    delete this.draft[name];
    const answers = Object.fromEntries(new FormData(this.form!)) as Record<string, string>;
    delete answers.website;
    session(this.draftKey, JSON.stringify(answers));
    this.relayErrors.delete(name);
    if (this._errors.has(name)) void this.interact((m) => m.revalidate(this));
    if (name === 'floor_plan_id') void import('./floor-plans.js').then((m) => m.planChosen(this, value));
  };

  private onSubmit = (e: SubmitEvent): void => {
    e.preventDefault();
    if (this._state === 'submitting') return;
    this.attempted = true;
    void this.interact(
      (m) => m.submit(this),
      () => {
        // Validation could not even be downloaded: say so, keep every answer, and let them retry.
        this.emit(new ResmanLeadErrorEvent(this.site, 'network_error'), { resman_code: 'network_error' });
        this._state = 'error';
        this._status = this._strings.errorNetwork;
        void this.focusStatus();
      },
    );
  };

  private async interact(use: (m: typeof import('./validate.js')) => unknown, failed?: () => void): Promise<void> {
    let m;
    try {
      m = await loadInteraction();
    } catch {
      return failed?.();
    }
    if (!enMessages) {
      enMessages = m.enMessages;
      await this.loadStrings();
    }
    await use(m);
  }

  /** @internal */
  async focusStatus(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.status')?.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'resman-lead-form': ResmanLeadForm;
  }
}
