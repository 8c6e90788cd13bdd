import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { ErrorCode, FieldErrorCode, FieldIssue } from '../../contract/errors.js';
import {
  DEFAULT_FIELDS,
  FIELDS,
  REQUIRED_FIELDS,
  isFieldName,
  type Choice,
  type FieldName,
} from '../../contract/fields.js';
import { ResmanLeadErrorEvent, ResmanLeadSubmitEvent, ResmanLeadSuccessEvent } from './events.js';
import { en } from './i18n/en.js';
import type { Strings } from './i18n/types.js';
import { sendLead } from './send.js';
import { styles } from './styles.js';
import { localIsoDate, newIdempotencyKey, readSubmission } from './values.js';

type State = 'idle' | 'submitting' | 'success' | 'error';

let validation: Promise<typeof import('./validate.js')> | undefined;
/** Fetched once; a failed fetch (a flaky phone network) is forgotten so the next attempt tries again. */
const loadValidation = () =>
  (validation ??= import('./validate.js').catch((err: unknown) => {
    validation = undefined;
    throw err;
  }));
const prefetchValidation = () => void loadValidation().catch(() => {});

const languages: Record<string, () => Promise<Strings>> = {
  es: () => import('./i18n/es.js').then((m) => m.es),
};

/** The relay this script was served from: the embed needs no configuration beyond `site`. */
const scriptOrigin = new URL(import.meta.url).origin;

const WIDE: ReadonlySet<FieldName> = new Set(['address_1', 'address_2', 'notes', 'floor_plan_id', 'unit_id']);

