/**
 * `<rlf-leads>`: the leads filtered by site, status and date, searched by email or phone, newest
 * first, contact details masked. The filter lives in the hash (`#/leads?status=failed`), so a
 * filtered list can be linked, reloaded and exported as CSV as it is.
 */
import { LitElement, css, html, nothing } from 'lit';
import { getJson } from './api.js';
import { when } from './format.js';
import { Loader } from './load.js';
import { shared } from './styles.js';
import { STATUSES, type LeadList, type SiteChecks } from './types.js';

// `limit` comes only from "show more" (the form leaves it out, so a new filter starts at 100 again).
const FILTER_KEYS = ['site', 'status', 'from', 'to', 'q', 'limit'] as const;
/** The most the API lists at once. */
const MOST = '1000';

/** Only the filter's own keys, without empty values: what the API and the CSV link are given. */
export function filterQuery(query: string): string {
  const given = new URLSearchParams(query);
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = given.get(key)?.trim();
    if (value) kept.set(key, value);
  }
  return kept.toString();
}

/** A date field; a time from the overview's links (an ISO instant) keeps a text field, as a date field would drop it. */
function dateField(name: string, label: string, value: string) {
  const type = value === '' || /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : 'text';
  return html`<label>${label} <input name=${name} type=${type} .value=${value} /></label>`;
}

export class RlfLeads extends LitElement {
  static override styles = [
    shared,
    css`
      form {
        margin-bottom: 1rem;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
        align-items: center;
        margin: 0.5rem 0;
      }
    `,
  ];
  static override properties = { query: {}, version: {} };
  declare query: string;
  declare version: string;

  #list = new Loader(
    this,
    () => {
      const query = filterQuery(this.query ?? '');
      return getJson<LeadList>(`leads${query ? `?${query}` : ''}`);
    },
    () => `${filterQuery(this.query ?? '')}|${this.version}`,
  );

  // The configured sites, for the filter's choice; loaded once (a free text field without them).
  #sites = new Loader(
    this,
    () => getJson<SiteChecks | null>('sites'),
    () => 'once',
  );

  #siteField(chosen: string) {
    const sites = this.#sites.value?.sites;
    if (!sites) return html`<label>Site <input name="site" .value=${chosen} autocomplete="off" /></label>`;
    const known = sites.some((s) => s.site === chosen);
    return html`<label>
      Site
      <select name="site">
        <option value="" ?selected=${!chosen}>any</option>
        ${sites.map((s) => html`<option value=${s.site} ?selected=${s.site === chosen}>${s.name ?? s.site}</option>`)}
        ${chosen && !known ? html`<option value=${chosen} selected>${chosen}</option>` : nothing}
      </select>
    </label>`;
  }

  #apply(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const query = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = data.get(key);
      if (typeof value === 'string' && value.trim()) query.set(key, value.trim());
    }
    const text = query.toString();
    location.hash = `#/leads${text ? `?${text}` : ''}`;
  }

  override render() {
    const filter = new URLSearchParams(filterQuery(this.query ?? ''));
    const query = filter.toString();
    const { value, problem } = this.#list;
    return html`
      <h2>Leads</h2>
      <form class="row" role="search" aria-label="Filter the leads" @submit=${(e: SubmitEvent) => this.#apply(e)}>
        ${this.#siteField(filter.get('site') ?? '')}
        <label>
          Status
          <select name="status">
            <option value="" ?selected=${!filter.get('status')}>any</option>
            ${STATUSES.map((s) => html`<option value=${s} ?selected=${filter.get('status') === s}>${s}</option>`)}
          </select>
        </label>
        ${dateField('from', 'From', filter.get('from') ?? '')} ${dateField('to', 'To', filter.get('to') ?? '')}
        <label>Email or phone <input name="q" type="search" .value=${filter.get('q') ?? ''} autocomplete="off" /></label>
        <button class="primary">Show</button>
      </form>
      <div class="actions">
        <a href="/admin/api/leads.csv${query ? `?${query}` : ''}" download="leads.csv">Export as CSV</a>
        <span class="muted">Contact details are masked; open a lead to reveal them.</span>
      </div>
      ${problem ? html`<p class="problem" role="alert">${problem}</p>` : nothing}
      ${value ? this.#table(value) : html`<p class="muted" role="status">Loading…</p>`}
    `;
  }

  #more() {
    const query = new URLSearchParams(filterQuery(this.query ?? ''));
    if (query.get('limit') === MOST) return html`<p class="muted">More leads match than the ${MOST} shown: narrow the filter.</p>`;
    query.set('limit', MOST);
    return html`<p>More leads match. <a href="#/leads?${query.toString()}">Show up to ${MOST}</a></p>`;
  }

  #table(list: LeadList) {
    if (list.leads.length === 0) return html`<p>No lead matches.</p>`;
    return html`
      <div class="scroll" tabindex="0" role="region" aria-label="The leads">
        <table>
          <thead>
            <tr>
              <th scope="col">Accepted</th>
              <th scope="col">Site</th>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col" class="num">Attempts</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            ${list.leads.map(
              (lead) => html`<tr>
                <td><a href="#/leads/${encodeURIComponent(lead.id)}">${when(lead.created_at)}</a></td>
                <td>${lead.site}</td>
                <td><span class="status ${lead.status}">${lead.status}</span></td>
                <td>${lead.name}</td>
                <td>${lead.email ?? '—'}</td>
                <td>${lead.phone ?? '—'}</td>
                <td class="num">${lead.attempts}</td>
                <td>${lead.error ?? ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${list.truncated ? this.#more() : nothing}
    `;
  }
}

if (!customElements.get('rlf-leads')) customElements.define('rlf-leads', RlfLeads);
