/**
 * Tour mode (`mode="tour"`), a lazy chunk of its own: only a form in tour mode loads it, as soon as it
 * is connected, and the form is shown once the slots are in (or what became of them). It fetches the
 * site's open slots (GET …/tours), and renders a day picker and that day's times as a radio group,
 * in the property's time zone and named as such, never the browser's. The send chunk asks it for the
 * slot chosen and hands it every answer (TourPart): a 409 `slot_taken` brings the slots open now, a
 * receipt the confirmation with its calendar file. A site without tours (404) gets the contact form.
 * It imports nothing of the entry but lit (lazy.ts).
 */
import { css, html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { ErrorEnvelope, FieldErrorCode } from '../../../contract/errors.js';
import type { FieldName } from '../../../contract/fields.js';
import type { FormAnswer } from '../../../contract/form.js';
import type { SlotTakenBody, TourDayAnswer, TourReceipt, ToursAnswer } from '../../../contract/tours.js';
import type { Strings, TourStrings } from '../i18n/types.js';
import type { TourPart } from '../send-lead.js';
import { enTours } from './en-tours.js';
import { tourCalendar } from './ics.js';

export interface TourHost extends ReactiveControllerHost, HTMLElement {
  /** Set to '' where the site offers no tours: the element is a contact form from then on. */
  mode: string | undefined;
  readonly site: string;
  readonly renderRoot: HTMLElement | DocumentFragment;
}

/** What tours need of the SettingsController. */
export interface TourSettings {
  readonly value: FormAnswer | null;
  readonly strings: Strings & Partial<TourStrings>;
  readonly language: string;
  url(path: string): string;
}

/** What tours need of the SubmitController: where to plug in, and the errors the form shows. */
export interface TourSubmission {
  tour?: TourPart | undefined;
  /** The fill's Idempotency-Key. */
  key: string | undefined;
  readonly errors: ReadonlyMap<string, FieldErrorCode>;
}

/** Longer than this, the slots are given up for a "Try again". */
const LOAD_MS = 10_000;

/** Sites whose missing tours were already reported on this page. */
const warned = new Set<string>();

const styles = css`
  fieldset {
    margin: 0;
    padding: 0;
    border: 0;
    min-width: 0;
  }
  legend {
    padding: 0 0 0.25rem;
    font-weight: 600;
  }
  .slots {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  .slot {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: 2.75rem;
    padding: 0 0.75rem;
    border: 1px solid var(--resman-color-border, #6e7781);
    border-radius: var(--_radius);
    font-weight: 400;
  }
  .slot:has(:checked) {
    outline: 2px solid var(--_accent);
  }
  [type='radio'] {
    width: 1.25rem;
    min-height: 1.25rem;
    margin: 0;
    padding: 0;
    accent-color: var(--_accent);
  }
`;

export class TourController implements ReactiveController, TourPart {
  /** The slots are in, or what became of them: the form may be shown. */
  settled = false;
  /** The slots open, as the relay last answered them. */
  #answer: ToursAnswer | undefined;
  /** The slots could not be loaded: a "Try again" in their place. */
  #failed = false;
  /** The day whose times are shown (YYYY-MM-DD). */
  #day = '';
  readonly #host: TourHost;
  readonly #settings: TourSettings;
  readonly #submission: TourSubmission;

  constructor(host: TourHost, settings: TourSettings, submission: TourSubmission) {
    this.#host = host;
    this.#settings = settings;
    this.#submission = submission;
    submission.tour = this;
    const root = host.renderRoot as ShadowRoot;
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, styles.styleSheet!];
    host.addController(this);
    void this.#load();
  }

  /**
   * The fields a tour asks for, unless the page's `fields` says: the names, email and phone, and what
   * else the site requires; none once the element is a contact form.
   */
  get fields(): FieldName[] | undefined {
    return this.#host.mode === 'tour'
      ? ['first_name', 'last_name', 'email_1', 'phone_1', ...(this.#settings.value?.required ?? [])]
      : undefined;
  }

  /** The `start` of the time chosen: the checked radio, so what is sent is what is seen. */
  get chosen(): string | undefined {
    return this.#host.renderRoot.querySelector<HTMLInputElement>('[name="tour.start"]:checked')?.value;
  }

  /** The day picker shows the day whose times are shown, also after new slots replaced the old. */
  hostUpdated(): void {
    const select = this.#host.renderRoot.querySelector<HTMLSelectElement>('#tour-day');
    if (select && select.value !== this.#day) select.value = this.#day;
  }

  async #load(): Promise<void> {
    this.#failed = false;
    this.#host.requestUpdate();
    const res = await fetch(this.#settings.url('tours'), { credentials: 'omit', signal: AbortSignal.timeout(LOAD_MS) }).catch(() => null);
    if (res?.status === 404) return this.#contactForm();
    const answer = res?.ok ? await (res.json() as Promise<ToursAnswer>).catch(() => null) : null;
    if (answer?.days) this.#offer(answer);
    else this.#failed = true;
    this.settled = true;
    this.#host.requestUpdate();
  }

  /** No tours here: the contact form, said once in the console for whoever embedded it. */
  #contactForm(): void {
    const { site } = this.#host;
    if (!warned.has(site))
      console.warn(`<resman-lead-form site="${site}" mode="tour">: the site offers no tours; showing the contact form.`);
    warned.add(site);
    this.#submission.tour = undefined;
    this.settled = true;
    this.#host.mode = '';
  }

  /** New slots: the day shown stays while it has times, else the first day that has; none at all, the contact form. */
  #offer(answer: ToursAnswer): void {
    this.#answer = answer;
    const open = answer.days.filter((d) => d.slots.length > 0);
    if (!open.some((d) => d.date === this.#day)) this.#day = open[0]?.date ?? '';
    if (!open.length) {
      this.#submission.tour = undefined;
      this.#host.mode = '';
    }
  }

  /** Unchecks the time chosen: the radios are reused for another day's times. */
  #clear(): void {
    const checked = this.#host.renderRoot.querySelector<HTMLInputElement>('[name="tour.start"]:checked');
    if (checked) checked.checked = false;
  }

  #pickDay = (e: Event): void => {
    this.#day = (e.target as HTMLSelectElement).value;
    this.#clear();
    this.#host.requestUpdate();
  };

  answered(body: unknown): TemplateResult | undefined {
    // A 409's SlotTakenBody, another error's envelope, or a receipt.
    const answer = body as Partial<Pick<SlotTakenBody, 'tours'> & ErrorEnvelope & { id: string; tour: TourReceipt }> | undefined;
    if (answer?.tours?.days) {
      // Taken meanwhile: the slots open now, a new choice, and a new key (the relay stored nothing).
      this.#submission.key = undefined;
      this.#clear();
      this.#offer(answer.tours);
      this.#host.requestUpdate();
      return;
    }
    // A time the relay refused otherwise: the slots are asked for again.
    if (answer?.error?.fields?.some((f) => f.field === 'tour.start')) void this.#load();
    const start = answer?.tour?.start ?? this.chosen;
    if (!answer?.id || !start || !this.#answer) return;
    return this.#booked(answer.id, start, answer.tour?.end);
  }

  /** The confirmation: the day, time and zone, the address, who changes a tour, and a calendar file. */
  #booked(id: string, start: string, end = new Date(Date.parse(start) + this.#answer!.slot_minutes * 60_000).toISOString()) {
    const t = this.#strings;
    const { address } = this.#answer!;
    const when = t.tourBooked.replace(
      '{when}',
      `${this.#format({ weekday: 'long', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' }, start)} (${this.#zone(start)})`,
    );
    const calendar = tourCalendar({
      id,
      host: new URL(this.#settings.url('')).host,
      start,
      end,
      summary: `${t.tourSummary}: ${address?.split(',')[0] || this.#host.site}`,
      location: address,
      description: `${when}\n${t.tourOffice}`,
      now: new Date(),
    });
    // A data: URL, not a Blob's: nothing to revoke, and a page's connect-src never stands in the way
    // of reading it (a download is a navigation, which no CSP directive governs).
    const href = `data:text/calendar;charset=utf-8,${encodeURIComponent(calendar)}`;
    return html`<p><strong>${when}</strong></p>
      ${address ? html`<p>${address}</p>` : nothing}
      <p>${t.tourOffice}</p>
      <p><a part="calendar" href=${href} download="tour.ics">${t.tourCalendar}</a></p>`;
  }

  get #strings(): TourStrings & Strings {
    return { ...enTours, ...this.#settings.strings };
  }

  /** An instant (or a date at UTC midnight) as the form's language writes it, in the property's zone. */
  #format(options: Intl.DateTimeFormatOptions, instant: string, timeZone = this.#answer!.time_zone): string {
    return new Intl.DateTimeFormat(`${this.#settings.language}-US`, { timeZone, ...options }).format(new Date(instant));
  }

  /** The property's zone as people say it ("Central Time"); an engine without generic names says "Central Daylight Time". */
  #zone(at: string): string {
    const name = (timeZoneName: Intl.DateTimeFormatOptions['timeZoneName']) =>
      new Intl.DateTimeFormat(`${this.#settings.language}-US`, { timeZone: this.#answer!.time_zone, timeZoneName })
        .formatToParts(new Date(at))
        .find((p) => p.type === 'timeZoneName')!.value;
    try {
      return name('longGeneric');
    } catch {
      return name('long');
    }
  }

  #dayName = (day: TourDayAnswer): string => this.#format({ weekday: 'long', month: 'long', day: 'numeric' }, day.date, 'UTC');

  /** A day's times; one that happens twice (the day clocks fall back) is told apart by its zone. */
  #times(day: TourDayAnswer): string[] {
    const times = day.slots.map((s) => this.#format({ hour: 'numeric', minute: '2-digit' }, s.start));
    return times.map((time, i) =>
      times.indexOf(time) === times.lastIndexOf(time)
        ? time
        : this.#format({ hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }, day.slots[i]!.start),
    );
  }

  /** The picker, first in the form: nothing once the element is a contact form (or before the slots are in). */
  render(): TemplateResult | typeof nothing {
    const t = this.#strings;
    const answer = this.#answer;
    const error = this.#submission.errors.get('tour.start');
    const invalid = error ? 'true' : 'false';
    // Sent without times to choose from: the time is missing, and "Try again" is where it is fixed,
    // so that is where focus goes (the first control marked invalid), described by why.
    if (this.#failed)
      return html`<div class="field wide" part="field">
        <p class="error" part="error" id="tour-error" role="alert">${t.tourLoadFailed}</p>
        <button type="button" part="retry" aria-invalid=${invalid} aria-describedby="tour-error" @click=${() => this.#load()}>${t.retry}</button>
      </div>`;
    if (!answer) return nothing;
    if (this.#host.mode !== 'tour') return html`<p class="note wide">${t.tourNone}</p>`;
    const day = answer.days.find((d) => d.date === this.#day)!;
    const times = this.#times(day);
    return html`<div class="field wide" part="field">
        <label part="label" for="tour-day">${t.tourDay}</label>
        <select part="input" id="tour-day" aria-describedby="tour-zone" @change=${this.#pickDay}>
          ${answer.days.map((d) => html`<option value=${d.date} ?disabled=${!d.slots.length}>${d.slots.length ? this.#dayName(d) : t.tourDayFull.replace('{day}', this.#dayName(d))}</option>`)}
        </select>
        <p class="hint" part="hint" id="tour-zone">${t.tourZone.replace('{zone}', this.#zone(day.slots[0]!.start))}</p>
      </div>
      <fieldset class="field wide" part="field">
        <legend part="label">${t.tourTimes.replace('{day}', this.#dayName(day))} <span class="mark" aria-hidden="true">*</span></legend>
        <div class="slots">
          ${day.slots.map((s, i) => html`<label class="slot"><input type="radio" name="tour.start" value=${s.start} required aria-invalid=${invalid} aria-describedby="tour-zone tour-error" />${times[i]}</label>`)}
        </div>
        <p class="error" part="error" id="tour-error">${error ? (error === 'required' ? t.tourRequired : t.tourTaken) : ''}</p>
      </fieldset>`;
  }
}
