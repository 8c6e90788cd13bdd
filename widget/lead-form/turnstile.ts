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

export async function mountTurnstile(host: ResmanLeadForm, siteKey: string): Promise<void> {
  const turnstile = await loadScript();
  const box = document.createElement('div');
  box.slot = 'turnstile';
  host.append(box);
  turnstile.render(box, {
    sitekey: siteKey,
    language: (host.lang || document.documentElement.lang || 'auto').slice(0, 2),
    callback: (token: string) => (host.turnstileToken = token),
    'expired-callback': () => (host.turnstileToken = undefined),
    'error-callback': () => (host.turnstileToken = undefined),
  });
}
