/**
 * `<rlf-sign-in>`: the admin token, posted as JSON to `/admin/session` (the browser adds the Origin
 * the relay checks). The token goes nowhere else: the relay answers with an HttpOnly cookie.
 */
import { LitElement, css, html } from 'lit';
import { SignedOut, signIn } from './api.js';
import { reportSignedIn } from './events.js';
import { shared } from './styles.js';

export class RlfSignIn extends LitElement {
  static override styles = [
    shared,
    css`
      form {
        display: grid;
        gap: 1rem;
        max-width: 24rem;
        margin-top: 2rem;
      }
    `,
  ];
  static override properties = {
    problem: { state: true },
    busy: { state: true },
  };

  declare problem: string;
  declare busy: boolean;

  constructor() {
    super();
    this.problem = '';
    this.busy = false;
  }

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const token = new FormData(form).get('token');
    if (typeof token !== 'string' || token.trim() === '') {
      this.problem = 'Enter the admin token.';
      return;
    }
    this.busy = true;
    this.problem = '';
    try {
      await signIn(token.trim());
      form.reset();
      reportSignedIn(this);
    } catch (error) {
      // A 401 here is a wrong token, not an ended session.
      this.problem = error instanceof SignedOut ? 'That is not the admin token.' : (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      <form @submit=${(e: SubmitEvent) => void this.#submit(e)} aria-describedby="problem">
        <h1>Sign in to the leads console</h1>
        <label>
          Admin token
          <input name="token" type="password" autocomplete="current-password" required aria-invalid=${this.problem ? 'true' : 'false'} />
        </label>
        <p id="problem" class="problem" role="alert">${this.problem}</p>
        <div><button class="primary" ?disabled=${this.busy}>Sign in</button></div>
      </form>
    `;
  }
}

if (!customElements.get('rlf-sign-in')) customElements.define('rlf-sign-in', RlfSignIn);
