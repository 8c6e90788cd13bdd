/**
 * The send chunk, loaded on the first interaction, not before the form renders: zod/mini and the
 * contract's rules are most of the widget's weight, and a visitor who only scrolls past never pays
 * for them. It judges a fill, builds what is sent (answers, attribution, form token, consent,
 * Turnstile), posts it, and shows the outcome through the SubmitController that loaded it (its
 * public API, `Submission` below); it never touches the element.
 */
import type { TemplateResult } from 'lit';
import { isErrorEnvelope, type ErrorBody, type ErrorCode, type FieldErrorCode, type FieldIssue } from '../../contract/errors.js';
import type { FieldName } from '../../contract/fields.js';
import type { FormAnswer } from '../../contract/form.js';
import type { LeadMeta } from '../../contract/meta.js';
import { parseSubmission, type ParseResult } from '../../contract/submission.js';
import { emit } from './emit.js';
import { ResmanLeadErrorEvent, ResmanLeadSubmitEvent, ResmanLeadSuccessEvent } from './events.js';
import type { Dictionary, Strings } from './i18n/types.js';
import { readAttribution, session } from './session.js';
import { thanks } from './thanks.js';
import { newIdempotencyKey, readSubmission } from './values.js';
export { enMessages } from './i18n/en-messages.js';

/** Older than this, the form token is asked for again: the relay takes a day-old one for a stale copy of the form. */
const TOKEN_MAX_AGE_MS = 20 * 60 * 60 * 1000;

/**
 * A fill's form token when the settings brought none fresh (the relay was slow or down when the page
 * loaded, or the page has been open since yesterday): asked for once, at the fill's first event, so
 * it is older than the 3 s a person needs by the time it is sent. The relay holds a lead without one.
 */
function formToken(s: Submission): Promise<string | undefined> | string | undefined {
  const { value, receivedAt } = s.settings;
  if (value && Date.now() - receivedAt < TOKEN_MAX_AGE_MS) return value.form_token;
  // An error envelope has no form_token: the lead then goes without one.
  return (s.askedToken ??= fetch(s.settings.url('form'), { credentials: 'omit' })
    .then((res) => res.json() as Promise<Partial<FormAnswer>>)
    .then(
      (form) => form.form_token,
      () => undefined,
    ));
}

/** Where sending stands; the element's custom states have the same names. */
export type SubmitStatus = 'idle' | 'submitting' | 'success' | 'error';

/** What the form shows of a send. */
export interface SubmitView {
  status: SubmitStatus;
  /** Why the last send failed, said in the status line while the status is `error`. */
  failure: string;
  /** The errors shown, by field: the form's own judgement and the relay's. */
  errors: ReadonlyMap<string, FieldErrorCode>;
  /** The alert that sums up the errors. */
  announcement: string;
  /** The default thank-you, once the lead is accepted (thanks.ts). */
  thanks?: TemplateResult;
}

/** Tour mode's part in a send (tours/tours.ts), there once its chunk is in. */
export interface TourPart {
  /** The `start` of the slot chosen, or undefined. */
  readonly chosen: string | undefined;
  /**
   * Every send's answer (undefined when none came): a receipt gives the confirmation to show (its
   * `tour` is the one booked, the first one on a replay); a 409 `slot_taken` brings the slots open now.
   */
  answered(body: unknown): TemplateResult | undefined;
}

/** The SubmitController this chunk works through (controllers/submit.ts). */
export interface Submission extends SubmitView {
  readonly host: HTMLElement & { readonly site: string; readonly datalayer: boolean; readonly renderRoot: ParentNode };
  readonly settings: {
    readonly strings: Strings;
    /** The property's date (YYYY-MM-DD): the earliest move-in date. */
    readonly today: string;
    readonly value: FormAnswer | null;
    readonly required: readonly FieldName[];
    readonly receivedAt: number;
    readonly language: string;
    url(path: string): string;
  };
  turnstile(): Promise<string | undefined> | undefined;
  shownFields(): FieldName[];
  /** The form token this fill asked for (formToken above); set by this chunk. */
  askedToken?: Promise<string | undefined>;
  readonly draftKey: string;
  key: string | undefined;
  readonly touched: Set<string>;
  attempted: boolean;
  relayErrors: Map<string, FieldErrorCode>;
  show(view: Partial<SubmitView>, focus?: string): Promise<void>;
  /** Set by the tour chunk in tour mode. */
  tour?: TourPart | undefined;
}

