/**
 * The Turnstile controller, a lazy chunk of its own: the element adds it once the site's settings
 * name a Turnstile site key, never waiting for it before the form shows. The challenge renders into
 * a light-DOM child slotted into the form (Cloudflare's script cannot reach into a shadow root), and
 * its token goes with the lead for the relay to verify. A page with a strict CSP must allow
 * https://challenges.cloudflare.com in script-src and frame-src.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FormAnswer } from '../../../contract/form.js';

interface Turnstile {
  render(container: HTMLElement, options: Record<string, unknown>): string;
}
declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

export const TURNSTILE_SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit';

/** How long a send waits for a challenge still being solved before going without it. */
const TOKEN_WAIT_MS = 8000;

/** What Turnstile needs of the SettingsController. */
export interface TurnstileSettings {
  readonly value: FormAnswer | null;
  readonly language: string;
}

export class TurnstileController implements ReactiveController {
  #mounted = false;
  #token: string | undefined;
  #waiting: ((token: string | undefined) => void)[] = [];
  readonly #host: ReactiveControllerHost & Element;
  readonly #settings: TurnstileSettings;

  constructor(host: ReactiveControllerHost & Element, settings: TurnstileSettings) {
    this.#host = host;
    this.#settings = settings;
    host.addController(this);
  }

  /** Renders the challenge into a new `slot="turnstile"` child of the element, once Cloudflare's script is in. */
  hostConnected(): void {
    if (this.#mounted) return;
    this.#mounted = true;
    void loadScript().then((turnstile) => {
      const box = document.createElement('div');
      box.slot = 'turnstile';
      this.#host.append(box);
      turnstile.render(box, {
        sitekey: this.#settings.value?.turnstile_site_key,
        language: this.#settings.language,
        callback: this.#settle,
        'expired-callback': () => this.#settle(undefined),
        'error-callback': () => this.#settle(undefined),
      });
    });
  }

  /**
   * The challenge's answer: at once when solved; else (a send made while it is still being solved)
   * once solved, or nothing after TOKEN_WAIT_MS (the relay holds a lead without one).
   */
  token(): Promise<string | undefined> {
    return this.#token
      ? Promise.resolve(this.#token)
      : new Promise((resolve) => {
          this.#waiting.push(resolve);
          setTimeout(resolve, TOKEN_WAIT_MS);
        });
  }

  #settle = (token: string | undefined): void => {
    this.#token = token;
    if (!token) return;
    for (const resolve of this.#waiting) resolve(token);
    this.#waiting = [];
  };
}

function loadScript(): Promise<Turnstile> {
  if (window.turnstile) return Promise.resolve(window.turnstile);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = TURNSTILE_SCRIPT;
    script.async = true;
    script.onload = () => (window.turnstile ? resolve(window.turnstile) : reject(new Error('turnstile missing')));
    script.onerror = reject;
    document.head.append(script);
  });
}
