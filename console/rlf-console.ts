/**
 * `<rlf-console>`: the operator's console at `/admin/`. It signs in (or finds a session), routes on
 * the hash (`#/`, `#/leads?site=…`, `#/leads/<id>`: alerts link to a lead so), and polls
 * `/admin/api/changes` every 5 s while the tab is visible, handing each new version to the page
 * shown, which reloads what it shows.
 */
import { LitElement, css, html } from 'lit';
import { SignedOut, changes, signOut } from './api.js';
import { shared } from './styles.js';
import './sign-in.js';
import './overview.js';
import './leads.js';
import './lead.js';

const POLL_MS = 5000;

type Route = { page: 'overview' } | { page: 'leads'; query: string } | { page: 'lead'; id: string };

export function routeOf(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const lead = /^leads\/([^/?#]+)$/.exec(path);
  if (lead) return { page: 'lead', id: decodeURIComponent(lead[1]!) };
  if (path === 'leads' || path.startsWith('leads?')) return { page: 'leads', query: path.slice('leads?'.length) };
  return { page: 'overview' };
}

// The page's own margins, without a stylesheet in the HTML: a constructable sheet for the document.
const page = new CSSStyleSheet();
page.replaceSync('body { margin: 0; background: #fff; }');
document.adoptedStyleSheets = [...document.adoptedStyleSheets, page];

export class RlfConsole extends LitElement {
  static override styles = [
    shared,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
        align-items: center;
        padding: 0.5rem 1rem;
        border-bottom: 1px solid #d0d7de;
        background: #f6f8fa;
      }
      header h1 {
        font-size: 1.1rem;
        margin: 0;
      }
      nav {
        display: flex;
        gap: 1rem;
        flex: 1;
      }
      nav a[aria-current='page'] {
        font-weight: 600;
        text-decoration: none;
      }
      main {
        padding: 0 1rem 2rem;
        max-width: 80rem;
      }
      main:focus {
        outline: none;
      }
    `,
  ];
  static override properties = {
    auth: { state: true },
    route: { state: true },
    version: { state: true },
  };

  declare auth: 'unknown' | 'in' | 'out';
  declare route: Route;
  /** The outbox's version from the last poll: a change makes the page shown reload. */
  declare version: string;
  #etag: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.auth = 'unknown';
    this.route = routeOf(location.hash);
    this.version = '';
    this.addEventListener('rlf-signed-out', () => this.#signedOut());
    // The poll's answer sets the session and the version together: the page loads once, not twice.
    this.addEventListener('rlf-signed-in', () => void this.#poll());
  }

  /** Set by a navigation: the next render moves focus to the page, so a screen reader starts there. */
  #moved = false;
  #onHash = () => {
    this.route = routeOf(location.hash);
    this.#moved = true;
  };
  #onVisible = () => {
    if (!document.hidden && this.auth === 'in') void this.#poll();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHash);
    document.addEventListener('visibilitychange', this.#onVisible);
    void this.#poll();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHash);
    document.removeEventListener('visibilitychange', this.#onVisible);
    clearTimeout(this.#timer);
  }

  /** One poll, then the next in POLL_MS while the tab is visible and the session lasts. */
  async #poll(): Promise<void> {
    clearTimeout(this.#timer);
    try {
      const changed = await changes(this.#etag);
      this.auth = 'in';
      if (changed) {
        this.#etag = changed.etag;
        this.version = changed.version;
      }
    } catch (error) {
      if (error instanceof SignedOut) return this.#signedOut();
      // The relay is away for a moment (a deploy): try again at the next tick.
    }
    if (!document.hidden) this.#timer = setTimeout(() => void this.#poll(), POLL_MS);
  }

  #signedOut(): void {
    clearTimeout(this.#timer);
    this.#etag = null;
    this.auth = 'out';
  }

  async #signOut(): Promise<void> {
    await signOut();
    this.#signedOut();
  }

  protected override updated(): void {
    const { route } = this;
    document.title = `${route.page === 'overview' ? 'Overview' : route.page === 'leads' ? 'Leads' : 'Lead'} · Leads console`;
    if (this.#moved) {
      this.#moved = false;
      this.renderRoot.querySelector<HTMLElement>('main')?.focus();
    }
  }

  override render() {
    if (this.auth === 'unknown') return html`<main><p class="muted" role="status">Loading…</p></main>`;
    if (this.auth === 'out') return html`<main><rlf-sign-in></rlf-sign-in></main>`;
    const { route } = this;
    return html`
      <header>
        <h1>Leads console</h1>
        <nav aria-label="Console">
          <a href="#/" aria-current=${route.page === 'overview' ? 'page' : 'false'}>Overview</a>
          <a href="#/leads" aria-current=${route.page === 'overview' ? 'false' : 'page'}>Leads</a>
        </nav>
        <button type="button" @click=${() => void this.#signOut()}>Sign out</button>
      </header>
      <main tabindex="-1">
        ${
          route.page === 'overview'
            ? html`<rlf-overview .version=${this.version}></rlf-overview>`
            : route.page === 'leads'
              ? html`<rlf-leads .query=${route.query} .version=${this.version}></rlf-leads>`
              : html`<rlf-lead .leadId=${route.id} .version=${this.version}></rlf-lead>`
        }
      </main>
    `;
  }
}

if (!customElements.get('rlf-console')) customElements.define('rlf-console', RlfConsole);
