import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import type { FieldErrorCode } from '../../../contract/errors.js';
import type { FieldName } from '../../../contract/fields.js';
import { sendChunk } from '../lazy.js';
import type { SubmitStatus, SubmitView, Submission } from '../send-lead.js';
import { emit } from '../emit.js';
import { ResmanLeadErrorEvent, ResmanLeadStartEvent } from '../events.js';
import { readSession, session } from '../session.js';
import type { SettingsController } from './settings.js';

export interface SubmitHost extends ReactiveControllerHost, HTMLElement {
  readonly site: string;
  readonly datalayer: boolean;
  readonly renderRoot: HTMLElement | DocumentFragment;
}

/**
 * One fill of the form, from the first answer to the lead sent: its answers kept for the visit
 * (a reload mid-fill loses nothing), the fields judged, the send and its outcome, and the
 * Idempotency-Key that makes a retry a repeat. This controller holds that state and listens to the
 * form; the send chunk (zod/mini, the contract's rules, the POST: send-lead.ts) judges and
 * sends through its public API once loaded, on the first focus: a visitor who only scrolls past
 * never pays for it. The element holds the controller privately.
 */
export class SubmitController implements ReactiveController, Submission {
  status: SubmitStatus = 'idle';
  failure = '';
  errors: ReadonlyMap<string, FieldErrorCode> = new Map();
  announcement = '';
  declare thanks?: TemplateResult;
  /** One key per fill, kept across retries so the relay can recognise a repeat; made at the first send. */
  key: string | undefined;
  /** Fields the prospect has left with something in them: judged from then on. */
  readonly touched = new Set<string>();
  /** A send was tried: every field is judged from then on. */
  attempted = false;
  /** Errors the relay found that the form could not; kept until the prospect edits that field. */
  relayErrors = new Map<string, FieldErrorCode>();
  /** Kept answers still waiting for their control (a floor plan's options arrive later). */
  #restoring: Record<string, string> = {};
  /** Where the kept answers were read from: a new site reads its own. */
  #restoredFor: string | undefined;
  /** The first input started the fill. */
  #started = false;

  constructor(
    readonly host: SubmitHost,
    readonly settings: SettingsController,
    /** The Turnstile challenge's answer, when the site uses Turnstile. */
    readonly turnstile: () => Promise<string | undefined> | undefined,
    /** The fields the form shows: what is judged and sent. */
    readonly shownFields: () => FieldName[],
  ) {
    host.addController(this);
  }

  /** Where the answers are kept for the visit (sessionStorage). */
  get draftKey(): string {
    return `resman-lead-form:draft:${this.host.site}`;
  }

  hostConnected(): void {
    for (const type of ['focusin', 'focusout', 'input', 'submit']) this.host.renderRoot.addEventListener(type, this);
  }

  /** What a reload left is put back as the controls appear. */
  hostUpdated(): void {
    if (this.#restoredFor !== this.draftKey)
      this.#restoring = readSession<Record<string, string>>((this.#restoredFor = this.draftKey)) ?? {};
    const form = this.host.renderRoot.querySelector('form');
    for (const [name, value] of Object.entries(this.#restoring)) {
      const control = form?.elements.namedItem(name) as HTMLInputElement | null;
      if (!control) continue;
      if (!control.value) control.value = value;
      if (control.value === value) delete this.#restoring[name];
    }
  }

  /**
   * The first input starts the fill (resman-lead-start); the answers are kept at each edit (never
   * the hidden field a bot fills); every event goes on to the send chunk, fetched on the first
   * focus so that a send does not wait for it. What the chunk needs of an event is read now: a
   * shadow-DOM event has no target once dispatched.
   */
  handleEvent(e: Event): void {
    const { name, value, form } = e.target as HTMLInputElement;
    if (e.type === 'submit') e.preventDefault();
    if (e.type === 'input' && !this.#started) {
      this.#started = true;
      emit(this.host, new ResmanLeadStartEvent(this.host.site));
    }
    if (e.type === 'input' && name !== 'website') {
      delete this.#restoring[name];
      const answers = Object.fromEntries(new FormData(form!)) as Record<string, string>;
      delete answers.website;
      session(this.draftKey, JSON.stringify(answers));
    }
    this.#chunk().then(
      (m) => m.handle(this, e.type, name, value),
      () => {
        if (e.type !== 'submit') return;
        // The send chunk could not even be downloaded: say so, keep every answer, and let them try again.
        emit(this.host, new ResmanLeadErrorEvent(this.host.site, 'network_error'), { resman_code: 'network_error' });
        void this.show({ status: 'error', failure: this.settings.strings.errorNetwork }, '.status');
      },
    );
  }

  /** Shows what changed; once rendered, focus moves to what `focus` selects (the status line, an invalid field). */
  async show(view: Partial<SubmitView>, focus?: string): Promise<void> {
    Object.assign(this, view);
    this.host.requestUpdate();
    if (!focus) return;
    await this.host.updateComplete;
    this.host.renderRoot.querySelector<HTMLElement>(focus)?.focus();
  }

  /** The send chunk, with its English messages taken in so that whatever it finds can be worded. */
  async #chunk() {
    const m = await sendChunk();
    await this.settings.addMessages(m.enMessages);
    return m;
  }
}
