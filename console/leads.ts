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
/** The list's columns, in order: headers on a wide screen, each cell's label on a phone. */
const COLUMNS = ['Accepted', 'Site', 'Status', 'Name', 'Email', 'Phone', 'Attempts', 'Error'] as const;
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
      /*
       * A phone: each lead a stacked card, labelled field by field, rather than eight columns to
       * scroll sideways. The explicit roles keep the table's semantics where a display change drops
       * them (WebKit); the labels are for the eye only (alt text "" for the accessibility tree),
       * as a screen reader announces the column header already.
       */
      @media (max-width: 40rem) {
        table.leads,
        table.leads tbody,
        table.leads tr,
        table.leads td {
          display: block;
        }
        table.leads thead {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip-path: inset(50%);
        }
        table.leads tr {
          border-bottom: 1px solid #d0d7de;
          padding: 0.5rem 0;
        }
        table.leads td {
          border: 0;
          padding: 0.125rem 0;
          text-align: left;
        }
        table.leads td::before {
          content: attr(data-label);
          content: attr(data-label) / '';
          display: inline-block;
          min-width: 6rem;
          color: #57606a;
        }
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
        <table class="leads" role="table">
          <thead role="rowgroup">
            <tr role="row">
              ${COLUMNS.map((label) => html`<th scope="col" role="columnheader" class=${label === 'Attempts' ? 'num' : ''}>${label}</th>`)}
            </tr>
          </thead>
          <tbody role="rowgroup">
            ${list.leads.map((lead) => {
              const cells = [
                html`<a href="#/leads/${encodeURIComponent(lead.id)}">${when(lead.created_at)}</a>`,
                lead.site,
                html`<span class="status ${lead.status}">${lead.status}</span>`,
                lead.tour_start ? html`${lead.name} <span class="tour">Tour ${when(Date.parse(lead.tour_start))}</span>` : lead.name,
                lead.email ?? '—',
                lead.phone ?? '—',
                lead.attempts,
                lead.error ?? '',
              ];
              return html`<tr role="row">
                ${cells.map((cell, i) => html`<td role="cell" data-label=${COLUMNS[i]!} class=${COLUMNS[i] === 'Attempts' ? 'num' : ''}>${cell}</td>`)}
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${list.truncated ? this.#more() : nothing}
    `;
  }
}

if (!customElements.get('rlf-leads')) customElements.define('rlf-leads', RlfLeads);
