/**
 * Cloudflare Turnstile, loaded only for a site that configures a site key. The challenge renders
 * into a light-DOM child slotted into the form (Cloudflare's script cannot reach into a shadow root),
 * and its token goes with the lead for the relay to verify. A page with a strict CSP must allow
 * https://challenges.cloudflare.com in script-src and frame-src.
 */
import type { ResmanLeadForm } from './lead-form.js';

interface Turnstile {
  render(container: HTMLElement, options: Record<string, unknown>): string;
}
declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

export const TURNSTILE_SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit';

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

/** How long a send waits for a challenge still being solved before going without it. */
const TOKEN_WAIT_MS = 8000;

export async function mountTurnstile(host: ResmanLeadForm, siteKey: string): Promise<void> {
  let token: string | undefined;
  let waiting: ((token: string | undefined) => void)[] = [];
  const settle = (value: string | undefined) => {
    token = value;
    if (value) waiting.forEach((resolve) => resolve(value));
    if (value) waiting = [];
  };
  // A send made while the challenge is still running waits for it (a lead without a response is held).
  host.turnstileToken = () =>
    token
      ? Promise.resolve(token)
      : new Promise((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, TOKEN_WAIT_MS);
        });
  const turnstile = await loadScript();
  const box = document.createElement('div');
  box.slot = 'turnstile';
  host.append(box);
  turnstile.render(box, {
    sitekey: siteKey,
    language: host.language,
    callback: settle,
    'expired-callback': () => settle(undefined),
    'error-callback': () => settle(undefined),
  });
}
