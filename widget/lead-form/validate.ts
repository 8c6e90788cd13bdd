/**
 * Loaded on the first interaction, not before the form renders: zod/mini and the contract's rules
 * are most of the widget's weight, and a visitor who only scrolls past never pays for them. Judging
 * fields, building what is sent (answers, attribution, form token, consent) and sending it live here.
 */
import type { FieldIssue } from '../../contract/errors.js';
import type { LeadMeta } from '../../contract/meta.js';
import { parseSubmission, type ParseResult } from '../../contract/submission.js';
export { enMessages } from './i18n/en-messages.js';
import { ResmanLeadErrorEvent, ResmanLeadSubmitEvent, ResmanLeadSuccessEvent } from './events.js';
import type { ResmanLeadForm } from './lead-form.js';
import { sendLead } from './send.js';
import { readAttribution, session } from './session.js';
import { newIdempotencyKey, readSubmission } from './values.js';

/** Older than this, the form token is left out: the relay would take it for a stale copy of the form. */
const TOKEN_MAX_AGE_MS = 20 * 60 * 60 * 1000;

/** The contract's rules, then the site's required fields and consent. */
function check(host: ResmanLeadForm, form: HTMLFormElement): ParseResult {
  const result = parseSubmission(readSubmission(form, host.shownFields));
  const issues = result.ok ? [] : result.fields;
  const answers = new FormData(form);
  const missing = (name: string) => !String(answers.get(name) ?? '').trim() && !issues.some((i) => i.field === name);
  for (const name of host.shownFields) if (host.requiredFields.includes(name) && missing(name)) issues.push({ field: name, code: 'required' });
  if (host._settings?.consent && missing('consent')) issues.push({ field: 'consent', code: 'required' });
  return issues.length > 0 ? { ok: false, fields: issues } : result;
}

export async function revalidate(host: ResmanLeadForm): Promise<void> {
  const form = host.form;
  if (!form || (!host.attempted && host.touched.size === 0)) return;
  const result = check(host, form);
  const visible = (f: FieldIssue) => host.attempted || host.touched.has(f.field);
  const found = result.ok ? [] : result.fields.filter(visible).map((f) => [f.field, f.code] as const);
  host._errors = new Map([...host.relayErrors, ...found]);
}

export async function submit(host: ResmanLeadForm): Promise<void> {
  const form = host.form;
  if (!form) return;
  const result = check(host, form);
  if (!result.ok) return showFieldErrors(host, result.fields);
  await send(host, form, result.value);
}

/** Sends one fill; a retry re-reads the same answers and reuses the same Idempotency-Key. */
async function send(host: ResmanLeadForm, form: HTMLFormElement, answers: object): Promise<void> {
  const { site, _settings: settings } = host;
  if (!host.emit(new ResmanLeadSubmitEvent(site))) return;
  host._state = 'submitting';
  host._status = host._strings.submitting;
  const meta: LeadMeta = {
    attribution: readAttribution(),
    form_token: settings && Date.now() - host.settingsAt < TOKEN_MAX_AGE_MS ? settings.form_token : undefined,
    // Nobody sees this field; what a bot typed there goes along, and the relay keeps the lead apart.
    trap: (form.elements.namedItem('website') as HTMLInputElement | null)?.value || undefined,
    consent: settings?.consent ? { given: true, version: settings.consent.version } : undefined,
    turnstile: await host.turnstileToken?.(),
  };
  const url = `${host.base}/v1/sites/${encodeURIComponent(site)}/leads`;
  const result = await sendLead(url, { ...answers, meta }, (host.key ??= newIdempotencyKey()));
  if (result.ok) {
    host.key = undefined;
    session(host.draftKey, null);
    host._state = 'success';
    host._status = '';
    host.emit(new ResmanLeadSuccessEvent(site, result.id, result.status));
    return host.focusStatus();
  }
  const { code, fields } = result.error;
  host.emit(new ResmanLeadErrorEvent(site, code, fields), { resman_code: code });
  const shown = fields.filter((f) => (host.shownFields as string[]).includes(f.field) || f.field === 'consent');
  if (code === 'invalid_fields' && shown.length > 0) {
    host._state = 'idle';
    host._status = '';
    host.relayErrors = new Map(shown.map((f) => [f.field, f.code]));
    return showFieldErrors(host, shown);
  }
  const t = host.messages;
  host._state = 'error';
  host._status =
    code === 'network_error' ? t.errorNetwork : code === 'rate_limited' ? t.errorRateLimited : code === 'unavailable' ? t.errorUnavailable : t.errorGeneric;
  await host.focusStatus();
}

async function showFieldErrors(host: ResmanLeadForm, fields: readonly FieldIssue[]): Promise<void> {
  host._errors = new Map(fields.map((f) => [f.field, f.code]));
  host._announcement = '';
  await host.updateComplete;
  host.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  // Emptied first and refilled a moment later, so a screen reader announces a repeated summary again.
  await new Promise((r) => setTimeout(r, 50));
  host._announcement = host.messages.fixFields(fields.length);
}
