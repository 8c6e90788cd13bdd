import { UTM_KEYS, type Attribution } from '../../contract/attribution.js';

/**
 * sessionStorage that never throws: private windows, sandboxed frames and blocked storage make it
 * throw on access, and a form must work without it. `null` removes the key.
 */
export function session(key: string, value?: string | null): string | null {
  try {
    if (value === undefined) return sessionStorage.getItem(key);
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage unavailable: the draft and the attribution are lost with the page, nothing more.
  }
  return null;
}

const ATTRIBUTION = 'resman-lead-form:attribution';
// What the relay accepts in a campaign word (contract/meta.ts); anything else is dropped here, so
// odd tracking values never cost a prospect their lead.
const NOT_A_WORD = /[^\p{L}\p{N} ._+\-/:|()&,]/gu;

/**
 * First touch: the campaign, the outside page the visitor came from and the first page seen, kept
 * for the visit (the tab) so a lead sent three pages later still says where it came from.
 */
export function captureAttribution(): void {
  if (session(ATTRIBUTION)) return;
  const query = new URLSearchParams(location.search);
  const found: Attribution = { landing_page: location.href.slice(0, 500) };
  for (const key of UTM_KEYS) {
    const value = query.get(key)?.replace(NOT_A_WORD, '').trim().slice(0, 100);
    if (value) found[key] = value;
  }
  const from = document.referrer;
  if (/^https?:/.test(from) && new URL(from).host !== location.host) found.referrer = from.slice(0, 500);
  session(ATTRIBUTION, JSON.stringify(found));
}

/** A JSON value kept under `key`, or undefined when there is none or it does not parse. */
export function readSession<T>(key: string): T | undefined {
  try {
    return JSON.parse(session(key) ?? 'null') ?? undefined;
  } catch {
    return undefined;
  }
}

export const readAttribution = () => readSession<Attribution>(ATTRIBUTION);