/**
 * A contact form that turns a visitor of an apartment community's website into a ResMan guest card.
 *
 * @summary ResMan guest-card form, sent through the resman-lead-form relay.
 *
 * @tag resman-lead-form
 *
 * @attr site - The site's slug in the relay's configuration (required).
 * @attr relay - The relay's base URL; defaults to the origin this script was loaded from.
 * @attr fields - Which fields to show, in order, separated by spaces or commas. First and last name
 *   are always shown; email is added when neither email_1 nor phone_1 is listed.
 * @attr lang - `en` or `es`; defaults to the page's `<html lang>`.
 *
 * @slot success - Replaces the default thank-you shown after the lead is accepted.
 *
 * @csspart form - The form element.
 * @csspart field - The wrapper of one field's label, control, hint and error.
 * @csspart label - A field's label.
 * @csspart input - A field's input, select or textarea.
 * @csspart hint - A field's hint text.
 * @csspart error - A field's error message.
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
 * @cssstate submitting - While a lead is being sent.
 * @cssstate success - After the relay accepted the lead.
 * @cssstate error - After a send failed; the form keeps every answer.
 *
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
    choices: { attribute: false },
    _state: { state: true },
    _errors: { state: true },
    _strings: { state: true },
    _status: { state: true },
    _announcement: { state: true },
  };

  /** Registers the element; a second call (two embeds on one page) is harmless. */
  static define(tag = 'resman-lead-form'): void {
    if (!customElements.get(tag)) customElements.define(tag, this);
  }

  declare site: string;
  declare relay: string | undefined;
  declare fields: string | undefined;
  /** Options of data-driven selects (floor_plan_id, unit_id); a field without options is not shown. */
  declare choices: Partial<Record<FieldName, Choice[]>>;
  declare private _state: State;
  declare private _errors: ReadonlyMap<string, FieldErrorCode>;
  declare private _strings: Strings;
  declare private _status: string;
  declare private _announcement: string;

  private readonly internals = this.attachInternals();
  /** One key per fill, kept across retries so the relay can recognise a repeat. */
  private idempotencyKey = newIdempotencyKey();
  private touched = new Set<string>();
  /** Errors the relay found that the form could not; kept until the prospect edits that field. */
  private relayErrors = new Map<string, FieldErrorCode>();
  private attempted = false;

  constructor() {
    super();
    this.site = '';
    this.choices = {};
    this._state = 'idle';
    this._errors = new Map();
    this._strings = en;
    this._status = '';
    this._announcement = '';
  }

  /** The fields shown, in order, with what the contract needs always present. */
  get shownFields(): FieldName[] {
    const asked = (this.fields ?? '').split(/[\s,]+/).filter(isFieldName);
    const list = asked.length > 0 ? asked : [...DEFAULT_FIELDS];
    const missing = REQUIRED_FIELDS.filter((f) => !list.includes(f));
    if (!list.includes('email_1') && !list.includes('phone_1')) missing.push('email_1');
    // A select without fixed choices (floor plans, units) is shown only once it has options.
    const hasOptions = (f: FieldName) =>
      FIELDS[f].control !== 'select' || FIELDS[f].choices || (this.choices[f]?.length ?? 0) > 0;
    return [...new Set([...missing, ...list])].filter(hasOptions);
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (!this.hasUpdated || changed.has('lang')) void this.loadStrings();
    if (changed.has('_state' as keyof ResmanLeadForm)) {
      for (const s of ['submitting', 'success', 'error']) {
        if (s === this._state) this.internals.states?.add(s);
        else this.internals.states?.delete(s);
      }
    }
  }

  private async loadStrings(): Promise<void> {
    const code = (this.lang || document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
    this._strings = (await languages[code]?.()) ?? en;
  }

  override render(): TemplateResult {
    const t = this._strings;
    if (this._state === 'success') {
      return html`<div class="status success" part="status" role="status" tabindex="-1">
        <slot name="success"><p class="title">${t.successTitle}</p><p>${t.successBody}</p></slot>
      </div>`;
    }
    const busy = this._state === 'submitting';
    return html`<form
      part="form"
      novalidate
      @submit=${this.onSubmit}
      @focusin=${prefetchValidation}
      @focusout=${this.onFocusOut}
      @input=${this.onInput}
    >
      <p class="note">${t.requiredNote}</p>
      <div class="grid">${this.shownFields.map((name) => this.renderField(name))}</div>
      <p class="sr-only" role="alert">${this._announcement}</p>
      <div class="status ${this._state === 'error' ? 'failed' : ''}" part="status" role="status" tabindex="-1">${this._status}</div>
      ${this._state === 'error'
        ? html`<button part="retry" type="submit">${t.retry}</button>`
        : html`<button part="submit" type="submit" aria-disabled=${busy ? 'true' : 'false'}>
            ${busy ? t.submitting : t.submit}
          </button>`}
    </form>`;
  }

  private renderField(name: FieldName): TemplateResult {
    const t = this._strings;
    const spec = FIELDS[name];
    const required = REQUIRED_FIELDS.includes(name);
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
          ? html`<textarea part="input" id=${name} name=${name} autocomplete=${spec.autocomplete ?? 'off'} maxlength=${spec.maxLength ?? nothing} aria-invalid=${invalid} aria-describedby=${describedBy}></textarea>`
          : html`<input part="input" id=${name} name=${name} type=${spec.type ?? 'text'} autocomplete=${spec.autocomplete ?? 'off'} inputmode=${spec.inputmode ?? nothing} maxlength=${spec.maxLength ?? nothing} min=${spec.type === 'date' ? localIsoDate() : nothing} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy} />`;
    return html`<div class="field ${WIDE.has(name) ? 'wide' : ''}" part="field">
      <label part="label" for=${name}>${t.labels[name]}${required ? html` <span class="mark" aria-hidden="true">*</span>` : nothing}</label>
      ${control} ${hint ? html`<p class="hint" part="hint" id="${name}-hint">${hint}</p>` : nothing}
      <p class="error" part="error" id="${name}-error">${error ? (t.fieldErrors[name]?.[error] ?? t.errors[error]) : ''}</p>
    </div>`;
  }

  private get form(): HTMLFormElement | null {
    return this.renderRoot.querySelector('form');
  }

  /** "Reward early, punish late": a field is judged once left, and cleared as soon as it is fixed. */
  private onFocusOut = (e: FocusEvent): void => {
    const name = (e.target as HTMLInputElement).name;
    if (name && (e.target as HTMLInputElement).value !== '') this.touched.add(name);
    void this.revalidate();
  };

  private onInput = (e: Event): void => {
    const name = (e.target as HTMLInputElement).name;
    this.relayErrors.delete(name);
    if (this._errors.has(name)) void this.revalidate();
  };

  private async revalidate(): Promise<void> {
    const form = this.form;
    if (!form || (!this.attempted && this.touched.size === 0)) return;
    // Without validation (its download failed) fields are judged at the next attempt or send.
    const validation = await loadValidation().catch(() => null);
    if (!validation) return;
    const result = validation.parseSubmission(readSubmission(form, this.shownFields));
    const visible = (f: FieldIssue) => this.attempted || this.touched.has(f.field);
    const found = result.ok ? [] : result.fields.filter(visible).map((f) => [f.field, f.code] as const);
    this._errors = new Map([...this.relayErrors, ...found]);
  }

  private onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = this.form;
    if (!form || this._state === 'submitting') return;
    this.attempted = true;
    let validation;
    try {
      validation = await loadValidation();
    } catch {
      this.dispatchEvent(new ResmanLeadErrorEvent(this.site, 'network_error'));
      return this.fail('network_error');
    }
    const result = validation.parseSubmission(readSubmission(form, this.shownFields));
    if (!result.ok) return this.showFieldErrors(result.fields);
    await this.send(result.value);
  };

  /** Sends one fill; a retry re-reads the same answers and reuses the same Idempotency-Key. */
  private async send(payload: Record<string, unknown>): Promise<void> {
    if (!this.dispatchEvent(new ResmanLeadSubmitEvent(this.site))) return;
    this._state = 'submitting';
    this._status = this._strings.submitting;
    const base = (this.relay || scriptOrigin).replace(/\/+$/, '');
    const url = `${base}/v1/sites/${encodeURIComponent(this.site)}/leads`;
    const result = await sendLead(url, payload, this.idempotencyKey);
    if (result.ok) {
      this.idempotencyKey = newIdempotencyKey();
      this._state = 'success';
      this._status = '';
      this.dispatchEvent(new ResmanLeadSuccessEvent(this.site, result.id, result.status));
      return this.focusStatus();
    }
    const { code, fields } = result.error;
    this.dispatchEvent(new ResmanLeadErrorEvent(this.site, code, fields));
    const shown = fields.filter((f) => this.shownFields.includes(f.field as FieldName));
    if (code === 'invalid_fields' && shown.length > 0) {
      this._state = 'idle';
      this._status = '';
      this.relayErrors = new Map(shown.map((f) => [f.field, f.code]));
      return this.showFieldErrors(shown);
    }
    return this.fail(code);
  }

  private async fail(code: ErrorCode): Promise<void> {
    this._state = 'error';
    this._status = this.failureMessage(code);
    await this.focusStatus();
  }

  private failureMessage(code: ErrorCode): string {
    const t = this._strings;
    if (code === 'network_error') return t.errorNetwork;
    if (code === 'rate_limited') return t.errorRateLimited;
    if (code === 'unavailable') return t.errorUnavailable;
    return t.errorGeneric;
  }

  private async showFieldErrors(fields: readonly FieldIssue[]): Promise<void> {
    this._errors = new Map(fields.map((f) => [f.field, f.code]));
    this._announcement = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    // Emptied first and refilled a moment later, so a screen reader announces a repeated summary again.
    await new Promise((r) => setTimeout(r, 50));
    this._announcement = this._strings.fixFields(fields.length);
  }

  private async focusStatus(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.status')?.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'resman-lead-form': ResmanLeadForm;
  }
}