/**
 * The contract's rules, then the site's required fields and consent: the submission, or what is wrong.
 * "Email or phone" is said once, under the first of the two; not at all where the site requires one
 * of them, whose own "required" is the truth.
 */
function check(form: HTMLFormElement, s: Submission): ParseResult {
  const { settings, shownFields } = s;
  const fields = shownFields();
  // Blank answers are left out of what is read: a required one missing here was left blank.
  const answers = readSubmission(form, fields);
  const result = parseSubmission(answers, settings.today);
  const contact = fields.find((f) => f === 'email_1' || f === 'phone_1');
  const eitherOr = !settings.required.some((f) => f === 'email_1' || f === 'phone_1');
  const issues = result.ok ? [] : result.fields.filter((i) => i.code !== 'contact_required' || (eitherOr && i.field === contact));
  for (const name of fields)
    if (settings.required.includes(name) && answers[name] === undefined && !issues.some((i) => i.field === name))
      issues.push({ field: name, code: 'required' });
  if (s.tour && !s.tour.chosen) issues.push({ field: 'tour.start', code: 'required' });
  // The consent box as shown: only one the site requires must be ticked.
  const box = consentBoxOf(form);
  if (box?.required && !box.checked) issues.push({ field: 'consent', code: 'required' });
  return issues.length > 0 ? { ok: false, fields: issues } : result;
}

const formOf = (s: Submission) => s.host.renderRoot.querySelector('form');
/** The consent box, where it is shown: not where the site has none, waits for a phone number, or could not be loaded. */
const consentBoxOf = (form: HTMLFormElement) => form.elements.namedItem('consent') as HTMLInputElement | null;

/**
 * A form event, as SubmitController hands it over: a field left is judged from then on ("reward
 * early, punish late"), an edited one is judged again while it shows an error, a submit sends.
 */
export function handle(s: Submission, type: string, name: string, value: string): Promise<void> | void {
  void formToken(s);
  if (type === 'focusout' && name && value !== '') s.touched.add(name);
  if (type === 'input') s.relayErrors.delete(name);
  if (type === 'focusout' || (type === 'input' && s.errors.has(name))) judge(s);
  if (type === 'submit' && s.status !== 'submitting') {
    s.attempted = true;
    return submit(s);
  }
}

/** Judges the fields the prospect has left (all of them once a send was tried), over the relay's errors. */
function judge(s: Submission): void {
  const form = formOf(s);
  if (!form || (!s.attempted && s.touched.size === 0)) return;
  const result = check(form, s);
  const visible = (f: FieldIssue) => s.attempted || s.touched.has(f.field);
  const found = result.ok ? [] : result.fields.filter(visible).map((f) => [f.field, f.code] as const);
  // The relay's word wins until its field is edited: a tour's "just taken" over "choose a time".
  void s.show({ errors: new Map([...found, ...s.relayErrors]) });
}

