import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { DEFAULT_FIELDS, FIELDS, REQUIRED_FIELDS, isFieldName, moveInRange, type Choice, type FieldName } from '../../contract/fields.js';
import type { FloorPlansController } from './controllers/floor-plans.js';
import { SettingsController } from './controllers/settings.js';
import { SubmitController } from './controllers/submit.js';
import type { TurnstileController } from './controllers/turnstile.js';
import type { TourController } from './tours/tours.js';
import { emit } from './emit.js';
import { ResmanLeadViewEvent } from './events.js';
import { plansChunk, toursChunk, turnstileChunk } from './lazy.js';
import { captureAttribution } from './session.js';
import { styles } from './styles.js';

const noop = () => {};

const WIDE: ReadonlySet<string> = new Set(['address_1', 'address_2', 'notes', 'floor_plan_id', 'unit_id']);

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
 * @attr mode - `tour` books a tour: a day and a time from the site's open slots (in the property's
 *   time zone), then the names, email and phone (unless `fields` says otherwise), and a confirmation
 *   with a calendar file. A site without tours gets the contact form, and `mode` becomes ''.
 *
 * @slot success - Replaces the default thank-you shown after the lead is accepted (which greets the
 *   prospect by first name, sums up what they asked about and says how the office will reply).
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
    mode: { type: String },
    choices: { attribute: false },
  };

  /** Registers the element; a second call (two embeds on one page) is harmless. */
  static define(tag = 'resman-lead-form'): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class define() was called on, a subclass included.
    if (!customElements.get(tag)) customElements.define(tag, this);
  }

  declare site: string;
  declare relay: string | undefined;
  declare fields: string | undefined;
  declare datalayer: boolean;
  declare mode: string | undefined;
  /**
   * Options of data-driven selects (floor_plan_id, unit_id); a field without options is not shown.
   * A site's floor plans and units from the relay take the place of these.
   */
  declare choices: Partial<Record<FieldName, Choice[]>>;

  // Behaviour lives in controllers: the element renders from them and sets its custom states.
  readonly #internals = this.attachInternals();
  readonly #settings = new SettingsController(this);
  readonly #submission = new SubmitController(
    this,
    this.#settings,
    () => this.#turnstile?.token(),
    () => this.#listedFields.filter((f) => this.#hasOptions(f)),
  );
  /** Optional features: each controller is a chunk of its own, added once the site's settings ask for it. */
  #plans: FloorPlansController | undefined;
  #turnstile: TurnstileController | undefined;
  #tour: TourController | undefined;
  #viewed = false;

  constructor() {
    super();
    this.site = '';
    this.datalayer = false;
    this.choices = {};
  }

  /** The fields listed, in order, with what the contract needs always present. */
  get #listedFields(): FieldName[] {
    const asked = (this.fields ?? '').split(/[\s,]+/).filter(isFieldName);
    const list = asked.length > 0 ? asked : (this.#tour?.fields ?? this.#settings.value?.fields ?? DEFAULT_FIELDS);
    const missing = REQUIRED_FIELDS.filter((f) => !list.includes(f));
    if (!list.includes('email_1') && !list.includes('phone_1')) missing.push('email_1');
    return [...new Set([...missing, ...list])];
  }

  /**
   * A select's options: fixed ones from the catalogue, else the site's floor plans and units (named at
   * once, so the select is there from the first frame, and described once their controller is in),
   * else `choices`.
   */
  #options(f: FieldName): Choice[] | undefined {
    const { strings, value } = this.#settings;
    const named =
      f === 'floor_plan_id' && value?.floor_plans.length ? value.floor_plans.map((p) => ({ value: p.id, label: p.name })) : undefined;
    return (
      FIELDS[f].choices?.map((c) => ({ ...c, label: strings.choices[c.label] ?? c.label })) ??
      this.#plans?.choices[f as 'unit_id'] ??
      named ??
      this.choices[f]
    );
  }

  /** A select without fixed choices (floor plans, units) is shown only once it has options; shown fields are sent. */
  #hasOptions(f: FieldName): boolean {
    return FIELDS[f].control !== 'select' || (this.#options(f)?.length ?? 0) > 0;
  }

  /**
   * After each render: the custom states, set here only (what a page styles, and waits on with
   * `:state(ready)`); the view event, once; the controllers of the features the site's settings ask for.
   */
  override updated(): void {
    const ready = this.#shown;
    const on: Record<string, boolean> = { ready, [this.#submission.status]: true };
    for (const state of ['ready', 'submitting', 'success', 'error']) this.#internals.states?.[on[state] ? 'add' : 'delete'](state);
    if (ready && !this.#viewed) {
      this.#viewed = true;
      performance.mark('resman-lead-form:interactive');
      emit(this, new ResmanLeadViewEvent(this.site));
    }
    // A chunk that cannot be fetched is asked for again, from a new URL, at the next update. Floor
    // plans only where their field is shown: a page may leave it out of a site that has them.
    const site = this.#settings.value;
    if (site?.floor_plans.length && !this.#plans && this.#listedFields.includes('floor_plan_id'))
      plansChunk().then((m) => (this.#plans ??= new m.FloorPlansController(this, this.#settings)), noop);
    if (site?.turnstile_site_key && !this.#turnstile)
      turnstileChunk().then((m) => (this.#turnstile ??= new m.TurnstileController(this, this.#settings)), noop);
    if (site?.consent && !this.#settings.consentBox) void this.#settings.consent();
    // Tour mode without its chunk is the contact form.
    if (this.mode === 'tour' && !this.#tour)
      toursChunk().then(
        (m) => (this.#tour ??= new m.TourController(this, this.#settings, this.#submission)),
        () => (this.mode = ''),
      );
  }

  /** The settings are in and, in tour mode, the slots (or what became of them). */
  get #shown(): boolean {
    return this.#settings.stage === 'shown' && (this.#tour?.settled ?? this.mode !== 'tour');
  }

  override render(): TemplateResult | typeof nothing {
    const t = this.#settings.strings;
    const { stage } = this.#settings;
    const { status, failure, errors, announcement } = this.#submission;
    if (stage === 'waiting') return nothing;
    if (status === 'success') {
      return html`<div class="status" part="status" role="status" tabindex="-1"><slot name="success">${this.#submission.thanks}</slot></div>`;
    }
    const busy = status === 'submitting';
    const failed = status === 'error';
    const { value, required, consentBox } = this.#settings;
    // Until the settings are in, the form takes its place on the page but is neither seen nor usable.
    return html`<form part="form" class=${this.#shown ? '' : 'pending'} novalidate>
      <p class="note">${t.requiredNote} ${required.includes('email_1') || required.includes('phone_1') ? '' : t.contactNote}</p>
      <div class="grid">
        ${this.#tour?.render()} ${this.#listedFields.map((name) => this.#renderField(name))}
        ${value?.consent && consentBox?.(this.#settings, this, errors.get('consent'), t)}
      </div>
      <div class="sr-only" aria-hidden="true"><label>${t.trap} <input name="website" tabindex="-1" autocomplete="off" /></label></div>
      <slot name="turnstile"></slot>
      <p class="sr-only" role="alert">${announcement}</p>
      <div class="status ${failed ? 'failed' : ''}" part="status" role="status" tabindex="-1">${busy ? t.submitting : failed ? failure : ''}</div>
      <button part=${failed ? 'retry' : 'submit'} type="submit" aria-disabled=${busy ? 'true' : 'false'}>${failed ? t.retry : busy ? t.submitting : t.submit}</button>
    </form>`;
  }

  #renderField(name: FieldName): TemplateResult {
    const t = this.#settings.strings;
    const spec = FIELDS[name];
    const required = this.#settings.required.includes(name);
    const error = this.#submission.errors.get(name);
    const hint = this.#plans?.hints[name] ?? t.hints[name];
    const describedBy = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ') || nothing;
    const invalid = error ? 'true' : 'false';
    // The move-in dates the relay takes: from the property's today to two years on.
    const [min, max] = spec.type === 'date' ? moveInRange(this.#settings.today) : [];
    // The attributes every control shares are bound once per control type: Lit has no attribute spread.
    const control =
      spec.control === 'select'
        ? html`<select part="input" id=${name} name=${name} autocomplete=${spec.autocomplete ?? 'off'} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy}>
            <option value="">${t.chooseOne}</option>
            ${(this.#options(name) ?? []).map((c) => html`<option value=${c.value}>${c.label}</option>`)}
          </select>`
        : spec.control === 'textarea'
          ? html`<textarea part="input" id=${name} name=${name} autocomplete=${spec.autocomplete ?? 'off'} maxlength=${spec.maxLength ?? nothing} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy}></textarea>`
          : html`<input part="input" id=${name} name=${name} type=${spec.type ?? 'text'} autocomplete=${spec.autocomplete ?? 'off'} inputmode=${spec.inputmode ?? nothing} maxlength=${spec.maxLength ?? nothing} min=${min ?? nothing} max=${max ?? nothing} ?required=${required} aria-invalid=${invalid} aria-describedby=${describedBy} />`;
    // Rendered even while hidden, so no field takes over another's place (and value) when options arrive.
    return html`<div class="field ${WIDE.has(name) ? 'wide' : ''}" part="field" ?hidden=${!this.#hasOptions(name)}>
      <label part="label" for=${name}>${t.labels[name]}${required ? html` <span class="mark" aria-hidden="true">*</span>` : nothing}</label>
      ${control} ${hint ? html`<p class="hint" part="hint" id="${name}-hint">${hint}</p>` : nothing}
      <p class="error" part="error" id="${name}-error">${error ? (t.fieldErrors?.[name]?.[error] ?? t.errors?.[error]) : ''}</p>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'resman-lead-form': ResmanLeadForm;
  }
}
