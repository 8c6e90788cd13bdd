import { fixture, html } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import '../../widget/resman-lead-form.js';
import type { ResmanLeadForm } from '../../widget/resman-lead-form.js';

export interface StubRequest {
  site: string;
  path: string;
  method: 'POST';
  key: string;
  contentType: string;
  body: Record<string, unknown> & { meta?: Record<string, unknown> };
}

export interface StubLookup {
  site: string;
  path: string;
  method: 'GET';
  query: string;
}

export const STUB = `${location.origin}/stub-relay`;

// Every test starts a fresh visit: no draft and no first touch left by the one before.
beforeEach(() => sessionStorage.clear());

async function allRequests(): Promise<(StubRequest | StubLookup)[]> {
  return (await fetch('/stub-relay/requests')).json();
}

/** The leads the stub relay received, in order. */
export async function requests(): Promise<StubRequest[]> {
  return (await allRequests()).filter((r): r is StubRequest => r.method === 'POST');
}

/** The form and unit lookups the stub relay answered. */
export async function lookups(): Promise<StubLookup[]> {
  return (await allRequests()).filter((r): r is StubLookup => r.method === 'GET');
}

export async function clearRequests(): Promise<void> {
  await fetch('/stub-relay/requests', { method: 'DELETE' });
}

/** Lets the stub relay answer the leads it holds (site `slow`). */
export async function release(): Promise<void> {
  await fetch('/stub-relay/release', { method: 'POST' });
}

/** A form on the stub relay, once it has rendered with the site's settings (GET /form). */
export async function form(
  site = 'accept',
  attrs: { fields?: string; lang?: string; datalayer?: boolean; mode?: string } = {},
): Promise<ResmanLeadForm> {
  const el = await fixture<ResmanLeadForm>(
    html`<resman-lead-form site=${site} relay=${STUB} fields=${attrs.fields ?? ''} lang=${attrs.lang ?? 'en'} ?datalayer=${attrs.datalayer} mode=${attrs.mode ?? ''}></resman-lead-form>`,
  );
  await rendered(el);
  return el;
}

/** Waits until the form is shown (`:state(ready)`), which is once the site's settings and strings are in. */
export async function rendered(el: ResmanLeadForm): Promise<void> {
  await settle(el, 'ready');
}

export const control = (el: ResmanLeadForm, name: string) => el.shadowRoot!.querySelector<HTMLInputElement>(`[name="${name}"]`)!;

export const errorText = (el: ResmanLeadForm, name: string) => el.shadowRoot!.getElementById(`${name}-error`)!.textContent!.trim();

/** Sets the viewport's size in CSS px, in all three engines alike (engine-commands.mjs). */
export async function setViewport(size: { width: number; height: number }): Promise<void> {
  await executeServerCommand('resman-viewport', size);
}

/** Presses Shift+Tab, in all three engines alike (engine-commands.mjs). */
export async function shiftTab(): Promise<void> {
  await executeServerCommand('resman-shift-tab');
}

/** Focuses a field and types into it with real key presses, as a person would. */
export async function type(el: ResmanLeadForm, name: string, text: string): Promise<void> {
  control(el, name).focus();
  await sendKeys({ type: text });
}

export async function choose(el: ResmanLeadForm, name: string, value: string): Promise<void> {
  const select = control(el, name) as unknown as HTMLSelectElement;
  select.value = value;
  select.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
}

export async function submit(el: ResmanLeadForm): Promise<void> {
  el.shadowRoot!.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
}

/**
 * Waits until `check` holds, or fails naming `what`. The default leaves room for a first lazy chunk
 * while three engines run side by side on two cores.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 5000): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the element reaches a custom state. */
export async function settle(el: ResmanLeadForm, state: string): Promise<void> {
  await until(() => el.matches(`:state(${state})`), `:state(${state})`);
  await el.updateComplete;
}

export async function fillValid(el: ResmanLeadForm): Promise<void> {
  await type(el, 'first_name', 'Ana');
  await type(el, 'last_name', 'García');
  await type(el, 'email_1', 'ana.garcia@gmail.com');
  await type(el, 'phone_1', '(512) 555-0142');
}

/**
 * A date `days` after `from` (the browser's today) in the browser's calendar, as the date input
 * writes it: move-in dates in the tests are relative to today, as the relay's and the stub's are.
 */
export function inDays(days: number, from = new Date()): string {
  const date = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

const MONTHS = {
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  es: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
};

/** A YYYY-MM-DD date as the thank-you writes it: "April 15, 2027", "15 de abril de 2027". */
export function longDate(iso: string, lang: 'en' | 'es'): string {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
  const name = MONTHS[lang][month - 1];
  return lang === 'en' ? `${name} ${day}, ${year}` : `${day} de ${name} de ${year}`;
}

/** The next event of a type, typed from GlobalEventHandlersEventMap. */
export function nextEvent<K extends keyof GlobalEventHandlersEventMap>(
  target: EventTarget,
  type: K,
): Promise<GlobalEventHandlersEventMap[K]> {
  return new Promise((resolve) => target.addEventListener(type, (e) => resolve(e as GlobalEventHandlersEventMap[K]), { once: true }));
}
