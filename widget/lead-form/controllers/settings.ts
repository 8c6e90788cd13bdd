import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { REQUIRED_FIELDS, type FieldName } from '../../../contract/fields.js';
import type { FormAnswer } from '../../../contract/form.js';
import type { consentBox } from '../consent.js';
import { consentChunk, spanishChunk } from '../lazy.js';
import { en } from '../i18n/en.js';
import { localIsoDate } from '../today.js';
import { withTexts, type Dictionary, type Messages, type PlanStrings, type Strings } from '../i18n/types.js';

/** What the settings read of their element: its attributes. */
export interface SettingsHost extends ReactiveControllerHost {
  readonly site: string;
  readonly relay: string | undefined;
  readonly lang: string;
}

/** How far the form is from being shown: nothing rendered yet, rendered hidden to hold its place, shown. */
export type Stage = 'waiting' | 'holding' | 'shown';

/** How long the form waits for the site's settings before showing the defaults. */
const SETTINGS_WAIT_MS = 1500;
/** After this, a form still waiting for its settings is rendered hidden, to hold its place on the page. */
const PLACEHOLDER_MS = 100;

/** The relay this script was served from: the embed needs no configuration beyond `site`. */
const scriptOrigin = new URL(import.meta.url).origin;

/** Languages other than English come whole, in a chunk of their own. */
const languages: Record<string, () => Promise<Dictionary>> = { es: () => spanishChunk().then((m) => m.es) };
/** English errors and outcomes, which arrive with the send chunk; shared by every form on the page. */
let enMessages: Messages | undefined;

/**
 * The site's settings from the relay (fields, wording, consent, floor plans, form token), the form's
 * language and strings, and the stage of its first showing.
 */
export class SettingsController implements ReactiveController {
  /** The site's form from the relay; null until it arrives (or when it cannot). */
  value: FormAnswer | null = null;
  /** The form's strings; errors and outcomes are there once the send chunk (or a whole language) is in. */
  strings: Strings & Partial<Messages & PlanStrings> = en;
  stage: Stage = 'waiting';
  /** When the settings (and their form token) were handed out, by this page's clock. */
  receivedAt = 0;
  /** The consent box, once its chunk is in (a site with consent). */
  consentBox: typeof consentBox | undefined;
  /** The `site` and `lang` the settings and strings were last loaded for. */
  #loadedSite: string | undefined;
  #loadedLang: string | undefined;

  readonly #host: SettingsHost;

  constructor(host: SettingsHost) {
    (this.#host = host).addController(this);
  }

  /** A new `site` loads its settings; a new `lang`, the strings. */
  hostUpdate(): void {
    const { site, lang } = this.#host;
    if (site !== this.#loadedSite) void this.#load();
    else if (lang !== this.#loadedLang) void this.#loadStrings();
    this.#loadedSite = site;
    this.#loadedLang = lang;
  }

  /** The relay's URL for `path` under this site: `…/v1/sites/<site>/<path>`. */
  url(path: string): string {
    return `${(this.#host.relay || scriptOrigin).replace(/\/+$/, '')}/v1/sites/${encodeURIComponent(this.#host.site)}/${path}`;
  }

  /** The form's language: the element's `lang`, else the page's, else the site's. */
  get language(): string {
    return (this.#host.lang || document.documentElement.lang || this.value?.language || 'en').slice(0, 2).toLowerCase();
  }

  /** The property's date from the relay, else the browser's: the earliest move-in date. */
  get today(): string {
    return this.value?.today ?? localIsoDate();
  }

  /** The consent box's chunk: with the settings, and at a later update again if its download was lost. */
  consent(): Promise<void> {
    return consentChunk().then(
      (m) => {
        this.consentBox = m.consentBox;
        this.#host.requestUpdate();
      },
      () => {},
    );
  }

  /** The contract's required fields and the site's. */
  get required(): FieldName[] {
    return [...REQUIRED_FIELDS, ...(this.value?.required ?? [])];
  }

  /**
   * Loads the site's settings and the strings, and shows the form once, in its final shape: with the
   * site's fields, language and wording, so nothing changes language under the visitor. A fast relay
   * gets one render; a slow one gets the form rendered hidden after PLACEHOLDER_MS, holding its place
   * on the page; a relay slower than SETTINGS_WAIT_MS gets the defaults.
   */
  async #load(): Promise<void> {
    const strings = this.#loadStrings(); // a language the page names loads alongside the settings
    const hold = setTimeout(() => this.stage === 'waiting' && this.#show('holding'), PLACEHOLDER_MS);
    if (this.#host.site) await Promise.race([this.#fetch(), new Promise((r) => setTimeout(r, SETTINGS_WAIT_MS))]);
    await strings;
    clearTimeout(hold);
    this.#show('shown');
  }

  /** The strings in the form's language, with the site's wording over them. */
  async #loadStrings(): Promise<void> {
    const code = this.language;
    // A language whose chunk cannot be fetched shows English rather than no form at all.
    const dictionary = await languages[code]?.().catch(() => undefined);
    this.strings = withTexts(dictionary ?? { ...enMessages, ...en }, this.value?.texts, code);
    this.#host.requestUpdate();
  }

  /** The send chunk's English errors and outcomes: a form without them yet takes them in. */
  async addMessages(messages: Messages): Promise<void> {
    enMessages = messages;
    if (!this.strings.errors) await this.#loadStrings();
  }

  #show(stage: Stage): void {
    this.stage = stage;
    this.#host.requestUpdate();
  }

  async #fetch(): Promise<void> {
    try {
      // Asked as the embed's <link rel="preload" as="fetch" crossorigin> asks (credentials as the
      // default), so the browser hands over the answer it preloaded instead of asking again.
      const res = await fetch(this.url('form'));
      if (res.ok) {
        this.value = (await res.json()) as FormAnswer;
        this.receivedAt = Date.now();
        // A box shown from the start comes before the form, so nothing moves under the visitor; one
        // that waits for a phone number loads behind the form, a round trip less before it is
        // usable. Lost, the form shows without it.
        const consent = this.value.consent && this.consent();
        await Promise.all([this.#loadStrings(), this.value.consent?.ask === 'always' && consent]);
      }
    } catch {
      // The form works without the site's settings: defaults, no token, no floor plans.
    }
  }
}