/** Judges the fill and sends it; a retry re-reads the same answers and reuses the same Idempotency-Key. */
async function submit(s: Submission): Promise<void> {
  const { host, settings } = s;
  const form = formOf(s);
  if (!form) return;
  const result = check(form, s);
  if (!result.ok) return showErrors(s, result.fields);
  if (!emit(host, new ResmanLeadSubmitEvent(host.site))) return;
  const box = consentBoxOf(form);
  void s.show({ status: 'submitting' });
  const meta: LeadMeta = {
    attribution: readAttribution(),
    form_token: await formToken(s),
    // Nobody sees this field; what a bot typed there goes along, and the relay keeps the lead apart.
    trap: (form.elements.namedItem('website') as HTMLInputElement | null)?.value || undefined,
    // Ticked or not, for the wording shown (a box is shown only for the site's consent); nothing where no box was.
    consent: box ? { given: box.checked, version: settings.value!.consent!.version } : undefined,
    turnstile: await s.turnstile(),
  };
  // A retry sends the same tour under the same key: the relay answers a replay with the tour first booked.
  const tour = s.tour?.chosen && { start: s.tour.chosen };
  const sent = await sendLead(settings.url('leads'), { ...result.value, meta, tour }, (s.key ??= newIdempotencyKey()));
  const booked = s.tour?.answered(sent.body);
  const t = settings.strings as Dictionary;
  // The page's region: the widget speaks to US properties, in English or Spanish.
  const locale = `${settings.language}-US`;
  if (sent.ok) {
    s.key = undefined;
    session(s.draftKey, null);
    emit(host, new ResmanLeadSuccessEvent(host.site, sent.id, sent.status));
    return s.show({ status: 'success', thanks: thanks(form, result.value, t, locale, booked) }, '.status');
  }
  const { code, fields } = sent.error;
  emit(host, new ResmanLeadErrorEvent(host.site, code, fields), { resman_code: code });
  // A slot taken meanwhile is the time picker's error (the tour chunk has shown the slots open now, with a new key).
  const shown =
    code === 'slot_taken'
      ? [{ field: 'tour.start', code: 'invalid_choice' as const }]
      : fields.filter((f) => [...s.shownFields(), 'consent', 'tour.start'].includes(f.field));
  // Only invalid_fields and slot_taken name fields.
  if (shown.length > 0) {
    s.relayErrors = new Map(shown.map((f) => [f.field, f.code]));
    void s.show({ status: 'idle' });
    return showErrors(s, shown);
  }
  const failure =
    code === 'network_error'
      ? t.errorNetwork
      : code === 'rate_limited'
        ? t.errorRateLimited.replace('{wait}', waitOf(sent.retryAfter, locale))
        : code === 'unavailable'
          ? t.errorUnavailable
          : t.errorGeneric;
  return s.show({ status: 'error', failure }, '.status');
}

async function showErrors(s: Submission, fields: readonly FieldIssue[]): Promise<void> {
  await s.show({ errors: new Map(fields.map((f) => [f.field, f.code])), announcement: '' }, '[aria-invalid="true"]');
  // Emptied first and refilled a moment later, so a screen reader announces a repeated summary again.
  await new Promise((r) => setTimeout(r, 50));
  void s.show({ announcement: (s.settings.strings as Dictionary).fixFields(fields.length) });
}

/** `body`: the answer's JSON, for tour mode's part (a receipt's tour, a 409's fresh slots). */
type SendResult = ({ ok: true; id: string; status: string } | { ok: false; error: ErrorBody; retryAfter?: string | null }) & {
  body?: unknown;
};

/**
 * How long a 429's Retry-After asks to wait, in minutes rounded up ("in 2 minutes" for 113 s): a
 * prospect who comes back then is let in. The relay sends seconds; anything else (a proxy's 429
 * without it, an HTTP date) is read as a minute.
 */
function waitOf(retryAfter: string | null | undefined, locale: string): string {
  return new Intl.RelativeTimeFormat(locale).format(Math.ceil(Number(retryAfter) / 60) || 1, 'minute');
}

/** Posts a submission to the relay. Never throws: every failure comes back as an error envelope. */
async function sendLead(url: string, body: unknown, idempotencyKey: string): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    return fail('network_error');
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const receipt = json as { id?: unknown; status?: unknown } | undefined;
    if (typeof receipt?.id === 'string') return { ok: true, id: receipt.id, status: String(receipt.status), body: json };
    return fail('internal_error');
  }
  // Readable across origins: the relay's CORS exposes it.
  const retryAfter = response.headers.get('Retry-After');
  if (isErrorEnvelope(json)) return { ok: false, error: json.error, retryAfter, body: json };
  return fail(response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'unavailable' : 'internal_error', retryAfter);
}

const fail = (code: ErrorCode, retryAfter?: string | null): SendResult => ({
  ok: false,
  error: { code, message: code, fields: [] },
  retryAfter,
});
