/**
 * The floor for the widget's size and render time: a minimal LitElement that renders a small form
 * (the widget's seven default fields and a button) into its shadow root and posts it as JSON. No
 * validation, no translations, no states beyond "sent": what any Lit form element costs at least.
 * Built by bench/baseline/build.ts the same way vite builds the widget (rolldown, minified, es2022).
 *
 * It sets the same two performance marks as the widget, for bench/render.ts: `lit-form:start` when this
 * module starts running (after Lit, bundled into the same file, has run: as the widget's
 * `resman-lead-form:start` comes after its imports) and `lit-form:interactive` once its first update
 * has completed, i.e. the form is in the shadow root.
 */
import { LitElement, css, html, type PropertyValues } from 'lit';

performance.mark('lit-form:start');

export class LitForm extends LitElement {
  static override styles =
    css`:host{display:block}form{display:grid;gap:1rem}label{display:grid;gap:.25rem}input,select,textarea,button{font:inherit;padding:.5rem}`;
  static override properties = { action: { type: String }, _sent: { state: true } };
  declare action: string;
  declare private _sent: boolean;

  constructor() {
    super();
    this.action = '';
    this._sent = false;
  }

  override firstUpdated(changed: PropertyValues<this>) {
    super.firstUpdated(changed);
    void this.updateComplete.then(() => performance.mark('lit-form:interactive'));
  }

  override render() {
    if (this._sent) return html`<p role="status">Thank you.</p>`;
    return html`<form @submit=${this.onSubmit}>
      <label>First name <input name="first_name" autocomplete="given-name" required /></label>
      <label>Last name <input name="last_name" autocomplete="family-name" required /></label>
      <label>Email <input name="email_1" type="email" autocomplete="email" /></label>
      <label>Phone <input name="phone_1" type="tel" autocomplete="tel" /></label>
      <label>Move-in date <input name="target_move_in_date" type="date" /></label>
      <label
        >Bedrooms
        <select name="desired_num_bedrooms">
          <option value="">Choose one</option>
          <option>0</option>
          <option>1</option>
          <option>2</option>
          <option>3</option>
        </select></label
      >
      <label>Notes <textarea name="notes"></textarea></label>
      <button type="submit">Send</button>
    </form>`;
  }

  private async onSubmit(e: SubmitEvent) {
    e.preventDefault();
    const body = JSON.stringify(Object.fromEntries(new FormData(e.target as HTMLFormElement)));
    const res = await fetch(this.action, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    this._sent = res.ok;
  }
}

customElements.define('lit-form', LitForm);
