/**
 * `<rlf-lead>`: one lead (`#/leads/<id>`, where alerts link), masked, with its timeline oldest
 * first; reveal its contact (logged, and put on the timeline), and the actions its status allows:
 * retry a dead letter, release a held lead, mark a held lead as spam.
 */
import { LitElement, css, html, nothing } from 'lit';
import { SignedOut, getJson, postJson } from './api.js';
import { reportSignedOut } from './events.js';
import { when } from './format.js';
import { Loader } from './load.js';
import { shared } from './styles.js';
import type { LeadDetail, MaskedLead, TimelineEvent } from './types.js';

/** The marker of a held lead an operator marked as spam (it cannot be released). */
const MARKED_SPAM = 'marked_spam';

type Action = 'retry' | 'release' | 'spam';
const ACTIONS: { action: Action; label: string; allowed: (lead: MaskedLead) => boolean }[] = [
  { action: 'retry', label: 'Retry', allowed: (l) => l.status === 'failed' },
  { action: 'release', label: 'Release', allowed: (l) => l.status === 'held' && l.error !== MARKED_SPAM },
  { action: 'spam', label: 'Mark as spam', allowed: (l) => l.status === 'held' && l.error !== MARKED_SPAM },
];

export class RlfLead extends LitElement {
  static override styles = [
    shared,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
      }
      dt {
        color: #57606a;
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      ol {
        padding-left: 1.25rem;
      }
      li {
        margin: 0.25rem 0;
      }
      code {
        font-size: 0.9em;
        overflow-wrap: anywhere;
      }
    `,
  ];
  static override properties = {
    leadId: {},
    version: {},
    contact: { state: true },
    busy: { state: true },
    note: { state: true },
  };
  declare leadId: string;
  declare version: string;
  /** The revealed contact, for this lead only; gone when another lead is shown. */
  declare contact: Record<string, unknown> | undefined;
  declare busy: boolean;
  declare note: string;

  #detail = new Loader(
    this,
    () => getJson<LeadDetail>(`leads/${encodeURIComponent(this.leadId)}`),
    () => `${this.leadId}|${this.version}`,
  );
  #shownId: string | undefined;

  override willUpdate(): void {
    if (this.leadId !== this.#shownId) {
      this.#shownId = this.leadId;
      this.#detail.clear();
      this.contact = undefined;
      this.note = '';
    }
  }

  async #act(action: Action | 'reveal'): Promise<void> {
    // The one action that cannot be undone from here: a lead marked as spam is never sent.
    if (action === 'spam' && !confirm('Mark this lead as spam? It will never be sent, and cannot be released.')) return;
    this.busy = true;
    this.note = '';
    try {
      const answer = await postJson<{ contact?: Record<string, unknown>; status?: string }>(
        `leads/${encodeURIComponent(this.leadId)}/${action}`,
      );
      if (action === 'reveal') this.contact = answer.contact;
      else this.note = `Done: the lead is ${answer.status}.`;
      await this.#detail.reload();
    } catch (error) {
      if (error instanceof SignedOut) return reportSignedOut(this);
      this.note = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const { value, problem } = this.#detail;
    return html`
      <p><a href="#/leads">← All leads</a></p>
      <h2>Lead <code>${this.leadId}</code></h2>
      ${problem ? html`<p class="problem" role="alert">${problem}</p>` : nothing}
      ${value ? this.#lead(value) : problem ? nothing : html`<p class="muted" role="status">Loading…</p>`}
    `;
  }

  #lead({ lead, history }: LeadDetail) {
    const contact = this.contact;
    return html`
      <dl>
        <dt>Site</dt><dd>${lead.site}</dd>
        <dt>Status</dt><dd><span class="status ${lead.status}">${lead.status}</span> ${lead.error ?? ''}</dd>
        ${lead.reason ? html`<dt>Why</dt><dd>${lead.reason}${waitsForSite(lead) ? html` <a href="#/">Fix the site, then check the sites now.</a>` : nothing}</dd>` : nothing}
        <dt>Accepted</dt><dd>${when(lead.created_at)}</dd>
        <dt>Confirmed</dt><dd>${when(lead.confirmed_at)}</dd>
        <dt>Attempts</dt><dd>${lead.attempts}</dd>
        <dt>Name</dt><dd>${contact ? `${contact.first_name ?? ''} ${contact.last_name ?? ''}` : lead.name}</dd>
        <dt>Email</dt><dd>${contact ? String(contact.email_1 ?? '—') : (lead.email ?? '—')}</dd>
        <dt>Phone</dt><dd>${contact ? String(contact.phone_1 ?? '—') : (lead.phone ?? '—')}</dd>
        ${contact ? revealedRest(contact) : nothing}
        <dt>Move-in</dt><dd>${lead.target_move_in_date ?? '—'}</dd>
        <dt>Bedrooms</dt><dd>${lead.desired_num_bedrooms ?? '—'}</dd>
        <dt>Campaign</dt><dd>${lead.campaign ?? '—'}</dd>
        ${
          lead.tour_start
            ? html`<dt>Tour</dt><dd>${when(Date.parse(lead.tour_start))}${
                lead.tour_of ? html`, on the guest card of <a href="#/leads/${encodeURIComponent(lead.tour_of)}">its lead</a>` : nothing
              }</dd>`
            : nothing
        }
        <dt>${lead.tour_start ? 'ResMan appointment' : 'ResMan record'}</dt><dd>${lead.created_record_id ?? '—'}</dd>
      </dl>
      <div class="row">
        ${contact ? nothing : html`<button type="button" ?disabled=${this.busy} @click=${() => void this.#act('reveal')}>Reveal contact</button>`}
        ${ACTIONS.filter((a) => a.allowed(lead)).map(
          (a) => html`<button type="button" ?disabled=${this.busy} @click=${() => void this.#act(a.action)}>${a.label}</button>`,
        )}
      </div>
      <p role="status">${this.note}</p>
      <h3>Timeline</h3>
      ${history.length === 0 ? html`<p class="muted">No history (stored before the timeline existed).</p>` : html`<ol>${history.map(event)}</ol>`}
    `;
  }
}

/** A lead queued behind its site's wrong id: it goes by itself once the site passes its check. */
const waitsForSite = (lead: MaskedLead) => lead.status === 'queued' && lead.error === 'site_misconfigured';

/** The contact's other fields once revealed (second phone, address, notes), in the API's order. */
const SHOWN = new Set(['first_name', 'last_name', 'email_1', 'phone_1']);
function revealedRest(contact: Record<string, unknown>) {
  return Object.entries(contact)
    .filter(([key, value]) => !SHOWN.has(key) && value !== null && value !== undefined && value !== '')
    .map(([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`);
}

function event(e: TimelineEvent) {
  const detail = e.detail
    ? Object.entries(e.detail)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ')
    : '';
  return html`<li><time datetime=${new Date(e.at).toISOString()}>${when(e.at)}</time> <strong>${e.type}</strong>${detail ? html` <span class="muted">${detail}</span>` : nothing}</li>`;
}

if (!customElements.get('rlf-lead')) customElements.define('rlf-lead', RlfLead);
